"""The collaboration network page: an ECharts force graph, its metrics, brokers and exports.

The graph is built from a fixed number of aggregate queries and the metrics are computed on
all of it, once per data version (``selectors.network_view``: repeat views read them from
memory); only the drawing is cut to the ``SHOW`` best-connected actors unless the user asks for
all (``?all=1``), so the X-community page stays light.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.excel import workbook_bytes, xlsx_response
from gongzhi.core.replica import reading_from_replica
from gongzhi.listing.pages import place_options, require_export
from gongzhi.network.models import NodeKind, WorkKind
from gongzhi.network.rules import can_view_network
from gongzhi.network.selectors import BadNetworkFilter, network_filters, network_view
from gongzhi.partners.models import OrganisationKind, PartnerKind, TeamKind

SHOW = 200
GROUPS = ("neighbour", "construction", "team", "team_group", "organisation")


def _group(row: dict) -> str:
    if row["kind"] == NodeKind.PARTNER:
        return row["circle"]
    return "team_group" if row["kind"] == NodeKind.TEAM else "organisation"


def _group_names() -> dict[str, str]:
    return {
        "neighbour": str(PartnerKind.NEIGHBOUR.label),
        "construction": str(PartnerKind.CONSTRUCTION.label),
        "team": str(PartnerKind.TEAM.label),
        "team_group": _("team"),
        "organisation": _("organisation"),
    }


def subkind_label(row: dict) -> str:
    labels = {
        NodeKind.PARTNER: PartnerKind,
        NodeKind.TEAM: TeamKind,
        NodeKind.ORGANISATION: OrganisationKind,
    }[row["kind"]]
    return str(dict(labels.choices).get(row["subkind"], row["subkind"]))


def graph_option(nodes: list[dict], edges: list[dict]) -> dict:
    """The ECharts option: a force layout, colour by circle or kind, size by degree, line
    width by weight. Built here so that ``charts.js`` only draws it."""
    names = _group_names()
    index = {group: i for i, group in enumerate(GROUPS)}
    top_weight = max((edge["weight"] for edge in edges), default=1) or 1
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"data": [names[group] for group in GROUPS], "top": 0},
        "series": [
            {
                "type": "graph",
                "layout": "force",
                "roam": True,
                "draggable": True,
                "force": {"repulsion": 80, "edgeLength": [20, 120], "gravity": 0.1},
                "emphasis": {"focus": "adjacency"},
                "categories": [{"name": names[group]} for group in GROUPS],
                "data": [
                    {
                        "id": node["key"],
                        "name": node["name"],
                        "value": node["degree"],
                        "category": index[_group(node)],
                        "symbolSize": min(6 + 3 * node["degree"] ** 0.5 * 2, 40),
                    }
                    for node in nodes
                ],
                "links": [
                    {
                        "source": edge["source"],
                        "target": edge["target"],
                        "value": edge["weight"],
                        "lineStyle": {"width": round(0.5 + 4 * edge["weight"] / top_weight, 2)},
                    }
                    for edge in edges
                ],
                "lineStyle": {"color": "source", "opacity": 0.5, "curveness": 0.1},
            }
        ],
    }


def _export(table: str, nodes: list[dict], edges: list[dict]) -> HttpResponse:
    names = {row["key"]: row["name"] for row in nodes}
    work_names = dict(WorkKind.choices)
    if table == "edges":
        content = workbook_bytes(
            "合作关系",
            ["甲方编号", "甲方", "乙方编号", "乙方", "权重", "共同事务数", "事务类型", "最近日期"],
            [
                [
                    edge["source"],
                    names.get(edge["source"], ""),
                    edge["target"],
                    names.get(edge["target"], ""),
                    edge["weight"],
                    edge["count"],
                    "、".join(str(work_names[kind]) for kind in edge["kinds"]),
                    edge["last"],
                ]
                for edge in edges
            ],
        )
        return xlsx_response("合作关系网-关系.xlsx", content)
    group_names = _group_names()
    content = workbook_bytes(
        "主体",
        ["编号", "名称", "类别", "细分", "位置", "联系数", "加权联系"],
        [
            [
                row["key"],
                row["name"],
                group_names[_group(row)],
                subkind_label(row),
                row["place"],
                row["degree"],
                row["strength"],
            ]
            for row in nodes
        ],
    )
    return xlsx_response("合作关系网-主体.xlsx", content)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _figures(metrics: dict) -> list[tuple[str, object, str]]:
    """Each figure with one plain sentence for officials: what it means for the community and
    which way is good (网络密度 0.0051 alone tells them nothing)."""
    return [
        (
            _("Actors"),
            metrics["nodes"],
            _("Partners, teams and organisations counted in the network."),
        ),
        (
            _("Links"),
            metrics["edges"],
            _(
                "Pairs of actors who did at least one thing together (a matter, a meeting, "
                "a project…); more means more working together."
            ),
        ),
        (
            _("Density"),
            _percent(metrics["density"]) if metrics["density"] else "0",
            _(
                "Of all the pairs who could work together, the share who actually did. It is "
                "always small when there are many actors; what matters is that it rises."
            ),
        ),
        (
            _("Components"),
            metrics["components"],
            _(
                "Groups with no working link to each other; an actor who worked with nobody "
                "counts as one. Fewer is better: the community works as one network."
            ),
        ),
        (
            _("Share in the largest component"),
            _percent(metrics["largest_share"]),
            _(
                "How many actors belong to the biggest connected group. Near 100% means "
                "almost everyone can reach everyone through people they work with."
            ),
        ),
        (
            _("Links across circles"),
            _percent(metrics["cross_circle_share"]),
            _(
                "Share of links between the neighbourhood, living and service circles. "
                "Higher means the three circles work together, not side by side."
            ),
        ),
        (
            _("Links across kinds of actor"),
            _percent(metrics["cross_kind_share"]),
            _(
                "Share of links between different kinds of actor, such as party members "
                "with the property company. Higher means fewer silos."
            ),
        ),
        (
            _("Isolated teams"),
            len(metrics["isolated_teams"]),
            _(
                "Teams that did nothing with anyone outside the team in this period. "
                "The goal is none; each one is a team to bring in."
            ),
        ),
    ]


@login_required
@reading_from_replica()
def graph_page(request: HttpRequest) -> HttpResponse:
    if not can_view_network(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    period = request.GET.get("period", "").strip() or "year"
    since, until = request.GET.get("since"), request.GET.get("until")
    try:
        if period == "month":
            since, until = today.replace(day=1).isoformat(), today.isoformat()
        elif period == "year":
            since = until = None
        elif period != "custom":
            raise BadNetworkFilter(_("Unknown period %(period)s") % {"period": period})
        filters = network_filters(
            today=today,
            place=request.GET.get("place"),
            since=since,
            until=until,
            works=request.GET.getlist("works"),
            kinds=request.GET.getlist("kind"),
        )
    except BadNetworkFilter as error:
        return render(request, "gongzhi/bad_filter.html", {"message": str(error)}, status=400)
    network = network_view(request.user, filters)
    if request.GET.get("format") == "xlsx":
        require_export(request.user)
        return _export(request.GET.get("table", "nodes"), *network.rows(None))
    metrics = network.metrics
    show_all = request.GET.get("all") == "1"
    nodes, edges = network.rows(None if show_all else SHOW)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    context = {
        "filters": filters,
        "period": period,
        "place_groups": place_options(request.user),
        "work_choices": WorkKind.choices,
        "kind_choices": NodeKind.choices,
        "metrics": metrics,
        "figures": _figures(metrics),
        "isolated": [network.graph.nodes[key]["name"] for key in metrics["isolated_teams"]],
        "option": graph_option(nodes, edges),
        "shown": len(nodes),
        "show_all": show_all,
        "truncated": len(nodes) < metrics["nodes"],
        "query": query.urlencode(),
    }
    return render(request, "network/graph.html", context)
