"""Fragmentation diagnostics: concrete findings, each with a link to what it is about.

Every finding names one thing (a building, a team, a matter, a compound, a category, a place ×
category) and why it is listed. Thresholds are constants here and documented in
``docs/insight.md``.
"""

from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.insights.index import Period, matter_days, participation_by
from gongzhi.matters.models import Category
from gongzhi.matters.rates import rate_settings
from gongzhi.network.selectors import isolated_teams
from gongzhi.partners.models import Partner, PartnerKind
from gongzhi.places.models import Building, Compound

BOUNCED_AT_LEAST = 2
LOW_PARTICIPATION = 0.2
LOW_SATISFACTION = 0.8
MIN_RATED = 3
HOT_SPOTS = 5
MAX_ROWS = 50

KINDS = {
    "no_neighbour_partner": _("Buildings without an active neighbour partner"),
    "isolated_team": _("Teams isolated in the collaboration network"),
    "bounced": _("Matters bounced between owners two or more times"),
    "low_participation": _("Compounds with low participation"),
    "low_satisfaction": _("Categories with low satisfaction"),
    "overdue_hot_spot": _("Overdue hot spots"),
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


def buildings_without_neighbour(place: Place | None) -> list[dict]:
    buildings = (
        narrow(Building.objects.select_related("compound"), place)
        .filter(
            ~Exists(
                Partner.objects.active().filter(kind=PartnerKind.NEIGHBOUR, building=OuterRef("pk"))
            )
        )
        .order_by("compound__name", "number", "name")[:MAX_ROWS]
    )
    return [
        _finding(
            "no_neighbour_partner",
            str(building),
            _("No active neighbour partner serves this building."),
            reverse("places:building", args=[building.pk]),
        )
        for building in buildings
    ]


def teams_isolated(place: Place | None, period: Period) -> list[dict]:
    return [
        _finding(
            "isolated_team",
            team["name"],
            _("Shared no matter, meeting, project or mediation with another actor."),
            reverse("partners:team", args=[team["id"]]),
        )
        for team in isolated_teams(place, period)[:MAX_ROWS]
    ]


def bounced_matters(matters) -> list[dict]:
    rows = matters.filter(bounce_count__gte=BOUNCED_AT_LEAST).order_by("-bounce_count", "-pk")
    return [
        _finding(
            "bounced",
            f"#{matter.pk} {matter.text[:30]}",
            _("Re-assigned %(n)d times.") % {"n": matter.bounce_count},
            reverse("matters:detail", args=[matter.pk]),
        )
        for matter in rows.select_related(None).only("pk", "text", "bounce_count")[:MAX_ROWS]
    ]


def low_participation(place: Place | None, period: Period) -> list[dict]:
    """Compounds where fewer than ``LOW_PARTICIPATION`` of the households took part: every
    compound's share from the same few grouped queries (``participation_by`` per compound),
    however many compounds ``place`` holds."""
    shares = participation_by(place, ("compound",), period)
    found = []
    for pk, name in narrow(Compound.objects.all(), place).values_list("pk", "name"):
        result = shares[("compound", pk)]
        if not result["denominator"] or result["value"] >= LOW_PARTICIPATION:
            continue
        found.append(
            _finding(
                "low_participation",
                name,
                _("%(share)s of households took part (%(n)d of %(d)d).")
                % {
                    "share": _percent(result["value"]),
                    "n": result["numerator"],
                    "d": result["denominator"],
                },
                _matters_link(period, place=f"compound:{pk}"),
            )
        )
        if len(found) == MAX_ROWS:
            break
    return found


def low_satisfaction(place: Place | None, period: Period) -> list[dict]:
    basic_weight = rate_settings()["basic_weight"]
    rows = (
        matter_days(place, period)
        .order_by()
        .values("category")
        .annotate(rated=Sum("rated"), satisfied=Sum("satisfied"), basic=Sum("basic"))
    )
    labels = dict(Category.choices)
    found = []
    for row in rows:
        if row["rated"] < MIN_RATED:
            continue
        rate = (row["satisfied"] + basic_weight * row["basic"]) / row["rated"]
        if rate < LOW_SATISFACTION:
            params = {"category": row["category"], "status": "closed"}
            if place is not None:
                params["place"] = str(place)
            found.append(
                _finding(
                    "low_satisfaction",
                    str(labels[row["category"]]),
                    _("Satisfaction %(rate)s over %(n)d rated matters.")
                    % {"rate": _percent(rate), "n": row["rated"]},
                    _matters_link(period, **params),
                )
            )
    return sorted(found, key=lambda finding: finding["detail"])


def overdue_hot_spots(place: Place | None, period: Period) -> list[dict]:
    rows = (
        matter_days(place, period)
        .order_by()
        .values("community_id", "community__name", "compound_id", "compound__name", "category")
        .annotate(overdue=Sum("overdue"))
        .filter(overdue__gt=0)
        .order_by("-overdue", "community_id", "compound_id", "category")[:HOT_SPOTS]
    )
    labels = dict(Category.choices)
    found = []
    for row in rows:
        if row["compound_id"]:
            where, name = f"compound:{row['compound_id']}", row["compound__name"]
        else:
            where, name = f"community:{row['community_id']}", row["community__name"]
        found.append(
            _finding(
                "overdue_hot_spot",
                f"{name} · {labels[row['category']]}",
                _("%(n)d overdue matters.") % {"n": row["overdue"]},
                _matters_link(period, place=where, category=row["category"], overdue="1"),
            )
        )
    return found


def diagnostics_for(user, place: Place | None, period: Period) -> list[dict]:
    """All findings in ``place`` over ``period``, grouped by kind in the order of ``KINDS``."""
    from gongzhi.matters.selectors import matter_list

    matters = matter_list(user, place=place, since=period.since, until=period.until)
    return [
        *buildings_without_neighbour(place),
        *teams_isolated(place, period),
        *bounced_matters(matters),
        *low_participation(place, period),
        *low_satisfaction(place, period),
        *overdue_hot_spots(place, period),
    ]
