"""The collaboration network on a hand-built community with known links and answers.

Community A (X社区), all work dated on ``UNTIL`` unless said otherwise:

* matter m1 (渔家苑): owners 王建国 (neighbour), 孙立 (construction) and 区房管局 (department);
* matter m2 (渔家苑, 180 days earlier): owners 王建国 and 孙立 again;
* matter m3 (渔家苑): owners 王建国 and 李楼长 (a second neighbour partner, building 2栋);
* a closed community meeting: 陈下沉 (team partner) and X社区居委会 attended, 孙立 was
  invited but did not come;
* a community mediation case: mediators 陈下沉 and 王建国;
* 渔家苑志愿服务队 shares no work (its leader 王建国 is a member).

So, with the default works: 7 actors, 6 links (N–C, N–dept, C–dept, N–N2, T–org, T–N),
density 6/21, 2 components (the team alone), largest share 6/7, 王建国 the top broker,
2 of the 3 circled links cross circles, 3 of the 6 links cross kinds of actor.
"""

import datetime as dt
import math

import pytest
from django.utils import translation

from gongzhi.accounts.scope import EVERYWHERE, directory_reach
from gongzhi.core.places import Place
from gongzhi.meetings.models import ActionItem, AgendaItem, Decision
from gongzhi.network import cache
from gongzhi.network.graph import Filters, collaboration_graph, network_metrics, recency
from gongzhi.network.models import WorkKind
from gongzhi.network.selectors import (
    BadNetworkFilter,
    isolated_teams,
    network_filters,
    network_graph,
)
from gongzhi.partners.models import PartnerKind
from gongzhi.projects.models import Project
from gongzhi.volunteering.models import Activity, ServiceRecord
from tests.factories_matters import make_matter
from tests.factories_network import UNTIL, at, build_network, key, own


@pytest.fixture(autouse=True)
def _empty_store():
    """Test databases reuse ids after a rollback: start every test with nothing stored."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def net(world):
    return build_network(world)


def graph_for(user, **filters):
    return network_graph(user, Filters(until=UNTIL, **filters))


def test_edges_and_weights_follow_shared_work(net):
    graph = graph_for(net.users.staff_a)
    n, c, n2, t = (key(p) for p in (net.p_neighbour, net.p_construction, net.p_n2, net.p_team))
    dept, org, team = key(net.org_dept), key(net.org_a), key(net.team_a)
    assert set(graph.nodes) == {n, c, n2, t, dept, org, team}
    expected = {
        frozenset((n, c)),
        frozenset((n, dept)),
        frozenset((c, dept)),
        frozenset((n, n2)),
        frozenset((t, org)),
        frozenset((t, n)),
    }
    assert {frozenset(edge) for edge in graph.edges} == expected
    both = graph.edges[n, c]
    assert both["count"] == 2
    assert both["weight"] == pytest.approx(1 + math.exp(-1))
    assert both["kinds"] == [WorkKind.MATTER]
    assert both["last"] == UNTIL
    assert graph.edges[t, n]["kinds"] == [WorkKind.MEDIATION]
    # 孙立 was invited but did not attend the closed meeting: no link to the residents' committee.
    assert not graph.has_edge(c, org)
    assert graph.nodes[n]["circle"] == PartnerKind.NEIGHBOUR
    assert graph.nodes[team]["circle"] == "team"
    assert graph.nodes[dept]["circle"] == ""


def test_metrics_have_the_known_answers(net):
    metrics = network_metrics(graph_for(net.users.staff_a))
    assert metrics["nodes"] == 7
    assert metrics["edges"] == 6
    assert metrics["density"] == pytest.approx(6 / 21)
    assert metrics["components"] == 2
    assert metrics["largest_share"] == pytest.approx(6 / 7)
    assert metrics["cross_circle_share"] == pytest.approx(2 / 3)
    assert metrics["cross_kind_share"] == pytest.approx(3 / 6)
    assert metrics["brokers"][0]["key"] == key(net.p_neighbour)
    # 王建国 joins his three groups {孙立, 房管局}, {李楼长}, {陈下沉, 居委会}: 2×1 + 2×2 + 1×2 = 8
    # pairs, normalised by the (7−1)(7−2)/2 = 15 pairs of the other actors.
    assert metrics["brokers"][0]["betweenness"] == pytest.approx(8 / 15, abs=1e-4)
    assert metrics["isolated_teams"] == [key(net.team_a)]


def test_membership_links_are_off_by_default_and_do_not_end_isolation(net):
    default = graph_for(net.users.staff_a)
    assert not default.has_edge(key(net.p_neighbour), key(net.team_a))
    works = frozenset({*WorkKind.values})
    with_members = graph_for(net.users.staff_a, works=works)
    edge = with_members.edges[key(net.p_neighbour), key(net.team_a)]
    assert edge["kinds"] == [WorkKind.MEMBERSHIP]
    assert edge["weight"] == 1
    assert network_metrics(with_members)["isolated_teams"] == [key(net.team_a)]


def test_period_drops_older_work_and_recency_weighs_the_rest(net):
    graph = graph_for(net.users.staff_a, since=UNTIL - dt.timedelta(days=90))
    edge = graph.edges[key(net.p_neighbour), key(net.p_construction)]
    assert edge["count"] == 1
    assert edge["weight"] == pytest.approx(1)
    # Seen from 30 days after the work, a link weighs exp(-30/180).
    later = graph_for(net.users.staff_a, works=frozenset({WorkKind.MEDIATION}))
    assert later.number_of_edges() == 1
    moved = network_graph(
        net.users.staff_a,
        Filters(until=UNTIL + dt.timedelta(days=30), works=frozenset({WorkKind.MEDIATION})),
    )
    edge = moved.edges[key(net.p_team), key(net.p_neighbour)]
    assert edge["weight"] == pytest.approx(recency(30)) == pytest.approx(math.exp(-30 / 180))


def test_kind_and_work_filters(net):
    partners = graph_for(net.users.staff_a, kinds=frozenset({"partner"}))
    assert {graph_node["kind"] for _k, graph_node in partners.nodes(data=True)} == {"partner"}
    assert partners.number_of_edges() == 3
    meetings = graph_for(net.users.staff_a, works=frozenset({WorkKind.MEETING}))
    assert [frozenset(edge) for edge in meetings.edges] == [
        frozenset((key(net.p_team), key(net.org_a)))
    ]


def test_place_filter_keeps_the_compound_and_its_work(net):
    graph = graph_for(net.users.staff_a, place=Place("compound", net.yujia.pk))
    assert set(graph.nodes) == {
        key(net.p_neighbour),
        key(net.p_construction),
        key(net.p_n2),
        key(net.team_a),
        key(net.org_dept),
    }
    assert graph.number_of_edges() == 4


def test_community_b_sees_nothing_of_community_a(net):
    graph = graph_for(net.users.staff_b)
    assert set(graph.nodes) == {key(net.p_b), key(net.team_b), key(net.org_b)}
    assert graph.number_of_edges() == 0
    # Asking for A's place does not widen B's reach.
    assert graph_for(net.users.staff_b, place=Place("community", net.a.pk)).number_of_nodes() == 0


def test_residents_and_partners_see_no_network(net):
    assert graph_for(net.users.resident_a).number_of_nodes() == 0
    assert graph_for(net.users.partner_a).number_of_nodes() == 0


def test_official_sees_both_communities(net):
    graph = graph_for(net.users.official)
    assert key(net.p_b) in graph and key(net.p_neighbour) in graph
    assert graph.number_of_edges() == 6
    assert directory_reach(net.users.official).place == Place("subdistrict", net.sub.pk)


def test_isolated_teams_for_the_insights(net):
    period = Filters(until=UNTIL, since=UNTIL - dt.timedelta(days=364))
    assert isolated_teams(Place("community", net.a.pk), period) == [
        {"id": net.team_a.pk, "name": "渔家苑志愿服务队", "place": f"compound:{net.yujia.pk}"}
    ]
    own(make_matter(building=net.y1, created_at=at(UNTIL)), net.team_a, net.p_n2)
    assert isolated_teams(Place("community", net.a.pk), period) == []
    assert [t["name"] for t in isolated_teams(Place("community", net.b.pk), period)] == [
        "江南志愿服务队"
    ]


def test_empty_graph_has_zero_metrics(db):
    metrics = network_metrics(collaboration_graph(EVERYWHERE, Filters(until=UNTIL)))
    assert metrics["nodes"] == metrics["edges"] == metrics["components"] == 0
    assert metrics["density"] == 0 and metrics["largest_share"] == 0
    assert metrics["cross_circle_share"] is None and metrics["brokers"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"place": "street:1"}, "street:1"),
        ({"since": "2026-13-01"}, "2026-13-01"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "start"),
        ({"works": ["matter,party"]}, "party"),
        ({"kinds": ["resident"]}, "resident"),
    ],
)
def test_bad_filters_are_refused_with_a_message(params, message):
    with translation.override("en"), pytest.raises(BadNetworkFilter, match=message):
        network_filters(today=UNTIL, **params)


def test_filters_default_to_the_last_twelve_months():
    filters = network_filters(today=UNTIL)
    assert filters.until == UNTIL
    assert filters.since == UNTIL - dt.timedelta(days=364)
    assert WorkKind.MEMBERSHIP not in filters.works


def test_action_items_and_project_labour_link_their_actors(net):
    item = AgendaItem.objects.create(
        community=net.a, meeting=net.meeting, source="staff", title="修路灯"
    )
    decision = Decision.objects.create(
        item=item, method="consensus", outcome="adopted", text="修", decided_at=at(UNTIL)
    )
    ActionItem.objects.create(decision=decision, title="修路灯", team=net.team_a, due_on=UNTIL)
    project = Project.objects.create(
        community=net.a,
        compound=net.yujia,
        kind="micro_space",
        title="口袋公园",
        source="staff",
        planner=net.p_construction,
        proposed_at=at(UNTIL - dt.timedelta(days=30)),
    )
    for source in (f"project:{project.pk}", "project:abc"):
        activity = Activity.objects.create(
            title="共建",
            kind="co_building",
            community=net.a,
            organiser_team=net.team_a,
            date=UNTIL,
            source=source,
        )
        ServiceRecord.objects.create(
            activity=activity,
            partner=net.p_n2,
            minutes=60,
            status="confirmed",
            recorded_at=at(UNTIL),
        )
    graph = graph_for(net.users.staff_a)
    team, t, org = key(net.team_a), key(net.p_team), key(net.org_a)
    assert graph.edges[team, t]["kinds"] == [WorkKind.MEETING]
    assert graph.has_edge(team, org)
    c, n2 = key(net.p_construction), key(net.p_n2)
    labour = graph.edges[c, n2]
    assert labour["kinds"] == [WorkKind.PROJECT]
    # One project, dated by its latest part (the labour on UNTIL), counted once.
    assert labour["count"] == 1 and labour["weight"] == pytest.approx(1)
    assert graph.edges[team, n2]["kinds"] == [WorkKind.PROJECT]
    assert network_metrics(graph)["isolated_teams"] == []
    # Staff of community B see none of it.
    assert graph_for(net.users.staff_b).number_of_edges() == 0
