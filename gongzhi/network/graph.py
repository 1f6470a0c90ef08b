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

Every source is one or two queries whose size grows with the data, never a query per work, and
its rows carry actor ids only: the actors themselves are read once (the anchored ones, then the
few that came from outside), so a page costs the same number of queries however many edges it
draws. ``collect_works`` gathers the works, ``build_graph`` makes the graph from them without a
query, and ``actors_by_place``/``works_by_place`` let the monthly snapshots build every community and compound
from one gathering of all places.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx
from django.db.models import Case, Exists, Max, OuterRef, Q, QuerySet, Subquery, When
from django.utils import timezone

from gongzhi.accounts.scope import Reach, narrow, restrict
from gongzhi.core.places import Place
from gongzhi.matters.models import Matter, MatterOwner
from gongzhi.mediation.models import CaseParty, MediationCase
from gongzhi.meetings.models import ActionItem, Meeting, MeetingStatus, Participant
from gongzhi.network.centrality import betweenness_centrality
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
# ``BETWEENNESS_SAMPLES`` source nodes (fixed seed, drawn from the sorted node keys, so the same
# data gives the same brokers).
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
    """A partner, team or organisation; ``community``/``compound`` say where it is anchored and
    ``active`` whether it may be (an inactive partner only appears through its work)."""

    key: str
    kind: str
    pk: int
    name: str
    circle: str = ""
    subkind: str = ""
    place: str = ""
    community: int | None = None
    compound: int | None = None
    active: bool = True

    def attributes(self) -> dict:
        """The node's attributes in the graph."""
        return {
            "kind": self.kind,
            "pk": self.pk,
            "name": self.name,
            "circle": self.circle,
            "subkind": self.subkind,
            "place": self.place,
        }


@dataclass
class _Work:
    """One matter, meeting, project, case or membership: where it lies, who took part, and
    its latest date in the period."""

    kind: str
    id: int
    community: int | None = None
    compound: int | None = None
    actors: set[str] = field(default_factory=set)
    last: dt.date | None = None
    # While gathering: the latest datetime and the latest date seen (``last`` is the later).
    latest_at: dt.datetime | None = None
    latest_day: dt.date | None = None


def node_key(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def graph_bounds(filters: Filters) -> tuple[dt.datetime | None, dt.datetime]:
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

PARTNER_FIELDS = ("id", "name", "kind", "community_id", "compound_id", "building_id", "status")
TEAM_FIELDS = ("id", "name", "kind", "community_id", "compound_id", "building_id")
ORG_FIELDS = ("id", "name", "kind", "community_id", "compound_id")


def _partner(row) -> Actor:
    pk, name, kind, community, compound, building, status = row
    return Actor(
        node_key(NodeKind.PARTNER, pk),
        NodeKind.PARTNER,
        pk,
        name,
        circle=kind,
        subkind=kind,
        place=_place_label(community, compound, building),
        community=community,
        compound=compound,
        active=status == PartnerStatus.ACTIVE,
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
        community=community,
        compound=compound,
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
        community=community,
        compound=compound,
    )


def _actors(partners: QuerySet, teams: QuerySet, orgs: QuerySet) -> dict[str, Actor]:
    actors = [_partner(row) for row in partners.values_list(*PARTNER_FIELDS)]
    actors += [_team(row) for row in teams.values_list(*TEAM_FIELDS)]
    actors += [_organisation(row) for row in orgs.values_list(*ORG_FIELDS)]
    return {actor.key: actor for actor in actors}


def anchored_actors(reach: Reach, place: Place | None) -> dict[str, Actor]:
    """The active partners, teams and organisations anchored inside the scope (3 queries)."""
    return _actors(
        _scoped(Partner.objects.filter(status=PartnerStatus.ACTIVE), reach, place),
        _scoped(Team.objects.all(), reach, place),
        _scoped(Organisation.objects.all(), reach, place),
    )


def anchored_teams(place: Place | None) -> list[Actor]:
    """The teams anchored inside ``place`` (trusted: no reach), one query."""
    return [_team(row) for row in narrow(Team.objects.all(), place).values_list(*TEAM_FIELDS)]


def actors_by_key(keys: Iterable[str]) -> dict[str, Actor]:
    """The actors named by ``keys`` wherever they are anchored, whatever their status: those
    who came from outside the scope to work in it (one query per kind asked for)."""
    ids: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        kind, _sep, pk = key.partition(":")
        ids[kind].add(int(pk))
    return _actors(
        Partner.objects.filter(pk__in=ids[NodeKind.PARTNER]),
        Team.objects.filter(pk__in=ids[NodeKind.TEAM]),
        Organisation.objects.filter(pk__in=ids[NodeKind.ORGANISATION]),
    )


def actor_directory() -> dict[str, Actor]:
    """Every partner (any status), team and organisation, with where it is anchored: what the
    snapshots split by community and compound (3 queries)."""
    return _actors(Partner.objects.all(), Team.objects.all(), Organisation.objects.all())


# ---- the works ----------------------------------------------------------------------------


# Plain strings: reading an enum member's ``value`` costs more than the rest of a row.
_PARTNER, _TEAM, _ORGANISATION = (str(kind.value) for kind in NodeKind)


def _key(partner_id=None, team_id=None, organisation_id=None) -> str | None:
    """The node key of a row's actor: its partner, else its team, else its organisation."""
    if partner_id is not None:
        return f"{_PARTNER}:{partner_id}"
    if team_id is not None:
        return f"{_TEAM}:{team_id}"
    if organisation_id is not None:
        return f"{_ORGANISATION}:{organisation_id}"
    return None


class _Collector:
    """The works of a period: who took part in each, its latest date and where it lies.

    Rows carry actor ids only (the actors' names and places are read once, not per row), and
    a work's latest datetime becomes a local date once, in ``finish``, not once a row.
    """

    def __init__(self, *, with_team: bool = False):
        self.works: dict[tuple[str, int], _Work] = {}
        # Only the works a team can take part in (see ``collect_works``).
        self.with_team = with_team

    def add(self, kind: str, work_id: int, key: str | None, when, community, compound) -> None:
        if key is None:
            return
        work = self.works.get((kind, work_id))
        if work is None:
            work = self.works[(kind, work_id)] = _Work(kind, work_id, community, compound)
        work.actors.add(key)
        if isinstance(when, dt.datetime):
            if work.latest_at is None or when > work.latest_at:
                work.latest_at = when
        elif work.latest_day is None or when > work.latest_day:
            work.latest_day = when

    def finish(self) -> dict[tuple[str, int], _Work]:
        zone = timezone.get_current_timezone()
        for work in self.works.values():
            days = [work.latest_at.astimezone(zone).date()] if work.latest_at else []
            work.last = max(days + ([work.latest_day] if work.latest_day else []))
        return self.works


def _matter_rows(reach, place, start, end, into: _Collector) -> None:
    matters = _scoped(Matter.objects.all(), reach, place)
    in_period = _in_period("assigned_at", start, end)
    if into.with_team:
        team_owned = MatterOwner.objects.filter(
            in_period, matter=OuterRef("pk"), team__isnull=False
        )
        matters = matters.filter(Exists(team_owned))
    rows = MatterOwner.objects.filter(in_period, matter__in=matters).values_list(
        "matter_id",
        "assigned_at",
        "partner_id",
        "team_id",
        "organisation_id",
        "matter__community_id",
        "matter__compound_id",
    )
    for matter_id, at, partner, team, org, community, compound in rows:
        into.add(WorkKind.MATTER, matter_id, _key(partner, team, org), at, community, compound)


def _meeting_rows(reach, place, start, end, into: _Collector) -> None:
    meetings = _scoped(
        Meeting.objects.exclude(status=MeetingStatus.CANCELLED).filter(
            _in_period("starts_at", start, end)
        ),
        reach,
        place,
    )
    if into.with_team:
        # Teams take part in meetings only as owners of action items.
        team_actions = ActionItem.objects.filter(
            decision__item__meeting=OuterRef("pk"), team__isnull=False
        )
        meetings = meetings.filter(Exists(team_actions))
    took_part = Q(attended=True) | ~Q(meeting__status=MeetingStatus.CLOSED)
    participants = (
        Participant.objects.filter(took_part, meeting__in=meetings)
        .filter(Q(partner__isnull=False) | Q(organisation__isnull=False))
        .values_list(
            "meeting_id",
            "meeting__starts_at",
            "partner_id",
            "organisation_id",
            "meeting__community_id",
            "meeting__compound_id",
        )
    )
    for meeting_id, at, partner, org, community, compound in participants:
        into.add(WorkKind.MEETING, meeting_id, _key(partner, None, org), at, community, compound)
    actions = ActionItem.objects.filter(decision__item__meeting__in=meetings).values_list(
        "decision__item__meeting_id",
        "decision__item__meeting__starts_at",
        "partner_id",
        "team_id",
        "organisation_id",
        "decision__item__meeting__community_id",
        "decision__item__meeting__compound_id",
    )
    for meeting_id, at, partner, team, org, community, compound in actions:
        into.add(WorkKind.MEETING, meeting_id, _key(partner, team, org), at, community, compound)


def _project_rows(reach, place, start, end, into: _Collector) -> None:
    projects = _scoped(Project.objects.all(), reach, place)
    planners = projects.filter(
        _in_period("proposed_at", start, end), planner__isnull=False
    ).values_list("id", "proposed_at", "planner_id", "community_id", "compound_id")
    for project_id, at, planner, community, compound in planners:
        into.add(WorkKind.PROJECT, project_id, _key(planner), at, community, compound)
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
        "partner_id",
        "activity__organiser_team_id",
        "activity__organiser_org_id",
    )
    labour = []
    for source, day, partner, team, org in records:
        suffix = source.removeprefix(PROJECT_SOURCE)
        if suffix.isdigit():
            labour.append((int(suffix), day, partner, team, org))
    if not labour:
        return
    in_scope = {
        pk: (community, compound)
        for pk, community, compound in projects.filter(
            pk__in={row[0] for row in labour}
        ).values_list("pk", "community_id", "compound_id")
    }
    for project_id, day, partner, team, org in labour:
        if project_id not in in_scope:
            continue
        community, compound = in_scope[project_id]
        into.add(WorkKind.PROJECT, project_id, _key(partner), day, community, compound)
        into.add(WorkKind.PROJECT, project_id, _key(None, team, org), day, community, compound)


def _mediation_rows(reach, place, start, end, into: _Collector) -> None:
    if into.with_team:
        return  # mediators are partners and parties organisations: never a team
    cases = _scoped(MediationCase.objects.filter(_in_period("opened_at", start, end)), reach, place)
    mediators = MediationCase.mediators.through.objects.filter(mediationcase__in=cases).values_list(
        "mediationcase_id",
        "mediationcase__opened_at",
        "partner_id",
        "mediationcase__community_id",
        "mediationcase__compound_id",
    )
    for case_id, at, partner, community, compound in mediators:
        into.add(WorkKind.MEDIATION, case_id, _key(partner), at, community, compound)
    parties = CaseParty.objects.filter(case__in=cases, organisation__isnull=False).values_list(
        "case_id", "case__opened_at", "organisation_id", "case__community_id", "case__compound_id"
    )
    for case_id, at, org, community, compound in parties:
        into.add(WorkKind.MEDIATION, case_id, _key(None, None, org), at, community, compound)


def _membership_rows(reach, place, start, end, into: _Collector) -> None:
    teams = _scoped(Team.objects.all(), reach, place)
    rows = TeamMembership.objects.filter(
        team__in=teams, joined_on__lt=end.date(), partner__status=PartnerStatus.ACTIVE
    ).values_list(
        "id", "joined_on", "partner_id", "team_id", "team__community_id", "team__compound_id"
    )
    for membership_id, joined_on, partner, team, community, compound in rows:
        for key in (_key(partner), _key(None, team)):
            into.add(WorkKind.MEMBERSHIP, membership_id, key, joined_on, community, compound)


SOURCES = {
    WorkKind.MATTER: _matter_rows,
    WorkKind.MEETING: _meeting_rows,
    WorkKind.PROJECT: _project_rows,
    WorkKind.MEDIATION: _mediation_rows,
    WorkKind.MEMBERSHIP: _membership_rows,
}


def collect_works(
    reach: Reach, place: Place | None, works: Iterable[str], start, end, *, with_team=False
) -> dict[tuple[str, int], _Work]:
    """The works of the chosen kinds inside the scope and the period, keyed by (kind, id):
    one or two queries a kind, whatever the number of works.

    ``with_team`` keeps only works a team can share, each still with all its actors: matters
    with a team among their owners, meetings with an action item owned by a team, projects
    (few; all kept), no mediation case. Enough to tell which teams are linked, for a fraction
    of the rows (in the demo one matter in 3,500 has a team owner)."""
    into = _Collector(with_team=with_team)
    for kind in WorkKind.values:
        if kind in works:
            SOURCES[kind](reach, place, start, end, into)
    return into.finish()


def _matter_at(place: Place) -> Q:
    """Owner rows whose matter lies inside ``place`` (``place_q`` seen from the owner)."""
    path = Matter.PLACE.path(place.level)
    return Q(pk__in=[]) if path is None else Q(**{f"matter__{path}": place.id})


# Places of these levels (and all data) hold most teams' matters: their teams are asked one by
# one; below them, the place's few matters are read instead (see ``matter_teams``).
WIDE_LEVELS = frozenset({"subdistrict"})


def matter_teams(reach: Reach, place: Place | None, start, end) -> dict[str, bool]:
    """The teams that are actors of a matter of the scope in the period (``_matter_rows``: an
    owner assigned in the period with a team and no partner), each with whether one of those
    matters has another actor (an owner assigned in the period whose ``_key`` differs). What
    ``collect_works`` tells of the teams' matters, answered by the database one row a team,
    without fetching the owners of every matter a team owns (at district scale 300,000 rows a
    year, most of the diagnostics page's 8.8 s).

    For all data or a subdistrict, each team is asked: its first such owner row, and its first
    on a matter with another actor (subqueries with a limit, so a linked team costs a few index
    probes, not all its matters). For a smaller place, whose matters are few but whose teams'
    matters lie mostly elsewhere, the place's team owners are grouped by team instead."""
    if reach.nowhere:
        return {}
    in_period = _in_period("assigned_at", start, end)
    owners = MatterOwner.objects.filter(in_period, partner__isnull=True, team__isnull=False)
    for where in (None if reach.everywhere else reach.place, place):
        if where is not None:
            owners = owners.filter(_matter_at(where))
    other = MatterOwner.objects.filter(in_period, matter=OuterRef("matter")).filter(
        Q(partner__isnull=False)
        | (Q(team__isnull=False) & ~Q(team=OuterRef("team")))
        | Q(team__isnull=True, organisation__isnull=False)
    )
    if place is None or place.level in WIDE_LEVELS:
        owned = owners.filter(team=OuterRef("pk")).order_by()
        rows = (
            Team.objects.order_by()
            .annotate(
                first=Subquery(owned.values("pk")[:1]),
                first_linked=Subquery(owned.filter(Exists(other)).values("pk")[:1]),
            )
            .values_list("pk", "first", "first_linked")
        )
        return {
            node_key(_TEAM, pk): linked is not None
            for pk, first, linked in rows
            if first is not None
        }
    grouped = (
        owners.order_by()
        .values_list("team_id")
        .annotate(linked=Max(Case(When(Exists(other), then=1), default=0)))
    )
    return {node_key(_TEAM, team): bool(linked) for team, linked in grouped}


def recency(age_days: int) -> float:
    return math.exp(-max(age_days, 0) / RECENCY_DAYS)


def edge_list(works: Iterable[_Work], until: dt.date) -> dict[tuple[str, str], dict]:
    """Pairs of actors with their weight, number of shared works, work kinds and last date.

    The works are taken in (kind, id) order so that the weights (float sums) come out
    bit-for-bit the same however the works were gathered (one scope, or split from all).
    """
    edges: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"weight": 0.0, "count": 0, "kinds": set(), "last": None}
    )
    for work in sorted(works, key=lambda work: (work.kind, work.id)):
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


def build_graph(
    anchored: Iterable[Actor],
    works: Iterable[_Work],
    actors: Mapping[str, Actor],
    *,
    until: dt.date,
    kinds: frozenset[str] = ALL_NODE_KINDS,
) -> nx.Graph:
    """The graph of a scope from its anchored actors and its works (no query): the anchored
    actors, then whoever else took part in the works (looked up in ``actors``), the links."""
    works = list(works)
    nodes = {actor.key: actor for actor in anchored}
    for key in sorted({key for work in works for key in work.actors} - nodes.keys()):
        if key in actors:
            nodes[key] = actors[key]
    graph = nx.Graph()
    graph.add_nodes_from(
        (key, actor.attributes()) for key, actor in nodes.items() if actor.kind in kinds
    )
    graph.add_edges_from(
        (a, b, {**edge, "kinds": sorted(edge["kinds"])})
        for (a, b), edge in edge_list(works, until).items()
        if a in graph and b in graph
    )
    return graph


def collaboration_graph(reach: Reach, filters: Filters) -> nx.Graph:
    """The network of ``filters`` as seen with ``reach``: 3 queries for the anchored actors,
    one or two a kind of work, and one a kind of actor that came from outside the scope."""
    start, end = graph_bounds(filters)
    anchored = anchored_actors(reach, filters.place)
    works = collect_works(reach, filters.place, filters.works, start, end)
    outside = {key for work in works.values() for key in work.actors} - anchored.keys()
    return build_graph(
        anchored.values(),
        works.values(),
        {**anchored, **actors_by_key(outside)},
        until=filters.until,
        kinds=filters.kinds,
    )


def actors_by_place(actors: Iterable[Actor]) -> dict[Place, list[Actor]]:
    """The anchored actors of every community and compound, from all actors (with
    ``actor_directory``): what ``anchored_actors`` would read for each place, in one pass."""
    places: dict[Place, list[Actor]] = defaultdict(list)
    for actor in actors:
        if actor.active:
            for place in _places(actor.community, actor.compound):
                places[place].append(actor)
    return places


def works_by_place(works: Iterable[_Work]) -> dict[Place, list[_Work]]:
    """The works of every community and compound, from those of all places: what
    ``collect_works`` would gather for each place with ``EVERYWHERE``, in one pass (the
    snapshots build every scope of a month from one set of queries this way)."""
    places: dict[Place, list[_Work]] = defaultdict(list)
    for work in works:
        for place in _places(work.community, work.compound):
            places[place].append(work)
    return places


def _places(community: int | None, compound: int | None) -> list[Place]:
    places = []
    if community:
        places.append(Place("community", community))
    if compound:
        places.append(Place("compound", compound))
    return places


# ---- metrics ------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def betweenness(graph: nx.Graph) -> dict[str, float]:
    """Normalised betweenness (unweighted: a broker joins actors, however often they meet),
    computed with sparse matrices (``centrality``: networkx's numbers, about 25 times faster
    on the X-community year); estimated from a fixed sample of sources on large graphs."""
    if graph.number_of_nodes() > BETWEENNESS_EXACT_LIMIT:
        return betweenness_centrality(graph, k=BETWEENNESS_SAMPLES, seed=0)
    return betweenness_centrality(graph)


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
    # Ties (equal shares, summed in a different order) are broken by key, not by rounding
    # noise in the last bits.
    ranked = sorted(
        (item for item in scores.items() if item[1] > 0),
        key=lambda item: (-round(item[1], 12), item[0]),
    )
    teams = [key for key, data in graph.nodes(data=True) if data["kind"] == NodeKind.TEAM]
    return {
        "nodes": nodes,
        "edges": edges,
        # nx.density, without counting the edges again (networkx sums the degrees for it).
        "density": edges / (nodes * (nodes - 1)) * 2 if nodes > 1 else 0.0,
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


def top_keys(graph: nx.Graph, limit: int | None) -> set[str] | None:
    """The ``limit`` best-connected nodes (by degree, then weighted degree); ``None`` for all."""
    if limit is None or graph.number_of_nodes() <= limit:
        return None
    strength = dict(graph.degree(weight="weight"))
    ranked = sorted(graph.nodes, key=lambda key: (-graph.degree(key), -strength[key], key))
    return set(ranked[:limit])


def top_nodes(graph: nx.Graph, limit: int | None) -> nx.Graph:
    """The ``limit`` best-connected nodes and their links (a read-only view)."""
    keep = top_keys(graph, limit)
    return graph if keep is None else graph.subgraph(keep)


def node_rows(graph: nx.Graph, keep: set[str] | None = None) -> list[dict]:
    """One dict per node, best connected first (the page, the API and the export use them);
    with ``keep``, those nodes only, their degree and strength counted among them — the rows
    of ``top_nodes``, read straight from the graph (a subgraph view filters every adjacency)."""
    rows = []
    for key, data in graph.nodes(data=True):
        if keep is not None and key not in keep:
            continue
        weights = [
            link["weight"]
            for other, link in graph.adj[key].items()
            if keep is None or other in keep
        ]
        rows.append(
            {
                "key": key,
                "kind": data["kind"],
                "id": data["pk"],
                "name": data["name"],
                "circle": data["circle"],
                "subkind": data["subkind"],
                "place": data["place"],
                "degree": len(weights),
                "strength": round(sum(weights), 3),
            }
        )
    return sorted(rows, key=lambda row: (-row["degree"], -row["strength"], row["key"]))


def edge_rows(graph: nx.Graph, keep: set[str] | None = None) -> list[dict]:
    """One dict per link, heaviest first; with ``keep``, the links among those nodes."""
    rows = []
    seen = set()
    for a, links in graph.adj.items():
        if keep is not None and a not in keep:
            continue
        for b, data in links.items():
            if b in seen or (keep is not None and b not in keep):
                continue
            rows.append(
                {
                    "source": a,
                    "target": b,
                    "weight": round(data["weight"], 3),
                    "count": data["count"],
                    "kinds": data["kinds"],
                    "last": data["last"],
                }
            )
        seen.add(a)
    return sorted(rows, key=lambda row: (-row["weight"], row["source"], row["target"]))
