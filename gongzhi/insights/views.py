"""The index page and the diagnostics page: per place and period, both exportable to .xlsx.

Chart options are built here and drawn by ``gongzhi/charts.js`` (as on the matters
dashboard). The figures come from ``index_store.stored_index`` (the row ``gongzhi rollup``
stored for the place and period, or ``index.index_for`` where there is none), so the page, its
export, the dashboard, the API and ``gongzhi overview --json`` agree.
"""

import datetime as dt
from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.charts import link_points
from gongzhi.core.excel import workbook_bytes, xlsx_response
from gongzhi.core.naturalsort import natural_sorted
from gongzhi.core.places import Place
from gongzhi.insights import rules
from gongzhi.insights.diagnostics_store import diagnostics_view
from gongzhi.insights.index import DIMENSIONS, INDICATORS, Period, months_until
from gongzhi.insights.index_store import stored_index, stored_indexes
from gongzhi.insights.views_matters import PERIODS, period_param
from gongzhi.listing.pages import (
    BadFilter,
    place_options,
    place_param,
    render_bad_filter,
    require_export,
)
from gongzhi.places.models import Building, Community, Compound

TREND_MONTHS = 12


# One plain sentence per figure of the index page, for officials: what it says about the
# community and which way is good.
EXPLAIN = {
    "score": gettext_lazy(
        "The four parts below in one score from 0 to 100: whether the community's actors pull "
        "together and get things done. Higher is better; compare it with last month and with "
        "other communities."
    ),
    "subjects": gettext_lazy(
        "Whether the actors are joined up: matters handled by several kinds of actor, "
        "buildings with a neighbour partner, teams that work with others."
    ),
    "responsibility": gettext_lazy(
        "Whether matters reach the right person and are dealt with in time, without being "
        "passed from one owner to another."
    ),
    "goals": gettext_lazy(
        "Whether residents take part and are satisfied, and volunteers keep serving."
    ),
    "action": gettext_lazy(
        "Whether what is decided gets done: meeting decisions carried out, mediations that "
        "hold, projects rated by residents."
    ),
}


def insight_filters(request: HttpRequest, today: dt.date) -> tuple[Place | None, object]:
    """The place (inside the user's reach; their home place by default) and the period
    (this year by default) asked for; raises ``BadFilter``."""
    place = place_param(request)
    if place is None:
        place = rules.home_place(request.user)
    elif not rules.place_allowed(request.user, place):
        raise BadFilter(_("You cannot see figures of %(place)s.") % {"place": place})
    params = request.GET
    if not params.get("period"):
        params = QueryDict(mutable=True)
        params.update(request.GET)
        params["period"] = "year"
    return place, period_param(SimpleNamespace(GET=params), today)


def children(place: Place | None) -> list[tuple[Place, str]]:
    """The places one level down, for the comparison: communities of a subdistrict (or of
    everything), compounds of a community, buildings of a compound or a grid."""
    if place is None or place.level == "subdistrict":
        rows = Community.objects.all()
        if place is not None:
            rows = rows.filter(subdistrict_id=place.id)
        return _natural([(Place("community", c.pk), c.name) for c in rows])
    if place.level == "community":
        rows = Compound.objects.filter(community_id=place.id)
        return _natural([(Place("compound", c.pk), c.name) for c in rows])
    if place.level in ("compound", "grid"):
        rows = Building.objects.select_related("compound").filter(
            **{"compound_id" if place.level == "compound" else "grid_id": place.id}
        )
        return _natural([(Place("building", b.pk), str(b)) for b in rows])
    return []


def _natural(children: list[tuple[Place, str]]) -> list[tuple[Place, str]]:
    return natural_sorted(children, lambda child: child[1])


def _value(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _charts(
    result: dict, trend: list[tuple[str, dict]], comparison: list, trend_links: dict[str, str]
) -> list[dict]:
    """The index page's charts; a click on the score or a dimension opens the indicators
    table, on a month that month's index, on a place that place's index."""
    names = {key: str(label) for key, label in DIMENSIONS.items()}
    to_indicators = {str(_("Index")): "#indicators"}
    gauge = {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 100,
                "detail": {"formatter": "{value}"},
                "data": [{"value": result["score"] or 0, "name": _("Index")}],
            }
        ]
    }
    radar = {
        "tooltip": {},
        "radar": {"indicator": [{"name": name, "max": 100} for name in names.values()]},
        "series": [
            {
                "type": "radar",
                "data": [{"value": [result[key] or 0 for key in names], "name": _("Index")}],
            }
        ],
    }
    trend_option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [_("Index"), *names.values()]},
        "grid": {"left": 40, "right": 10, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": [label for label, _r in trend]},
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [
            {"type": "line", "name": _("Index"), "data": [r["score"] for _l, r in trend]},
            *[
                {"type": "line", "name": name, "data": [r[key] for _l, r in trend]}
                for key, name in names.items()
            ],
        ],
    }
    compare_option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [_("Index"), *names.values()]},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 40},
        "xAxis": {
            "type": "category",
            "data": [row["label"] for row in comparison],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [
            {"type": "bar", "name": _("Index"), "data": [r["score"] for r in comparison]},
            *[
                {"type": "bar", "name": name, "data": [r[key] for r in comparison]}
                for key, name in names.items()
            ],
        ],
    }
    trend_rows = [{"label": label, **r} for label, r in trend]
    compare_links = {row["label"]: row["link"] for row in comparison}
    return [
        {
            "id": "chart-score",
            "title": _("Index"),
            "option": link_points(gauge, to_indicators),
            "rows": [1],
        },
        {
            "id": "chart-radar",
            "title": _("Dimensions"),
            "option": link_points(radar, to_indicators),
            "rows": [1],
        },
        {
            "id": "chart-index-trend",
            "title": _("Index per month"),
            "option": link_points(trend_option, trend_links),
            "rows": trend_rows,
        },
        {
            "id": "chart-comparison",
            "title": _("Comparison"),
            "option": link_points(compare_option, compare_links),
            "rows": comparison,
        },
    ]


def indicator_rows(result: dict) -> list[dict]:
    return [
        {
            "key": indicator.key,
            "dimension": str(DIMENSIONS[indicator.dimension]),
            "label": str(indicator.label),
            "formula": str(indicator.formula),
            "percent": _value(result["indicators"][indicator.key]["value"]),
            **result["indicators"][indicator.key],
        }
        for indicator in INDICATORS
    ]


def _index_xlsx(result: dict, place: Place | None, period) -> HttpResponse:
    rows = [
        [
            row["dimension"],
            row["label"],
            row["formula"],
            row["percent"],
            row["numerator"],
            row["denominator"],
            row["weight"],
        ]
        for row in indicator_rows(result)
    ]
    rows += [[str(label), "", "", result[key], "", "", ""] for key, label in DIMENSIONS.items()]
    rows.append([_("Index"), "", "", result["score"], "", "", ""])
    content = workbook_bytes(
        "整体性治理指数",
        ["维度", "指标", "公式", "数值(%)", "分子", "分母", "权重"],
        rows,
        notes=[
            ("范围", str(place or _("all"))),
            ("期间", f"{period.since.isoformat()} – {period.until.isoformat()}"),
        ],
    )
    return xlsx_response(f"index-{period.since}-{period.until}.xlsx", content)


@login_required
def index_page(request: HttpRequest) -> HttpResponse:
    if not rules.can_view_insights(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        place, period = insight_filters(request, today)
    except BadFilter as error:
        return render_bad_filter(request, error)
    span = Period(period.since, period.until)
    if request.GET.get("format") == "xlsx":
        require_export(request.user)
        return _index_xlsx(stored_index(place, span, today), place, period)
    # Headline, trend and comparison from the stored rows (``index_store``), computed where
    # a row is missing or not valid for today.
    months = months_until(period.until, TREND_MONTHS)
    kids = children(place)
    stored = stored_indexes([place], [*months, span], today)
    result = stored[(str(place or ""), span)]
    stored |= stored_indexes([child for child, _label in kids], [span], today)
    trend = [(month.since.strftime("%Y-%m"), stored[(str(place or ""), month)]) for month in months]
    trend_links = {
        month.since.strftime("%Y-%m"): (
            f"?period=custom&since={month.since}&until={month.until}&place={place or ''}"
        )
        for month in months
    }
    base = f"?period={period.key}&since={period.since}&until={period.until}"
    comparison = [
        {"label": label, "link": f"{base}&place={child}", **stored[(str(child), span)]}
        for child, label in kids
    ]
    context = {
        "periods": list(PERIODS.items()),
        "period": period,
        "place": place,
        "place_groups": place_options(request.user),
        "result": result,
        "dimensions": [
            {"key": key, "label": label, "value": result[key], "explanation": EXPLAIN[key]}
            for key, label in DIMENSIONS.items()
        ],
        "score_explanation": EXPLAIN["score"],
        "indicators": indicator_rows(result),
        "charts": _charts(result, trend, comparison, trend_links),
        "export": f"{base}&place={place or ''}&format=xlsx",
    }
    return render(request, "insights/index.html", context)


@login_required
def diagnostics_page(request: HttpRequest) -> HttpResponse:
    if not rules.can_view_insights(request.user):
        raise PermissionDenied
    try:
        place, period = insight_filters(request, timezone.localdate())
    except BadFilter as error:
        return render_bad_filter(request, error)
    # All data and the subdistricts over the year to date: as of the last rollup.
    findings, as_of = diagnostics_view(request.user, place, Period(period.since, period.until))
    if request.GET.get("format") == "xlsx":
        require_export(request.user)
        stamp = timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else None
        content = workbook_bytes(
            "碎片化诊断",
            ["问题", "对象", "说明", "链接"],
            [
                [f["title"], f["subject"], f["detail"], request.build_absolute_uri(f["link"])]
                for f in findings
            ],
            notes=[("截至", f"最近一次汇总（{stamp}）")] if stamp else (),
        )
        return xlsx_response(f"diagnostics-{period.since}-{period.until}.xlsx", content)
    groups: dict[str, dict] = {}
    for finding in findings:
        groups.setdefault(finding["kind"], {"title": finding["title"], "rows": []})
        groups[finding["kind"]]["rows"].append(finding)
    base = f"?period={period.key}&since={period.since}&until={period.until}"
    context = {
        "periods": list(PERIODS.items()),
        "period": period,
        "place": place,
        "place_groups": place_options(request.user),
        "groups": list(groups.values()),
        "count": len(findings),
        "as_of": as_of,
        "export": f"{base}&place={place or ''}&format=xlsx",
    }
    return render(request, "insights/diagnostics.html", context)
