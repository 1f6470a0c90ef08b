"""Fragmentation diagnostics: concrete findings, each with a link to what it is about.

Every finding names one thing (a building, a team, a matter, a compound, a category, a place ×
category) and why it is listed. Thresholds are constants here and documented in
``docs/insight.md``.

Each kind is read in two parts: the numbers (``*_data``: plain tuples, the queries) and the
findings rendered from them in the active language (``render_*``: no query). The rollup step
that stores the findings of the largest scopes (``diagnostics_store``) reads the numbers once
and renders them in every language. At district scale (100 communities, 2 M matters a year)
the queries read the rollup rows by their own columns and the few names after, and the
isolated teams start from the few matters a team owns (see docs/performance.md).
"""

from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.insights.index import (
    Period,
    matter_days,
    participating_counts_by,
    participation_by,
    share,
    tally,
    within,
)
from gongzhi.insights.models import MatterPlaceDay
from gongzhi.matters.models import Category
from gongzhi.matters.rates import rate_settings
from gongzhi.network.selectors import isolated_teams
from gongzhi.partners.models import Partner, PartnerKind
from gongzhi.places.models import Building, Community, Compound, Household

BOUNCED_AT_LEAST = 2
LOW_PARTICIPATION = 0.2
LOW_SATISFACTION = 0.8
MIN_RATED = 3
HOT_SPOTS = 5
MAX_ROWS = 50

# Lazy: the titles are rendered in the language of the page (and stored in each language).
KINDS = {
    "no_neighbour_partner": gettext_lazy("Buildings without an active neighbour partner"),
    "isolated_team": gettext_lazy("Teams isolated in the collaboration network"),
    "bounced": gettext_lazy("Matters bounced between owners two or more times"),
    "low_participation": gettext_lazy("Compounds with low participation"),
    "low_satisfaction": gettext_lazy("Categories with low satisfaction"),
    "overdue_hot_spot": gettext_lazy("Overdue hot spots"),
}


def _matters_link(period: Period, **params) -> str:
    query = {"since": period.since.isoformat(), "until": period.until.isoformat(), **params}
    return f"{reverse('matters:list')}?{urlencode(query)}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _finding(kind: str, subject: str, detail: str, link: str) -> dict:
    return {
        "kind": kind,
        "title": str(KINDS[kind]),
        "subject": subject,
        "detail": detail,
        "link": link,
    }


# ---- buildings without a neighbour partner ---------------------------------------------------


def buildings_data(place: Place | None) -> list[tuple[int, str]]:
    """(pk, "compound building") of the first ``MAX_ROWS`` buildings without one."""
    buildings = (
        narrow(Building.objects.all(), place)
        .filter(
            ~Exists(
                Partner.objects.active().filter(kind=PartnerKind.NEIGHBOUR, building=OuterRef("pk"))
            )
        )
        .order_by("compound__name", "number", "name")
        .values_list("pk", "compound__name", "name")[:MAX_ROWS]
    )
    # As ``str(building)``.
    return [(pk, f"{compound} {name}") for pk, compound, name in buildings]


def render_buildings(rows: list[tuple[int, str]]) -> list[dict]:
    return [
        _finding(
            "no_neighbour_partner",
            label,
            _("No active neighbour partner serves this building."),
            reverse("places:building", args=[pk]),
        )
        for pk, label in rows
    ]


def buildings_without_neighbour(place: Place | None) -> list[dict]:
    return render_buildings(buildings_data(place))


# ---- isolated teams --------------------------------------------------------------------------


def teams_data(place: Place | None, period: Period) -> list[tuple[int, str]]:
    return [(team["id"], team["name"]) for team in isolated_teams(place, period)[:MAX_ROWS]]


def render_teams(rows: list[tuple[int, str]]) -> list[dict]:
    return [
        _finding(
            "isolated_team",
            name,
            _("Shared no matter, meeting, project or mediation with another actor."),
            reverse("partners:team", args=[pk]),
        )
        for pk, name in rows
    ]


def teams_isolated(place: Place | None, period: Period) -> list[dict]:
    return render_teams(teams_data(place, period))


# ---- bounced matters -------------------------------------------------------------------------


def bounced_rows(matters) -> list[tuple[int, str, int]]:
    """(pk, first 30 characters, bounces) of the most bounced of ``matters``."""
    rows = matters.filter(bounce_count__gte=BOUNCED_AT_LEAST).order_by("-bounce_count", "-pk")
    return [
        (pk, text[:30], bounces)
        for pk, text, bounces in rows.select_related(None).values_list(
            "pk", "text", "bounce_count"
        )[:MAX_ROWS]
    ]


def render_bounced(rows: list[tuple[int, str, int]]) -> list[dict]:
    return [
        _finding(
            "bounced",
            f"#{pk} {text}",
            _("Re-assigned %(n)d times.") % {"n": bounces},
            reverse("matters:detail", args=[pk]),
        )
        for pk, text, bounces in rows
    ]


def bounced_matters(matters) -> list[dict]:
    return render_bounced(bounced_rows(matters))


# ---- low participation -----------------------------------------------------------------------


def participation_rows(shares, compounds) -> list[tuple[int, str, float, int, int]]:
    """(pk, name, share, households taking part, households) of the first ``MAX_ROWS`` of
    ``compounds`` ((pk, name) in the compounds' order) under ``LOW_PARTICIPATION``."""
    found = []
    for pk, name in compounds:
        result = shares.get(pk)
        if result is None or not result["denominator"] or result["value"] >= LOW_PARTICIPATION:
            continue
        found.append((pk, name, result["value"], result["numerator"], result["denominator"]))
        if len(found) == MAX_ROWS:
            break
    return found


def _compounds(place: Place | None) -> list[tuple[int, str]]:
    return list(narrow(Compound.objects.all(), place).values_list("pk", "name"))


def participation_data(place: Place | None, period: Period) -> list[tuple]:
    """Compounds where fewer than ``LOW_PARTICIPATION`` of the households took part: every
    compound's share from the same few grouped queries (``participation_by`` per compound),
    however many compounds ``place`` holds."""
    shares = participation_by(place, ("compound",), period)
    compounds = list(narrow(Compound.objects.all(), place).values_list("pk", "name"))
    by_pk = {pk: shares[("compound", pk)] for pk, _name in compounds}
    return participation_rows(by_pk, compounds)


# The windows of recent days (days on which matters were submitted) whose households taking
# part are counted first (see ``participation_shares``).
RECENT_DAYS = (30, 60, 120)


def _taking_part(
    place: Place | None, period: Period, compounds: list[int] | None = None
) -> dict[int, int]:
    """Households taking part per compound of ``place`` over ``period`` (of ``compounds``
    only, if given), as ``participation_by(place, ("compound",), period)`` counts them:
    ``index.participating_counts_by``, one ``UNION`` counted by the database."""
    counted = participating_counts_by(place, ("compound",), period, compounds)
    return {key[1]: n for key, n in counted.items() if key is not None}


def participation_shares(place: Place | None, period: Period) -> dict[int, dict]:
    """Per compound of ``place``, its share of households taking part (``index.share``) where
    it may be under ``LOW_PARTICIPATION`` — exactly as ``participation_by`` — and a share at
    or above it where it is certainly not (what ``participation_rows`` needs): the page and
    the stored findings read it (``low_participation`` keeps ``participation_by``'s queries).

    The households of the period's last 30, then 60, then 120 days on which matters were
    submitted are counted first, each time for the compounds still under the threshold:
    subsets of the period's, so a compound at or above it in one of them is above it over the
    period and is left there. Only the compounds still under it after that are counted over
    the whole period (at district scale half the compounds are settled by 30 days, the rest by
    60: 0.3 s instead of the year's 1.8 M rows, 1.5 s)."""
    households = tally(
        Household.objects.all(), Household.PLACE, place, ("compound",), n=Count("pk")
    )
    totals = {pk: row["n"] for (_level, pk), row in households.items()}
    days = list(
        within(MatterPlaceDay.objects.all(), place, MatterPlaceDay.PLACE)
        .filter(day__gte=period.since, day__lte=period.until)
        .order_by("-day")
        .values_list("day", flat=True)
        .distinct()[: RECENT_DAYS[-1]]
    )
    shares: dict[int, dict] = {}
    pending = [pk for pk, total in totals.items() if total]
    for count in RECENT_DAYS:
        if len(days) <= count or not pending:
            break
        counted = _taking_part(place, Period(days[count - 1], days[0]), pending)
        still = []
        for pk in pending:
            found = share(counted.get(pk, 0), totals[pk])
            if found["value"] >= LOW_PARTICIPATION:
                shares[pk] = found
            else:
                still.append(pk)
        pending = still
    if pending:
        counted = _taking_part(place, period, pending)
        for pk in pending:
            shares[pk] = share(counted.get(pk, 0), totals[pk])
    return shares


def render_participation(rows: list[tuple], period: Period) -> list[dict]:
    return [
        _finding(
            "low_participation",
            name,
            _("%(share)s of households took part (%(n)d of %(d)d).")
            % {"share": _percent(value), "n": numerator, "d": denominator},
            _matters_link(period, place=f"compound:{pk}"),
        )
        for pk, name, value, numerator, denominator in rows
    ]


def low_participation(place: Place | None, period: Period) -> list[dict]:
    return render_participation(participation_data(place, period), period)


# ---- satisfaction and overdue hot spots (one reading of the rollup rows) ---------------------


def matter_day_groups(place: Place | None, period: Period) -> list[tuple]:
    """(community, compound, category, overdue, rated, satisfied, basic) of the rollup rows of
    ``place`` over ``period``, grouped by the rows' own columns (no join for names; at
    district scale 2 M rows a year) and only rows that count for either finding."""
    return list(
        matter_days(place, period)
        .filter(Q(overdue__gt=0) | Q(rated__gt=0))
        .order_by()
        .values_list("community_id", "compound_id", "category")
        .annotate(
            Sum("overdue"),
            Sum("rated"),
            Sum("satisfied"),
            Sum("basic"),
        )
    )


def satisfaction_rows(groups: list[tuple]) -> list[tuple[str, float, int]]:
    """(category, rate, rated) of the categories under ``LOW_SATISFACTION`` with at least
    ``MIN_RATED`` rated matters, in the order of ``Category``."""
    basic_weight = rate_settings()["basic_weight"]
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _community, _compound, category, _overdue, rated, satisfied, basic in groups:
        total = sums[category]
        total[0] += rated
        total[1] += satisfied
        total[2] += basic
    found = []
    for category in Category.values:
        if category not in sums:
            continue
        rated, satisfied, basic = sums[category]
        if rated < MIN_RATED:
            continue
        rate = (satisfied + basic_weight * basic) / rated
        if rate < LOW_SATISFACTION:
            found.append((category, rate, rated))
    return found


def render_satisfaction(rows, place: Place | None, period: Period) -> list[dict]:
    labels = dict(Category.choices)
    found = []
    for category, rate, rated in rows:
        params = {"category": category, "status": "closed"}
        if place is not None:
            params["place"] = str(place)
        found.append(
            _finding(
                "low_satisfaction",
                str(labels[category]),
                _("Satisfaction %(rate)s over %(n)d rated matters.")
                % {"rate": _percent(rate), "n": rated},
                _matters_link(period, **params),
            )
        )
    return sorted(found, key=lambda finding: finding["detail"])


def hot_spot_rows(groups: list[tuple]) -> list[tuple[str, str, str, int]]:
    """(place key, place name, category, overdue) of the ``HOT_SPOTS`` place × category with
    the most overdue matters (ties: by community, compound — matters anchored at the
    community after its compounds — and category); the names read for these few only."""
    overdue: dict[tuple, int] = defaultdict(int)
    for community, compound, category, late, _rated, _satisfied, _basic in groups:
        if late:
            overdue[(community, compound, category)] += late
    top = sorted(
        ((key, n) for key, n in overdue.items() if n > 0),
        key=lambda item: (
            -item[1],
            item[0][0],
            item[0][1] is None,
            item[0][1] or 0,
            item[0][2],
        ),
    )[:HOT_SPOTS]
    compounds = dict(
        Compound.objects.filter(pk__in={key[1] for key, _n in top if key[1]}).values_list(
            "pk", "name"
        )
    )
    communities = dict(
        Community.objects.filter(pk__in={key[0] for key, _n in top if not key[1]}).values_list(
            "pk", "name"
        )
    )
    found = []
    for (community, compound, category), n in top:
        if compound:
            found.append((f"compound:{compound}", compounds[compound], category, n))
        else:
            found.append((f"community:{community}", communities[community], category, n))
    return found


def render_hot_spots(rows, period: Period) -> list[dict]:
    labels = dict(Category.choices)
    return [
        _finding(
            "overdue_hot_spot",
            f"{name} · {labels[category]}",
            _("%(n)d overdue matters.") % {"n": n},
            _matters_link(period, place=where, category=category, overdue="1"),
        )
        for where, name, category, n in rows
    ]


def low_satisfaction(place: Place | None, period: Period) -> list[dict]:
    return render_satisfaction(satisfaction_rows(matter_day_groups(place, period)), place, period)


def overdue_hot_spots(place: Place | None, period: Period) -> list[dict]:
    return render_hot_spots(hot_spot_rows(matter_day_groups(place, period)), period)


# ---- all kinds -------------------------------------------------------------------------------


def scope_data(place: Place | None, period: Period) -> dict:
    """The numbers of every kind but the bounced matters (those depend on who looks)."""
    groups = matter_day_groups(place, period)
    return {
        "buildings": buildings_data(place),
        "teams": teams_data(place, period),
        "participation": participation_rows(participation_shares(place, period), _compounds(place)),
        "satisfaction": satisfaction_rows(groups),
        "hot_spots": hot_spot_rows(groups),
    }


def render_findings(data: dict, bounced: list[dict], place: Place | None, period: Period):
    """The findings from ``scope_data``'s numbers and the bounced findings, in the order of
    ``KINDS``."""
    return [
        *render_buildings(data["buildings"]),
        *render_teams(data["teams"]),
        *bounced,
        *render_participation(data["participation"], period),
        *render_satisfaction(data["satisfaction"], place, period),
        *render_hot_spots(data["hot_spots"], period),
    ]


def user_matters(user, place: Place | None, period: Period):
    from gongzhi.matters.selectors import matter_list

    return matter_list(user, place=place, since=period.since, until=period.until)


def diagnostics_for(user, place: Place | None, period: Period) -> list[dict]:
    """All findings in ``place`` over ``period``, grouped by kind in the order of ``KINDS``."""
    bounced = bounced_matters(user_matters(user, place, period))
    return render_findings(scope_data(place, period), bounced, place, period)
