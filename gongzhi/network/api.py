"""The collaboration network over the API (/api/v1/network): the graph and its metrics.

Both take the same filters as the page: ``place``, ``since``/``until`` (YYYY-MM-DD; default
the twelve months up to today), ``works`` and ``kind`` (comma-separated). Staff, officials
and grid workers only (403 otherwise); a bad filter is a 400 ``bad_filter``.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import PLACE_HELP, ApiError, ErrorOut
from gongzhi.network.rules import can_view_network
from gongzhi.network.selectors import BadNetworkFilter, network_filters, network_view

router = Router(tags=["network"])
REFUSED = {400: ErrorOut, 403: ErrorOut}


class NetworkFiltersIn(Schema):
    place: str | None = Field(None, description=PLACE_HELP)
    since: str | None = Field(None, description="First day, YYYY-MM-DD")
    until: str | None = Field(None, description="Last day, YYYY-MM-DD (default today)")
    works: str | None = Field(
        None, description="matter, meeting, project, mediation, membership (comma-separated)"
    )
    kind: str | None = Field(
        None, description="partner, team, organisation (comma-separated; default all)"
    )


class GraphIn(NetworkFiltersIn):
    limit: int | None = Field(
        None, ge=1, le=100_000, description="Only the best-connected nodes (default all)"
    )


class NodeOut(Schema):
    key: str = Field(description="kind:id, e.g. partner:12")
    kind: str
    id: int
    name: str
    circle: str = Field(description="neighbour, construction or team; empty for organisations")
    subkind: str = Field(description="partner kind, team kind or organisation kind")
    place: str
    degree: int
    strength: float = Field(description="sum of the weights of the node's links")


class EdgeOut(Schema):
    source: str
    target: str
    weight: float = Field(description="Σ exp(−age/180 days) over the shared works")
    count: int
    kinds: list[str]
    last: dt.date | None


class BrokerOut(Schema):
    key: str
    name: str
    kind: str
    betweenness: float
    degree: int


class MetricsOut(Schema):
    since: dt.date
    until: dt.date
    nodes: int
    edges: int
    density: float
    components: int
    largest_share: float
    cross_circle_share: float | None
    cross_kind_share: float | None
    isolated_teams: list[str]
    brokers: list[BrokerOut]
    sampled: bool = Field(description="Betweenness estimated from a sample of nodes")


class GraphOut(Schema):
    nodes: list[NodeOut]
    edges: list[EdgeOut]
    total_nodes: int


def _graph(request, params: NetworkFiltersIn):
    if not can_view_network(request.user):
        raise ApiError(403, "forbidden", _("Only staff and officials see the network."))
    try:
        filters = network_filters(
            today=timezone.localdate(),
            place=params.place,
            since=params.since,
            until=params.until,
            works=[params.works or ""],
            kinds=[params.kind or ""],
        )
    except BadNetworkFilter as error:
        raise ApiError(400, "bad_filter", str(error)) from None
    return filters, network_view(request.user, filters)


@router.get("/graph", response={200: GraphOut, **REFUSED}, summary="The network's nodes and links")
def graph(request, params: Query[GraphIn]):
    _filters, network = _graph(request, params)
    nodes, edges = network.rows(params.limit)
    return {"nodes": nodes, "edges": edges, "total_nodes": network.graph.number_of_nodes()}


@router.get("/metrics", response={200: MetricsOut, **REFUSED}, summary="The network's metrics")
def metrics(request, params: Query[NetworkFiltersIn]):
    filters, network = _graph(request, params)
    return {"since": filters.since, "until": filters.until, **network.metrics}
