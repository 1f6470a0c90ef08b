"""The network page, its exports, the API and the monthly snapshots, by persona."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from gongzhi.accounts.scope import EVERYWHERE
from gongzhi.core.places import Place
from gongzhi.network import cache
from gongzhi.network.graph import Filters, collaboration_graph, network_metrics
from gongzhi.network.models import NetworkSnapshot
from gongzhi.network.services import network_snapshot_refresh, snapshot_step
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


PERIOD = {"period": "custom", "since": "2025-04-01", "until": UNTIL.isoformat()}


def test_staff_page_shows_metrics_brokers_and_the_graph(client, net):
    client.force_login(net.users.staff_a)
    response = client.get("/network/", PERIOD)
    assert response.status_code == 200
    option = response.context["option"]
    series = option["series"][0]
    assert series["type"] == "graph" and series["layout"] == "force"
    assert {node["id"] for node in series["data"]} == {
        key(p)
        for p in (
            net.p_neighbour,
            net.p_construction,
            net.p_n2,
            net.p_team,
            net.org_dept,
            net.org_a,
            net.team_a,
        )
    }
    assert len(series["links"]) == 6
    html = response.content.decode()
    assert "network-option" in html and "渔家苑志愿服务队" in html
    assert response.context["metrics"]["brokers"][0]["name"] == "王建国"
    assert json.loads(response.context["option"] and json.dumps(option))  # serialisable


def test_page_draws_only_the_best_connected_unless_asked(client, net, monkeypatch):
    monkeypatch.setattr("gongzhi.network.views.SHOW", 3)
    client.force_login(net.users.staff_a)
    response = client.get("/network/", PERIOD)
    assert response.context["shown"] == 3 and response.context["truncated"]
    assert response.context["metrics"]["nodes"] == 7
    drawn = {node["id"] for node in response.context["option"]["series"][0]["data"]}
    assert key(net.p_neighbour) in drawn
    response = client.get("/network/", {**PERIOD, "all": "1"})
    assert response.context["shown"] == 7 and not response.context["truncated"]


def test_residents_and_partners_are_refused(client, net):
    for user in (net.users.resident_a, net.users.partner_a):
        client.force_login(user)
        assert client.get("/network/").status_code == 403
        assert client.get("/api/v1/network/graph").status_code == 403


def test_bad_filter_is_a_400_with_a_message(client, net):
    client.force_login(net.users.staff_a)
    response = client.get("/network/", {"place": "street:9"})
    assert response.status_code == 400
    assert "street:9" in response.content.decode()
    response = client.get("/api/v1/network/metrics", {"works": "gossip"})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_filter"


def test_staff_b_page_and_export_hold_nothing_of_a(client, net):
    client.force_login(net.users.staff_b)
    response = client.get("/network/", {**PERIOD, "format": "xlsx", "table": "nodes"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"吴刚", "江南志愿服务队", "Y社区居委会"}
    api = client.get("/api/v1/network/graph", {"since": "2025-04-01", "until": "2026-03-31"})
    assert {node["name"] for node in api.json()["nodes"]} == names
    assert api.json()["edges"] == []


def test_exports_of_actors_and_links(client, net):
    client.force_login(net.users.staff_a)
    response = client.get("/network/", {**PERIOD, "format": "xlsx", "table": "edges"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("甲方编号", "甲方", "乙方编号", "乙方")
    assert len(rows) == 7
    heaviest = rows[1]
    assert {heaviest[1], heaviest[3]} == {"王建国", "孙立"}
    assert heaviest[5] == 2


def test_api_graph_and_metrics(client, net):
    client.force_login(net.users.staff_a)
    params = {"since": "2025-04-01", "until": UNTIL.isoformat()}
    graph = client.get("/api/v1/network/graph", {**params, "limit": 2}).json()
    assert graph["total_nodes"] == 7 and len(graph["nodes"]) == 2
    assert graph["nodes"][0]["key"] == key(net.p_neighbour)
    metrics = client.get("/api/v1/network/metrics", params).json()
    assert metrics["edges"] == 6 and metrics["components"] == 2
    assert metrics["isolated_teams"] == [key(net.team_a)]
    partners = client.get(
        "/api/v1/network/metrics", {**params, "kind": "partner", "works": "matter"}
    ).json()
    # N–C, N–N2 among partners from matters only.
    assert partners["nodes"] == 4 and partners["edges"] == 2
    compound = client.get(
        "/api/v1/network/metrics", {**params, "place": f"compound:{net.yujia.pk}"}
    ).json()
    assert compound["nodes"] == 5 and compound["edges"] == 4


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/network/", PERIOD).status_code == 200
    return len(queries)


def test_page_query_count_does_not_grow_with_links(client, net, django_assert_num_queries):
    client.force_login(net.users.staff_a)
    before = _page_queries(client)
    for _ in range(5):
        own(make_matter(building=net.y1, created_at=at(UNTIL)), net.p_n2, net.org_a, net.team_a)
    # The new owners make a new data version: the graph is built again, with as many queries.
    after = _page_queries(client)
    assert after == before
    cache.clear()
    with django_assert_num_queries(before):
        client.get("/network/", PERIOD)
    # Seen again with nothing changed: only the data version is read of the network.
    assert _page_queries(client) < before - 8


def test_snapshot_refresh_matches_a_direct_computation_and_is_idempotent(net):
    month = dt.date(2026, 3, 1)
    snapshot = network_snapshot_refresh(month=month, community=net.a)
    direct = network_metrics(
        collaboration_graph(
            EVERYWHERE, Filters(since=month, until=UNTIL, place=Place("community", net.a.pk))
        )
    )
    assert (snapshot.nodes, snapshot.edges, snapshot.components) == (
        direct["nodes"],
        direct["edges"],
        direct["components"],
    )
    assert snapshot.density == pytest.approx(direct["density"])
    assert snapshot.isolated_teams == 1
    assert snapshot.brokers[0]["name"] == "王建国"
    again = network_snapshot_refresh(month=month, community=net.a)
    assert again.pk == snapshot.pk
    assert NetworkSnapshot.objects.count() == 1


def test_rollup_step_backfills_once_then_refreshes_the_last_two_months(net):
    now = at(UNTIL)
    scopes = 2 + 3  # two communities, three compounds
    first = snapshot_step(now=now)
    assert first == {"network_snapshots": 12 * scopes, "network_snapshots_changed": 12 * scopes}
    rows = {
        (s.month, s.community_id, s.compound_id): (s.nodes, s.edges, s.density)
        for s in NetworkSnapshot.objects.all()
    }
    second = snapshot_step(now=now)
    assert second == {"network_snapshots": 2 * scopes, "network_snapshots_changed": 0}
    assert NetworkSnapshot.objects.count() == 12 * scopes
    assert {
        (s.month, s.community_id, s.compound_id): (s.nodes, s.edges, s.density)
        for s in NetworkSnapshot.objects.all()
    } == rows
    march = NetworkSnapshot.objects.get(month=dt.date(2026, 3, 1), community=net.a, compound=None)
    assert march.edges == 6


def test_snapshot_command(net):
    out = io.StringIO()
    call_command("network_snapshot", "--month", "2026-03", stdout=out)
    assert "computed: 5, created or changed: 5" in out.getvalue()
    assert NetworkSnapshot.objects.filter(month=dt.date(2026, 3, 1)).count() == 5
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("network_snapshot", "--month", "March")
