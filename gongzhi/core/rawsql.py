"""Statements written once per model, for the few paths that run on every request (issue 14).

Building a queryset and compiling its SQL costs 0.25–0.6 ms of CPU per statement, several
times what SQLite or PostgreSQL take to find a row by key or insert one. The matter intake
(``POST /api/v1/matters``) makes ten statements, so that was most of its time. The helpers here
write the SQL of a model's columns once per database connection and keep it, from the model's
own metadata (table, columns, ``pre_save``, ``get_db_prep_save``, the converters, ``from_db``),
so a column added to a model needs no change here and values are prepared exactly as the ORM
prepares them (encrypted fields encrypt, JSON is adapted, datetimes are converted back).

What they are not:

* not a query builder: the caller's ``FROM``/``WHERE`` is fixed SQL, values go in ``params``;
* not for permissions: a caller that reads across a visibility rule checks the row with the
  rule's Python form (``core.places.place_contains``, the twin of ``place_q``, tested equal);
* ``insert`` sends no ``pre_save``/``post_save`` signals, exactly like ``bulk_create``; use
  it only for models nothing listens to (the intake's matter, reporter, events and key).

Everything else goes through the ORM as usual.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils.asyncio import async_unsafe

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def _cache(connection: BaseDatabaseWrapper) -> dict:
    """Per connection (so per thread): the converters are the connection's own."""
    return connection.__dict__.setdefault("_gongzhi_rawsql", {})


class Columns:
    """The SELECT list of one model under a table alias, and how its slice of a row becomes
    an instance (the database's converters applied, as ``ModelIterable`` does)."""

    def __init__(self, model: type[models.Model], alias: str, connection) -> None:
        quote = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        self.model = model
        self.width = len(fields)
        self.sql = ", ".join(f"{alias}.{quote(str(f.column))}" for f in fields)
        self.attnames = [f.attname for f in fields]
        self.pk_index = fields.index(model._meta.pk)
        self.plain = _plain_init(model, self.attnames)
        self.converters = []
        for i, field in enumerate(fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((i, found, column))

    def load(self, values: Sequence[Any], db: str, connection) -> Any:
        """The instance of these values, or None when its key is NULL (an outer join's
        missing row)."""
        if values[self.pk_index] is None:
            return None
        values = list(values)
        for i, converters, column in self.converters:
            value = values[i]
            for converter in converters:
                value = converter(value, column, connection)
            values[i] = value
        model = self.model
        if not self.plain or pre_init.has_listeners(model) or post_init.has_listeners(model):
            return model.from_db(db, self.attnames, values)
        # What ``from_db`` → ``Model.__init__(*values)`` does for a model whose columns are
        # plain attributes (``_plain_init``) and nothing listening to its init: set each
        # column's value, mark the instance loaded. A third of a row's load, skipped.
        obj = model.__new__(model)
        obj._state = ModelState()
        obj._state.adding = False
        obj._state.db = db
        obj.__dict__.update(zip(self.attnames, values, strict=True))
        return obj


def _plain_init(model: type[models.Model], attnames: list[str]) -> bool:
    """Whether ``Model.__init__`` with one value per concrete field only stores the values in
    the instance's ``__dict__``: Django's own ``__init__``/``from_db``/``__setattr__`` and every
    column attribute Django's (``DeferredAttribute`` stores nothing; a foreign key's
    ``ForeignKeyDeferredAttribute`` drops a cached related object, of which a new instance has
    none). The init signals are checked at each load (receivers may connect later)."""
    from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute

    if (
        model.__init__ is not models.Model.__init__
        or model.from_db.__func__ is not models.Model.from_db.__func__  # type: ignore[attr-defined]
        or model.__setattr__ is not object.__setattr__
    ):
        return False
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    return all(type(inspect.getattr_static(model, name, None)) in plain for name in attnames)


@async_unsafe
def _cursor(connection: BaseDatabaseWrapper):
    """Django's cursor for these statements; on PostgreSQL over a driver cursor that binds
    parameters on the server and prepares each statement once per connection, so the server
    parses and plans it once instead of at every request (planning the submit's joins cost it
    about 1 ms per submit). Logged, wrapped and its errors turned into Django's as usual: only
    the driver's cursor underneath is another (made directly, as ``connection.cursor()`` makes
    Django's own, not made and closed again)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django leaves automatic preparing off (for connection poolers); Django's own
        # cursors bind on the client and never prepare, whatever the threshold, so only
        # these cursors, which ask for it, prepare their statements.
        raw.prepare_threshold = _NEVER_BY_COUNT
    with connection.wrap_database_errors:
        cursor = _preparing_cursor()(raw)
        _as_django_makes_it(connection, cursor)
        return connection._prepare_cursor(cursor)  # type: ignore[attr-defined]


def _as_django_makes_it(connection, cursor) -> None:
    """What Django's PostgreSQL ``create_cursor`` adds to a driver cursor: the timezone of
    loaded timestamps, where the connection's own disagrees."""
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, cursor)


_NEVER_BY_COUNT = 2**31 - 1  # no statement is prepared for being run often: only when asked


@functools.cache
def _preparing_cursor() -> type:
    """psycopg's server-binding cursor as Django's PostgreSQL backend makes it, asking for
    every statement it runs to be prepared (imported on first use: PostgreSQL only)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)  # type: ignore[misc]

    return PreparingCursor


def table(model: type[models.Model], using: str | None = None) -> str:
    """The model's table name, quoted for the database."""
    connection = connections[using or router.db_for_read(model)]
    cache = _cache(connection)
    key = ("table", model)
    if key not in cache:
        cache[key] = connection.ops.quote_name(model._meta.db_table)
    return cache[key]


def columns(model: type[models.Model], alias: str, using: str | None = None) -> Columns:
    connection = connections[using or router.db_for_read(model)]
    cache = _cache(connection)
    key = ("columns", model, alias)
    if key not in cache:
        cache[key] = Columns(model, alias, connection)
    return cache[key]


def select(
    tables: Sequence[tuple[type[models.Model], str]], rest: str, params: Sequence[Any]
) -> list[tuple]:
    """``SELECT <every column of each (model, alias)> <rest>``: one tuple of instances per row
    (None for an outer join's missing row). ``rest`` is the caller's fixed ``FROM … WHERE …``
    with ``%s`` for ``params``; the aliases are the caller's."""
    using = router.db_for_read(tables[0][0])
    connection = connections[using]
    cache = _cache(connection)
    key = ("select", tuple(tables), rest)
    if key not in cache:
        parts = [columns(model, alias, using) for model, alias in tables]
        cache[key] = ("SELECT " + ", ".join(part.sql for part in parts) + " " + rest, parts)
    sql, parts = cache[key]
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        objects, start = [], 0
        for part in parts:
            objects.append(part.load(row[start : start + part.width], using, connection))
            start += part.width
        result.append(tuple(objects))
    return result


def written_once(model: type[models.Model], key: Any, write: Callable[[], T]) -> T:
    """``write()`` once per connection to ``model``'s database for ``key`` (a caller's fixed
    SQL, built from table names quoted for that database), then kept: a statement read at
    every request is not built again each time."""
    cache = _cache(connections[router.db_for_read(model)])
    key = ("written", key)
    if key not in cache:
        cache[key] = write()
    return cache[key]


def rows(model: type[M], where: str, params: Sequence[Any], tail: str = "") -> list[M]:
    """``model``'s rows ``WHERE where`` (fixed SQL over its own columns, unqualified)."""
    connection = connections[router.db_for_read(model)]
    table = connection.ops.quote_name(model._meta.db_table)
    found = select([(model, table)], f"FROM {table} WHERE {where} {tail}", params)
    return [obj for (obj,) in found]


def firsts(queries: Sequence[tuple[type[models.Model], str, Sequence[Any], str]]) -> list[Any]:
    """The first row of each ``(model, where, params, order)`` — ``SELECT * FROM <model's
    table> WHERE where order LIMIT 1`` — read in one statement: one instance per query, None
    where a query finds nothing. ``where`` and ``order`` are fixed SQL over the model's own
    columns, unqualified (``order`` may be empty: then any matching row)."""
    shape = tuple((model, where, order) for model, where, _params, order in queries)
    tables, rest = written_once(shape[0][0], ("firsts", shape), lambda: _firsts_sql(shape))
    (found,) = select(tables, rest, [p for query in queries for p in query[2]])
    return list(found)


def _firsts_sql(shape: tuple) -> tuple[list[tuple[type[models.Model], str]], str]:
    tables: list[tuple[type[models.Model], str]] = []
    joins: list[str] = []
    for i, (model, where, order) in enumerate(shape):
        alias = f"q{i}"
        tables.append((model, alias))
        joins.append(
            f"LEFT JOIN (SELECT * FROM {table(model)} WHERE {where} {order} LIMIT 1) {alias}"  # noqa: S608
            " ON 1 = 1"
        )
    return tables, "FROM (SELECT 1 AS one) one " + " ".join(joins)


def insert(objs: Sequence[M]) -> Sequence[M]:
    """Insert new instances of one model in one statement, as ``save()`` would write them
    (``pre_save`` fills ``auto_now_add``, ``get_db_prep_save`` prepares each value); their
    ids come back by ``RETURNING``. No signals (see the module docstring)."""
    Inserts([objs]).run()
    return objs


class Inserts:
    """New instances of several models, one ``INSERT … RETURNING`` per group (a group holds
    instances of one model), with every value prepared when this is made, so that ``run`` —
    inside the caller's transaction — only sends the statements: on SQLite the write lock
    (taken at ``BEGIN IMMEDIATE``) is held for the statements alone, not for the Python that
    prepares them.

    A foreign key to an instance of an earlier group, not inserted yet (the matter of its
    reporter, events and key), is filled in by ``run`` with that instance's id once its group
    is inserted. Any other unsaved related instance is refused as ``save()`` refuses it. No
    signals (see the module docstring).

    On PostgreSQL ``run`` sends all the groups as **one statement**: each instance is a
    data-modifying ``WITH`` query (``r0 AS (INSERT … RETURNING id)``) and a foreign key to an
    earlier instance reads that query's id (``(SELECT id FROM r0)``). One statement is atomic by
    itself, so a caller outside a transaction needs no ``BEGIN``/``COMMIT`` around it
    (``single`` is set): the intake's four inserts went from six round trips to one."""

    #: PostgreSQL: the one statement of all the groups (``_with_queries``); None elsewhere.
    single: tuple[str, list[Any], list[models.Model], list] | None = None

    def __init__(self, groups: Sequence[Sequence[models.Model]]) -> None:
        groups = [group for group in groups if group]
        self.statements: list[tuple[str, list[Any], list, Sequence[models.Model]]] = []
        if not groups:
            return
        self.using = router.db_for_write(type(groups[0][0]))
        connection = self.connection = connections[self.using]
        cache = _cache(connection)
        earlier: set[int] = set()  # id() of the instances of the groups before
        for group in groups:
            model = type(group[0])
            key = ("insert", model)
            if key not in cache:
                cache[key] = _insert_statement(model, connection)
            fields, relations, head, row, returning = cache[key]
            params: list[Any] = []
            pending = []  # (index in params, instance, field, related instance)
            for obj in group:
                if type(obj) is not model or obj.pk is not None or not obj._state.adding:
                    raise ValueError("rawsql insert groups take new instances of one model")
                waiting = {}  # attname → the related instance of an earlier group
                for field in relations:
                    if field.is_cached(obj):
                        related = field.get_cached_value(obj)
                        if related is not None and related.pk is None and id(related) in earlier:
                            waiting[field.attname] = related
                # The ORM's own check (an unsaved related instance is refused) for the rest.
                # (Fields are compared by attname: a Field's own hash is computed per call.)
                checked = None  # every field, unless some wait for an earlier group
                if waiting:
                    checked = _fields_but(model, frozenset(waiting), cache)
                obj._prepare_related_fields_for_save(  # type: ignore[attr-defined]
                    operation_name="insert", fields=checked
                )
                for field in fields:
                    if waiting and field.attname in waiting:
                        pending.append((len(params), obj, field, waiting[field.attname]))
                        params.append(None)
                    else:
                        params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
            sql = head + ", ".join([row] * len(group)) + returning
            self.statements.append((sql, params, pending, group))
            earlier.update(id(obj) for obj in group)
        if connection.vendor == "postgresql":
            self.single = _with_queries(self.statements, cache)

    def run(self) -> None:
        """Send the statements in order; each instance gets its id (and is saved)."""
        if not self.statements:
            return
        connection = self.connection
        with _cursor(connection) as cursor:
            if self.single is not None:
                sql, params, instances, pending_all = self.single
                cursor.execute(sql, params)
                ids = dict(cursor.fetchall())
                for n, obj in enumerate(instances):
                    self._saved(obj, ids[n])
                for obj, field, related in pending_all:
                    obj.__dict__[field.attname] = related.pk  # as below
                return
            for sql, params, pending, group in self.statements:
                for index, obj, field, related in pending:
                    # What ``save()`` does once the related instance has its id; through
                    # ``__dict__``, as the attribute's descriptor stores it, so the related
                    # instance stays cached on ``obj``.
                    obj.__dict__[field.attname] = related.pk
                    params[index] = field.get_db_prep_save(related.pk, connection)
                cursor.execute(sql, params)
                ids = cursor.fetchall()
                for obj, (pk_value,) in zip(group, ids, strict=True):
                    self._saved(obj, pk_value)

    def _saved(self, obj: models.Model, pk_value: Any) -> None:
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = self.using


def _with_queries(statements: list, cache: dict) -> tuple[str, list, list, list]:
    """PostgreSQL: the groups' statements as one, each instance a ``WITH`` query ``r<n>`` whose
    pending foreign keys read the id of the earlier query that inserts the related instance.
    The statement answers ``(n, id)`` for every instance; also returned: its parameters, the
    instances in order of n, and the pending ``(instance, field, related instance)``."""
    instances: list[models.Model] = []
    number: dict[int, int] = {}  # id() of an instance → its n
    queries: list[str] = []
    params: list[Any] = []
    pending_all: list[tuple[models.Model, Any, models.Model]] = []
    for _sql, group_params, pending, group in statements:
        _fields, _relations, head, _row, returning = cache[("insert", type(group[0]))]
        width = len(group_params) // len(group)
        waiting = {index: related for index, _obj, _field, related in pending}
        pending_all.extend((obj, field, related) for _index, obj, field, related in pending)
        for k, obj in enumerate(group):
            values = []
            for index in range(k * width, (k + 1) * width):
                if index in waiting:
                    earlier = number[id(waiting[index])]
                    values.append(f"(SELECT id FROM r{earlier})")  # noqa: S608
                else:
                    values.append("%s")
                    params.append(group_params[index])
            n = number[id(obj)] = len(instances)
            instances.append(obj)
            queries.append(f"r{n} AS ({head}({', '.join(values)}){returning} AS id)")
    answers = " UNION ALL ".join(f"SELECT {n}, id FROM r{n}" for n in range(len(instances)))  # noqa: S608
    return "WITH " + ", ".join(queries) + " " + answers, params, instances, pending_all


def _fields_but(model: type[models.Model], attnames: frozenset, cache: dict) -> set:
    """The model's concrete fields but those of ``attnames``, as a set (worked out once)."""
    key = ("fields_but", model, attnames)
    if key not in cache:
        cache[key] = {f for f in model._meta.concrete_fields if f.attname not in attnames}
    return cache[key]


def _insert_statement(model: type[models.Model], connection) -> tuple:
    """The fields (all concrete ones but the key), the foreign keys among them, and the parts
    of ``INSERT INTO <table> (<columns>) VALUES (…), … RETURNING <key>``."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    relations = [f for f in fields if f.is_relation and (f.many_to_one or f.one_to_one)]
    names = ", ".join(quote(str(f.column)) for f in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "  # noqa: S608
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return fields, relations, head, row, f" RETURNING {quote(str(pk.column))}"
