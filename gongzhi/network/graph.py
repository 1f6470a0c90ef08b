"""The collaboration network (合作关系网): who works with whom, built from the records.

**Nodes** are partners, teams and organisations. The anchored actors of the scope (active
partners, teams and organisations whose place lies inside it) are always nodes, linked or not,
so that density and the largest component show fragmentation; an actor from outside the scope
(a district department, a partner of another compound) becomes a node when it works on one of
the scope's matters, meetings, projects or cases.

**Edges.** Two actors are linked for each *work* they share:

* ``matter``: both are owners of the same matter (``MatterOwner``, active or bounced);
* ``meeting``: both take part in the same meeting — participants (those who attended, once
  the meeting is closed) and the owners of its action items; cancelled meetings do not count;
* ``project``: the planner of a micro-project, and the partners and organising team or
  organisation of its co-building labour (volunteering activities ``project:<id>``);
* ``mediation``: the mediators of a case and the organisations that are parties to it;
* ``membership`` (off by default): a partner and a team it belongs to. It is kept apart
  because it is structure, not work, and it would inflate density.

A work counts in a period when the actor's part in it falls in the period (owner assigned,
meeting held, project proposed or labour done, case opened, membership begun). The weight of
an edge is ``Σ exp(−age / 180 days)`` over the shared works, where ``age`` is the days from
the work's (latest) date to the end of the period: a link worked on today weighs 1, one from
six months ago about 0.37. Membership edges weigh 1 each.

Every source is one query whose size grows with the data, never with a query per work, so a
page costs the same number of queries however many edges it draws.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx
from django.db.models import Q, QuerySet
from django.utils import timezone

from gongzhi.accounts.scope import Reach, narrow, restrict
from gongzhi.core.places import Place
from gongzhi.matters.models import Matter, MatterOwner
from gongzhi.mediation.models import CaseParty, MediationCase
from gongzhi.meetings.models import ActionItem, Meeting, MeetingStatus, Participant
from gongzhi.network.models import NodeKind, WorkKind
from gongzhi.partners.models import (
    Organisation,
    Partner,
    PartnerStatus,
    Team,
    TeamMembership,
)
from gongzhi.projects.models import Project
from gongzhi.volunteering.models import ActivityKind, RecordStatus, ServiceRecord

RECENCY_DAYS = 180
DEFAULT_WORKS = frozenset({WorkKind.MATTER, WorkKind.MEETING, WorkKind.PROJECT, WorkKind.MEDIATION})
ALL_NODE_KINDS = frozenset(NodeKind.values)
# Exact betweenness costs O(nodes × edges); above this many nodes it is estimated from
# ``BETWEENNESS_SAMPLES`` source nodes (fixed seed, so the same data gives the same brokers).
BETWEENNESS_EXACT_LIMIT = 3000
BETWEENNESS_SAMPLES = 500
TOP_BROKERS = 10
PROJECT_SOURCE = "project:"


@dataclass(frozen=True)
class Filters:
    """What to draw: a place (inside the viewer's reach), a period, work and actor kinds."""

    until: dt.date
    since: dt.date | None = None
    place: Place | None = None
    works: frozenset[str] = DEFAULT_WORKS
    kinds: frozenset[str] = ALL_NODE_KINDS


@dataclass
class Actor:
    key: str
    kind: str
    pk: int
    name: str
    circle: str = ""
    subkind: str = ""
    place: str = ""


@dataclass
class _Work:
    kind: str
    actors: set[str] = field(default_factory=set)
    last: dt.date | None = None


def node_key(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def _day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    return value


def _bounds(filters: Filters) -> tuple[dt.datetime | None, dt.datetime]:
    """The period as [start, end) datetimes in the local time zone."""
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    if filters.since is None:
        return None, end
    return dt.datetime.combine(filters.since, dt.time.min, tzinfo=tz), end


def _in_period(lookup: str, start, end) -> Q:
    q = Q(**{f"{lookup}__lt": end})
    if start is not None:
        q &= Q(**{f"{lookup}__gte": start})
    return q


def _scoped(qs: QuerySet, reach: Reach, place: Place | None) -> QuerySet:
    return restrict(narrow(qs, place), reach)


def _place_label(community_id, compound_id, building_id) -> str:
    if building_id:
        return str(Place("building", building_id))
    if compound_id:
        return str(Place("compound", compound_id))
    return str(Place("community", community_id)) if community_id else ""


# ---- the actors ---------------------------------------------------------------------------

PARTNER_FIELDS = ("id", "name", "kind", "community_id", "compound_id", "building_id")
TEAM_FIELDS = ("id", "name", "kind", "community_id", "compound_id", "building_id")
ORG_FIELDS = ("id", "name", "kind", "community_id", "compound_id")


def _partner(row) -> Actor:
    pk, name, kind, community, compound, building = row
    return Actor(
        node_key(NodeKind.PARTNER, pk),
        NodeKind.PARTNER,
        pk,
        name,
        circle=kind,
        subkind=kind,
        place=_place_label(community, compound, building),
    )


def _team(row) -> Actor:
    pk, name, kind, community, compound, building = row
    # Teams work in the service circle (服务圈), like team partners.
    return Actor(
        node_key(NodeKind.TEAM, pk),
        NodeKind.TEAM,
        pk,
        name,
        circle="team",
        subkind=kind,
        place=_place_label(community, compound, building),
    )


def _organisation(row) -> Actor:
    pk, name, kind, community, compound = row
    return Actor(
        node_key(NodeKind.ORGANISATION, pk),
        NodeKind.ORGANISATION,
        pk,
        name,
        subkind=kind,
        place=_place_label(community, compound, None),
    )


def _prefixed(prefix: str, fields: Iterable[str]) -> list[str]:
    return [f"{prefix}__{name}" for name in fields]


ACTOR_COLUMNS = (
    _prefixed("partner", PARTNER_FIELDS)
    + _prefixed("team", TEAM_FIELDS)
    + _prefixed("organisation", ORG_FIELDS)
)


def _actor_from(columns: tuple) -> Actor | None:
    """The actor of an edge-source row carrying ``ACTOR_COLUMNS`` (any may be empty)."""
    p, t = len(PARTNER_FIELDS), len(TEAM_FIELDS)
    if columns[0] is not None:
        return _partner(columns[:p])
    if columns[p] is not None:
        return _team(columns[p : p + t])
    if columns[p + t] is not None:
        return _organisation(columns[p + t :])
    return None


def anchored_actors(reach: Reach, place: Place | None) -> dict[str, Actor]:
    """The active partners, teams and organisations anchored inside the scope (3 queries)."""
    partners = _scoped(Partner.objects.filter(status=PartnerStatus.ACTIVE), reach, place)
    teams = _scoped(Team.objects.all(), reach, place)
    orgs = _scoped(Organisation.objects.all(), reach, place)
    actors = [_partner(row) for row in partners.values_list(*PARTNER_FIELDS)]
    actors += [_team(row) for row in teams.values_list(*TEAM_FIELDS)]
    actors += [_organisation(row) for row in orgs.values_list(*ORG_FIELDS)]
    return {actor.key: actor for actor in actors}


# ---- the works ----------------------------------------------------------------------------


class _Collector:
    def __init__(self):
        self.works: dict[tuple[str, int], _Work] = {}
        self.actors: dict[str, Actor] = {}

    def add(self, kind: str, work_id: int, actor: Actor | None, when) -> None:
        if actor is None:
            return
        work = self.works.setdefault((kind, work_id), _Work(kind))
        work.actors.add(actor.key)
        self.actors.setdefault(actor.key, actor)
        day = _day(when)
        if work.last is None or day > work.last:
            work.last = day


def _matter_rows(reach, filters, start, end, into: _Collector) -> None:
    matters = _scoped(Matter.objects.all(), reach, filters.place)
    rows = MatterOwner.objects.filter(
        _in_period("assigned_at", start, end), matter__in=matters
    ).values_list("matter_id", "assigned_at", *ACTOR_COLUMNS)
    for matter_id, at, *actor in rows:
        into.add(WorkKind.MATTER, matter_id, _actor_from(tuple(actor)), at)


def _meeting_rows(reach, filters, start, end, into: _Collector) -> None:
    meetings = _scoped(
        Meeting.objects.exclude(status=MeetingStatus.CANCELLED).filter(
            _in_period("starts_at", start, end)
        ),
        reach,
        filters.place,
    )
    took_part = Q(attended=True) | ~Q(meeting__status=MeetingStatus.CLOSED)
    participants = (
        Participant.objects.filter(took_part, meeting__in=meetings)
        .filter(Q(partner__isnull=False) | Q(organisation__isnull=False))
        .values_list(
            "meeting_id",
            "meeting__starts_at",
            *_prefixed("partner", PARTNER_FIELDS),
            *_prefixed("organisation", ORG_FIELDS),
        )
    )
    width = len(PARTNER_FIELDS)
    for meeting_id, at, *columns in participants:
        actor = (
            _partner(columns[:width]) if columns[0] is not None else _organisation(columns[width:])
        )
        into.add(WorkKind.MEETING, meeting_id, actor, at)
    actions = ActionItem.objects.filter(decision__item__meeting__in=meetings).values_list(
        "decision__item__meeting_id", "decision__item__meeting__starts_at", *ACTOR_COLUMNS
    )
    for meeting_id, at, *actor in actions:
        into.add(WorkKind.MEETING, meeting_id, _actor_from(tuple(actor)), at)


def _project_rows(reach, filters, start, end, into: _Collector) -> None:
    projects = _scoped(Project.objects.all(), reach, filters.place)
    planners = projects.filter(
        _in_period("proposed_at", start, end), planner__isnull=False
    ).values_list("id", "proposed_at", *_prefixed("planner", PARTNER_FIELDS))
    for project_id, at, *planner in planners:
        into.add(WorkKind.PROJECT, project_id, _partner(planner), at)
    # Co-building labour is recorded as volunteering activities named "project:<id>"; the
    # project's own scope decides, so the ids are checked against the scoped projects.
    records = restrict(
        ServiceRecord.objects.filter(
            _in_period("activity__date", start.date() if start else None, end.date()),
            activity__kind=ActivityKind.CO_BUILDING,
            activity__source__startswith=PROJECT_SOURCE,
        ).exclude(status__in=[RecordStatus.REJECTED, RecordStatus.REVOKED]),
        reach,
    ).values_list(
        "activity__source",
        "activity__date",
        *_prefixed("partner", PARTNER_FIELDS),
        *_prefixed("activity__organiser_team", TEAM_FIELDS),
        *_prefixed("activity__organiser_org", ORG_FIELDS),
    )
    labour = []
    for source, day, *columns in records:
        suffix = source.removeprefix(PROJECT_SOURCE)
        if suffix.isdigit():
            labour.append((int(suffix), day, tuple(columns)))
    if not labour:
        return
    in_scope = set(projects.filter(pk__in={row[0] for row in labour}).values_list("pk", flat=True))
    p, t = len(PARTNER_FIELDS), len(TEAM_FIELDS)
    for project_id, day, columns in labour:
        if project_id not in in_scope:
            continue
        if columns[0] is not None:
            into.add(WorkKind.PROJECT, project_id, _partner(columns[:p]), day)
        organiser = (
            _team(columns[p : p + t]) if columns[p] is not None else _organisation(columns[p + t :])
        )
        into.add(WorkKind.PROJECT, project_id, organiser, day)


def _mediation_rows(reach, filters, start, end, into: _Collector) -> None:
    cases = _scoped(
        MediationCase.objects.filter(_in_period("opened_at", start, end)), reach, filters.place
    )
    mediators = MediationCase.mediators.through.objects.filter(mediationcase__in=cases).values_list(
        "mediationcase_id", "mediationcase__opened_at", *_prefixed("partner", PARTNER_FIELDS)
    )
    for case_id, at, *partner in mediators:
        into.add(WorkKind.MEDIATION, case_id, _partner(partner), at)
    parties = CaseParty.objects.filter(case__in=cases, organisation__isnull=False).values_list(
        "case_id", "case__opened_at", *_prefixed("organisation", ORG_FIELDS)
    )
    for case_id, at, *org in parties:
        into.add(WorkKind.MEDIATION, case_id, _organisation(org), at)


def _membership_rows(reach, filters, start, end, into: _Collector) -> None:
    teams = _scoped(Team.objects.all(), reach, filters.place)
    rows = TeamMembership.objects.filter(
        team__in=teams, joined_on__lt=end.date(), partner__status=PartnerStatus.ACTIVE
    ).values_list(
        "id",
        "joined_on",
        *_prefixed("partner", PARTNER_FIELDS),
        *_prefixed("team", TEAM_FIELDS),
    )
    width = len(PARTNER_FIELDS)
    for membership_id, joined_on, *columns in rows:
        into.add(WorkKind.MEMBERSHIP, membership_id, _partner(columns[:width]), joined_on)
        into.add(WorkKind.MEMBERSHIP, membership_id, _team(columns[width:]), joined_on)


SOURCES = {
    WorkKind.MATTER: _matter_rows,
    WorkKind.MEETING: _meeting_rows,
    WorkKind.PROJECT: _project_rows,
    WorkKind.MEDIATION: _mediation_rows,
    WorkKind.MEMBERSHIP: _membership_rows,
}


def recency(age_days: int) -> float:
    return math.exp(-max(age_days, 0) / RECENCY_DAYS)


def edge_list(works: Iterable[_Work], until: dt.date) -> dict[tuple[str, str], dict]:
    """Pairs of actors with their weight, number of shared works, work kinds and last date."""
    edges: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"weight": 0.0, "count": 0, "kinds": set(), "last": None}
    )
    for work in works:
        if len(work.actors) < 2:
            continue
        if work.kind == WorkKind.MEMBERSHIP:
            factor = 1.0
        else:
            factor = recency((until - work.last).days)
        for a, b in combinations(sorted(work.actors), 2):
            edge = edges[(a, b)]
            edge["weight"] += factor
            edge["count"] += 1
            edge["kinds"].add(work.kind)
            if edge["last"] is None or work.last > edge["last"]:
                edge["last"] = work.last
    return edges


def collaboration_graph(reach: Reach, filters: Filters) -> nx.Graph:
    """The network of ``filters`` as seen with ``reach`` (3 + one or two queries a source)."""
    start, end = _bounds(filters)
    into = _Collector()
    actors = anchored_actors(reach, filters.place)
    for kind in WorkKind.values:
        if kind in filters.works:
            SOURCES[kind](reach, filters, start, end, into)
    for key, actor in into.actors.items():
        actors.setdefault(key, actor)
    graph = nx.Graph()
    for key, actor in actors.items():
        if actor.kind in filters.kinds:
            graph.add_node(
                key,
                kind=actor.kind,
                pk=actor.pk,
                name=actor.name,
                circle=actor.circle,
                subkind=actor.subkind,
                place=actor.place,
            )
    for (a, b), edge in edge_list(into.works.values(), filters.until).items():
        if a in graph and b in graph:
            graph.add_edge(a, b, **{**edge, "kinds": sorted(edge["kinds"])})
    return graph


# ---- metrics ------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def betweenness(graph: nx.Graph) -> dict[str, float]:
    """Normalised betweenness (unweighted: a broker joins actors, however often they meet)."""
    if graph.number_of_nodes() > BETWEENNESS_EXACT_LIMIT:
        return nx.betweenness_centrality(graph, k=BETWEENNESS_SAMPLES, seed=0)
    return nx.betweenness_centrality(graph)


def work_isolated(graph: nx.Graph, key: str) -> bool:
    """No link but team memberships: the node shares no work with anyone."""
    return all(data["kinds"] == [WorkKind.MEMBERSHIP] for _other, data in graph[key].items())


def network_metrics(graph: nx.Graph) -> dict:
    """Density, components, the largest component's share, brokers and boundary crossing.

    ``cross_circle_share``: of the links between two actors that belong to a circle (partners
    by their kind, teams in the service circle), the share whose circles differ.
    ``cross_kind_share``: of all links, the share between a partner, a team and an
    organisation of different kinds. Both are ``None`` when there is nothing to count.
    """
    nodes = graph.number_of_nodes()
    edges = graph.number_of_edges()
    components = list(nx.connected_components(graph)) if nodes else []
    largest = max((len(c) for c in components), default=0)
    circled = crossing_circles = crossing_kinds = 0
    for a, b in graph.edges():
        first, second = graph.nodes[a], graph.nodes[b]
        crossing_kinds += first["kind"] != second["kind"]
        if first["circle"] and second["circle"]:
            circled += 1
            crossing_circles += first["circle"] != second["circle"]
    scores = betweenness(graph) if edges else {}
    ranked = sorted(
        (item for item in scores.items() if item[1] > 0), key=lambda item: (-item[1], item[0])
    )
    teams = [key for key, data in graph.nodes(data=True) if data["kind"] == NodeKind.TEAM]
    return {
        "nodes": nodes,
        "edges": edges,
        "density": nx.density(graph) if nodes > 1 else 0.0,
        "components": len(components),
        "largest_share": _share(largest, nodes) or 0.0,
        "cross_circle_share": _share(crossing_circles, circled),
        "cross_kind_share": _share(crossing_kinds, edges),
        "isolated_teams": sorted(key for key in teams if work_isolated(graph, key)),
        "brokers": [
            {
                "key": key,
                "name": graph.nodes[key]["name"],
                "kind": graph.nodes[key]["kind"],
                "betweenness": round(score, 4),
                "degree": graph.degree(key),
            }
            for key, score in ranked[:TOP_BROKERS]
        ],
        "sampled": nodes > BETWEENNESS_EXACT_LIMIT,
    }


def top_nodes(graph: nx.Graph, limit: int | None) -> nx.Graph:
    """The ``limit`` best-connected nodes (by degree, then weighted degree) and their links."""
    if limit is None or graph.number_of_nodes() <= limit:
        return graph
    strength = dict(graph.degree(weight="weight"))
    ranked = sorted(graph.nodes, key=lambda key: (-graph.degree(key), -strength[key], key))
    return graph.subgraph(ranked[:limit])


def node_rows(graph: nx.Graph) -> list[dict]:
    """One dict per node, best connected first (the page, the API and the export use them)."""
    strength = dict(graph.degree(weight="weight"))
    rows = [
        {
            "key": key,
            "kind": data["kind"],
            "id": data["pk"],
            "name": data["name"],
            "circle": data["circle"],
            "subkind": data["subkind"],
            "place": data["place"],
            "degree": graph.degree(key),
            "strength": round(strength[key], 3),
        }
        for key, data in graph.nodes(data=True)
    ]
    return sorted(rows, key=lambda row: (-row["degree"], -row["strength"], row["key"]))


def edge_rows(graph: nx.Graph) -> list[dict]:
    """One dict per link, heaviest first."""
    rows = [
        {
            "source": a,
            "target": b,
            "weight": round(data["weight"], 3),
            "count": data["count"],
            "kinds": data["kinds"],
            "last": data["last"],
        }
        for a, b, data in graph.edges(data=True)
    ]
    return sorted(rows, key=lambda row: (-row["weight"], row["source"], row["target"]))
