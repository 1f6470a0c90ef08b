"""Reads of the collaboration network, shared by the page, the API and the insights app."""

import datetime as dt

import networkx as nx
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import EVERYWHERE, restrict
from gongzhi.core.places import Place
from gongzhi.network.graph import (
    ALL_NODE_KINDS,
    DEFAULT_WORKS,
    Filters,
    collaboration_graph,
    work_isolated,
)
from gongzhi.network.models import NetworkSnapshot, NodeKind, WorkKind
from gongzhi.network.rules import network_reach

DEFAULT_DAYS = 365


def network_graph(user, filters: Filters) -> nx.Graph:
    """The network the user asked for, inside what they may see."""
    return collaboration_graph(network_reach(user), filters)


def isolated_teams(place: Place | None, period) -> list[dict]:
    """Teams anchored in ``place`` that shared no work with anyone during ``period``.

    For the fragmentation diagnostics: ``period`` is anything with ``since`` (a date or
    ``None``) and ``until`` dates; ``place`` is trusted (the caller has already checked it is
    inside the viewer's reach). Membership links do not count: a team whose members never
    work with other actors is isolated. Returns ``{"id", "name", "place"}`` dicts by name.
    """
    graph = collaboration_graph(
        EVERYWHERE,
        Filters(until=period.until, since=period.since, place=place),
    )
    teams = [
        {"id": data["pk"], "name": data["name"], "place": data["place"]}
        for key, data in graph.nodes(data=True)
        if data["kind"] == NodeKind.TEAM and work_isolated(graph, key)
    ]
    return sorted(teams, key=lambda team: (team["name"], team["id"]))


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
    works: list[str] = (),
    kinds: list[str] = (),
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
