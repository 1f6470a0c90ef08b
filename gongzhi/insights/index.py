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
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
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


# Subject linkage ------------------------------------------------------------------------------


def neighbour_buildings(place: Place | None) -> dict:
    covered = Exists(
        Partner.objects.active().filter(kind=PartnerKind.NEIGHBOUR, building=OuterRef("pk"))
    )
    counts = narrow(Building.objects.all(), place).aggregate(
        total=Count("pk"), covered=Count("pk", filter=covered)
    )
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


def connected_teams(place: Place | None, period: Period) -> dict:
    teams = set(narrow(Team.objects.all(), place).values_list("pk", flat=True))
    return share(len(teams & connected_team_ids(place, period)), len(teams))


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


def rollup_sums(place: Place | None, period: Period) -> dict[str, int]:
    sums = matter_days(place, period).aggregate(
        **{name: Sum(name, default=0) for name in ROLLUP_SUMS}
    )
    return {name: sums[name] or 0 for name in ROLLUP_SUMS}


def matter_indicators(sums: dict[str, int]) -> dict[str, dict]:
    basic_weight = rate_settings()["basic_weight"]
    return {
        "multi_actor": share(sums["multi_actor"], sums["valid"]),
        "ack_on_time": share(sums["ack_on_time"], sums["ack_due"]),
        "resolved_on_time": share(sums["resolved_on_time"], sums["resolve_due"]),
        "not_bounced": share(sums["valid"] - sums["bounced"], sums["valid"]),
        "satisfaction": share(sums["satisfied"] + basic_weight * sums["basic"], sums["rated"]),
    }


# Goals --------------------------------------------------------------------------------------


def participating_households(place: Place | None, period: Period) -> set[int]:
    """Households in ``place`` that reported a matter, served as volunteers, voted (on a
    project, in an election or in a meeting) or rated a project in the period."""
    start, end = _bounds(period)
    household = prefixed(Household.PLACE, "resident__household")
    ids = set(
        narrow(HouseholdDay.objects.all(), place)
        .filter(day__gte=period.since, day__lte=period.until)
        .values_list("household_id", flat=True)
    )
    served = ServiceRecord.objects.filter(
        status__in=FIXED_STATUSES,
        activity__date__gte=period.since,
        activity__date__lte=period.until,
    )
    ids |= set(
        within(served.filter(resident__isnull=False), place, household).values_list(
            "resident__household_id", flat=True
        )
    )
    ids |= set(
        within(
            served.filter(resident__isnull=True, partner__resident__isnull=False),
            place,
            prefixed(Household.PLACE, "partner__resident__household"),
        ).values_list("partner__resident__household_id", flat=True)
    )
    for model in (PreVote, Rating):
        rows = model.objects.filter(at__gte=start, at__lt=end)
        ids |= set(within(rows, place, household).values_list("resident__household_id", flat=True))
    elections = Participation.objects.filter(voted_on__gte=period.since, voted_on__lte=period.until)
    ids |= set(within(elections, place, household).values_list("resident__household_id", flat=True))
    meeting_votes = Vote.objects.filter(
        at__gte=start, at__lt=end, participant__resident__isnull=False
    )
    ids |= set(
        within(
            meeting_votes, place, prefixed(Household.PLACE, "participant__resident__household")
        ).values_list("participant__resident__household_id", flat=True)
    )
    return ids


def participation(place: Place | None, period: Period) -> dict:
    households = narrow(Household.objects.all(), place).count()
    return share(len(participating_households(place, period)), households)


def _volunteer(resident_id, partner_id, partner_resident_id):
    resident = resident_id or partner_resident_id
    return ("resident", resident) if resident else ("partner", partner_id)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def volunteer_retention(place: Place | None, period: Period) -> dict:
    """Of the people who served in the half-year ending ``RETENTION_MONTHS`` before the end of
    the period, the share who served again in the last ``RETENTION_MONTHS`` months."""
    recent_from = _add_months(period.until, -RETENTION_MONTHS)
    cohort_from = _add_months(recent_from, -RETENTION_MONTHS)
    rows = narrow(ServiceRecord.objects.all(), place).filter(
        status__in=FIXED_STATUSES,
        activity__date__gt=cohort_from,
        activity__date__lte=period.until,
    )
    cohort, recent = set(), set()
    for resident_id, partner_id, partner_resident_id, day in rows.values_list(
        "resident_id", "partner_id", "partner__resident_id", "activity__date"
    ):
        who = _volunteer(resident_id, partner_id, partner_resident_id)
        (recent if day > recent_from else cohort).add(who)
    return share(len(cohort & recent), len(cohort))


# Action -------------------------------------------------------------------------------------


def actions_on_time(place: Place | None, period: Period, today: dt.date) -> dict:
    """Action items due in the period: done by the end of their deadline day ÷ those done or
    whose deadline has passed (an item not yet due and not done is not counted)."""
    items = within(
        ActionItem.objects.filter(due_on__gte=period.since, due_on__lte=period.until),
        place,
        prefixed(AgendaItem.PLACE, "decision__item"),
    ).filter(Q(status=ActionStatus.DONE) | Q(due_on__lt=today))
    due = 0
    on_time = 0
    for status, done_at, due_on in items.values_list("status", "done_at", "due_on"):
        due += 1
        on_time += status == ActionStatus.DONE and timezone.localdate(done_at) <= due_on
    return share(on_time, due)


def meeting_feedback(place: Place | None, period: Period) -> dict:
    start, end = _bounds(period)
    decided = within(
        AgendaItem.objects.filter(
            matter__isnull=False,
            decisions__in=Decision.objects.current().filter(
                decided_at__gte=start, decided_at__lt=end
            ),
        ),
        place,
        AgendaItem.PLACE,
    )
    matters = dict(decided.values_list("matter_id", "matter__status"))
    rated = set(
        decided.filter(matter__status=Status.CLOSED)
        .filter(matter__satisfaction__in=Satisfaction.values)
        .values_list("matter_id", flat=True)
    )
    return share(len(rated), len(matters))


def mediation_held(place: Place | None, period: Period) -> dict:
    start, end = _bounds(period)
    visits = within(
        FollowUp.objects.filter(done_at__gte=start, done_at__lt=end, held__isnull=False),
        place,
        prefixed(MediationCase.PLACE, "case"),
    )
    counts = visits.aggregate(done=Count("pk"), held=Count("pk", filter=Q(held=True)))
    return share(counts["held"] or 0, counts["done"] or 0)


def projects_evaluated(place: Place | None, period: Period) -> dict:
    projects = narrow(Project.objects.all(), place).filter(
        completed_on__gte=period.since, completed_on__lte=period.until
    )
    rated = Exists(Rating.objects.filter(project=OuterRef("pk")))
    counts = projects.aggregate(completed=Count("pk"), rated=Count("pk", filter=rated))
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


def index_for(place: Place | None, period: Period, *, today: dt.date | None = None) -> dict:
    """``{"score", "subjects", "responsibility", "goals", "action", "indicators"}`` of
    ``place`` (None: all data) over ``period``; each indicator is ``{"value",
    "numerator", "denominator", "weight"}``."""
    today = today or timezone.localdate()
    indicators = {
        **matter_indicators(rollup_sums(place, period)),
        "neighbour_buildings": neighbour_buildings(place),
        "connected_teams": connected_teams(place, period),
        "participation": participation(place, period),
        "volunteer_retention": volunteer_retention(place, period),
        "actions_on_time": actions_on_time(place, period, today),
        "meeting_feedback": meeting_feedback(place, period),
        "mediation_held": mediation_held(place, period),
        "projects_evaluated": projects_evaluated(place, period),
    }
    weight = weights()["indicators"]
    ordered = {key: {**indicators[key], "weight": weight[key]} for key in INDICATOR_KEYS}
    return {**combine(ordered), "indicators": ordered}


def months_until(until: dt.date, count: int) -> list[Period]:
    """The ``count`` calendar months ending with the month of ``until`` (the last cut there)."""
    first = dt.date(until.year, until.month, 1)
    periods = []
    for back in range(count - 1, -1, -1):
        start = _add_months(first, -back)
        end = min(_add_months(start, 1) - dt.timedelta(days=1), until)
        periods.append(Period(start, end))
    return periods
