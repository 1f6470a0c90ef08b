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
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from gongzhi.accounts.scope import EVERYWHERE
from gongzhi.core.places import Place
from gongzhi.network.graph import (
    DEFAULT_WORKS,
    Actor,
    Filters,
    actor_directory,
    actors_by_place,
    build_graph,
    collaboration_graph,
    collect_works,
    graph_bounds,
    network_metrics,
    works_by_place,
)
from gongzhi.network.models import NetworkSnapshot
from gongzhi.places.models import Community, Compound

BACKFILL_MONTHS = 12
SNAPSHOT_FIELDS = (
    "nodes",
    "edges",
    "density",
    "components",
    "largest_share",
    "cross_circle_share",
    "cross_kind_share",
    "isolated_teams",
    "brokers",
    "computed_at",
)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def months_back(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months ending with the month of ``today``, oldest first."""
    index = today.year * 12 + today.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _values(graph, now) -> dict:
    metrics = network_metrics(graph)
    return {
        "nodes": metrics["nodes"],
        "edges": metrics["edges"],
        "density": metrics["density"],
        "components": metrics["components"],
        "largest_share": metrics["largest_share"],
        "cross_circle_share": metrics["cross_circle_share"],
        "cross_kind_share": metrics["cross_kind_share"],
        "isolated_teams": len(metrics["isolated_teams"]),
        "brokers": metrics["brokers"],
        "computed_at": now,
    }


def _place(community: Community, compound: Compound | None) -> Place:
    return Place("compound", compound.pk) if compound else Place("community", community.pk)


@transaction.atomic
def network_snapshot_refresh(
    *, month: dt.date, community: Community, compound: Compound | None = None, now=None
) -> NetworkSnapshot:
    """Compute and store the network metrics of one month in a community or compound (the
    direct way: the scope's own queries; ``snapshot_month`` does every scope at once)."""
    since, until = month_bounds(month)
    filters = Filters(until=until, since=since, place=_place(community, compound))
    values = _values(collaboration_graph(EVERYWHERE, filters), now or timezone.now())
    snapshot, _created = NetworkSnapshot.objects.update_or_create(
        month=since, community=community, compound=compound, defaults=values
    )
    return snapshot


Scope = tuple[Community, Compound | None]


@dataclass(frozen=True)
class Actors:
    """Every actor by key, and the anchored ones by community and compound."""

    every: dict[str, Actor]
    anchored: dict[Place, list[Actor]]


def read_actors() -> Actors:
    """All actors, read once for a whole run (3 queries), split by place."""
    every = actor_directory()
    return Actors(every, actors_by_place(every.values()))


def all_scopes() -> list[Scope]:
    """Every community (compound empty) and every compound with its community."""
    scopes: list[Scope] = [(community, None) for community in Community.objects.all()]
    scopes += [(c.community, c) for c in Compound.objects.select_related("community")]
    return scopes


def _same(snapshot: NetworkSnapshot, values: dict) -> bool:
    return all(
        getattr(snapshot, name) == value for name, value in values.items() if name != "computed_at"
    )


@transaction.atomic
def snapshot_month(
    *, month: dt.date, scopes: list[Scope], now: dt.datetime, actors: Actors | None = None
) -> dict[str, int]:
    """Compute and store one month's metrics for ``scopes`` from one gathering of the works of
    all places (one or two queries a kind of work), split by community and compound in
    Python — the same graphs as ``network_snapshot_refresh`` scope by scope, without its
    queries per scope. Rows whose metrics did not change only get a new ``computed_at``.
    ``actors`` (``read_actors()``) may be passed in when several months are done."""
    since, until = month_bounds(month)
    start, end = graph_bounds(Filters(until=until, since=since))
    actors = read_actors() if actors is None else actors
    works = works_by_place(collect_works(EVERYWHERE, None, DEFAULT_WORKS, start, end).values())
    stored = {
        (row.community_id, row.compound_id): row
        for row in NetworkSnapshot.objects.filter(month=since)
    }
    new, changed, unchanged = [], [], []
    for community, compound in scopes:
        place = _place(community, compound)
        graph = build_graph(
            actors.anchored.get(place, []), works.get(place, []), actors.every, until=until
        )
        values = _values(graph, now)
        row = stored.get((community.pk, compound.pk if compound else None))
        if row is None:
            new.append(
                NetworkSnapshot(month=since, community=community, compound=compound, **values)
            )
        elif _same(row, values):
            unchanged.append(row.pk)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            changed.append(row)
    NetworkSnapshot.objects.bulk_create(new)
    NetworkSnapshot.objects.bulk_update(changed, list(SNAPSHOT_FIELDS), batch_size=500)
    NetworkSnapshot.objects.filter(pk__in=unchanged).update(computed_at=now)
    return {"computed": len(scopes), "written": len(new) + len(changed)}


def snapshot_step(
    *, now: dt.datetime, since: dt.date | None = None, full: bool = False
) -> dict[str, int]:
    """A step of ``gongzhi rollup``: backfill the months of the last year that have no row,
    refresh the current and previous month; ``full`` recomputes the whole year and ``since``
    every month from that day's month on.

    Each month to do is one ``snapshot_month`` (one set of queries for all its scopes), and
    the actors are read once for the whole run. Counts: ``network_snapshots`` month × scope
    rows computed, ``network_snapshots_changed`` those created or whose metrics changed."""
    today = timezone.localdate(now)
    months = months_back(today, BACKFILL_MONTHS)
    if since is not None:
        index = (today.year - since.year) * 12 + today.month - since.month + 1
        months = months_back(today, max(index, 1))
    redo = set(months) if full or since is not None else set(months[-2:])
    scopes = all_scopes()
    existing = set(
        NetworkSnapshot.objects.filter(month__gte=months[0]).values_list(
            "month", "community_id", "compound_id"
        )
    )
    counts = {"network_snapshots": 0, "network_snapshots_changed": 0}
    actors = None
    for month in months:
        todo = [
            (community, compound)
            for community, compound in scopes
            if month in redo
            or (month, community.pk, compound.pk if compound else None) not in existing
        ]
        if not todo:
            continue
        actors = read_actors() if actors is None else actors
        done = snapshot_month(month=month, scopes=todo, now=now, actors=actors)
        counts["network_snapshots"] += done["computed"]
        counts["network_snapshots_changed"] += done["written"]
    return counts
