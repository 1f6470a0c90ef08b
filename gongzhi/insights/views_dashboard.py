"""The scope dashboard (``/dashboard/``) and the annual report page (``/dashboard/report/``).

Thin views over ``dashboard.figures``: the page, its ``?format=xlsx`` export and the report's
``.docx`` / ``.xlsx`` downloads render the same result, so they show the same numbers. Chart
options are built here; ``gongzhi/charts.js`` draws them and opens the list behind a clicked
bar, slice or cell.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.core.charts import link_points
from gongzhi.core.excel import xlsx_response
from gongzhi.core.places import Place
from gongzhi.core.replica import reading_from_replica
from gongzhi.insights import report, report_jobs
from gongzhi.insights.dashboard import dashboard_place, figures
from gongzhi.insights.models import ReportJob
from gongzhi.insights.periods import Period, year_to_date
from gongzhi.insights.views_matters import PERIODS, period_param
from gongzhi.listing.pages import (
    BadFilter,
    can_export,
    is_partial,
    place_options,
    place_param,
    render_bad_filter,
    require_export,
)

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _period(request: HttpRequest, today: dt.date) -> tuple[str, Period]:
    if "period" not in request.GET:
        return "year", year_to_date(today)
    chosen = period_param(request, today)
    return chosen.key, Period(chosen.since, chosen.until)


def _year_number(raw: str, today: dt.date) -> int:
    raw = raw.strip() or str(today.year)
    if not raw.isdigit() or not 2000 <= int(raw) <= today.year:
        raise BadFilter(_("Choose a year from 2000 to %(year)d.") % {"year": today.year})
    return int(raw)


def _year(request: HttpRequest, today: dt.date) -> Period:
    return report_jobs.year_period(_year_number(request.GET.get("year", ""), today), today)


def _labels(section: dict) -> dict:
    return {
        str(row[0]): link
        for row, link in zip(section["rows"], section["links"], strict=True)
        if link
    }


def echarts_option(chart: dict) -> dict:
    """An ECharts option for a section's chart."""
    if chart["kind"] == "heatmap":
        # Each cell is named "x,y" so a click finds its list in the links (``_chart_links``).
        data = [
            {"name": f"{x},{y}", "value": [x, y, value]}
            for y, row in enumerate(chart["values"])
            for x, value in enumerate(row)
        ]
        peak = max((cell["value"][2] for cell in data), default=0)
        return {
            "tooltip": {"position": "top"},
            "grid": {"left": 110, "right": 10, "bottom": 80, "top": 10},
            "xAxis": {
                "type": "category",
                "data": chart["x"],
                "axisLabel": {"interval": 0, "rotate": 30},
            },
            "yAxis": {"type": "category", "data": chart["y"]},
            "visualMap": {
                "min": 0,
                "max": max(peak, 1),
                "calculable": True,
                "orient": "horizontal",
                "left": "center",
                "bottom": 0,
                "show": False,
            },
            "series": [{"type": "heatmap", "data": data, "label": {"show": True}}],
        }
    names = list(chart["series"])
    if chart["kind"] == "pie":
        values = chart["series"][names[0]]
        return {
            "tooltip": {"trigger": "item"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "65%"],
                    "data": [
                        {"name": label, "value": value}
                        for label, value in zip(chart["labels"], values, strict=True)
                        if value
                    ],
                }
            ],
        }
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": names} if len(names) > 1 else {"show": False},
        "grid": {"left": 45, "right": 10, "bottom": 70, "top": 30},
        "xAxis": {
            "type": "category",
            "data": chart["labels"],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value"},
        "series": [
            {"type": chart["kind"], "name": name, "data": values}
            for name, values in chart["series"].items()
        ],
    }


def _chart_links(section: dict) -> dict:
    chart = section["chart"]
    if chart["kind"] == "heatmap":
        return {
            f"{x},{y}": link
            for y, row in enumerate(chart["cell_links"])
            for x, link in enumerate(row)
        }
    return _labels(section)


def _resolve(request: HttpRequest, today: dt.date, *, yearly: bool):
    place = dashboard_place(request.user, place_param(request))
    if yearly:
        return place, "year", _year(request, today)
    key, period = _period(request, today)
    return place, key, period


@login_required
@reading_from_replica()
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        place, key, period = _resolve(request, today, yearly=False)
    except BadFilter as error:
        return render_bad_filter(request, error)
    result = figures(request.user, place, period)
    if request.GET.get("format") == "xlsx":
        require_export(request.user)
        return xlsx_response(report.filename(result, "xlsx"), report.workbook(result))
    for section in result["sections"]:
        if section["chart"]:
            section["option"] = link_points(echarts_option(section["chart"]), _chart_links(section))
        section["cells"] = [
            {"row": row, "link": link}
            for row, link in zip(section["rows"], section["links"], strict=True)
        ]
    context = {
        **result,
        "periods": list(PERIODS.items()),
        "period_key": key,
        "place_groups": place_options(request.user),
        "query": request.GET.urlencode(),
        "sections_by_key": {s["key"]: s for s in result["sections"]},
    }
    return render(request, "insights/dashboard.html", context)


@login_required
def annual_report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        place, _key, period = _resolve(request, today, yearly=True)
    except BadFilter as error:
        return render_bad_filter(request, error)
    fmt = request.GET.get("format", "")
    if fmt in ("docx", "xlsx"):
        require_export(request.user)
        result = figures(request.user, place, period)
        if fmt == "xlsx":
            return xlsx_response(report.filename(result, "xlsx"), report.workbook(result))
        response = xlsx_response(report.filename(result, "docx"), report.document(result))
        response["Content-Type"] = DOCX_CONTENT_TYPE
        return response
    if fmt:
        return render_bad_filter(
            request, BadFilter(_("Unknown format %(format)s") % {"format": fmt})
        )
    context = {
        "years": list(range(today.year, today.year - 6, -1)),
        "year": period.since.year,
        "place_groups": place_options(request.user),
        "place": place,
        "jobs": report_jobs.mine(request.user)[: report_jobs.SHOWN]
        if can_export(request.user)
        else [],
    }
    return render(request, "insights/report.html", context)


@login_required
@require_POST
def report_prepare(request: HttpRequest) -> HttpResponse:
    """Queue the annual report of the chosen place and year (the page's .docx button with
    htmx; without JavaScript the button downloads the report directly, as before)."""
    today = timezone.localdate()
    try:
        try:
            place = Place.parse(request.POST.get("place", "").strip())
        except ValueError as exc:
            raise BadFilter(str(exc)) from None
        year = _year_number(request.POST.get("year", ""), today)
        report_jobs.request_report(request.user, place, year)
    except BadFilter as error:
        return render_bad_filter(request, error)
    if is_partial(request):
        jobs = report_jobs.mine(request.user)[: report_jobs.SHOWN]
        return render(request, "insights/_report_jobs.html", {"jobs": jobs})
    query = urlencode({"place": request.POST.get("place", ""), "year": year})
    return redirect(f"{reverse('dashboard:report')}?{query}")


@login_required
def report_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the user's report jobs, for the page's polling (404 for anyone else's)."""
    job = get_object_or_404(report_jobs.mine(request.user), pk=pk)
    return render(request, "insights/_report_job.html", {"job": job})


@login_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The prepared report's file, for the person who asked for it only."""
    job = get_object_or_404(report_jobs.mine(request.user), pk=pk, status=ReportJob.Status.DONE)
    response = xlsx_response(job.filename, bytes(job.content))
    response["Content-Type"] = DOCX_CONTENT_TYPE
    return response
