"""Reads of the collaboration network, shared by the page, the API and the insights app."""

import datetime as dt
from collections.abc import Sequence
from functools import cached_property

import networkx as nx
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import EVERYWHERE, restrict
from gongzhi.core.places import Place
from gongzhi.network import cache
from gongzhi.network.graph import (
    ALL_NODE_KINDS,
    DEFAULT_WORKS,
    Filters,
    actors_by_key,
    anchored_teams,
    collaboration_graph,
    collect_works,
    edge_rows,
    graph_bounds,
    matter_teams,
    network_metrics,
    node_rows,
    top_keys,
)
from gongzhi.network.models import NetworkSnapshot, NodeKind, WorkKind
from gongzhi.network.rules import network_reach

DEFAULT_DAYS = 365


class NetworkView:
    """One computed network and what the page, the exports and the API read from it, each
    computed once: the metrics (betweenness is the costly part) and the rows of the drawing
    for a given number of best-connected actors. Shared between requests through
    ``cache.remember``: callers read the graph and the lists, never change them."""

    ROW_LIMITS_KEPT = 4

    def __init__(self, graph: nx.Graph):
        self.graph = graph
        self._rows: dict[int | None, tuple[list[dict], list[dict]]] = {}

    @cached_property
    def metrics(self) -> dict:
        return network_metrics(self.graph)

    def rows(self, limit: int | None = None) -> tuple[list[dict], list[dict]]:
        """Node and edge rows of the ``limit`` best-connected actors (all with ``None``)."""
        found = self._rows.get(limit)
        if found is None:
            keep = top_keys(self.graph, limit)
            found = (node_rows(self.graph, keep), edge_rows(self.graph, keep))
            if len(self._rows) < self.ROW_LIMITS_KEPT:
                self._rows[limit] = found
        return found


def network_view(user, filters: Filters) -> NetworkView:
    """The network the user asked for, inside what they may see; computed once per data
    version (see ``gongzhi.network.cache``)."""
    reach = network_reach(user)
    key = ("network", reach, filters, cache.data_version(), cache.generation())
    return cache.remember(key, lambda: NetworkView(collaboration_graph(reach, filters)))


def network_graph(user, filters: Filters) -> nx.Graph:
    """The network the user asked for, inside what they may see."""
    return network_view(user, filters).graph


def isolated_teams(place: Place | None, period) -> list[dict]:
    """Teams anchored in ``place`` that shared no work with anyone during ``period``.

    For the fragmentation diagnostics: ``period`` is anything with ``since`` (a date or
    ``None``) and ``until`` dates; ``place`` is trusted (the caller has already checked it is
    inside the viewer's reach). The teams are those of the place's network: anchored in
    ``place``, or from elsewhere but working there (alone). Membership links do not count: a
    team whose members never work with other actors is isolated. Returns ``{"id", "name",
    "place"}`` dicts by name.

    No graph is built: a team is linked exactly when one of the period's works (default
    kinds, the whole reach) has it and at least one other actor. The matters are asked of the
    database (``matter_teams``: one row a team, whether linked; teams own many matters at
    district scale), the other works a team can take part in are gathered
    (``collect_works(with_team=True)``: the graph's own sources, without the works no team
    shares, the actors from outside, the graph or its metrics).
    """
    start, end = graph_bounds(Filters(until=period.until, since=period.since))
    works = collect_works(
        EVERYWHERE, place, DEFAULT_WORKS - {WorkKind.MATTER}, start, end, with_team=True
    )
    by_matter = matter_teams(EVERYWHERE, place, start, end)
    linked = {key for work in works.values() if len(work.actors) > 1 for key in work.actors}
    linked |= {key for key, has_other in by_matter.items() if has_other}
    present = {key for work in works.values() for key in work.actors} | by_matter.keys()
    teams = {team.key: team for team in anchored_teams(place)}
    # A team from elsewhere that worked here alone is a node of the place's network too.
    alone = present - linked - teams.keys()
    teams.update(actors_by_key(key for key in alone if key.startswith(f"{NodeKind.TEAM.value}:")))
    found = [
        {"id": team.pk, "name": team.name, "place": team.place}
        for team in teams.values()
        if team.key not in linked
    ]
    return sorted(found, key=lambda team: (team["name"], team["id"]))


def snapshot_list(
    user, *, place: Place | None = None, since: dt.date | None = None
) -> QuerySet[NetworkSnapshot]:
    """Monthly snapshots inside the user's reach: the compound rows for a compound, otherwise
    the community rows (community or subdistrict scope)."""
    qs = restrict(
        NetworkSnapshot.objects.select_related("community", "compound"), network_reach(user)
    )
    if place is not None and place.level == "compound":
        qs = qs.filter(compound_id=place.id)
    else:
        qs = qs.filter(compound__isnull=True)
        if place is not None and place.level == "community":
            qs = qs.filter(community_id=place.id)
        elif place is not None and place.level == "subdistrict":
            qs = qs.filter(community__subdistrict_id=place.id)
        elif place is not None:
            return qs.none()
    if since is not None:
        qs = qs.filter(month__gte=since)
    return qs.order_by("month", "community_id")


class BadNetworkFilter(ValueError):
    """A filter the network cannot use; the message is translated and shown as is."""


def _choices(values: list[str], allowed, default: frozenset[str], name: str) -> frozenset[str]:
    chosen = {part.strip() for value in values for part in value.split(",") if part.strip()}
    if not chosen:
        return default
    unknown = sorted(chosen - set(allowed.values))
    if unknown:
        raise BadNetworkFilter(
            _("Unknown value %(value)s for %(name)s") % {"value": unknown[0], "name": name}
        )
    return frozenset(chosen)


def _date(text: str | None, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadNetworkFilter(
            _("Write %(name)s as YYYY-MM-DD, not %(value)s") % {"name": name, "value": text}
        ) from None


def network_filters(
    *,
    today: dt.date,
    place: str | None = None,
    since: str | None = None,
    until: str | None = None,
    works: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> Filters:
    """The filters of a request, shared by the page and the API. Without dates: the twelve
    months up to ``today``; a bad value raises ``BadNetworkFilter``."""
    try:
        where = Place.parse((place or "").strip())
    except ValueError as exc:
        raise BadNetworkFilter(str(exc)) from None
    end = _date(until, "until") or today
    start = _date(since, "since") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadNetworkFilter(_("The period must start before it ends."))
    return Filters(
        until=end,
        since=start,
        place=where,
        works=_choices(list(works), WorkKind, DEFAULT_WORKS, "works"),
        kinds=_choices(list(kinds), NodeKind, ALL_NODE_KINDS, "kind"),
    )
