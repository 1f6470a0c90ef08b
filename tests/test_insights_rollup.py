"""The matter rollups: equal to a direct computation over the matters (the three rates and
every other count), idempotent, and incremental when a matter changes or a deadline passes."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.insights.models import HouseholdDay, MatterDay, RollupState
from gongzhi.insights.rollup import rollup
from gongzhi.matters import services
from gongzhi.matters.models import Matter, MatterOwner
from gongzhi.matters.rates import rates_from_counts, three_rates
from tests.factories_matters import make_matter

HOUR = dt.timedelta(hours=1)
NOW = timezone.make_aware(dt.datetime(2026, 3, 20, 12, 0))
COUNTS = ("valid", "ack_due", "ack_on_time", "resolved", "rated", "satisfied", "basic")


def make(world, *, days_ago, building=None, compound=None, community=None, **fields):
    if building is None and compound is None and community is None:
        building = world.y1
    matter = make_matter(
        building=building,
        compound=compound,
        community=community,
        created_at=NOW - dt.timedelta(days=days_ago, hours=1),
        category=fields.pop("category", "facilities"),
        tier=fields.pop("tier", "small"),
        status=fields.pop("status", "received"),
        reporter=fields.pop("reporter", None),
    )
    if fields:
        Matter.objects.filter(pk=matter.pk).update(**fields)
    return Matter.objects.get(pk=matter.pk)


@pytest.fixture
def mix(world):
    """Matters over four days, at building, compound and community level, in A and B."""
    made = {
        "new": make(world, days_ago=0),
        "late": make(world, days_ago=3, building=world.y2),
        "acked": make(
            world,
            days_ago=1,
            status="acknowledged",
            acknowledged_at=NOW - dt.timedelta(days=1) + HOUR / 2,
            reporter=world.res_a,
        ),
        "closed": make(
            world,
            days_ago=2,
            building=world.j1,
            category="parking",
            status="closed",
            acknowledged_at=NOW - dt.timedelta(days=2) + 3 * HOUR,
            done_at=NOW - dt.timedelta(days=1),
            closed_at=NOW - dt.timedelta(hours=20),
            satisfaction="satisfied",
            bounce_count=2,
            reporter=world.res_j1,
        ),
        "basic": make(
            world,
            days_ago=2,
            compound=world.yujia,
            tier="big",
            status="closed",
            acknowledged_at=NOW - dt.timedelta(days=1),
            closed_at=NOW - dt.timedelta(hours=2),
            satisfaction="basic",
            overdue=True,
        ),
        "withdrawn": make(
            world, days_ago=1, community=world.a, status="withdrawn", closed_at=NOW - HOUR
        ),
        "b": make(
            world,
            days_ago=1,
            building=world.n1,
            status="done",
            acknowledged_at=NOW - dt.timedelta(hours=20),
            done_at=NOW - HOUR,
        ),
    }
    closed = made["closed"]
    MatterOwner.objects.create(matter=closed, partner=world.p_neighbour, assigned_at=NOW)
    MatterOwner.objects.create(matter=closed, team=world.team_a, assigned_at=NOW)
    MatterOwner.objects.create(matter=made["basic"], team=world.team_a, assigned_at=NOW)
    return made


PLACES = ["all", "community", "compound", "building", "grid", "other"]


def _place(world, name) -> Place | None:
    return {
        "all": None,
        "community": Place("community", world.a.pk),
        "compound": Place("compound", world.yujia.pk),
        "building": Place("building", world.y1.pk),
        "grid": Place("grid", world.grid_a2.pk),
        "other": Place("community", world.b.pk),
    }[name]


def _sums(place, since, until):
    rows = narrow(MatterDay.objects.all(), place).filter(day__gte=since, day__lte=until)
    fields = [f.name for f in MatterDay._meta.fields if f.name not in {"id", "day"}]
    fields = [f for f in fields if f not in {"community", "compound", "building"}]
    fields = [f for f in fields if f not in {"category", "tier", "channel"}]
    totals = rows.aggregate(**{f: Sum(f) for f in fields})
    return {f: totals[f] or 0 for f in fields}


def _direct(place, since, until, now):
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    return narrow(Matter.objects.all(), place).filter(created_at__gte=start, created_at__lt=end)


def assert_equal_to_direct(world, now):
    for name in PLACES:
        place = _place(world, name)
        for since, until in [
            (dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
            (dt.date(2026, 3, 18), dt.date(2026, 3, 19)),
            (dt.date(2026, 3, 20), dt.date(2026, 3, 20)),
        ]:
            sums = _sums(place, since, until)
            direct = three_rates(_direct(place, since, until, now), now=now)
            assert {k: sums[k] for k in COUNTS} == {k: direct["counts"][k] for k in COUNTS}
            assert rates_from_counts(sums) == {
                k: direct[k] for k in ("response", "resolution", "satisfaction", "composite")
            }, (name, since, until)
            assert sums["submitted"] == _direct(place, since, until, now).count()


def test_rollup_equals_three_rates_for_every_place_and_period(mix, world):
    rollup(now=NOW)
    assert_equal_to_direct(world, NOW)


def test_rollup_rows_hold_the_other_counts(mix, world):
    rollup(now=NOW)
    totals = _sums(None, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert totals["submitted"] == 7
    assert totals["valid"] == 6
    assert totals["closed"] == 2
    assert totals["overdue"] == 1
    assert totals["bounced"] == 1
    # Only the matter owned by a neighbour partner and a team has two kinds of actor.
    assert totals["multi_actor"] == 1
    assert totals["acknowledged"] == 4
    # Submitted an hour before the day's mark: acknowledged after 1.5 h, 4 h, 25 h and 5 h.
    assert totals["ack_hours_count"] == 4
    assert totals["ack_hours_sum"] == pytest.approx(1.5 + 4 + 25 + 5)
    assert [totals[f"ack_h{i}"] for i in range(5)] == [0, 2, 1, 1, 0]
    # Closed after 29 h and 47 h.
    assert totals["close_hours_count"] == 2
    assert totals["close_hours_sum"] == pytest.approx(29 + 47)
    assert [totals[f"close_h{i}"] for i in range(5)] == [0, 2, 0, 0, 0]
    due = {m.pk: m.due_at for m in Matter.objects.all()}
    resolved = {"closed": mix["closed"].done_at, "basic": mix["basic"].closed_at}
    resolved["b"] = mix["b"].done_at
    on_time = sum(at <= due[mix[name].pk] for name, at in resolved.items())
    assert on_time > 0
    assert totals["resolved_on_time"] == on_time


def test_rollup_places_rows_on_the_submission_day(mix, world):
    rollup(now=NOW)
    row = MatterDay.objects.get(building=world.j1)
    assert row.day == dt.date(2026, 3, 18)
    assert (row.category, row.tier, row.channel) == ("parking", "small", "grid_visit")
    community_row = MatterDay.objects.get(compound=None)
    assert community_row.community == world.a and community_row.valid == 0
    assert set(HouseholdDay.objects.values_list("household_id", flat=True)) == {
        world.h_y1.pk,
        world.h_j1.pk,
    }


def test_second_run_changes_nothing(mix, world):
    first = rollup(now=NOW)
    assert first["matter_days"] == MatterDay.objects.count() > 0
    rows = list(MatterDay.objects.order_by("pk").values())
    second = rollup(now=NOW)
    assert (second["matter_days"], second["household_days"], second["days_recomputed"]) == (
        0,
        0,
        0,
    )
    assert rollup(now=NOW, full=True)["matter_days"] == 0
    assert list(MatterDay.objects.order_by("pk").values()) == rows


def test_a_changed_matter_recomputes_only_its_day(mix, world):
    rollup(now=NOW)
    later = NOW + HOUR
    services.matter_acknowledge(actor=world.users.staff_a, matter=mix["late"], now=later)
    result = rollup(now=later)
    assert result["days_recomputed"] == 1
    assert result["matter_days"] == 1
    assert RollupState.objects.get(name="matters").ran_at == later
    assert_equal_to_direct(world, later)
    assert rollup(now=later)["matter_days"] == 0


def test_a_reclassified_matter_moves_to_another_row(mix, world):
    rollup(now=NOW)
    services.matter_classify(
        actor=world.users.staff_a, matter=mix["new"], category="greening", tier="big"
    )
    assert rollup(now=NOW)["matter_days"] == 2  # the old row goes, a new one comes
    assert MatterDay.objects.filter(category="greening", tier="big").count() == 1
    assert_equal_to_direct(world, NOW)


def test_a_passing_deadline_is_counted_without_an_event(mix, world):
    rollup(now=NOW)
    # Two days on, the new matter's acknowledge deadline has passed: no event was written.
    later = NOW + dt.timedelta(days=2)
    before = _sums(None, dt.date(2026, 3, 20), dt.date(2026, 3, 20))["ack_due"]
    rollup(now=later)
    assert _sums(None, dt.date(2026, 3, 20), dt.date(2026, 3, 20))["ack_due"] == before + 1
    assert_equal_to_direct(world, later)


def test_a_deleted_matter_goes_with_a_full_run(mix, world):
    rollup(now=NOW)
    MatterOwner.objects.filter(matter=mix["closed"]).delete()
    Matter.objects.filter(pk=mix["closed"].pk).delete()
    assert rollup(now=NOW, full=True)["matter_days"] == 1
    assert not MatterDay.objects.filter(building=world.j1).exists()
    assert_equal_to_direct(world, NOW)


def test_command_prints_counts_and_checks_the_day(mix, capsys):
    call_command("rollup", "--since", "2026-03-01")
    assert '"matter_days"' in capsys.readouterr().out
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("rollup", "--since", "yesterday")


def test_actor_kinds_counts_distinct_kinds_of_active_owners(world):
    """``actor_kinds``: the partners' three kinds, teams and organisations are five kinds;
    two owners of one kind count once; an ended ownership does not count."""
    from gongzhi.insights.rollup import actor_kinds

    matter = make_matter(building=world.y1)
    owners = [
        {"partner": world.p_neighbour},
        {"partner": world.p_b},  # a second neighbour partner: the same kind
        {"partner": world.p_construction},
        {"partner": world.p_team},  # a team partner is another kind than a team
        {"team": world.team_a},
    ]
    for owner in owners:
        MatterOwner.objects.create(matter=matter, assigned_at=NOW, **owner)
    MatterOwner.objects.create(
        matter=matter, organisation=world.org_a, assigned_at=NOW, active=False
    )

    def kinds():
        return Matter.objects.filter(pk=matter.pk).annotate(k=actor_kinds()).get().k

    assert kinds() == 4
    MatterOwner.objects.filter(matter=matter, organisation=world.org_a).update(active=True)
    assert kinds() == 5
    MatterOwner.objects.filter(matter=matter).update(active=False)
    assert kinds() == 0


def _reltuples(table: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_bulk_rewrite_refreshes_the_planner_statistics(world, monkeypatch):
    """On PostgreSQL a run that rewrote many rows ANALYZEs the rollup tables it rewrote (the
    planner otherwise takes them for empty); a run below the threshold does not."""
    from django.db import connection

    from gongzhi.insights import rollup as module

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    make(world, days_ago=1)
    monkeypatch.setattr(module, "ANALYZE_AFTER_ROWS", 1_000)
    rollup(now=NOW)
    assert _reltuples("insights_matterday") <= 0  # never analyzed: -1 (or 0)
    make(world, days_ago=2)
    monkeypatch.setattr(module, "ANALYZE_AFTER_ROWS", 1)
    rollup(now=NOW, full=True)  # one new row in each table
    assert _reltuples("insights_matterday") == 2
    assert _reltuples("insights_matterplaceday") == 2


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    """``GONGZHI_PG_JIT`` is false by default: the JIT compiled the rollup's large aggregates
    for longer than they ran (settings: libpq ``options``)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's JIT")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.parametrize(
    "after",
    [
        HOUR,  # exactly on an edge: the lower bucket
        HOUR + dt.timedelta(microseconds=1),  # just over: the next one
        HOUR - dt.timedelta(microseconds=1),
        dt.timedelta(hours=24, seconds=59, microseconds=999_999),
        dt.timedelta(hours=720),  # the last edge, a month later
        dt.timedelta(hours=720, microseconds=1),  # over the last edge: the open bucket
        dt.timedelta(0),
    ],
)
@pytest.mark.parametrize("created_micro", [0, 999_999, 500_000])
def test_time_buckets_are_exact_to_the_microsecond(world, after, created_micro):
    """The buckets of the time to acknowledge (``_buckets``, SQLite's own functions there)
    put a matter where ``created_at + edge`` comparisons put it, at the edges too; also when
    one of the two times has no fraction of a second or the times cross a year's end."""
    from gongzhi.insights.models import TIME_BUCKET_EDGES
    from gongzhi.insights.rollup import _buckets

    created = timezone.make_aware(dt.datetime(2025, 12, 31, 23, 30, 0, created_micro))
    matter = make(world, days_ago=0)
    Matter.objects.filter(pk=matter.pk).update(created_at=created, acknowledged_at=created + after)
    hours = after / HOUR
    expected = sum(1 for edge in TIME_BUCKET_EDGES if hours > edge)  # the bucket's index
    buckets = _buckets("ack", "acknowledged_at", TIME_BUCKET_EDGES)
    found = [name for name, q in buckets.items() if Matter.objects.filter(q, pk=matter.pk).exists()]
    assert found == [f"ack_h{expected}"]
