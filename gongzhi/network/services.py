"""Writes of the network app: the monthly snapshots of its metrics.

``network_snapshot_refresh`` computes one month × scope and stores it (update or create, so
running it again changes nothing but ``computed_at``). ``snapshot_step`` is the periodic step:
it fills the months of the last year that have no row yet and always recomputes the current
and the previous month, whose data may still change. It is registered as a step of
``gongzhi rollup`` (``gongzhi.insights.rollup.STEPS``) and also runs alone as
``gongzhi network_snapshot``.
"""

import calendar
import datetime as dt

from django.db import transaction
from django.utils import timezone

from gongzhi.accounts.scope import EVERYWHERE
from gongzhi.core.places import Place
from gongzhi.network.graph import Filters, collaboration_graph, network_metrics
from gongzhi.network.models import NetworkSnapshot
from gongzhi.places.models import Community, Compound

BACKFILL_MONTHS = 12


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def months_back(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months ending with the month of ``today``, oldest first."""
    index = today.year * 12 + today.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


@transaction.atomic
def network_snapshot_refresh(
    *, month: dt.date, community: Community, compound: Compound | None = None, now=None
) -> NetworkSnapshot:
    """Compute and store the network metrics of one month in a community or compound."""
    since, until = month_bounds(month)
    place = Place("compound", compound.pk) if compound else Place("community", community.pk)
    metrics = network_metrics(
        collaboration_graph(EVERYWHERE, Filters(until=until, since=since, place=place))
    )
    values = {
        "nodes": metrics["nodes"],
        "edges": metrics["edges"],
        "density": metrics["density"],
        "components": metrics["components"],
        "largest_share": metrics["largest_share"],
        "cross_circle_share": metrics["cross_circle_share"],
        "cross_kind_share": metrics["cross_kind_share"],
        "isolated_teams": len(metrics["isolated_teams"]),
        "brokers": metrics["brokers"],
        "computed_at": now or timezone.now(),
    }
    snapshot, _created = NetworkSnapshot.objects.update_or_create(
        month=since, community=community, compound=compound, defaults=values
    )
    return snapshot


def snapshot_step(
    *, now: dt.datetime, since: dt.date | None = None, full: bool = False
) -> dict[str, int]:
    """A step of ``gongzhi rollup``: backfill the months of the last year that have no row,
    refresh the current and previous month; ``full`` recomputes the whole year and ``since``
    every month from that day's month on."""
    today = timezone.localdate(now)
    months = months_back(today, BACKFILL_MONTHS)
    if since is not None:
        index = (today.year - since.year) * 12 + today.month - since.month + 1
        months = months_back(today, max(index, 1))
    redo = set(months) if full or since is not None else set(months[-2:])
    scopes = [(community, None) for community in Community.objects.all()]
    scopes += [(c.community, c) for c in Compound.objects.select_related("community")]
    existing = set(
        NetworkSnapshot.objects.filter(month__gte=months[0]).values_list(
            "month", "community_id", "compound_id"
        )
    )
    written = 0
    for community, compound in scopes:
        for month in months:
            key = (month, community.pk, compound.pk if compound else None)
            if month in redo or key not in existing:
                network_snapshot_refresh(
                    month=month, community=community, compound=compound, now=now
                )
                written += 1
    return {"network_snapshots": written}
