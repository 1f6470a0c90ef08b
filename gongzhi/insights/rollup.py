"""``gongzhi rollup``: keep the insight rollup rows up to date, incrementally.

Each step is a function ``step(*, now, since, full) -> dict[str, int]`` of counts; ``rollup``
runs ``STEPS`` in order and merges the counts. Other apps append their own steps from their
``AppConfig.ready()`` (as with ``gongzhi.matters.sweep.STEPS``).

The matters step (``roll_matters``) maintains ``MatterDay`` and ``HouseholdDay``:

* rows are keyed by the day a matter was **submitted** (local date), so when a matter changes
  only the rows of its submission day change;
* every change of a matter writes a ``MatterEvent``; the step keeps a *watermark* (the highest
  event id it has processed, in ``RollupState``) and recomputes only the days of matters with
  newer events — plus, because the counts of the three rates depend on the clock (a deadline
  that passes), the days of matters whose acknowledge or resolve deadline passed since the last
  run, and (against transactions that commit an older id late) the days of events written in
  the last ``LATE_COMMIT_MARGIN`` before the last run;
* a day is recomputed from the matters themselves and compared with the stored rows: only rows
  that differ are written, so a second run changes nothing (the counts say so) and running it
  every few minutes is safe. Two runs at once queue on the state row's lock.

``--full`` recomputes every day (after bulk loads that wrote no events, or deleted matters);
``--since DAY`` recomputes every day from DAY to today.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from gongzhi.core import bulkwrite
from gongzhi.hotline.selectors import rating_source
from gongzhi.insights.models import (
    ACK_BUCKET_EDGES,
    CLOSE_BUCKET_EDGES,
    PLACE_DAY_COLUMNS,
    RATING_SOURCES,
    TIME_BUCKET_EDGES,
    HouseholdDay,
    MatterDay,
    MatterPlaceDay,
    RollupState,
)
from gongzhi.matters.models import (
    Matter,
    MatterEvent,
    MatterOwner,
    MatterReporter,
    Satisfaction,
    Status,
)
from gongzhi.matters.rates import rate_filters, valid_q
from gongzhi.places.models import Household

LATE_COMMIT_MARGIN = dt.timedelta(minutes=10)
CHUNK_DAYS = 31
MATTER_KEYS = ("day", "community_id", "compound_id", "building_id", "category", "tier", "channel")
HOUSEHOLD_KEYS = ("day", "household_id")
PLACE_KEYS = ("day", "community_id", "compound_id")
BREAKDOWNS = ("category", "tier", "channel")

Step = Callable[..., dict[str, int]]


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def submitted_on(days: Iterable[dt.date], prefix: str = "") -> Q:
    """Matters (or rows reached through ``prefix``) submitted on one of ``days``."""
    q = Q(pk__in=[])
    for first, last in _runs(sorted(set(days))):
        q |= Q(
            **{
                f"{prefix}created_at__gte": day_start(first),
                f"{prefix}created_at__lt": day_start(last + dt.timedelta(days=1)),
            }
        )
    return q


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) ranges, so a query has few conditions."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def actor_kinds():
    """How many kinds of actor (neighbour, construction or team partner, team, organisation)
    currently own the matter: one correlated subquery counting the distinct kinds of the
    matter's active owners, probed through the owners' matter index.

    (Five ``EXISTS``, one per kind, were hashed by PostgreSQL over every owner of every matter
    ever — 2 M rows, five times, about 3 s of each rollup run at district scale — even when
    the run counted a single day's matters.)"""
    kind = Case(
        When(partner__isnull=False, then=Concat(Value("partner:"), "partner__kind")),
        When(team__isnull=False, then=Value("team")),
        When(organisation__isnull=False, then=Value("organisation")),
        output_field=CharField(),
    )
    kinds = (
        MatterOwner.objects.filter(matter=OuterRef("pk"), active=True)
        .order_by()
        .values("matter")
        .annotate(n=Count(kind, distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(kinds, output_field=IntegerField()), Value(0))


def _hours(start: str, end: str):
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


class _Micros(Func):
    """SQLite: a datetime column as whole microseconds since 1970, in SQLite's own functions.

    Django stores an aware datetime on SQLite as UTC text, ``YYYY-MM-DD HH:MM:SS[.ffffff]``.
    The whole seconds come from ``julianday`` of the first 19 characters (rounded: exact for
    whole seconds), the microseconds from the text after the point (none: ``000000``), so the
    difference of two columns is exact to the microsecond."""

    template = (
        "(CAST(ROUND((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"
        " * 1000000 + CAST(substr(%(expressions)s || '.000000', 21, 6) AS INTEGER))"
    )
    output_field = BigIntegerField()


def _later_than(field: str, hours: int, *, more: bool) -> Q:
    """``field`` more than (or at most) ``hours`` after ``created_at``.

    Django writes ``created_at + interval`` on SQLite as a call of a Python function for every
    row and bucket edge (about 80 a matter for ``MatterPlaceDay``: most of a full rollup's time
    on SQLite), so there the elapsed microseconds are compared instead: the same rows."""
    if connection.vendor == "sqlite":
        elapsed = _Micros(field) - _Micros("created_at")
        bound = Value(hours * 3_600_000_000)
        return Q(GreaterThan(elapsed, bound) if more else LessThanOrEqual(elapsed, bound))
    lookup = "gt" if more else "lte"
    return Q(**{f"{field}__{lookup}": F("created_at") + dt.timedelta(hours=hours)})


def _buckets(name: str, field: str, edges: tuple[int, ...]) -> dict[str, Q]:
    bounds = [None, *edges, None]
    buckets = {}
    for i, (low, high) in enumerate(zip(bounds, bounds[1:], strict=False)):
        q = Q(**{f"{field}__isnull": False})
        if low is not None:
            q &= _later_than(field, low, more=True)
        if high is not None:
            q &= _later_than(field, high, more=False)
        buckets[f"{name}_h{i}"] = q
    return buckets


def matter_filters(now: dt.datetime) -> dict[str, Q]:
    """The filters (over valid matters) of every ``MatterDay`` count but ``submitted``,
    ``valid`` and the sums. The rate counts are ``rates.rate_filters`` themselves."""
    rates = rate_filters(now)
    acknowledged = Q(acknowledged_at__isnull=False)
    return {
        "acknowledged": acknowledged,
        "ack_due": rates["ack_due"],
        "ack_on_time": rates["ack_on_time"],
        "resolve_due": rates["resolved"] | Q(due_at__lt=now),
        "resolved_on_time": rates["resolved"] & Q(finished_at__lte=F("due_at")),
        "resolved": rates["resolved"],
        "closed": Q(status=Status.CLOSED),
        "rated": rates["rated"],
        "satisfied": rates["satisfied"],
        "basic": rates["basic"],
        "dissatisfied": rates["dissatisfied"],
        "overdue": Q(overdue=True),
        "bounced": Q(bounce_count__gte=1),
        "multi_actor": Q(actor_kinds__gte=2),
        **_buckets("ack", "acknowledged_at", ACK_BUCKET_EDGES),
        **_buckets("close", "closed_at", CLOSE_BUCKET_EDGES),
    }


def _to_hours(value: dt.timedelta | None) -> float:
    return round(value.total_seconds() / 3600, 6) if value else 0.0


def compute_matter_days(matters_q: Q, now: dt.datetime) -> dict[tuple, dict]:
    """``MatterDay`` values, by key, of the matters selected by ``matters_q``."""
    valid = valid_q()
    rows = (
        Matter.objects.filter(matters_q)
        .annotate(
            day=TruncDate("created_at"),
            actor_kinds=actor_kinds(),
            finished_at=Coalesce("done_at", "closed_at"),
        )
        .order_by()
        .values(*MATTER_KEYS)
        .annotate(
            submitted=Count("pk"),
            valid=Count("pk", filter=valid),
            **{name: Count("pk", filter=valid & q) for name, q in matter_filters(now).items()},
            ack_hours=Sum(
                _hours("created_at", "acknowledged_at"),
                filter=valid & Q(acknowledged_at__isnull=False),
            ),
            ack_hours_count=Count("pk", filter=valid & Q(acknowledged_at__isnull=False)),
            close_hours=Sum(
                _hours("created_at", "closed_at"), filter=valid & Q(closed_at__isnull=False)
            ),
            close_hours_count=Count("pk", filter=valid & Q(closed_at__isnull=False)),
        )
    )
    result = {}
    for row in rows:
        key = tuple(row.pop(name) for name in MATTER_KEYS)
        row["ack_hours_sum"] = _to_hours(row.pop("ack_hours"))
        row["close_hours_sum"] = _to_hours(row.pop("close_hours"))
        result[key] = row
    return result


def place_filters() -> dict[str, Q]:
    """The filters of the ``MatterPlaceDay`` counts that ``MatterDay`` has not: status and
    rating source over every matter (as the dashboard's breakdowns), the time buckets over
    valid matters (as ``rates.median_hours``)."""
    valid = valid_q()
    filters = {f"status_{value}": Q(status=value) for value in Status.values}
    for source in RATING_SOURCES:
        for value in Satisfaction.values:
            filters[f"rating_{source}_{value}"] = Q(rating_source=source, satisfaction=value)
    for name, field in (("ack", "acknowledged_at"), ("close", "closed_at")):
        buckets = _buckets(name, field, TIME_BUCKET_EDGES)
        for i in range(len(TIME_BUCKET_EDGES) + 1):
            filters[f"{name}_b{i}"] = valid & buckets[f"{name}_h{i}"]
    return filters


def compute_place_days(matters_q: Q, matter_days: dict[tuple, dict]) -> dict[tuple, dict]:
    """``MatterPlaceDay`` values, by key: the sums of ``matter_days`` (``MatterDay`` values of
    the same matters) per compound, and one grouped query for the rest."""
    zero = dict.fromkeys(PLACE_DAY_COLUMNS, 0)
    result: dict[tuple, dict] = {}
    for key, values in matter_days.items():
        row = result.setdefault((key[0], key[1], key[2]), dict(zero))
        for name, value in values.items():
            row[name] += value
        for field, value in zip(BREAKDOWNS, key[4:], strict=True):
            row[f"{field}_{value}"] += values["submitted"]
    rows = (
        Matter.objects.filter(matters_q)
        .annotate(day=TruncDate("created_at"), rating_source=rating_source())
        .order_by()
        .values(*PLACE_KEYS)
        .annotate(**{name: Count("pk", filter=q) for name, q in place_filters().items()})
    )
    for row in rows:
        key = tuple(row.pop(name) for name in PLACE_KEYS)
        result.setdefault(key, dict(zero)).update(row)
    for row in result.values():
        for name in ("ack_hours_sum", "close_hours_sum"):
            row[name] = round(row[name], 6)
    return result


def compute_household_days(matters_q: Q) -> dict[tuple, dict]:
    """Households that reported (or are the place of) a matter, by submission day."""
    pairs = set(
        Matter.objects.filter(matters_q, household__isnull=False)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values_list("day", "household_id")
        .distinct()
    )
    reporters = MatterReporter.objects.filter(
        matter__in=Matter.objects.filter(matters_q).values("pk"), resident__isnull=False
    )
    pairs |= set(
        reporters.annotate(day=TruncDate("matter__created_at"))
        .order_by()
        .values_list("day", "resident__household_id")
        .distinct()
    )
    places = {
        pk: (building, compound, community)
        for pk, building, compound, community in Household.objects.filter(
            pk__in={household for _day, household in pairs}
        ).values_list(
            "pk",
            "unit__building_id",
            "unit__building__compound_id",
            "unit__building__compound__community_id",
        )
    }
    return {
        (day, household): dict(
            zip(("building_id", "compound_id", "community_id"), places[household], strict=True)
        )
        for day, household in pairs
    }


def _sync(model, existing, computed: dict[tuple, dict], keys: tuple[str, ...]) -> int:
    """Make the rows in ``existing`` equal ``computed``; returns how many rows changed."""
    stored = {}
    for row in existing.values("pk", *keys, *next(iter(computed.values()), {}).keys()):
        stored[tuple(row[name] for name in keys)] = row
    stale = [row["pk"] for key, row in stored.items() if key not in computed]
    changed, new = [], []
    for key, values in computed.items():
        row = stored.get(key)
        if row is None or any(row[name] != value for name, value in values.items()):
            new.append(model(**dict(zip(keys, key, strict=True)), **values))
            if row is not None:
                changed.append(row["pk"])
    # A changed row is deleted and inserted again: ``bulk_update`` writes one CASE branch per
    # row for every column, so its cost grows with the square of the rows in a statement (a
    # day of 5,500 new matters at district scale took minutes); delete + insert is linear.
    for start in range(0, len(stale + changed), 5000):
        model.objects.filter(pk__in=(stale + changed)[start : start + 5000]).delete()
    # Nothing points at rollup rows: appended in one statement (COPY on PostgreSQL), not
    # compiled a few rows at a time by ``bulk_create`` (wide rows: 9 a statement on SQLite).
    bulkwrite.append(model, new)
    return len(stale) + len(new)


def _chunks(first: dt.date, last: dt.date) -> list[list[dt.date]]:
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [days[i : i + CHUNK_DAYS] for i in range(0, len(days), CHUNK_DAYS)]


def recompute_days(days: Iterable[dt.date], now: dt.datetime) -> dict[str, int]:
    """Recompute the rollup rows of ``days``; returns the rows changed per table."""
    days = sorted(set(days))
    matter_rows = household_rows = place_rows = 0
    for chunk in [days[i : i + CHUNK_DAYS] for i in range(0, len(days), CHUNK_DAYS)]:
        q = submitted_on(chunk)
        matter_days = compute_matter_days(q, now)
        matter_rows += _sync(
            MatterDay, MatterDay.objects.filter(day__in=chunk), matter_days, MATTER_KEYS
        )
        place_rows += _sync(
            MatterPlaceDay,
            MatterPlaceDay.objects.filter(day__in=chunk),
            compute_place_days(q, matter_days),
            PLACE_KEYS,
        )
        household_rows += _sync(
            HouseholdDay,
            HouseholdDay.objects.filter(day__in=chunk),
            compute_household_days(q),
            HOUSEHOLD_KEYS,
        )
    return {
        "matter_days": matter_rows,
        "place_days": place_rows,
        "household_days": household_rows,
    }


def _touched_days(state: RollupState, now: dt.datetime, last_event: int) -> set[dt.date]:
    events = Q(pk__gt=state.watermark)
    if state.ran_at is not None:
        events |= Q(at__gte=state.ran_at - LATE_COMMIT_MARGIN)
    changed = Q(
        pk__in=Subquery(MatterEvent.objects.filter(events, pk__lte=last_event).values("matter_id"))
    )
    if state.ran_at is not None:
        low, high = sorted([state.ran_at, now])
        changed |= Q(acknowledged_at__isnull=True, ack_due_at__gt=low, ack_due_at__lte=high)
        changed |= Q(due_at__gt=low, due_at__lte=high)
    return set(
        Matter.objects.filter(changed)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )


def _all_days() -> set[dt.date]:
    """Every day from the first submitted matter to the last, and every day with rows."""
    bounds = Matter.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    rows = MatterDay.objects.aggregate(first=Min("day"), last=Max("day"))
    households = HouseholdDay.objects.aggregate(first=Min("day"), last=Max("day"))
    firsts = [timezone.localdate(bounds["first"])] if bounds["first"] else []
    lasts = [timezone.localdate(bounds["last"])] if bounds["last"] else []
    firsts += [d for d in (rows["first"], households["first"]) if d]
    lasts += [d for d in (rows["last"], households["last"]) if d]
    if not firsts:
        return set()
    return {day for chunk in _chunks(min(firsts), max(lasts)) for day in chunk}


def roll_matters(*, now: dt.datetime, since: dt.date | None, full: bool) -> dict[str, int]:
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(name="matters")
        last_event = MatterEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        if full or state.ran_at is None:
            days = _all_days()
        else:
            days = _touched_days(state, now, last_event)
            if since is not None:
                days |= {day for chunk in _chunks(since, timezone.localdate(now)) for day in chunk}
        counts = recompute_days(days, now)
        state.watermark = last_event
        state.ran_at = now
        state.save(update_fields=["watermark", "ran_at"])
    _analyze_if_rewritten(counts)
    return {**counts, "days_recomputed": len(days)}


# Rows changed in one run above which the rollup tables' planner statistics are refreshed.
ANALYZE_AFTER_ROWS = 50_000
ROLLUP_TABLES = {
    "matter_days": MatterDay,
    "place_days": MatterPlaceDay,
    "household_days": HouseholdDay,
}


def _analyze_if_rewritten(counts: dict[str, int]) -> None:
    """On PostgreSQL, ``ANALYZE`` the rollup tables a run rewrote in bulk (the first run,
    ``--full``, ``--since``). Until the statistics know the new rows the planner takes a
    million-row table for an empty one and every page reading it chooses nested loops and
    on-disk sorts (at district scale the stored-figures step took 21 s instead of 12);
    autovacuum would analyze them later, or never where it is off."""
    if connection.vendor != "postgresql":
        return
    for name, model in ROLLUP_TABLES.items():
        if counts.get(name, 0) >= ANALYZE_AFTER_ROWS:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def roll_index(*, now: dt.datetime, since: dt.date | None, full: bool) -> dict[str, int]:
    """The stored index (``IndexMonth``); after ``roll_matters``, whose rows it reads."""
    from gongzhi.insights.index_store import roll_index as step

    return step(now=now, since=since, full=full)


STEPS: list[Step] = [roll_matters, roll_index]


def rollup(
    *, now: dt.datetime | None = None, since: dt.date | None = None, full: bool = False
) -> dict[str, int]:
    """Run every step; returns the merged counts (rows changed are zero on a second run)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for step in STEPS:
        counts.update(step(now=now, since=since, full=full))
    return counts
