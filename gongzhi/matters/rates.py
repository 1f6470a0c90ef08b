"""The three rates (三率) of the 12345 / 接诉即办 practice, per scope and period.

Definitions (Beijing's exact formulas are not public; these follow the one public analysis we
found and are configurable through ``settings.GONGZHI_RATES``):

* the *valid* matters of a period are those submitted in it, except merged duplicates and
  withdrawn matters (nobody to answer) — referred and rejected ones stay: they were answered;
* **response rate 响应率** = valid matters acknowledged within their acknowledge deadline ÷
  valid matters whose acknowledge deadline has passed or that were acknowledged;
* **resolution rate 解决率** = valid matters done or closed (not referred, not rejected) ÷ valid
  matters;
* **satisfaction rate 满意率** = (satisfied + w × basically satisfied) ÷ rated matters, with
  w = ``basic_weight`` (default 0.9);
* **composite** = Σ weight × rate (default 0.1 response, 0.5 resolution, 0.4 satisfaction).

Rates are fractions 0–1 rounded to 4 places, or None when the denominator is 0. Times are
medians in hours: PostgreSQL computes them (``percentile_cont``, without sending a row),
elsewhere the durations are read and ``statistics.median`` takes the middle — the same
number (the mean of the two middle values for an even count) on both.
"""

import statistics

from django.conf import settings
from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.utils import timezone

from gongzhi.matters.models import Satisfaction, Status

DEFAULT_RATES = {
    "basic_weight": 0.9,
    "composite": {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4},
}


def rate_settings() -> dict:
    configured = settings.GONGZHI_RATES
    return {**DEFAULT_RATES, **configured}


def _ratio(numerator: float, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


class _Median(Aggregate):
    """PostgreSQL's exact median: ``percentile_cont(0.5)`` interpolates between the two middle
    values, as ``statistics.median`` does."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _epoch_seconds(start: str, end: str) -> Func:
    return Func(
        F(end),
        F(start),
        template="EXTRACT(EPOCH FROM (%(expressions)s))",
        arg_joiner=" - ",
        output_field=FloatField(),
    )


def median_hours(matters: QuerySet, start: str, end: str) -> float | None:
    """The median hours from ``start`` to ``end`` over ``matters`` where both are set,
    rounded to 0.1; None when there is none."""
    having = matters.filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
    if connections[matters.db].vendor == "postgresql":
        seconds = having.order_by().aggregate(m=_Median(_epoch_seconds(start, end)))["m"]
        return None if seconds is None else round(seconds / 3600, 1)
    hours = [(b - a).total_seconds() / 3600 for a, b in having.values_list(start, end)]
    return round(statistics.median(hours), 1) if hours else None


# A matter that was merged into another or withdrawn has nobody to answer.
INVALID_STATUSES = (Status.MERGED, Status.WITHDRAWN)
RESOLVED_STATUSES = (Status.DONE, Status.CLOSED)


def valid_q() -> Q:
    """The valid matters of a period (see the module docstring)."""
    return ~Q(status__in=INVALID_STATUSES)


def rate_filters(now) -> dict[str, Q]:
    """The filters, over valid matters, of the counts behind the rates.

    One definition for ``three_rates`` and the insight rollups (``gongzhi.insights``), so a
    rate read from rollup rows equals the rate computed over the matters themselves.
    """
    return {
        "ack_due": Q(acknowledged_at__isnull=False) | Q(ack_due_at__lt=now),
        "ack_on_time": Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("ack_due_at")),
        "resolved": Q(status__in=RESOLVED_STATUSES),
        "rated": ~Q(satisfaction=""),
        "satisfied": Q(satisfaction=Satisfaction.SATISFIED),
        "basic": Q(satisfaction=Satisfaction.BASIC),
        "dissatisfied": Q(satisfaction=Satisfaction.DISSATISFIED),
    }


def rates_from_counts(counts: dict) -> dict:
    """The three rates and the composite from the counts named in ``rate_filters``."""
    conf = rate_settings()
    response = _ratio(counts["ack_on_time"], counts["ack_due"])
    resolution = _ratio(counts["resolved"], counts["valid"])
    satisfaction = _ratio(
        counts["satisfied"] + conf["basic_weight"] * counts["basic"], counts["rated"]
    )
    rates = {"response": response, "resolution": resolution, "satisfaction": satisfaction}
    composite = None
    if all(value is not None for value in rates.values()):
        composite = round(sum(conf["composite"][k] * v for k, v in rates.items()), 4)
    return {**rates, "composite": composite}


def rate_counts(now, prefix: str = "") -> dict:
    """The aggregates (over valid matters) that ``rates_from_counts`` needs, named
    ``prefix + name``: one ``aggregate`` call counts them all, beside other counts."""
    valid = valid_q()
    return {
        f"{prefix}valid": Count("pk", filter=valid),
        **{
            f"{prefix}{name}": Count("pk", filter=valid & q)
            for name, q in rate_filters(now).items()
        },
    }


def three_rates(matters: QuerySet, *, now=None) -> dict:
    """The rates over ``matters`` (already narrowed to a scope and a period)."""
    now = now or timezone.now()
    valid = matters.filter(valid_q())
    counts = valid.aggregate(**rate_counts(now))
    return {
        **rates_from_counts(counts),
        "counts": counts,
        "median_hours_to_acknowledge": median_hours(valid, "created_at", "acknowledged_at"),
        "median_hours_to_close": median_hours(valid, "created_at", "closed_at"),
    }
