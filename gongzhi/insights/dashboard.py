"""The figures of the scope dashboard and of the annual report, as a list of sections.

One function, ``figures(user, place, period)``, builds everything; the dashboard page, its
``.xlsx`` export and the annual report (``report.py``) all render its result, so the three
always show the same numbers. For the largest scopes (all data, a subdistrict) over the year to
date its shared part is the snapshot stored by ``gongzhi rollup`` (``snapshot.py``).

* The paper's headline figures (households, residents, teams, volunteers, partners by kind,
  projects by kind, experiences, venues, opinions, mediation …) are the sections of
  ``gongzhi.core.overview`` themselves, so they equal ``gongzhi overview --json``.
* Matter figures (by category, tier and channel, the three rates, times to acknowledge and to
  close, the monthly trend, the category × place heat map and the repeated matters that call
  for proactive action, 未诉先办) are sums of the ``MatterDay`` rollup rows — never a scan of
  the matters. Only the overdue list reads matters, through ``matters.selectors.matter_list``
  with a limit.
* The index and its dimensions come from ``insights.index_store.stored_index`` (the stored
  row kept by ``gongzhi rollup`` when there is one for the period).

The number of queries does not depend on the amount of data.

A section is a dict: ``key``, ``title``, ``headers``, ``rows`` (lists of cells), ``links``
(one URL or "" per row: the list behind the row's number) and ``chart`` (None, or
``{"kind": "bar"|"pie"|"line"|"heatmap", ...}`` — see ``_chart``).
"""

import datetime as dt
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gongzhi.accounts.scope import is_staff_like, narrow, registry_reach, restrict
from gongzhi.core.overview import SECTIONS, overview
from gongzhi.core.places import Place
from gongzhi.insights.index import DIMENSIONS, INDICATORS
from gongzhi.insights.index_store import stored_index
from gongzhi.insights.models import FiguresSnapshot, MatterDay, MatterPlaceDay, RollupState
from gongzhi.insights.periods import Period, latest_snapshot
from gongzhi.listing.pages import BadFilter
from gongzhi.matters import selectors as matter_selectors
from gongzhi.matters.models import Category, Channel, Tier
from gongzhi.matters.overview import GROUPS as MATTER_GROUPS
from gongzhi.matters.overview import matters_section
from gongzhi.matters.overview import section_of as matters_section_of
from gongzhi.matters.rates import rate_filters, rates_from_counts
from gongzhi.mediation.models import CaseStatus
from gongzhi.partners.models import PartnerKind
from gongzhi.places.models import Building, Community, Compound, Grid, Subdistrict
from gongzhi.projects.models import Kind, Stage

TREND_MONTHS = 12
OVERDUE_LIMIT = 20
# A building with this many matters of one category in the period calls for proactive
# action (未诉先办): deal with the cause before the next resident has to ask.
PROACTIVE_MIN = 3
PROACTIVE_LIMIT = 30

PLACE_MODELS = {
    "subdistrict": Subdistrict,
    "community": Community,
    "compound": Compound,
    "building": Building,
    "grid": Grid,
}
COUNT_FIELDS = [
    field.name
    for field in MatterDay._meta.fields
    if field.get_internal_type() in ("PositiveIntegerField", "FloatField")
]


def dashboard_place(user, place: Place | None) -> Place | None:
    """The place a dashboard shows for ``user``: ``place`` if it lies inside the user's
    registry reach, the whole reach when None. Raises ``PermissionDenied`` for users who are
    not staff, officials or grid workers, ``BadFilter`` for a place outside the reach."""
    if not is_staff_like(user):
        raise PermissionDenied
    reach = registry_reach(user)
    if reach.nowhere:
        raise PermissionDenied
    if place is None:
        return reach.place
    if place.level not in PLACE_MODELS:
        raise BadFilter(_("Dashboards cover a subdistrict, community, compound, building or grid."))
    if reach.everywhere or place == reach.place:
        return place
    rows = restrict(PLACE_MODELS[place.level].objects.filter(pk=place.id), reach)
    if not rows.exists():
        raise BadFilter(_("Unknown place %(place)s") % {"place": place})
    return place


def place_name(place: Place | None) -> str:
    if place is None:
        return _("All communities")
    obj = PLACE_MODELS[place.level].objects.filter(pk=place.id).first()
    return str(obj) if obj is not None else str(place)


def overview_for(place: Place | None) -> dict:
    """``gongzhi.core.overview.overview`` for any place: the function itself for a
    community, its sections for a smaller or larger place.

    For all data and a subdistrict, once ``gongzhi rollup`` has run, the matters section
    comes from the rollup rows (``rolled_matters_section``), like the dashboard's matter
    sections beside it: at district scale counting the matters themselves took 2 s a scope."""
    if place is not None and place.level == "community":
        return overview(community=Community.objects.get(pk=place.id))
    rolled = (place is None or place.level == "subdistrict") and RollupState.objects.filter(
        name="matters", ran_at__isnull=False
    ).exists()
    result: dict = {"community": None}
    for section in SECTIONS:
        result.update(
            rolled_matters_section(place)
            if rolled and section is matters_section
            else section(place)
        )
    return result


def rolled_matters_section(place: Place | None) -> dict:
    """``matters.overview.matters_section`` (every matter of ``place``, any day) from the
    ``MatterPlaceDay`` rows, as the matters stood at the last rollup: one aggregate over a
    few hundred thousand rows instead of one over millions of matters. Equal to the section
    computed over the matters right after a rollup (tested)."""
    columns = {
        group: [f"{field}_{value}" for value in choices.values]
        for group, (field, choices) in MATTER_GROUPS.items()
    }
    rate_keys = ("valid", *rate_filters(timezone.now()))
    names = ["submitted", *rate_keys, *(name for names in columns.values() for name in names)]
    sums = narrow(MatterPlaceDay.objects.all(), place).aggregate(
        **{name: Sum(name) for name in names}
    )
    return matters_section_of(
        sums["submitted"] or 0,
        {
            group: {
                value: sums[f"{field}_{value}"] or 0 for value in MATTER_GROUPS[group][1].values
            }
            for group, (field, _choices) in MATTER_GROUPS.items()
        },
        {key: sums[key] or 0 for key in rate_keys},
    )


class Links:
    """List URLs narrowed to the dashboard's place (and, for matters, its period)."""

    def __init__(self, place: Place | None, period: Period):
        self.place = {"place": str(place)} if place else {}
        self.period = {"since": period.since.isoformat(), "until": period.until.isoformat()}

    def matters(self, **extra) -> str:
        return f"/matters/?{urlencode({**self.place, **self.period, **extra})}"

    def __call__(self, path: str, **extra) -> str:
        query = urlencode({**self.place, **extra})
        return f"{path}?{query}" if query else path


def _plain(value):
    """Lazy translations become text (for JSON, openpyxl and python-docx)."""
    return str(value) if isinstance(value, Promise) else value


def _section(key, title, headers, rows, links=None, chart=None) -> dict:
    return {
        "key": key,
        "title": str(title),
        "headers": [str(header) for header in headers],
        "rows": [[_plain(value) for value in row] for row in rows],
        "links": links or [""] * len(rows),
        "chart": chart,
    }


def _simple(key, title, items, chart_kind=None) -> dict:
    """A two-column section from (label, value, link) triples."""
    rows = [[label, value] for label, value, _link in items]
    chart = None
    if chart_kind:
        chart = {
            "kind": chart_kind,
            "labels": [str(label) for label, _v, _l in items],
            "series": {title: [value for _l, value, _k in items]},
        }
    return _section(
        key,
        title,
        [pgettext("table column", "Item"), _("Number")],
        rows,
        [i[2] for i in items],
        chart,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# ---------------------------------------------------------------- paper's figures (overview)


def paper_sections(data: dict, links: Links) -> list[dict]:
    partners = data["partners"]
    projects = data.get("projects", {})
    decisions = data.get("decisions", {})
    mediation = data.get("mediation_cases", {})
    key_figures = [
        (_("Households"), data["households"], links("/people/households/")),
        (_("Residents"), data["residents"], links("/people/")),
        (
            _("Volunteer service teams"),
            data["volunteer_teams"],
            links("/partners/teams/", kind="volunteer"),
        ),
        (
            _("Registered volunteers"),
            data["volunteers"],
            links("/partners/teams/", kind="volunteer"),
        ),
        (
            _("Neighbour partners"),
            partners[PartnerKind.NEIGHBOUR],
            links("/partners/", kind=PartnerKind.NEIGHBOUR),
        ),
        (
            _("Construction partners"),
            partners[PartnerKind.CONSTRUCTION],
            links("/partners/", kind=PartnerKind.CONSTRUCTION),
        ),
        (
            _("Team partners"),
            partners[PartnerKind.TEAM],
            links("/partners/", kind=PartnerKind.TEAM),
        ),
        (_("Red work teams"), data["red_teams"], links("/partners/teams/", kind="red")),
        (_("Organisations"), data["organisations"], links("/partners/organisations/")),
        (_("Micro-projects"), sum(projects.values()), links("/projects/")),
        (_("Experiences"), data.get("experiences", 0), links("/experiences/")),
        (_("Meeting venues"), data.get("venues", 0), links("/meetings/")),
        (_("Residents' opinions"), data.get("opinions", 0), links("/meetings/")),
        (_("Mediation cases"), mediation.get("total", 0), links("/mediation/")),
        (_("Volunteer service hours"), data.get("service_hours", 0), links("/volunteering/")),
        (_("Points issued"), data.get("points_issued", 0), ""),
        (
            _("Households visited in 90 days"),
            data.get("visits", {}).get("households_covered_90d", 0),
            links("/visits/coverage/"),
        ),
        (
            _("Care visits overdue"),
            data.get("care", {}).get("visits_overdue", 0),
            links("/visits/care/"),
        ),
    ]
    sections = [_simple("paper", _("Key figures"), key_figures)]
    sections.append(
        _simple(
            "partners",
            _("Active partners by kind"),
            [
                (label, partners[kind], links("/partners/", kind=kind))
                for kind, label in PartnerKind.choices
            ],
            "pie",
        )
    )
    sections.append(
        _simple(
            "projects",
            _("Micro-projects by kind"),
            [
                (label, projects.get(kind, 0), links("/projects/", kind=kind))
                for kind, label in Kind.choices
            ],
            "bar",
        )
    )
    by_stage = data.get("projects_by_stage", {})
    sections.append(
        _simple(
            "project_stages",
            _("Micro-projects by stage"),
            [
                (label, by_stage.get(stage, 0), links("/projects/", stage=stage))
                for stage, label in Stage.choices
            ],
            "bar",
        )
    )
    meetings = data.get("meetings", {})
    sections.append(
        _simple(
            "meetings",
            _("Meetings, decisions and action items"),
            [
                (_("Meetings held"), meetings.get("held", 0), links("/meetings/")),
                (_("Meetings planned"), meetings.get("planned", 0), links("/meetings/")),
                (_("Residents' opinions"), data.get("opinions", 0), links("/meetings/")),
                (_("Agenda items decided"), decisions.get("items_decided", 0), links("/meetings/")),
                (_("Action items"), decisions.get("action_items", 0), links("/meetings/")),
                (
                    _("Action items done"),
                    decisions.get("action_items_done", 0),
                    links("/meetings/"),
                ),
                (
                    _("Done on time"),
                    decisions.get("action_items_done_on_time", 0),
                    links("/meetings/"),
                ),
                (
                    _("Matters closed after a decision"),
                    decisions.get("loops_closed", 0),
                    links.matters(status="resolved"),
                ),
            ],
            "bar",
        )
    )
    by_status = mediation.get("by_status", {})
    sections.append(
        _simple(
            "mediation",
            _("Mediation cases by status"),
            [
                (label, by_status.get(status, 0), links("/mediation/", status=status))
                for status, label in CaseStatus.choices
            ],
            "pie",
        )
    )
    sections.append(
        _simple(
            "service",
            _("Volunteers, service hours and points"),
            [
                (
                    _("Registered volunteers"),
                    data["volunteers"],
                    links("/partners/teams/", kind="volunteer"),
                ),
                (
                    _("Volunteer service hours"),
                    data.get("service_hours", 0),
                    links("/volunteering/"),
                ),
                (_("Points issued"), data.get("points_issued", 0), ""),
                (_("Points redeemed"), data.get("points_redeemed", 0), ""),
            ],
        )
    )
    return sections


# ---------------------------------------------------------------- matters (rollup rows)


def _months(until: dt.date) -> list[dt.date]:
    index = until.year * 12 + until.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - TREND_MONTHS + 1, index + 1)]


def _month_end(month: dt.date) -> dt.date:
    nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


BREAKDOWNS = ("category", "tier", "channel")


def rollup_counts(rows, fields) -> tuple[dict, dict]:
    """The sums of ``fields`` over ``MatterDay`` ``rows`` and the matters submitted by
    category, tier and channel — one grouped query (a few hundred groups), where an aggregate
    and three groupings each read every row (2 M a year at district scale)."""
    grouped = rows.order_by().values_list(*BREAKDOWNS).annotate(**{f: Sum(f) for f in fields})
    totals = dict.fromkeys(fields, 0)
    by: dict[str, dict] = {field: {} for field in BREAKDOWNS}
    for row in grouped:
        keys, sums = row[: len(BREAKDOWNS)], row[len(BREAKDOWNS) :]
        values = dict(zip(fields, (value or 0 for value in sums), strict=True))
        for name, value in values.items():
            totals[name] += value
        for field, key in zip(BREAKDOWNS, keys, strict=True):
            by[field][key] = by[field].get(key, 0) + values["submitted"]
    return totals, by


def matter_data(place: Place | None, period: Period) -> dict:
    """The numbers behind the matter sections, from the rollup rows: the same in every
    language (the snapshot step computes them once and renders them per language).

    For all data, a subdistrict or a community the totals, the counts by category, tier and
    channel, the trend and the heatmap (compounds × categories) are sums of
    ``MatterPlaceDay`` (one row per compound and day: at district scale a hundred times fewer
    rows than ``MatterDay``); smaller places and the repeated matters per building read
    ``MatterDay``."""
    rows = narrow(MatterDay.objects.all(), place)
    in_period = rows.filter(day__gte=period.since, day__lte=period.until)
    months = _months(period.until)  # the trend: the twelve months up to the period's end
    if place is None or place.level in ("subdistrict", "community"):
        places = narrow(MatterPlaceDay.objects.all(), place)
        totals, by = _place_counts(places.filter(day__gte=period.since, day__lte=period.until))
        trend_rows = places
        heatmap = _place_heatmap_data(places.filter(day__gte=period.since, day__lte=period.until))
    else:
        totals, by = rollup_counts(in_period, COUNT_FIELDS)
        trend_rows = rows
        heatmap = _heatmap_data(in_period, place)
    per_month = {
        (month.date() if isinstance(month, dt.datetime) else month): (s or 0, c or 0)
        for month, s, c in trend_rows.filter(day__gte=months[0], day__lte=period.until)
        .annotate(month=TruncMonth("day"))
        .order_by()
        .values_list("month")
        .annotate(s=Sum("submitted"), c=Sum("closed"))
    }
    return {
        "totals": totals,
        "by": by,
        "trend": [[m, *per_month.get(m, (0, 0))] for m in months],
        "heatmap": heatmap,
        "proactive": _proactive_data(in_period),
    }


BREAKDOWN_CHOICES = {"category": Category, "tier": Tier, "channel": Channel}


def _place_counts(in_period) -> tuple[dict, dict]:
    """``rollup_counts(…, COUNT_FIELDS)`` from ``MatterPlaceDay`` rows, one aggregate."""
    columns = [f"{f}_{v}" for f, choices in BREAKDOWN_CHOICES.items() for v in choices.values]
    sums = in_period.aggregate(**{name: Sum(name) for name in (*COUNT_FIELDS, *columns)})
    totals = {name: sums[name] or 0 for name in COUNT_FIELDS}
    by = {
        field: {v: sums[f"{field}_{v}"] for v in choices.values if sums[f"{field}_{v}"]}
        for field, choices in BREAKDOWN_CHOICES.items()
    }
    return totals, by


def _place_heatmap_data(in_period) -> dict:
    """``_heatmap_data`` over compounds from ``MatterPlaceDay`` rows."""
    categories = Category.values
    grouped = (
        in_period.filter(compound__isnull=False)
        .order_by()
        .values_list("compound")
        .annotate(*(Sum(f"category_{cat}") for cat in categories))
    )
    cells = {
        (row[0], cat): n for row in grouped for cat, n in zip(categories, row[1:], strict=True) if n
    }
    ids = sorted({pk for pk, _cat in cells})
    names = dict(Compound.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {
        "level": "compound",
        "places": [(pk, names.get(pk, str(pk))) for pk in ids],
        "cells": cells,
    }


def matter_sections(data: dict, place: Place | None, links: Links) -> list[dict]:
    totals = data["totals"]
    rates = rates_from_counts(totals)
    sections = [
        _section(
            "rates",
            _("The three rates"),
            [_("Rate"), _("Value"), _("Counted")],
            [
                [
                    _("Response rate"),
                    _percent(rates["response"]),
                    _("%(a)d of %(b)d acknowledged in time")
                    % {"a": totals["ack_on_time"], "b": totals["ack_due"]},
                ],
                [
                    _("Resolution rate"),
                    _percent(rates["resolution"]),
                    _("%(a)d of %(b)d resolved") % {"a": totals["resolved"], "b": totals["valid"]},
                ],
                [
                    _("Satisfaction rate"),
                    _percent(rates["satisfaction"]),
                    _("%(a)d rated") % {"a": totals["rated"]},
                ],
                [_("Composite"), _percent(rates["composite"]), ""],
            ],
            [
                links.matters(),
                links.matters(status="resolved"),
                links.matters(status="closed"),
                links.matters(),
            ],
        ),
        _simple(
            "status",
            _("Matters submitted and where they stand"),
            [
                (_("Submitted"), totals["submitted"], links.matters()),
                (_("Valid"), totals["valid"], links.matters()),
                (_("Acknowledged"), totals["acknowledged"], links.matters()),
                (_("Resolved"), totals["resolved"], links.matters(status="resolved")),
                (_("Closed"), totals["closed"], links.matters(status="closed")),
                (_("Overdue"), totals["overdue"], links.matters(overdue="1")),
                (_("Bounced between owners"), totals["bounced"], links.matters()),
            ],
            "bar",
        ),
    ]
    for field, choices, title, kind in (
        ("category", Category, _("Matters by category"), "bar"),
        ("tier", Tier, _("Matters by tier"), "pie"),
        ("channel", Channel, _("Matters by channel"), "pie"),
    ):
        counts = data["by"][field]
        sections.append(
            _simple(
                field,
                title,
                [
                    (label, counts.get(value, 0), links.matters(**{field: value}))
                    for value, label in choices.choices
                ],
                kind,
            )
        )
    trend_rows = [[m.strftime("%Y-%m"), s, c] for m, s, c in data["trend"]]
    months = [m for m, _s, _c in data["trend"]]
    sections.append(
        _section(
            "trend",
            _("Submitted per month, and how many of them are closed"),
            [_("Month"), _("Submitted"), _("Closed")],
            trend_rows,
            [links.matters(since=m.isoformat(), until=_month_end(m).isoformat()) for m in months],
            {
                "kind": "line",
                "labels": [r[0] for r in trend_rows],
                "series": {
                    _("Submitted"): [r[1] for r in trend_rows],
                    _("Closed"): [r[2] for r in trend_rows],
                },
            },
        )
    )
    ack_labels = ["≤1h", "1–4h", "4–24h", "24–72h", ">72h"]
    close_labels = ["≤1d", "1–3d", "3–7d", "7–30d", ">30d"]
    sections.append(
        _simple(
            "ack_times",
            _("Time to acknowledge"),
            [(label, totals[f"ack_h{i}"], links.matters()) for i, label in enumerate(ack_labels)],
            "bar",
        )
    )
    sections.append(
        _simple(
            "close_times",
            _("Time to close"),
            [
                (label, totals[f"close_h{i}"], links.matters(status="closed"))
                for i, label in enumerate(close_labels)
            ],
            "bar",
        )
    )
    sections.append(_heatmap(data["heatmap"], links))
    sections.append(_proactive(data["proactive"], links))
    return sections


def _heatmap_data(in_period, place: Place | None) -> dict:
    """Category × place counts: compounds inside a community or larger place, buildings
    inside a compound, building or grid."""
    by_building = place is not None and place.level in ("compound", "building", "grid")
    field, model, level = (
        ("building", Building, "building") if by_building else ("compound", Compound, "compound")
    )
    cells = list(
        in_period.filter(**{f"{field}__isnull": False})
        .order_by()
        .values_list(field, "category")
        .annotate(n=Sum("submitted"))
    )
    ids = sorted({pk for pk, _c, _n in cells})
    names = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by_building:
        names = {
            pk: f"{compound} {name}"
            for pk, name, compound in Building.objects.filter(pk__in=ids).values_list(
                "pk", "name", "compound__name"
            )
        }
    return {
        "level": level,
        "places": [(pk, names.get(pk, str(pk))) for pk in ids],
        "cells": {(pk, cat): n for pk, cat, n in cells},
    }


def _heatmap(data: dict, links: Links) -> dict:
    level, grid = data["level"], data["cells"]
    categories = [value for value, _label in Category.choices]
    rows, row_links = [], []
    for pk, name in data["places"]:
        rows.append([name, *[grid.get((pk, cat), 0) for cat in categories]])
        row_links.append(links.matters(place=f"{level}:{pk}"))
    labels = [str(label) for _value, label in Category.choices]
    return _section(
        "heatmap",
        _("Hot spots: category × place"),
        [_("Place"), *labels],
        rows,
        row_links,
        {
            "kind": "heatmap",
            "x": labels,
            "y": [row[0] for row in rows],
            "values": [row[1:] for row in rows],
            "cell_links": [
                [links.matters(place=f"{level}:{pk}", category=cat) for cat in categories]
                for pk, _name in data["places"]
            ],
        },
    )


def _proactive_data(in_period) -> list[tuple]:
    """(building, compound name, building name, category, matters) of the most repeated
    matters. Grouped by the rollup row's own columns, the names read after for the few
    buildings listed: joining the places into the grouping read them for every row (at
    district scale 2 M rows a year, 3.9 s of the stored-figures step), and subqueries for the
    names were run for every group (15 s)."""
    top = list(
        in_period.filter(building__isnull=False)
        .order_by()
        .values_list("building", "category")
        .annotate(n=Sum("submitted"))
        .filter(n__gte=PROACTIVE_MIN)
        .order_by("-n", "building")[:PROACTIVE_LIMIT]
    )
    names = {
        pk: (compound, name)
        for pk, compound, name in Building.objects.filter(
            pk__in={building for building, _cat, _n in top}
        ).values_list("pk", "compound__name", "name")
    }
    return [(pk, *names[pk], category, n) for pk, category, n in top]


def _proactive(cells: list[tuple], links: Links) -> dict:
    labels = dict(Category.choices)
    return _section(
        "proactive",
        _("Repeated matters: act before residents ask (未诉先办)"),
        [_("Building"), _("Category"), _("Matters")],
        [
            [f"{compound} {name}", str(labels.get(cat, cat)), n]
            for _pk, compound, name, cat, n in cells
        ],
        [links.matters(place=f"building:{pk}", category=cat) for pk, _c, _n, cat, _x in cells],
    )


def _overdue(user, place: Place | None, period: Period) -> dict:
    matters = list(
        matter_selectors.matter_list(
            user, place=place, since=period.since, until=period.until, overdue=True
        )[:OVERDUE_LIMIT]
    )
    return _section(
        "overdue",
        _("Overdue matters"),
        [_("Number"), _("Matter"), _("Category"), _("Resolve by")],
        [
            [m.pk, m.text[:40], m.get_category_display(), m.due_at.date() if m.due_at else None]
            for m in matters
        ],
        [f"/matters/{m.pk}/" for m in matters],
    )


# ---------------------------------------------------------------- the index


def index_section(place: Place | None, period: Period, result: dict | None = None) -> dict:
    """The index section; ``result`` is ``stored_index`` of the place and period (read now
    when not given)."""
    if result is None:
        result = stored_index(place, period.index_period())
    rows = [[_("Score"), "" if result["score"] is None else result["score"], "", ""]]
    for key, label in DIMENSIONS.items():
        rows.append([str(label), "" if result[key] is None else result[key], "", ""])
    for indicator in INDICATORS:
        value = result["indicators"][indicator.key]
        rows.append(
            [
                f"· {indicator.label}",
                _percent(value["value"]),
                f"{value['numerator']} / {value['denominator']}",
                value["weight"],
            ]
        )
    # Every row opens the index page of the same place and period, which explains it.
    page = Links(place, period)(
        "/insights/index/",
        period="custom",
        since=period.since.isoformat(),
        until=period.until.isoformat(),
    )
    return _section(
        "index",
        _("Holistic-governance index"),
        [pgettext("table column", "Item"), _("Value"), _("Counted"), _("Weight")],
        rows,
        [page] * len(rows),
        chart={
            "kind": "bar",
            "labels": [str(label) for label in DIMENSIONS.values()],
            "series": {_("Index"): [result[key] or 0 for key in DIMENSIONS]},
        },
    ) | {"score": result["score"], "dimensions": {key: result[key] for key in DIMENSIONS}}


def figure_data(place: Place | None, period: Period) -> dict:
    """The numbers of ``shared_figures``: every query it needs, nothing translated, so the
    snapshot step reads them once and renders them in each language."""
    return {
        "overview": overview_for(place),
        "index": stored_index(place, period.index_period()),
        "matters": matter_data(place, period),
    }


def render_figures(data: dict, place: Place | None, period: Period) -> dict:
    """``shared_figures`` from ``figure_data``, in the active language."""
    links = Links(place, period)
    return {
        "place_name": place_name(place),
        "overview": data["overview"],
        "sections": [
            *paper_sections(data["overview"], links),
            index_section(place, period, data["index"]),
            *matter_sections(data["matters"], place, links),
        ],
    }


def shared_figures(place: Place | None, period: Period) -> dict:
    """What every viewer of ``place`` and ``period`` sees alike (all but the overdue list):
    ``{"place_name", "overview", "sections"}`` — plain data, stored as is by
    ``snapshot.roll_figures``."""
    return render_figures(figure_data(place, period), place, period)


# ---------------------------------------------------------------- stored figures


def stored_figures(place: Place | None, period: Period) -> dict | None:
    """``{"data", "as_of"}`` of the figures ``snapshot.roll_figures`` stored for ``place`` and
    ``period`` in the active language when the latest rollup run wrote them, else None
    (compute them)."""
    found = latest_snapshot(FiguresSnapshot, "data", place, period.since, period.until)
    return None if found is None else {"data": found[0], "as_of": found[1]}


def figures(user, place: Place | None, period: Period) -> dict:
    """Everything the dashboard shows for ``place`` (already checked by ``dashboard_place``)
    over ``period``: ``{"place", "place_name", "period", "overview", "sections", "as_of"}``.

    For all data and for a subdistrict over the year to date the shared part comes from the
    snapshot the latest ``gongzhi rollup`` stored (``as_of`` is then that run's time; at
    district scale computing it takes seconds); otherwise it is computed now (``as_of`` None).
    The overdue list is always read now, inside the user's reach."""
    stored = stored_figures(place, period)
    shared = stored["data"] if stored else shared_figures(place, period)
    return {
        "place": place,
        "period": period,
        "as_of": stored["as_of"] if stored else None,
        **shared,
        "sections": [*shared["sections"], _overdue(user, place, period)],
    }
