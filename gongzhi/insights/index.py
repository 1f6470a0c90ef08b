"""The holistic-governance index (整体性治理指数): 0–100 in four dimensions.

Each dimension follows one link of the paper's chain (主体 → 责任 → 目标 → 行动) and is the
weighted mean of indicators that are each a share between 0 and 1; the score is the weighted
mean of the dimensions, times 100. An indicator with nothing to count (denominator 0) is left
out and the other weights are renormalised; a dimension with no indicator is None.

``docs/insight.md`` gives each indicator's formula, its source in the paper and its default
weight. Weights come from ``settings.GONGZHI_INDEX_WEIGHTS`` (``{"indicators": {key: w},
"dimensions": {key: w}}``) over ``DEFAULT_WEIGHTS``.

Matter indicators read the ``MatterDay`` / ``HouseholdDay`` rollups (never the matters); the
other links' tables are small and are counted with aggregate queries. The number of queries
does not depend on the amount of data.

Each indicator is written once, "by scope" (``indicators_by``): for one place (``index_for``)
or split per place of a level with grouped queries (``index_batch.indexes_for``, used to store
the index of every subdistrict, community and compound), so the two agree.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place, PlacePaths, place_q
from gongzhi.honours.models import Participation
from gongzhi.insights.models import HouseholdDay, MatterDay
from gongzhi.matters.models import MatterOwner, Satisfaction, Status
from gongzhi.matters.rates import rate_settings
from gongzhi.mediation.models import FollowUp, MediationCase
from gongzhi.meetings.models import ActionItem, ActionStatus, AgendaItem, Decision, Vote
from gongzhi.partners.models import Partner, PartnerKind, Team
from gongzhi.places.models import Building, Household
from gongzhi.projects.models import PreVote, Project, Rating
from gongzhi.volunteering.models import FIXED_STATUSES, ServiceRecord

DIMENSIONS = {
    "subjects": _("Subject linkage"),
    "responsibility": _("Responsibility"),
    "goals": _("Goals"),
    "action": pgettext_lazy("index dimension", "Action"),
}
RETENTION_MONTHS = 6


@dataclass(frozen=True)
class Period:
    """Days ``since`` to ``until``, both included."""

    since: dt.date
    until: dt.date


@dataclass(frozen=True)
class Indicator:
    key: str
    dimension: str
    label: str
    formula: str


INDICATORS = [
    Indicator(
        "multi_actor",
        "subjects",
        _("Matters handled by several kinds of actor"),
        _("valid matters owned by ≥ 2 kinds of actor ÷ valid matters"),
    ),
    Indicator(
        "neighbour_buildings",
        "subjects",
        _("Buildings with an active neighbour partner"),
        _("buildings with an active neighbour partner ÷ buildings"),
    ),
    Indicator(
        "connected_teams",
        "subjects",
        _("Teams working with other actors"),
        _("teams that shared a matter or a meeting decision with another actor ÷ teams"),
    ),
    Indicator(
        "ack_on_time",
        "responsibility",
        _("Matters acknowledged within their deadline"),
        _("acknowledged by the deadline ÷ valid matters acknowledged or past the deadline"),
    ),
    Indicator(
        "resolved_on_time",
        "responsibility",
        _("Matters resolved within their deadline"),
        _("done or closed by the deadline ÷ valid matters resolved or past the deadline"),
    ),
    Indicator(
        "not_bounced",
        "responsibility",
        _("Matters not bounced between owners"),
        _("1 − valid matters re-assigned at least once ÷ valid matters"),
    ),
    Indicator(
        "participation",
        "goals",
        _("Households taking part"),
        _("households that reported a matter, served, voted or rated ÷ households"),
    ),
    Indicator(
        "satisfaction",
        "goals",
        _("Satisfaction"),
        _("(satisfied + w × basically satisfied) ÷ rated matters (the satisfaction rate)"),
    ),
    Indicator(
        "volunteer_retention",
        "goals",
        _("Volunteers still active after 6 months"),
        _("volunteers of the half-year before the last 6 months who served again in them"),
    ),
    Indicator(
        "actions_on_time",
        "action",
        _("Decisions carried out on time"),
        _("meeting action items done by their deadline ÷ action items due"),
    ),
    Indicator(
        "meeting_feedback",
        "action",
        _("Matters decided in meetings, closed with feedback"),
        _("matters decided in a meeting that are closed and rated ÷ matters decided"),
    ),
    Indicator(
        "mediation_held",
        "action",
        _("Mediations that held"),
        _("follow-up visits finding the agreement held ÷ follow-up visits done"),
    ),
    Indicator(
        "projects_evaluated",
        "action",
        _("Projects evaluated after completion"),
        _("projects completed in the period that residents rated ÷ projects completed"),
    ),
]
INDICATOR_KEYS = [indicator.key for indicator in INDICATORS]

DEFAULT_WEIGHTS = {
    "indicators": dict.fromkeys(INDICATOR_KEYS, 1.0),
    "dimensions": dict.fromkeys(DIMENSIONS, 1.0),
}


def weights() -> dict:
    """The effective weights; a bad setting raises ``ImproperlyConfigured``."""
    configured = settings.GONGZHI_INDEX_WEIGHTS
    if not isinstance(configured, dict) or set(configured) - set(DEFAULT_WEIGHTS):
        raise ImproperlyConfigured(
            'GONGZHI_INDEX_WEIGHTS must be {"indicators": {...}, "dimensions": {...}}'
        )
    result = {}
    for part, defaults in DEFAULT_WEIGHTS.items():
        given = configured.get(part, {})
        unknown = set(given) - set(defaults) if isinstance(given, dict) else {"?"}
        if unknown:
            raise ImproperlyConfigured(
                f"GONGZHI_INDEX_WEIGHTS[{part!r}] has unknown keys: {sorted(unknown)}"
            )
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ImproperlyConfigured(
                    f"GONGZHI_INDEX_WEIGHTS[{part!r}][{key!r}] must be a number ≥ 0"
                )
        result[part] = {**defaults, **given}
    return result


def share(numerator: float, denominator: int) -> dict:
    value = round(numerator / denominator, 4) if denominator else None
    return {"value": value, "numerator": numerator, "denominator": denominator}


def prefixed(paths: PlacePaths, prefix: str) -> PlacePaths:
    """``paths`` seen from a model that reaches the place through ``prefix``."""

    def join(path: str | None) -> str | None:
        return None if path is None else f"{prefix}__{path}"

    return PlacePaths(
        subdistrict=join(paths.subdistrict),
        community=join(paths.community),
        compound=join(paths.compound),
        building=join(paths.building),
        household=join(paths.household),
    )


def within(qs: QuerySet, place: Place | None, paths: PlacePaths) -> QuerySet:
    return qs if place is None else qs.filter(place_q(place, paths))


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(period.since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(period.until + dt.timedelta(days=1), dt.time.min))
    return start, end


# Counting by scope ----------------------------------------------------------------------------
#
# Every indicator is counted inside ``place`` (None: all data) for the scopes of ``levels``:
# None is the whole of ``place`` as one group (what ``index_for`` asks), a level name splits
# the rows per place of that level (what ``index_batch`` asks, so the stored index of 700
# compounds costs the same queries as one). All levels asked come from the same query: its
# rows are grouped by every level's column and added up per scope in Python. Both paths use
# the same querysets and the same formulas, so they give equal results.

Levels = Sequence[str | None]
Scope = tuple[str, int] | None  # (level, id) of a place; None: the whole of ``place``
WHOLE: Levels = (None,)


class ByScope(dict):
    """An indicator's share per scope; a scope without rows gets ``empty`` (nothing counted)."""

    def __init__(self, shares: dict[Scope, dict], empty: dict):
        super().__init__(shares)
        self.empty = empty

    def __missing__(self, scope: Scope) -> dict:
        return self.empty


def _shares(groups: dict[Scope, object], formula: Callable[[object], dict], nothing) -> ByScope:
    """``formula`` of each group's counts; ``formula(nothing)`` for a scope with no rows."""
    return ByScope({scope: formula(counts) for scope, counts in groups.items()}, formula(nothing))


def _columns(paths: PlacePaths, levels: Levels) -> dict[str, str]:
    """The column of each level asked that the model reaches (others have no places' rows)."""
    columns = {level: paths.path(level) for level in levels if level is not None}
    return {level: path for level, path in columns.items() if path is not None}


def _scopes(names: list[str], keys: tuple, whole: bool) -> list[Scope]:
    """The scopes a row counts in: the whole (if asked) and its place of each level."""
    pairs = zip(names, keys, strict=True)
    scopes: list[Scope] = [(level, key) for level, key in pairs if key is not None]
    return [None, *scopes] if whole else scopes


def tally(
    qs: QuerySet, paths: PlacePaths, place: Place | None, levels: Levels, **aggregates
) -> dict[Scope, dict]:
    """``qs.aggregate(**aggregates)`` inside ``place`` for each scope of ``levels`` (scopes
    without rows are absent). The aggregates must be sums or counts: per level they are added
    up from the rows grouped by all levels' columns."""
    qs = within(qs, place, paths).order_by()
    columns = _columns(paths, levels)
    if not columns:
        return {None: qs.aggregate(**aggregates)} if None in levels else {}
    if not all(isinstance(a, Sum | Count) and not a.distinct for a in aggregates.values()):
        raise ValueError("tally adds up sums and counts only")
    # Aliased: an annotation may not be named like a field (MatterDay's "valid").
    aliased = {f"tally_{name}": aggregate for name, aggregate in aggregates.items()}
    rows = qs.values(*columns.values()).annotate(**aliased)
    totals: dict[Scope, dict] = {}
    for row in rows:
        keys = tuple(row[path] for path in columns.values())
        for scope in _scopes(list(columns), keys, None in levels):
            total = totals.setdefault(scope, dict.fromkeys(aggregates, 0))
            for name in aggregates:
                total[name] += row[f"tally_{name}"] or 0
    return totals


def rows_by(
    qs: QuerySet,
    paths: PlacePaths,
    place: Place | None,
    levels: Levels,
    *fields: str,
    distinct: bool = False,
) -> dict[Scope, list[tuple]]:
    """``qs.values_list(*fields)`` inside ``place`` for each scope of ``levels`` (each row
    fetched once, with its place of every level; scopes without rows are absent)."""
    qs = within(qs, place, paths).order_by()
    columns = _columns(paths, levels)
    whole = None in levels
    if not columns and not whole:
        return {}
    rows = qs.values_list(*fields, *columns.values())
    if distinct:
        rows = rows.distinct()
    # Rows bucketed by their places first: a district's 600,000 rows have ~800 combinations.
    width = len(fields)
    by_places: dict[tuple, list[tuple]] = {}
    for row in rows:
        by_places.setdefault(row[width:], []).append(row[:width])
    grouped: dict[Scope, list[tuple]] = {}
    for keys, values in by_places.items():
        for scope in _scopes(list(columns), keys, whole):
            grouped.setdefault(scope, []).extend(values)
    return grouped


# Subject linkage ------------------------------------------------------------------------------


def neighbour_buildings_by(place: Place | None, levels: Levels) -> ByScope:
    covered = Exists(
        Partner.objects.active().filter(kind=PartnerKind.NEIGHBOUR, building=OuterRef("pk"))
    )
    counts = tally(
        Building.objects.all(),
        Building.PLACE,
        place,
        levels,
        total=Count("pk"),
        covered=Count("pk", filter=covered),
    )
    return _shares(counts, _covered_share, {"covered": 0, "total": 0})


def _covered_share(counts: dict) -> dict:
    return share(counts["covered"], counts["total"])


def connected_team_ids(place: Place | None, period: Period) -> set[int]:
    """Teams (in ``place``) that owned a matter submitted in the period together with another
    actor, or carried out an action item of a meeting decision of the period together with
    another actor."""
    start, end = _bounds(period)
    shared = MatterOwner.objects.filter(
        active=True,
        team__isnull=False,
        matter__created_at__gte=start,
        matter__created_at__lt=end,
    ).filter(
        Exists(
            MatterOwner.objects.filter(matter=OuterRef("matter"), active=True).exclude(
                team=OuterRef("team")
            )
        )
    )
    shared = within(shared, place, prefixed(Team.PLACE, "team"))
    actions = ActionItem.objects.filter(
        team__isnull=False,
        decision__decided_at__gte=start,
        decision__decided_at__lt=end,
    ).filter(
        Exists(
            ActionItem.objects.filter(decision=OuterRef("decision")).exclude(team=OuterRef("team"))
        )
    )
    actions = within(actions, place, prefixed(Team.PLACE, "team"))
    return set(shared.values_list("team_id", flat=True)) | set(
        actions.values_list("team_id", flat=True)
    )


def connected_teams_by(place: Place | None, levels: Levels, period: Period) -> ByScope:
    """Whether a team is connected does not depend on the scope: the connected teams of
    ``place`` are fetched once and intersected with each scope's teams."""
    teams = rows_by(Team.objects.all(), Team.PLACE, place, levels, "pk")
    connected = connected_team_ids(place, period)

    def connected_share(rows: list[tuple]) -> dict:
        ids = {pk for (pk,) in rows}
        return share(len(ids & connected), len(ids))

    return _shares(teams, connected_share, [])


# Matters, from the rollups --------------------------------------------------------------------

ROLLUP_SUMS = (
    "valid",
    "ack_due",
    "ack_on_time",
    "resolve_due",
    "resolved_on_time",
    "resolved",
    "rated",
    "satisfied",
    "basic",
    "dissatisfied",
    "bounced",
    "multi_actor",
)


def matter_days(place: Place | None, period: Period) -> QuerySet:
    return narrow(MatterDay.objects.all(), place).filter(
        day__gte=period.since, day__lte=period.until
    )


def rollup_sums_by(
    place: Place | None, levels: Levels, period: Period
) -> dict[Scope, dict[str, int]]:
    sums = tally(
        matter_days(None, period),
        MatterDay.PLACE,
        place,
        levels,
        **{name: Sum(name, default=0) for name in ROLLUP_SUMS},
    )
    return {scope: {name: row[name] or 0 for name in ROLLUP_SUMS} for scope, row in sums.items()}


def matter_indicators(sums: dict[str, int]) -> dict[str, dict]:
    basic_weight = rate_settings()["basic_weight"]
    return {
        "multi_actor": share(sums["multi_actor"], sums["valid"]),
        "ack_on_time": share(sums["ack_on_time"], sums["ack_due"]),
        "resolved_on_time": share(sums["resolved_on_time"], sums["resolve_due"]),
        "not_bounced": share(sums["valid"] - sums["bounced"], sums["valid"]),
        "satisfaction": share(sums["satisfied"] + basic_weight * sums["basic"], sums["rated"]),
    }


def matter_indicators_by(place: Place | None, levels: Levels, period: Period) -> dict[str, ByScope]:
    """The matter indicators (keyed like ``matter_indicators``), each per scope."""
    per_scope = {
        scope: matter_indicators(sums)
        for scope, sums in rollup_sums_by(place, levels, period).items()
    }
    empty = matter_indicators(dict.fromkeys(ROLLUP_SUMS, 0))
    return {
        key: ByScope({scope: shares[key] for scope, shares in per_scope.items()}, nothing)
        for key, nothing in empty.items()
    }


# Goals --------------------------------------------------------------------------------------


def _participation_sources(period: Period) -> list[tuple[QuerySet, PlacePaths, str]]:
    """(rows, how they reach the place, their household column) for each way of taking part:
    reported a matter, served as a volunteer (as a resident or as a partner who is one),
    pre-voted on or rated a project, voted in an election or in a meeting."""
    start, end = _bounds(period)
    household = prefixed(Household.PLACE, "resident__household")
    served = ServiceRecord.objects.filter(
        status__in=FIXED_STATUSES,
        activity__date__gte=period.since,
        activity__date__lte=period.until,
    )
    return [
        (
            HouseholdDay.objects.filter(day__gte=period.since, day__lte=period.until),
            HouseholdDay.PLACE,
            "household_id",
        ),
        (served.filter(resident__isnull=False), household, "resident__household_id"),
        (
            served.filter(resident__isnull=True, partner__resident__isnull=False),
            prefixed(Household.PLACE, "partner__resident__household"),
            "partner__resident__household_id",
        ),
        *(
            (model.objects.filter(at__gte=start, at__lt=end), household, "resident__household_id")
            for model in (PreVote, Rating)
        ),
        (
            Participation.objects.filter(voted_on__gte=period.since, voted_on__lte=period.until),
            household,
            "resident__household_id",
        ),
        (
            Vote.objects.filter(at__gte=start, at__lt=end, participant__resident__isnull=False),
            prefixed(Household.PLACE, "participant__resident__household"),
            "participant__resident__household_id",
        ),
    ]


def participating_households_by(
    place: Place | None, levels: Levels, period: Period
) -> dict[Scope, set[tuple[int]]]:
    """Per scope, the households taking part, as 1-tuples ``(household_id,)`` (as fetched)."""
    ids: dict[Scope, set[tuple[int]]] = {}
    for rows, paths, column in _participation_sources(period):
        for scope, found in rows_by(rows, paths, place, levels, column, distinct=True).items():
            ids.setdefault(scope, set()).update(found)
    return ids


def participating_counts_by(
    place: Place | None, levels: Levels, period: Period, compounds: list[int] | None = None
) -> dict[Scope, int]:
    """Per scope, how many households took part — the sizes of
    ``participating_households_by``'s sets, counted by the database: the (household, place of
    each level) rows of every way of taking part in one ``UNION`` (which drops repeats, as the
    sets do), then ``COUNT(DISTINCT household)`` per place of each level and for the whole.
    One row a place comes back instead of every household of the period (at district scale a
    year is a million rows, 5 s of each rollup run's year-to-date index). ``compounds``, if
    given, counts only the households of those compounds (the diagnostics' narrowing; the
    fallback for a way of taking part that misses a level asked counts them all)."""
    names = [level for level in levels if level is not None]
    parts = []
    for rows, paths, column in _participation_sources(period):
        columns = _columns(paths, levels)
        if list(columns) != names:  # a way of taking part that does not reach a level asked
            found = participating_households_by(place, levels, period)
            return {scope: len(ids) for scope, ids in found.items()}
        if compounds is not None:
            rows = rows.filter(**{f"{paths.path('compound')}__in": compounds})
        aliases = {f"l{i}": F(path) for i, path in enumerate(columns.values())}
        parts.append(within(rows, place, paths).order_by().values(hh=F(column), **aliases))
    sql, params = parts[0].union(*parts[1:]).query.sql_with_params()
    selects = ["SELECT -1, NULL, COUNT(DISTINCT hh) FROM taking_part"] if None in levels else []
    selects += [
        # Only the level's number goes in: the column names are the aliases given above.
        f"SELECT {i}, l{i}, COUNT(DISTINCT hh) FROM taking_part WHERE l{i} IS NOT NULL GROUP BY l{i}"  # noqa: S608
        for i in range(len(names))
    ]
    if not selects:
        return {}
    counts: dict[Scope, int] = {}
    with connection.cursor() as cursor:
        # ``sql`` is Django's own compiled query, its values parameters; the rest is constant.
        cursor.execute(f"WITH taking_part AS ({sql}) {' UNION ALL '.join(selects)}", params)  # noqa: S608
        for level, key, n in cursor.fetchall():
            if n:
                counts[None if level == -1 else (names[level], key)] = n
    return counts


def participation_by(place: Place | None, levels: Levels, period: Period) -> ByScope:
    households = tally(Household.objects.all(), Household.PLACE, place, levels, total=Count("pk"))
    taking_part = participating_counts_by(place, levels, period)
    counts = {
        scope: (taking_part.get(scope, 0), households.get(scope, {"total": 0})["total"])
        for scope in households.keys() | taking_part.keys()
    }
    return _shares(counts, _participation_share, (0, 0))


def _participation_share(counts: tuple[int, int]) -> dict:
    taking_part, households = counts
    return share(taking_part, households)


def _volunteer(resident_id, partner_id, partner_resident_id):
    resident = resident_id or partner_resident_id
    return ("resident", resident) if resident else ("partner", partner_id)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def volunteer_retention_by(place: Place | None, levels: Levels, period: Period) -> ByScope:
    """Of the people who served in the half-year ending ``RETENTION_MONTHS`` before the end of
    the period, the share who served again in the last ``RETENTION_MONTHS`` months."""
    recent_from = _add_months(period.until, -RETENTION_MONTHS)
    cohort_from = _add_months(recent_from, -RETENTION_MONTHS)
    records = ServiceRecord.objects.filter(
        status__in=FIXED_STATUSES,
        activity__date__gt=cohort_from,
        activity__date__lte=period.until,
    )
    rows = rows_by(
        records,
        ServiceRecord.PLACE,
        place,
        levels,
        "resident_id",
        "partner_id",
        "partner__resident_id",
        "activity__date",
    )

    def retained(served: list[tuple]) -> dict:
        cohort, recent = set(), set()
        for resident_id, partner_id, partner_resident_id, day in served:
            who = _volunteer(resident_id, partner_id, partner_resident_id)
            (recent if day > recent_from else cohort).add(who)
        return share(len(cohort & recent), len(cohort))

    return _shares(rows, retained, [])


# Action -------------------------------------------------------------------------------------


def actions_on_time_by(
    place: Place | None, levels: Levels, period: Period, today: dt.date
) -> ByScope:
    """Action items due in the period: done by the end of their deadline day ÷ those done or
    whose deadline has passed (an item not yet due and not done is not counted)."""
    items = ActionItem.objects.filter(due_on__gte=period.since, due_on__lte=period.until).filter(
        Q(status=ActionStatus.DONE) | Q(due_on__lt=today)
    )
    rows = rows_by(
        items,
        prefixed(AgendaItem.PLACE, "decision__item"),
        place,
        levels,
        "status",
        "done_at",
        "due_on",
    )
    return _shares(rows, _on_time_share, [])


def _on_time_share(items: list[tuple]) -> dict:
    on_time = sum(
        status == ActionStatus.DONE and timezone.localdate(done_at) <= due_on
        for status, done_at, due_on in items
    )
    return share(on_time, len(items))


def meeting_feedback_by(place: Place | None, levels: Levels, period: Period) -> ByScope:
    """Matters decided in a meeting of the period (current decisions) that are closed with
    the resident's rating ÷ matters decided."""
    start, end = _bounds(period)
    decided = AgendaItem.objects.filter(
        matter__isnull=False,
        decisions__in=Decision.objects.current().filter(decided_at__gte=start, decided_at__lt=end),
    )
    rows = rows_by(
        decided,
        AgendaItem.PLACE,
        place,
        levels,
        "matter_id",
        "matter__status",
        "matter__satisfaction",
        distinct=True,
    )
    return _shares(rows, _feedback_share, [])


def _feedback_share(matters: list[tuple]) -> dict:
    decided = {matter for matter, _status, _rating in matters}
    rated = {
        matter
        for matter, status, rating in matters
        if status == Status.CLOSED and rating in Satisfaction.values
    }
    return share(len(rated), len(decided))


def mediation_held_by(place: Place | None, levels: Levels, period: Period) -> ByScope:
    start, end = _bounds(period)
    counts = tally(
        FollowUp.objects.filter(done_at__gte=start, done_at__lt=end, held__isnull=False),
        prefixed(MediationCase.PLACE, "case"),
        place,
        levels,
        done=Count("pk"),
        held=Count("pk", filter=Q(held=True)),
    )
    return _shares(counts, _held_share, {"done": 0, "held": 0})


def _held_share(counts: dict) -> dict:
    return share(counts["held"] or 0, counts["done"] or 0)


def projects_evaluated_by(place: Place | None, levels: Levels, period: Period) -> ByScope:
    counts = tally(
        Project.objects.filter(completed_on__gte=period.since, completed_on__lte=period.until),
        Project.PLACE,
        place,
        levels,
        completed=Count("pk"),
        rated=Count("pk", filter=Exists(Rating.objects.filter(project=OuterRef("pk")))),
    )
    return _shares(counts, _evaluated_share, {"completed": 0, "rated": 0})


def _evaluated_share(counts: dict) -> dict:
    return share(counts["rated"], counts["completed"])


# The index ----------------------------------------------------------------------------------


def _weighted(values: dict[str, float | None], weight: dict[str, float]) -> float | None:
    present = {key: value for key, value in values.items() if value is not None}
    total = sum(weight[key] for key in present)
    if not present or not total:
        return None
    return sum(weight[key] * value for key, value in present.items()) / total


def combine(indicators: dict[str, dict]) -> dict:
    """Dimensions and score (0–100, one decimal) from indicator values (0–1)."""
    conf = weights()
    dimensions = {}
    for dimension in DIMENSIONS:
        values = {i.key: indicators[i.key]["value"] for i in INDICATORS if i.dimension == dimension}
        mean = _weighted(values, conf["indicators"])
        dimensions[dimension] = None if mean is None else round(mean * 100, 1)
    score = _weighted(dimensions, conf["dimensions"])
    return {"score": None if score is None else round(score, 1), **dimensions}


def indicators_by(
    place: Place | None, levels: Levels, period: Period, today: dt.date
) -> dict[str, ByScope]:
    """Every indicator (keyed by ``INDICATOR_KEYS``) per scope, see "Counting by scope"; the
    number of queries depends neither on the data nor on the number of places."""
    return {
        **matter_indicators_by(place, levels, period),
        "neighbour_buildings": neighbour_buildings_by(place, levels),
        "connected_teams": connected_teams_by(place, levels, period),
        "participation": participation_by(place, levels, period),
        "volunteer_retention": volunteer_retention_by(place, levels, period),
        "actions_on_time": actions_on_time_by(place, levels, period, today),
        "meeting_feedback": meeting_feedback_by(place, levels, period),
        "mediation_held": mediation_held_by(place, levels, period),
        "projects_evaluated": projects_evaluated_by(place, levels, period),
    }


def scored(indicators: dict[str, ByScope], scope: Scope) -> dict:
    """The index of one scope: its indicators with their weights, dimensions and score."""
    weight = weights()["indicators"]
    ordered = {key: {**indicators[key][scope], "weight": weight[key]} for key in INDICATOR_KEYS}
    return {**combine(ordered), "indicators": ordered}


def index_for(place: Place | None, period: Period, *, today: dt.date | None = None) -> dict:
    """``{"score", "subjects", "responsibility", "goals", "action", "indicators"}`` of
    ``place`` (None: all data) over ``period``; each indicator is ``{"value",
    "numerator", "denominator", "weight"}``."""
    today = today or timezone.localdate()
    return scored(indicators_by(place, WHOLE, period, today), None)


def months_until(until: dt.date, count: int) -> list[Period]:
    """The ``count`` calendar months ending with the month of ``until`` (the last cut there)."""
    first = dt.date(until.year, until.month, 1)
    periods = []
    for back in range(count - 1, -1, -1):
        start = _add_months(first, -back)
        end = min(_add_months(start, 1) - dt.timedelta(days=1), until)
        periods.append(Period(start, end))
    return periods
