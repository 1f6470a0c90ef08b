"""Writing many new rows at once, for the demo and the district generator (never a request).

``bulk_create`` builds one ``INSERT`` of up to a thousand rows by preparing every value
through the field (``pre_save``, ``get_db_prep_save``) and composing the placeholders row by
row: about 10 µs a value, most of the demo's seeding time once the rows were built. Here:

* ``allocate(model, objs)`` gives the objects their primary keys first (on PostgreSQL from
  the table's sequence, ``nextval`` once per row in one query, so several processes can
  allocate at once; elsewhere after the largest key in the table: **one writer only**), so
  rows that point at them can be built before anything is written;
* ``write(model, objs)`` inserts objects whose keys are allocated: ``COPY … FROM STDIN`` on
  PostgreSQL (psycopg's ``cursor.copy()``), one ``executemany`` of a one-row ``INSERT`` on
  SQLite (the row loop runs in C), ``bulk_create`` on any other database;
* ``insert`` is both;
* ``append(model, objs)`` inserts rows that nothing points at, numbered by the database (any
  number of writers; used by the rollup for its stored figures).

Values are the ones ``bulk_create`` would write: a value that the database driver takes as
it is (an ``int`` for an integer or a foreign key, a ``str`` for a plain ``CharField`` or
``TextField``, a ``bool``, a ``float``, ``None``; on PostgreSQL also a date) is passed
untouched, an aware datetime is adapted as ``get_db_prep_save`` ends up adapting it, anything
else (encrypted and other custom fields, JSON, file fields, ``auto_now``, a lazy translation)
goes through the field's own ``pre_save`` and ``get_db_prep_save``.
``tests/test_bulkwrite.py`` compares the rows with ``bulk_create``'s on both databases.

Like ``bulk_create``: no signals, no ``save()``; the objects end up saved (``_state``), and a
cached related object's key is copied into its ``…_id`` column first.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max

COPY_BATCH = 50_000
BULK_BATCH = 2_000

_NONE = type(None)
_INT = frozenset((int, _NONE))
_STR = frozenset((str, _NONE))
_DATE = frozenset((dt.date, _NONE))


def _as_is(field: models.Field, vendor: str) -> frozenset | None:
    """The exact types of value that ``field`` hands to the driver unchanged (so they can be
    passed as they are), or None when every value goes through the field. Only Django's own
    field classes qualify: a subclass may prepare its values (``EncryptedTextField``).
    (Exact types: ``type(True) is bool``, so a bool in an integer column is prepared.)"""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    kind = type(field)
    if not kind.__module__.startswith("django.db.models.fields"):
        return None
    if kind in (models.CharField, models.TextField):
        return _STR
    if kind is models.BooleanField:
        return frozenset((bool, _NONE))
    if kind is models.FloatField:
        return frozenset((float, _NONE))
    if issubclass(kind, models.IntegerField):  # the auto fields and Big/Small/Positive too
        return _INT
    if kind is models.DateField and vendor == "postgresql":
        return _DATE  # psycopg adapts dates; Django turns them into text for SQLite
    return None


def _converter(field: models.Field, db: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """A function from a value of ``field`` to what the driver is given."""
    if db.vendor == "postgresql" and isinstance(field, models.JSONField):
        # COPY takes the JSON text (jsonb stores it parsed: the same value either way).
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    types = _as_is(field, db.vendor)

    def prepared(value):
        return field.get_db_prep_save(value, db)

    if type(field) is models.DateTimeField:
        # An aware datetime: what ``get_db_prep_save`` ends with (``get_prep_value`` returns
        # it unchanged; it only warns about naive ones, which still go through it).
        adapt = db.ops.adapt_datetimefield_value
        return lambda value: (
            adapt(value)
            if type(value) is dt.datetime and value.tzinfo is not None
            else prepared(value)
        )
    if types is None:
        return prepared
    return lambda value: value if type(value) in types else prepared(value)


def _getter(field: models.Field, db: BaseDatabaseWrapper) -> Callable[[models.Model], Any]:
    """A function from an object to the value written for ``field``: through the field's
    ``pre_save`` where it has one of its own (``auto_now`` and friends)."""
    convert = _converter(field, db)
    if type(field).pre_save is models.Field.pre_save:
        get = operator.attrgetter(field.attname)
        return lambda obj: convert(get(obj))
    return lambda obj: convert(field.pre_save(obj, True))


def allocate(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Give every object a primary key now, so that rows pointing at it can be built."""
    if not objs:
        return
    table = model._meta.db_table
    db = connections[router.db_for_write(model)]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(objs)],
            )
            keys: Sequence[int] = sorted(row[0] for row in cursor.fetchall())
        else:
            last = model._default_manager.using(db.alias).aggregate(last=Max("pk"))["last"] or 0
            keys = range(last + 1, last + 1 + len(objs))
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key


def _link(objs: Sequence[models.Model], fields) -> None:
    """Copy each cached related object's (now allocated) pk into its ``…_id`` column."""
    relations = [f for f in fields if f.is_relation and (f.many_to_one or f.one_to_one)]
    for obj in objs:
        for f in relations:
            if getattr(obj, f.attname) is None and f.is_cached(obj):
                related = f.get_cached_value(obj)
                if related is not None:
                    setattr(obj, f.attname, related.pk)


def write(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert objects whose primary keys are allocated (``allocate``)."""
    if any(obj.pk is None for obj in objs):
        raise ValueError("bulkwrite.write takes objects whose keys are allocated")
    _send(model, objs, model._meta.concrete_fields)
    db = connections[router.db_for_write(model)]
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias


def append(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert rows that nothing points at (the rollup's): the database numbers them, so no
    keys are allocated and any number of writers may append at once; the objects are left
    as they were (no key, not saved)."""
    pk = model._meta.pk
    _send(model, objs, [f for f in model._meta.concrete_fields if f is not pk])


def append_values(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]
) -> None:
    """``append`` for rows given as values of the fields ``names`` (no instances built):
    each value prepared as its field prepares it. Fields not named are not written (their
    column's default or NULL), so name every field that has no database default."""
    db = connections[router.db_for_write(model)]
    fields = [cast(models.Field, model._meta.get_field(name)) for name in names]
    converters = [_converter(f, db) for f in fields]
    values = [[convert(v) for convert, v in zip(converters, row, strict=True)] for row in rows]
    _send_rows(model, fields, values)


def _send(model: type[models.Model], objs: Sequence[models.Model], fields) -> None:
    if not objs:
        return
    _link(objs, fields)
    db = connections[router.db_for_write(model)]  # not the proxy: it costs a lookup a call
    if db.vendor not in ("postgresql", "sqlite"):
        model._default_manager.bulk_create(objs, batch_size=BULK_BATCH)
        return
    getters = [_getter(f, db) for f in fields]
    _send_rows(model, fields, [[get(obj) for get in getters] for obj in objs])


def _send_rows(model: type[models.Model], fields, rows: list[list]) -> None:
    """Rows of prepared values of ``fields``: one ``COPY`` (PostgreSQL) or ``executemany``."""
    if not rows:
        return
    db = connections[router.db_for_write(model)]
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            for start in range(0, len(rows), COPY_BATCH):
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows[start : start + COPY_BATCH]:
                        copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def insert(model: type[models.Model], objs: Sequence[models.Model]) -> Sequence[models.Model]:
    """``allocate`` and ``write``: new rows of one model, their keys set."""
    allocate(model, objs)
    write(model, objs)
    return objs
