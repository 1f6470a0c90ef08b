"""The overview's matter figures (registered in ``core.overview.SECTIONS`` by
``MattersConfig.ready``)."""

from django.db.models import Count, Q
from django.utils import timezone

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.matters.models import Channel, Matter, Status, Tier
from gongzhi.matters.rates import rate_counts, rates_from_counts

# The section's breakdowns: key → (the matter's field, its choices).
GROUPS = {
    "by_status": ("status", Status),
    "by_tier": ("tier", Tier),
    "by_channel": ("channel", Channel),
}


def matters_section(place: Place | None) -> dict:
    """Matters by status, tier and channel, and the three rates, in one aggregate query.

    The rates are over all the place's matters, from the same counts and formula as
    ``matters.rates.three_rates`` (the matters dashboard), so the two agree; the medians that
    ``three_rates`` also computes are not part of the overview (they read every matter).
    """
    aggregates = {"total": Count("id"), **rate_counts(timezone.now(), prefix="rate_")}
    for group, (field, choices) in GROUPS.items():
        for value in choices.values:
            aggregates[f"{group}:{value}"] = Count("id", filter=Q(**{field: value}))
    counts = narrow(Matter.objects.all(), place).aggregate(**aggregates)
    return section_of(
        counts["total"],
        {
            group: {value: counts[f"{group}:{value}"] for value in choices.values}
            for group, (_field, choices) in GROUPS.items()
        },
        {key.removeprefix("rate_"): n for key, n in counts.items() if key.startswith("rate_")},
    )


def section_of(total: int, groups: dict[str, dict], rate_counts: dict) -> dict:
    """The section from its counts: ``groups`` keyed like ``GROUPS`` (value → matters),
    ``rate_counts`` named as in ``rates.rate_counts``. Shared by ``matters_section`` and the
    insight dashboard, which reads the same counts from its rollup rows."""
    rates = rates_from_counts(rate_counts)
    return {
        "matters": {
            "total": total,
            **groups,
            "rates": {
                key: rates[key] for key in ("response", "resolution", "satisfaction", "composite")
            },
        }
    }
