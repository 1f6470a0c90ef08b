"""The matters dashboard: the three rates, times to acknowledge and close, and charts.

Staff, officials and grid workers choose a place and a period. Figures come from aggregate
queries over ``selectors.matter_list`` (so scope is the same as the matters list), and every
number links to that list with the same filters. Chart options are built here as JSON;
``gongzhi/charts.js`` draws them with ECharts.

For a whole subdistrict or all data, seen by someone who sees every matter there (an official,
a superuser), every figure is a sum of the ``MatterPlaceDay`` rollup rows (one per compound and
day), as of the last ``gongzhi rollup`` run (the page says so): at district scale (2 M matters
a year) reading the matters took seconds. That is the rates, the counts by category, tier,
channel and status, the satisfaction sources, the monthly trend, the rates per compound, and
the median times, which are read from the rollup's hour buckets
(``insights.buckets.median_from_buckets``: exact to the bucket, interpolated within it). For
smaller places and other users the figures are computed from the matters, the medians exactly
(PostgreSQL's ``percentile_cont``).

The page is in insights, not matters, because it reads the insights rollup and the hotline's
figures (apps above matters); ``gongzhi/urls.py`` routes it as ``matters:dashboard``.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import (
    directory_reach,
    is_staff_like,
    narrow,
    profile_of,
    registry_reach,
    restrict,
)
from gongzhi.core.charts import link_points
from gongzhi.core.places import Place
from gongzhi.core.replica import reading_from_replica
from gongzhi.hotline.selectors import satisfaction_sources
from gongzhi.insights.buckets import median_from_buckets
from gongzhi.insights.models import (
    RATING_SOURCES,
    TIME_BUCKET_EDGES,
    MatterPlaceDay,
    RollupState,
)
from gongzhi.listing.pages import BadFilter, place_options, place_param, render_bad_filter
from gongzhi.matters import selectors
from gongzhi.matters.models import Category, Channel, Satisfaction, Status, Tier
from gongzhi.matters.rates import (
    rate_settings,
    rates_from_counts,
    three_rates,
)
from gongzhi.places.models import Compound

MATTERS_LIST = "/matters/"
TREND_MONTHS = 12

PERIODS = {
    "month": gettext_lazy("This month"),
    "30d": gettext_lazy("Last 30 days"),
    "year": gettext_lazy("This year"),
    "custom": gettext_lazy("Custom"),
}


@dataclass(frozen=True)
class Period:
    key: str
    since: dt.date
    until: dt.date


def period_param(request: HttpRequest, today: dt.date) -> Period:
    key = request.GET.get("period", "").strip() or "month"
    if key == "month":
        return Period(key, today.replace(day=1), today)
    if key == "30d":
        return Period(key, today - dt.timedelta(days=29), today)
    if key == "year":
        return Period(key, today.replace(month=1, day=1), today)
    if key != "custom":
        raise BadFilter(_("Unknown period %(period)s") % {"period": key})
    try:
        since = dt.date.fromisoformat(request.GET.get("since", "").strip())
        until = dt.date.fromisoformat(request.GET.get("until", "").strip())
    except ValueError:
        raise BadFilter(_("Give both days of a custom period as YYYY-MM-DD.")) from None
    if since > until:
        raise BadFilter(_("The period must start before it ends."))
    return Period(key, since, until)


def _months(until: dt.date) -> list[dt.date]:
    """The first days of the ``TREND_MONTHS`` months ending with the month of ``until``."""
    index = until.year * 12 + until.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - TREND_MONTHS + 1, index + 1)]


class Links:
    """URLs of the matters list with the dashboard's place and period plus one filter."""

    def __init__(self, place: Place | None, period: Period):
        self.base = {"since": period.since.isoformat(), "until": period.until.isoformat()}
        if place:
            self.base["place"] = str(place)

    def __call__(self, **extra) -> str:
        return f"{MATTERS_LIST}?{urlencode({**self.base, **extra})}"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _breakdown(counts: dict, choices, field: str, links: Links) -> list[dict]:
    """Rows (label, count, link) in the order of ``choices``, without the empty ones."""
    return [
        {
            "value": value,
            "label": str(label),
            "count": counts[value],
            "link": links(**{field: value}),
        }
        for value, label in choices
        if counts.get(value)
    ]


def _bar(rows: list[dict], name: str) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 20},
        "xAxis": {
            "type": "category",
            "data": [row["label"] for row in rows],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "name": name, "data": [row["count"] for row in rows]}],
    }


def _pie(rows: list[dict], name: str) -> dict:
    return {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "pie",
                "name": name,
                "radius": ["35%", "65%"],
                "data": [{"name": row["label"], "value": row["count"]} for row in rows],
            }
        ],
    }


def _chart(chart_id: str, title: str, option: dict, rows: list[dict]) -> dict:
    """One chart: its ECharts option, each point carrying the list behind it (a click opens
    it), and its rows for the numbers table."""
    links = {row["label"]: row["link"] for row in rows if "link" in row}
    return {"id": chart_id, "title": title, "option": link_points(option, links), "rows": rows}


def _month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _live_trend(matters: QuerySet, months: list[dt.date]) -> dict[dt.date, tuple[int, int]]:
    """{first day of a month: (submitted in it, of them closed now)}, one grouped query."""
    tz = timezone.get_current_timezone()
    rows = (
        matters.filter(created_at__gte=selectors.day_start(months[0]))
        .order_by()
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values("month")
        .annotate(s=Count("pk"), c=Count("pk", filter=Q(status=Status.CLOSED)))
        .values_list("month", "s", "c")
    )
    return {_as_date(month): (s, c) for month, s, c in rows}


def _rolled_trend(rows: QuerySet, months: list[dt.date], until: dt.date) -> dict:
    """The same from ``MatterDay`` (``closed`` counts the closed matters of a submission day)."""
    per_month = (
        rows.filter(day__gte=months[0], day__lte=until)
        .annotate(month=TruncMonth("day"))
        .order_by()
        .values_list("month")
        .annotate(s=Sum("submitted"), c=Sum("closed"))
    )
    return {_as_date(month): (s or 0, c or 0) for month, s, c in per_month}


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _trend_chart(per_month: dict, months: list[dt.date], links: Links) -> dict:
    labels = [month.strftime("%Y-%m") for month in months]
    submitted = [per_month.get(month, (0, 0))[0] for month in months]
    closed = [per_month.get(month, (0, 0))[1] for month in months]
    submitted_name, closed_name = _("Submitted"), _("Closed")
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [submitted_name, closed_name]},
        "grid": {"left": 40, "right": 10, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"type": "line", "name": submitted_name, "data": submitted},
            {"type": "line", "name": closed_name, "data": closed},
        ],
    }
    # A month's point opens the matters submitted in that month (the place kept).
    rows = [
        {
            "label": label,
            "submitted": s,
            "closed": c,
            "link": links(since=month.isoformat(), until=_month_end(month).isoformat()),
        }
        for label, month, s, c in zip(labels, months, submitted, closed, strict=True)
    ]
    return _chart(
        "chart-trend", _("Submitted per month, and how many of them are closed"), option, rows
    )


def _rolled_by_compound(rows: QuerySet, compounds: QuerySet) -> list[tuple[Compound, dict]]:
    """``selectors.rates_by_compound`` from ``MatterDay`` rows."""
    fields = ("valid", "ack_due", "ack_on_time", "resolved", "rated", "satisfied", "basic")
    grouped = (
        rows.exclude(compound=None)
        .order_by()
        .values("compound")
        .annotate(**{f"n_{name}": Sum(name) for name in fields})
    )
    counts = {row["compound"]: {name: row[f"n_{name}"] for name in fields} for row in grouped}
    return [
        (compound, {**rates_from_counts(counts[compound.pk]), "counts": counts[compound.pk]})
        for compound in compounds.filter(pk__in=list(counts)).order_by("community_id", "name")
    ]


def _compound_chart(per_compound: list[tuple[Compound, dict]], links: Links) -> dict:
    rows = [
        {
            "label": compound.name,
            "link": links(place=f"compound:{compound.pk}"),
            "response": _percent(rates["response"]),
            "resolution": _percent(rates["resolution"]),
            "satisfaction": _percent(rates["satisfaction"]),
            "composite": _percent(rates["composite"]),
            "count": rates["counts"]["valid"],
        }
        for compound, rates in per_compound
    ]
    names = {
        "response": _("Response rate"),
        "resolution": _("Resolution rate"),
        "satisfaction": _("Satisfaction rate"),
    }
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": list(names.values())},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 40},
        "xAxis": {
            "type": "category",
            "data": [compound.name for compound, _rates in per_compound],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "type": "bar",
                "name": name,
                "data": [
                    None if rates[key] is None else round(rates[key] * 100, 1)
                    for _compound, rates in per_compound
                ],
            }
            for key, name in names.items()
        ],
    }
    return _chart("chart-compounds", _("Rates per compound"), option, rows)


def _satisfaction_sources(counts: dict[str, dict[str, int]]) -> list[dict]:
    """满意度来源: the ratings in the rates, from residents' own feedback and from the 12345
    callback (回访), side by side. The matters list has no satisfaction filter: plain numbers."""
    names = {"resident": _("Residents' own feedback"), "hotline": _("12345 callback")}
    return [
        {
            "label": name,
            "counts": [(str(label), counts[key][value]) for value, label in Satisfaction.choices],
        }
        for key, name in names.items()
    ]


def _rolled_rows(user, place: Place | None) -> tuple[QuerySet | None, dt.datetime | None]:
    """The ``MatterPlaceDay`` rows of the dashboard's scope and the rollup's time, when the
    page reads its figures from them: all data or a whole subdistrict, for a user who sees
    every matter there (staff and grid workers also see matters they own elsewhere, so their
    figures are never rollup sums). Else (None, None)."""
    profile = profile_of(user)
    official = profile is not None and profile.role == UserRole.SUBDISTRICT_OFFICIAL
    if not (user.is_superuser or official):
        return None, None
    reach = registry_reach(user)
    scope = place or reach.place
    if scope is not None and scope.level != "subdistrict":
        return None, None
    ran_at = RollupState.objects.filter(name="matters").values_list("ran_at", flat=True).first()
    if ran_at is None:
        return None, None
    return narrow(restrict(MatterPlaceDay.objects.all(), reach), place), ran_at


RATE_FIELDS = ("submitted", "valid", "ack_due", "ack_on_time", "resolved", "rated", "satisfied")
BREAKDOWNS = {"category": Category, "tier": Tier, "channel": Channel, "status": Status}
BUCKETS = range(len(TIME_BUCKET_EDGES) + 1)


def _live_counts(matters: QuerySet) -> dict:
    """The rates and medians, the counts by category, tier, channel and status and the
    satisfaction sources of the period, from its matters."""
    return {
        "rates": three_rates(matters),
        **{field: selectors.count_by(matters, field) for field in BREAKDOWNS},
        "sources": satisfaction_sources(matters),
    }


def _rolled_counts(rows: QuerySet, period: Period) -> dict:
    """The same from the period's ``MatterPlaceDay`` rows, in one aggregate; the medians
    from the hour buckets."""
    names = [*RATE_FIELDS, "basic"]
    names += [
        f"{field}_{value}" for field, choices in BREAKDOWNS.items() for value in choices.values
    ]
    names += [
        f"rating_{source}_{value}" for source in RATING_SOURCES for value in Satisfaction.values
    ]
    names += [f"{measure}_b{i}" for measure in ("ack", "close") for i in BUCKETS]
    in_period = rows.filter(day__gte=period.since, day__lte=period.until)
    sums = {k: v or 0 for k, v in in_period.aggregate(**{n: Sum(n) for n in names}).items()}
    counts = {name: sums[name] for name in (*RATE_FIELDS, "basic")}
    rates = {
        **rates_from_counts(counts),
        "counts": counts,
        "median_hours_to_acknowledge": median_from_buckets([sums[f"ack_b{i}"] for i in BUCKETS]),
        "median_hours_to_close": median_from_buckets([sums[f"close_b{i}"] for i in BUCKETS]),
    }
    return {
        "rates": rates,
        **{
            field: {value: sums[f"{field}_{value}"] for value in choices.values}
            for field, choices in BREAKDOWNS.items()
        },
        "sources": {
            source: {value: sums[f"rating_{source}_{value}"] for value in Satisfaction.values}
            for source in RATING_SOURCES
        },
    }


@login_required
@reading_from_replica()
def dashboard(request: HttpRequest) -> HttpResponse:
    if not is_staff_like(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        place = place_param(request)
        period = period_param(request, today)
    except BadFilter as error:
        return render_bad_filter(request, error)
    matters = selectors.matter_list(
        request.user, place=place, since=period.since, until=period.until
    )
    links = Links(place, period)
    rows, as_of = _rolled_rows(request.user, place)
    counted = _live_counts(matters) if rows is None else _rolled_counts(rows, period)
    rates = counted["rates"]
    by_status = _breakdown(counted["status"], Status.choices, "status", links)
    by_category = _breakdown(counted["category"], Category.choices, "category", links)
    by_tier = _breakdown(counted["tier"], Tier.choices, "tier", links)
    by_channel = _breakdown(counted["channel"], Channel.choices, "channel", links)
    # The trend looks back a year from the end of the period, whatever its start.
    months = _months(period.until)
    compounds = restrict(
        Compound.objects.select_related("community"), directory_reach(request.user)
    )
    if rows is None:
        trend_scope = selectors.matter_list(request.user, place=place, until=period.until)
        per_month = _live_trend(trend_scope, months)
        per_compound = selectors.rates_by_compound(matters, compounds)
    else:
        per_month = _rolled_trend(rows, months, period.until)
        in_period = rows.filter(day__gte=period.since, day__lte=period.until)
        per_compound = _rolled_by_compound(in_period, compounds)
    counts = rates["counts"]
    context = {
        "periods": list(PERIODS.items()),
        "period": period,
        "as_of": as_of,
        "place_groups": place_options(request.user),
        "rates": [
            {
                "label": _("Response rate"),
                "value": _percent(rates["response"]),
                "detail": _("%(on_time)d of %(due)d acknowledged in time")
                % {"on_time": counts["ack_on_time"], "due": counts["ack_due"]},
                "link": links(),
            },
            {
                "label": _("Resolution rate"),
                "value": _percent(rates["resolution"]),
                "detail": _("%(resolved)d of %(valid)d resolved")
                % {"resolved": counts["resolved"], "valid": counts["valid"]},
                "link": links(status="resolved"),
            },
            {
                "label": _("Satisfaction rate"),
                "value": _percent(rates["satisfaction"]),
                "detail": _("%(rated)d rated: %(satisfied)d satisfied, %(basic)d basically")
                % counts,
                "link": links(status=Status.CLOSED),
            },
            {
                "label": _("Composite"),
                "value": _percent(rates["composite"]),
                "detail": _(
                    "%(response)g × response + %(resolution)g × resolution + "
                    "%(satisfaction)g × satisfaction"
                )
                % rate_settings()["composite"],
                "link": links(),
            },
        ],
        "times": [
            {
                "label": _("Median hours to acknowledge"),
                "value": rates["median_hours_to_acknowledge"],
            },
            {"label": _("Median hours to close"), "value": rates["median_hours_to_close"]},
        ],
        "total": {"count": sum(row["count"] for row in by_status), "link": links()},
        "satisfaction_sources": _satisfaction_sources(counted["sources"]),
        "by_status": by_status,
        "charts": [
            _chart(
                "chart-category", _("By category"), _bar(by_category, _("Matters")), by_category
            ),
            _chart("chart-tier", _("By tier"), _pie(by_tier, _("Matters")), by_tier),
            _chart("chart-channel", _("By channel"), _pie(by_channel, _("Matters")), by_channel),
            _chart("chart-status", _("By status"), _bar(by_status, _("Matters")), by_status),
            _trend_chart(per_month, months, links),
            _compound_chart(per_compound, links),
        ],
    }
    return render(request, "matters/dashboard.html", context)
