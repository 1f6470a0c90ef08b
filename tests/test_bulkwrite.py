"""``core.bulkwrite`` writes the rows ``bulk_create`` writes (compared column by column, as
stored and as read back), on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from gongzhi.core import bulkwrite
from gongzhi.matters.models import ClassificationCorrection, Matter, MatterEvent
from gongzhi.people.models import Resident
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

WHEN = timezone.make_aware(dt.datetime(2026, 3, 1, 9, 30, 15, 123456))
# Columns that differ between two writes of the same object by design: Fernet tokens carry a
# random IV (compared decrypted below) and ``auto_now_add`` stamps the clock.
RANDOM = {"id", "id_number", "phone", "created_at"}


def _residents(world, id_numbers: list[str]) -> list[Resident]:
    people = []
    for n, (name, born, phone) in enumerate(
        [("钱多多", dt.date(1950, 2, 3), "13900001111"), ("孙小梅", dt.date(1999, 12, 31), "")]
    ):
        resident = Resident(
            household=world.res_a.household,  # a cached related object: its key is copied
            name=gettext_lazy(name) if n else name,  # a lazy string is prepared as Django does
            gender="F",
            birth_date=born,
            phone=phone,
            relation="child",
        )
        resident.set_id_number(id_numbers[n])
        people.append(resident)
    return people


def _matters(world) -> list[Matter]:
    return [
        Matter(
            text=f"楼道灯坏了 {n}",
            channel="grid_visit",
            reporter_id=world.res_a.pk,
            reporter_name="王建国",
            community=world.a,
            compound_id=world.res_a.household.unit.building.compound_id,
            category="facilities",
            tier="small",
            created_at=WHEN + dt.timedelta(minutes=n),
            due_at=WHEN + dt.timedelta(days=3),
            overdue=bool(n),
        )
        for n in range(3)
    ]


def _events(matters) -> list[MatterEvent]:
    return [
        MatterEvent(
            matter=matter,
            at=WHEN,
            action="submit",
            to_status="received",
            data={"channel": "grid_visit", "备注": ["一", 2, None], "n": 1.5},
        )
        for matter in matters
    ]


def _stored(model, pks, ignore: set) -> list[tuple]:
    """The rows as the database stores them (JSON as text), without the random columns."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [f.column for f in model._meta.concrete_fields if f.column not in RANDOM | ignore]
    cast = "::text" if connection.vendor == "postgresql" else ""
    select = ", ".join(f"{connection.ops.quote_name(c)}{cast}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM {table} WHERE id IN ({', '.join(['%s'] * len(pks))}) ORDER BY id",  # noqa: S608
            list(pks),
        )
        return cursor.fetchall()


def _read(model, pks, ignore: set) -> list[dict]:
    """The rows read back through the ORM (decrypted, parsed), without keys and stamps."""
    rows = list(model.objects.filter(pk__in=pks).order_by("pk").values())
    for row in rows:
        for name in ("id", "created_at", *ignore):
            row.pop(name, None)
    return rows


def _compare(model, make, ignore=frozenset()) -> list:
    """Write ``make()`` with ``bulk_create`` (then undo it) and again with ``bulkwrite``: the
    rows must be the same. ``ignore``: columns stamped by the clock."""
    with transaction.atomic():
        objs = make()
        model.objects.bulk_create(objs)
        pks = [o.pk for o in objs]
        expected = _stored(model, pks, ignore), _read(model, pks, ignore)
        transaction.set_rollback(True)
    objs = make()
    bulkwrite.insert(model, objs)
    assert all(obj.pk and not obj._state.adding for obj in objs)
    pks = [o.pk for o in objs]
    assert (_stored(model, pks, ignore), _read(model, pks, ignore)) == expected
    return objs


def test_appended_rows_are_numbered_by_the_database(world):
    """The rollup's wide rows (a hundred integer columns and more), appended without keys."""
    from gongzhi.insights.models import PLACE_DAY_COLUMNS, MatterPlaceDay

    def make():
        return [
            MatterPlaceDay(
                day=dt.date(2026, 3, day),
                community=world.a,
                compound_id=world.yujia.pk if day % 2 else None,
                **{name: n * day for n, name in enumerate(PLACE_DAY_COLUMNS)},
            )
            for day in range(1, 6)
        ]

    with transaction.atomic():
        MatterPlaceDay.objects.bulk_create(make())
        expected = _read(MatterPlaceDay, MatterPlaceDay.objects.values("pk"), set())
        transaction.set_rollback(True)
    rows = make()
    bulkwrite.append(MatterPlaceDay, rows)
    assert all(row.pk is None for row in rows)
    assert _read(MatterPlaceDay, MatterPlaceDay.objects.values("pk"), set()) == expected


def test_residents_with_encrypted_fields_dates_and_a_lazy_name(world):
    numbers = [make_id_number(dt.date(1950, 2, 3)), make_id_number(dt.date(1999, 12, 31))]
    fast = _compare(Resident, lambda: _residents(world, numbers))
    assert [r.phone for r in fast] == ["13900001111", ""]
    for resident in Resident.objects.filter(pk__in=[r.pk for r in fast]):
        assert resident.created_at is not None and resident.id_number in numbers
    assert {r.name for r in fast} == {"钱多多", "孙小梅"}


def test_matters_events_and_a_one_to_one_row(world):
    matters = _compare(Matter, lambda: _matters(world))
    _compare(MatterEvent, lambda: _events(matters))
    corrections = _compare(
        ClassificationCorrection,
        lambda: [
            ClassificationCorrection(matter=m, text="楼道灯坏了", category="greening", tier="small")
            for m in matters
        ],
        {"at"},
    )
    assert [c.matter_id for c in corrections] == [m.pk for m in matters]


def test_keys_follow_the_table_and_write_refuses_objects_without_one(world):
    matters = _matters(world)
    bulkwrite.allocate(Matter, matters)
    assert [m.pk for m in matters] == sorted({m.pk for m in matters})
    assert not Matter.objects.filter(pk__in=[m.pk for m in matters]).exists()
    bulkwrite.write(Matter, matters)
    assert Matter.objects.filter(pk__in=[m.pk for m in matters]).count() == 3
    with pytest.raises(ValueError):
        bulkwrite.write(Matter, _matters(world))
    later = bulkwrite.insert(Matter, _matters(world))
    assert min(m.pk for m in later) > max(m.pk for m in matters)


def test_values_are_prepared_as_their_fields_prepare_them(world):
    """``append_values``: rows as plain values (a file field, an aware datetime, a foreign key
    as a number) become the rows ``bulk_create`` writes from instances."""
    from gongzhi.visits.models import Visit

    names = (
        "household",
        "visitor",
        "kind",
        "found",
        "visited_at",
        "photo",
        "client_key",
        "created_at",
    )
    rows = [
        (
            world.res_a.household_id,
            world.users.grid_a1.pk,
            "check",
            f"楼道堆物 {n}",
            WHEN,
            "",
            "",
            WHEN,
        )
        for n in range(3)
    ]
    with transaction.atomic():
        Visit.objects.bulk_create(
            [
                Visit(
                    **{
                        f"{name}_id" if name in ("household", "visitor") else name: v
                        for name, v in zip(names, row, strict=True)
                    }
                )
                for row in rows
            ]
        )
        expected = _read(Visit, Visit.objects.values("pk"), {"created_at"})
        stored = _stored(Visit, list(Visit.objects.values_list("pk", flat=True)), set())
        transaction.set_rollback(True)
    bulkwrite.append_values(Visit, names, rows)
    assert _read(Visit, Visit.objects.values("pk"), {"created_at"}) == expected
    assert _stored(Visit, list(Visit.objects.values_list("pk", flat=True)), set()) == stored
    assert set(Visit.objects.values_list("created_at", flat=True)) == {WHEN}
