"""The overview's matter figures (registered in ``core.overview.SECTIONS`` by
``MattersConfig.ready``)."""

from django.db.models import Count, Q
from django.utils import timezone

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.matters.models import Channel, Matter, Status, Tier
from gongzhi.matters.rates import rate_counts, rates_from_counts


def matters_section(place: Place | None) -> dict:
    """Matters by status, tier and channel, and the three rates, in one aggregate query.

    The rates are over all the place's matters, from the same counts and formula as
    ``matters.rates.three_rates`` (the matters dashboard), so the two agree; the medians that
    ``three_rates`` also computes are not part of the overview (they read every matter).
    """
    groups = {"by_status": ("status", Status), "by_tier": ("tier", Tier)}
    groups["by_channel"] = ("channel", Channel)
    aggregates = {"total": Count("id"), **rate_counts(timezone.now(), prefix="rate_")}
    for group, (field, choices) in groups.items():
        for value in choices.values:
            aggregates[f"{group}:{value}"] = Count("id", filter=Q(**{field: value}))
    counts = narrow(Matter.objects.all(), place).aggregate(**aggregates)
    rates = rates_from_counts(
        {key.removeprefix("rate_"): n for key, n in counts.items() if key.startswith("rate_")}
    )
    return {
        "matters": {
            "total": counts["total"],
            **{
                group: {value: counts[f"{group}:{value}"] for value in choices.values}
                for group, (_field, choices) in groups.items()
            },
            "rates": {
                key: rates[key] for key in ("response", "resolution", "satisfaction", "composite")
            },
        }
    }
