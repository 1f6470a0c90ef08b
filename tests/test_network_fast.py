"""The fast paths of the collaboration network give the answers of the direct computation.

* ``centrality.betweenness_centrality`` (sparse matrices) against networkx;
* the snapshots built for every scope from one gathering of all places against
  ``collaboration_graph`` scope by scope;
* ``isolated_teams`` (from the works, no graph) against the graph's own definition;
* the in-memory store of computed networks: repeat views are served from it, and a new
  collaboration, an edit, a rollup run show up.

The fixture is ``tests/factories_network.py`` plus work that the base fixture lacks: a
micro-project with co-building labour, a meeting action item, a team membership, a team of
community B working alone in A, a paused partner of A still owning a matter, and work spread
over several months.
"""

import datetime as dt
import random

import networkx as nx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.scope import EVERYWHERE
from gongzhi.core.places import Place
from gongzhi.matters.models import MatterOwner
from gongzhi.meetings.models import ActionItem, AgendaItem, Decision, Meeting
from gongzhi.network import cache
from gongzhi.network.centrality import betweenness_centrality
from gongzhi.network.graph import (
    DEFAULT_WORKS,
    Filters,
    collaboration_graph,
    network_metrics,
    work_isolated,
)
from gongzhi.network.models import NetworkSnapshot, NodeKind, WorkKind
from gongzhi.network.services import (
    SNAPSHOT_FIELDS,
    all_scopes,
    month_bounds,
    network_snapshot_refresh,
    snapshot_step,
)
from gongzhi.partners.models import Partner, PartnerKind, PartnerStatus, TeamMembership
from gongzhi.projects.models import Project
from gongzhi.volunteering.models import Activity, ServiceRecord
from tests.factories import make_partner
from tests.factories_matters import make_matter
from tests.factories_network import UNTIL, at, build_network, key, own

MONTHS = [dt.date(2026, m, 1) for m in (1, 2, 3)]
PARAMS = {"since": "2025-04-01", "until": UNTIL.isoformat()}


@pytest.fixture(autouse=True)
def _empty_store():
    """Test databases reuse ids after a rollback: start every test with nothing stored."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def net(world):
    w = build_network(world)
    # A micro-project in 锦绣园 planned by 孙立, with labour organised by the team on UNTIL.
    project = Project.objects.create(
        community=w.a,
        compound=w.jinxiu,
        kind="micro_space",
        title="口袋公园",
        source="staff",
        planner=w.p_construction,
        proposed_at=at(dt.date(2026, 2, 10)),
    )
    activity = Activity.objects.create(
        title="共建",
        kind="co_building",
        community=w.a,
        compound=w.jinxiu,
        organiser_team=w.team_a,
        date=dt.date(2026, 2, 20),
        source=f"project:{project.pk}",
    )
    ServiceRecord.objects.create(
        activity=activity,
        partner=w.p_n2,
        minutes=60,
        status="confirmed",
        recorded_at=at(dt.date(2026, 2, 20)),
    )
    # An action item of the community meeting, owned by the organisation.
    item = AgendaItem.objects.create(community=w.a, meeting=w.meeting, source="staff", title="灯")
    decision = Decision.objects.create(
        item=item, method="consensus", outcome="adopted", text="修", decided_at=at(UNTIL)
    )
    ActionItem.objects.create(decision=decision, title="修灯", organisation=w.org_a, due_on=UNTIL)
    ActionItem.objects.create(decision=decision, title="巡查", team=w.team_a, due_on=UNTIL)
    # A 锦绣园 meeting in February whose only part is an action item of 江南志愿服务队.
    february = Meeting.objects.create(
        title="锦绣园议事",
        community=w.a,
        compound=w.jinxiu,
        starts_at=at(dt.date(2026, 2, 12)),
        ends_at=at(dt.date(2026, 2, 12)) + dt.timedelta(hours=1),
        status="closed",
    )
    item = AgendaItem.objects.create(community=w.a, meeting=february, source="staff", title="绿化")
    decision = Decision.objects.create(
        item=item,
        method="consensus",
        outcome="adopted",
        text="补种",
        decided_at=at(dt.date(2026, 2, 12)),
    )
    ActionItem.objects.create(decision=decision, title="补种", team=w.team_b, due_on=UNTIL)
    TeamMembership.objects.create(team=w.team_a, partner=w.p_n2, joined_on="2026-01-05")
    # 江南志愿服务队 (community B) owns a matter of 渔家苑 alone in January.
    january = dt.date(2026, 1, 8)
    own(make_matter(building=w.y1, created_at=at(january)), w.team_b, day=january)
    # A paused partner of A still owns a matter with 王建国 in January.
    w.p_paused = make_partner(
        name="钱暂停", kind=PartnerKind.NEIGHBOUR, community=w.a, compound=w.jinxiu, building=w.j1
    )
    Partner.objects.filter(pk=w.p_paused.pk).update(status=PartnerStatus.PAUSED)
    own(
        make_matter(building=w.y2, created_at=at(dt.date(2026, 1, 9))),
        w.p_paused,
        w.p_neighbour,
        day=dt.date(2026, 1, 9),
    )
    return w


def _as_dicts(graph: nx.Graph) -> tuple[dict, dict]:
    nodes = dict(graph.nodes(data=True))
    edges = {frozenset((a, b)): data for a, b, data in graph.edges(data=True)}
    return nodes, edges


# ---- betweenness ----------------------------------------------------------------------------


def _graphs():
    rng = random.Random(7)
    yield nx.relabel_nodes(nx.gnm_random_graph(60, 150, seed=1), lambda n: f"p:{n:03d}")
    parts = [nx.gnm_random_graph(rng.randint(3, 40), rng.randint(2, 80), seed=i) for i in range(9)]
    parts += [nx.path_graph(5), nx.star_graph(6), nx.empty_graph(7), nx.complete_graph(2)]
    yield nx.relabel_nodes(nx.disjoint_union_all(parts), lambda n: f"q:{n:03d}")
    yield nx.relabel_nodes(nx.barbell_graph(8, 3), str)
    yield nx.empty_graph(2)


@pytest.mark.parametrize("graph", list(_graphs()))
def test_betweenness_is_networkx_exactly(graph):
    ours = betweenness_centrality(graph)
    theirs = nx.betweenness_centrality(graph)
    assert ours.keys() == theirs.keys()
    assert all(ours[node] == pytest.approx(theirs[node], abs=1e-12) for node in graph)


def test_sampled_betweenness_is_networkx_with_the_same_sources():
    shuffled = list(_graphs())[1]
    # networkx samples from its node order, ours from the sorted keys: insert them sorted.
    graph = nx.Graph()
    graph.add_nodes_from(sorted(shuffled))
    graph.add_edges_from(shuffled.edges())
    ours = betweenness_centrality(graph, k=25, seed=0)
    theirs = nx.betweenness_centrality(graph, k=25, seed=0)
    assert all(ours[node] == pytest.approx(theirs[node], abs=1e-12) for node in graph)
    # The same nodes added in another order give the same estimate.
    assert betweenness_centrality(shuffled, k=25, seed=0) == pytest.approx(ours, abs=1e-12)


# ---- snapshots: one gathering for all scopes -------------------------------------------------


def test_every_scope_of_a_month_matches_the_direct_computation(net):
    now = at(UNTIL)
    snapshot_step(now=now, since=MONTHS[0])
    scopes = all_scopes()
    assert len(scopes) == 5
    for month in MONTHS:
        since, until = month_bounds(month)
        for community, compound in scopes:
            place = Place("compound", compound.pk) if compound else Place("community", community.pk)
            stored = NetworkSnapshot.objects.get(
                month=month, community=community, compound=compound
            )
            direct = network_snapshot_refresh(
                month=month, community=community, compound=compound, now=now
            )
            fields = [name for name in SNAPSHOT_FIELDS if name != "computed_at"]
            assert {f: getattr(stored, f) for f in fields} == {
                f: getattr(direct, f) for f in fields
            }
            graph = collaboration_graph(EVERYWHERE, Filters(until=until, since=since, place=place))
            assert stored.edges == graph.number_of_edges()
    january = NetworkSnapshot.objects.get(month=MONTHS[0], community=net.a, compound=None)
    # 王建国–钱暂停 (the paused partner comes in through the matter) in January.
    assert january.edges == 1
    february = NetworkSnapshot.objects.get(month=MONTHS[1], community=net.a, compound=net.jinxiu)
    # 孙立 planned, 李楼长 laboured, the team organised: three links, one project.
    assert february.edges == 3


def test_the_split_builds_the_same_graphs_as_the_scope_queries(net):
    from gongzhi.network.graph import build_graph, collect_works, graph_bounds, works_by_place
    from gongzhi.network.services import read_actors

    actors = read_actors()
    for month in MONTHS:
        since, until = month_bounds(month)
        start, end = graph_bounds(Filters(until=until, since=since))
        works = works_by_place(collect_works(EVERYWHERE, None, DEFAULT_WORKS, start, end).values())
        for community, compound in all_scopes():
            place = Place("compound", compound.pk) if compound else Place("community", community.pk)
            split = build_graph(
                actors.anchored.get(place, []), works.get(place, []), actors.every, until=until
            )
            direct = collaboration_graph(EVERYWHERE, Filters(until=until, since=since, place=place))
            assert _as_dicts(split) == _as_dicts(direct), (month, place)


def test_snapshot_queries_do_not_grow_with_scopes(net):
    from gongzhi.places.models import Compound

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            snapshot_step(now=at(UNTIL), full=True)
        return len(captured)

    queries()  # every row written
    before = queries()  # every row recomputed, unchanged
    for n in range(4):
        Compound.objects.create(community=net.b, name=f"新小区{n}")
    queries()  # the new compounds' rows written
    assert queries() == before
    # 12 months: actors 3, scopes 2, existing rows 1, then per month 10 sources at most and
    # 4 for the stored rows and their writes.
    assert before <= 6 + 12 * 14


def test_rollup_counts_rows_computed_and_rows_changed(net):
    first = snapshot_step(now=at(UNTIL))
    assert first == {"network_snapshots": 12 * 5, "network_snapshots_changed": 12 * 5}
    second = snapshot_step(now=at(UNTIL) + dt.timedelta(hours=1))
    assert second == {"network_snapshots": 2 * 5, "network_snapshots_changed": 0}
    march = NetworkSnapshot.objects.get(month=MONTHS[2], community=net.a, compound=None)
    assert march.computed_at == at(UNTIL) + dt.timedelta(hours=1)
    own(make_matter(building=net.j1, created_at=at(UNTIL)), net.p_team, net.p_n2)
    third = snapshot_step(now=at(UNTIL) + dt.timedelta(hours=2))
    # March changes in community A and in 锦绣园.
    assert third == {"network_snapshots": 2 * 5, "network_snapshots_changed": 2}


# ---- isolated teams --------------------------------------------------------------------------


def _isolated_from_the_graph(place, since, until) -> list[dict]:
    graph = collaboration_graph(EVERYWHERE, Filters(until=until, since=since, place=place))
    teams = [
        {"id": data["pk"], "name": data["name"], "place": data["place"]}
        for node, data in graph.nodes(data=True)
        if data["kind"] == NodeKind.TEAM and work_isolated(graph, node)
    ]
    return sorted(teams, key=lambda team: (team["name"], team["id"]))


@pytest.mark.parametrize(
    "since", [None, dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
)
def test_isolated_teams_match_the_graph(net, since, django_assert_max_num_queries):
    from gongzhi.network.selectors import isolated_teams

    period = Filters(until=UNTIL, since=since)
    places = [None, Place("community", net.a.pk), Place("compound", net.yujia.pk)]
    places += [Place("compound", net.jinxiu.pk), Place("community", net.b.pk)]
    for place in places:
        with django_assert_max_num_queries(10):
            fast = isolated_teams(place, period)
        assert fast == _isolated_from_the_graph(place, since, UNTIL), place


def test_a_team_from_elsewhere_working_alone_is_isolated_here(net):
    from gongzhi.network.selectors import isolated_teams

    january = Filters(until=dt.date(2026, 1, 31), since=dt.date(2026, 1, 1))
    names = [team["name"] for team in isolated_teams(Place("compound", net.yujia.pk), january)]
    assert names == ["江南志愿服务队", "渔家苑志愿服务队"]
    february = Filters(until=dt.date(2026, 2, 28), since=dt.date(2026, 2, 1))
    names = [team["name"] for team in isolated_teams(Place("compound", net.jinxiu.pk), february)]
    # The team of B alone at its meeting; 渔家苑's team organised the project's labour.
    assert names == ["江南志愿服务队"]
    march = Filters(until=UNTIL, since=dt.date(2026, 3, 1))
    # In March 渔家苑's team owns an action item of the community meeting: linked.
    assert isolated_teams(Place("community", net.a.pk), march) == []


# ---- the store of computed networks ---------------------------------------------------------


def _metrics(client) -> dict:
    response = client.get("/api/v1/network/metrics", PARAMS)
    assert response.status_code == 200
    return response.json()


def _queries(client, path="/api/v1/network/metrics") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, PARAMS).status_code == 200
    return len(captured)


def test_repeat_views_are_served_from_memory(client, net, django_assert_max_num_queries):
    client.force_login(net.users.staff_a)
    cold = _queries(client)
    warm = _queries(client)
    # The warm view reads the session, the user and the data version, nothing of the network.
    assert warm <= 4 < cold
    with django_assert_max_num_queries(warm):
        _metrics(client)
    page_cold = _queries(client, "/network/")  # the page's own filters make a new key
    page_warm = _queries(client, "/network/")
    assert page_warm < page_cold


def test_a_new_collaboration_shows_up_after_the_data_changes(client, net):
    client.force_login(net.users.staff_a)
    before = _metrics(client)
    own(make_matter(building=net.j1, created_at=at(UNTIL)), net.p_team, net.p_n2)
    after = _metrics(client)
    assert after["edges"] == before["edges"] + 1
    # Rows written in bulk (no signal) make a new data version too.
    matter = make_matter(building=net.j1, created_at=at(UNTIL))
    cache.clear()
    before = _metrics(client)
    MatterOwner.objects.bulk_create(
        [
            MatterOwner(matter=matter, partner=net.p_team, assigned_at=at(UNTIL)),
            MatterOwner(matter=matter, organisation=net.org_dept, assigned_at=at(UNTIL)),
        ]
    )
    assert _metrics(client)["edges"] == before["edges"] + 1


def test_an_edit_saved_in_this_process_shows_up(client, net):
    client.force_login(net.users.staff_a)
    assert _metrics(client)["brokers"][0]["name"] == "王建国"
    net.p_neighbour.name = "王建华"
    net.p_neighbour.save()
    assert _metrics(client)["brokers"][0]["name"] == "王建华"


def test_an_edit_without_signal_shows_up_after_rollup_or_expiry(client, net, monkeypatch):
    client.force_login(net.users.staff_a)
    assert _metrics(client)["brokers"][0]["name"] == "王建国"
    # Another process renaming in place: no new id, no signal here — still the stored answer.
    Partner.objects.filter(pk=net.p_neighbour.pk).update(name="王建华")
    assert _metrics(client)["brokers"][0]["name"] == "王建国"
    snapshot_step(now=at(UNTIL))
    assert _metrics(client)["brokers"][0]["name"] == "王建华"
    Partner.objects.filter(pk=net.p_neighbour.pk).update(name="王建民")
    assert _metrics(client)["brokers"][0]["name"] == "王建华"
    monkeypatch.setattr(cache, "CACHE_SECONDS", 0)
    assert _metrics(client)["brokers"][0]["name"] == "王建民"


def test_stored_networks_keep_each_reach_apart(client, net):
    client.force_login(net.users.official)
    assert _metrics(client)["nodes"] > 3
    client.force_login(net.users.staff_b)
    names = {node["name"] for node in client.get("/api/v1/network/graph", PARAMS).json()["nodes"]}
    assert names == {"吴刚", "江南志愿服务队", "Y社区居委会"}
    client.force_login(net.users.staff_a)
    graph = client.get("/api/v1/network/graph", PARAMS).json()
    assert key(net.p_b) not in {node["key"] for node in graph["nodes"]}


def test_filters_are_part_of_the_key(client, net):
    client.force_login(net.users.staff_a)
    every = _metrics(client)
    matters = client.get("/api/v1/network/metrics", {**PARAMS, "works": "matter"}).json()
    assert matters["edges"] < every["edges"]
    partners = client.get("/api/v1/network/metrics", {**PARAMS, "kind": "partner"}).json()
    assert partners["nodes"] < every["nodes"]
    yujia = client.get(
        "/api/v1/network/metrics", {**PARAMS, "place": f"compound:{net.yujia.pk}"}
    ).json()
    assert yujia["nodes"] < every["nodes"]
    assert _metrics(client) == every


def test_graph_query_count_is_fixed(net, django_assert_max_num_queries):
    # 3 anchored kinds, 1 matter, 2 meeting, 2 project, 2 mediation, ≤ 3 actors from outside.
    with django_assert_max_num_queries(13):
        graph = collaboration_graph(EVERYWHERE, Filters(until=UNTIL))
    with django_assert_max_num_queries(14):
        collaboration_graph(EVERYWHERE, Filters(until=UNTIL, works=frozenset(WorkKind.values)))
    assert network_metrics(graph)["edges"] == graph.number_of_edges() > 0
