"""The index and diagnostics pages and API: who may open them, scope isolation, exports, and
the index page's pinned query count (it does not grow with the number of matters)."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from gongzhi.insights.rollup import rollup
from gongzhi.matters.models import Matter
from tests.factories_matters import make_matter

INDEX = "/insights/index/"
DIAGNOSTICS = "/insights/diagnostics/"


def _matters(world, n, building):
    for i in range(n):
        made = make_matter(building=building, created_at=timezone.now() - dt.timedelta(hours=2 + i))
        Matter.objects.filter(pk=made.pk).update(bounce_count=3, overdue=True)


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.parametrize("name", ["resident_a", "partner_a"])
def test_residents_and_partners_may_not_open_insights(client, world, name):
    user = getattr(world.users, name)
    assert get(client, user, INDEX).status_code == 403
    assert get(client, user, DIAGNOSTICS).status_code == 403
    client.force_login(user)
    assert client.get("/api/v1/insights/index").status_code == 403


def test_staff_of_b_cannot_ask_for_a(client, world):
    a = f"community:{world.a.pk}"
    assert get(client, world.users.staff_b, INDEX, place=a).status_code == 400
    assert get(client, world.users.staff_b, DIAGNOSTICS, place=a).status_code == 400
    response = client.get("/api/v1/insights/index", {"place": a})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert (
        get(client, world.users.grid_a1, INDEX, place=f"grid:{world.grid_a2.pk}").status_code == 400
    )


def test_staff_of_b_sees_only_b(client, world):
    _matters(world, 2, world.y1)
    rollup()
    response = get(client, world.users.staff_b, DIAGNOSTICS)
    assert response.status_code == 200
    text = response.content.decode()
    assert "#" not in "".join(
        row["subject"]
        for group in response.context["groups"]
        for row in group["rows"]
        if row["kind"] == "bounced"
    )
    assert "渔家苑" not in text
    data = client.get("/api/v1/insights/index").json()
    assert data["place"] == f"community:{world.b.pk}"
    assert data["indicators"]["not_bounced"]["denominator"] == 0


def test_staff_of_a_sees_index_and_findings(client, world):
    _matters(world, 2, world.y1)
    rollup()
    response = get(client, world.users.staff_a, INDEX)
    assert response.status_code == 200
    result = response.context["result"]
    assert result["indicators"]["not_bounced"] == {
        "value": 0.0,
        "numerator": 0,
        "denominator": 2,
        "weight": 1.0,
    }
    api = client.get("/api/v1/insights/index").json()
    assert api["score"] == result["score"]
    assert api["responsibility"] == result["responsibility"]
    # Comparison: the two compounds of community A.
    comparison = next(c for c in response.context["charts"] if c["id"] == "chart-comparison")
    assert [row["label"] for row in comparison["rows"]] == ["渔家苑", "锦绣园"]
    findings = client.get("/api/v1/insights/diagnostics").json()["findings"]
    kinds = {finding["kind"] for finding in findings}
    assert {"bounced", "no_neighbour_partner", "overdue_hot_spot"} <= kinds
    buildings = [f["subject"] for f in findings if f["kind"] == "no_neighbour_partner"]
    assert sorted(buildings) == ["渔家苑 2栋", "锦绣园 1栋"]


def test_official_compares_communities(client, world):
    response = get(client, world.users.official, INDEX)
    comparison = next(c for c in response.context["charts"] if c["id"] == "chart-comparison")
    assert [row["label"] for row in comparison["rows"]] == ["X社区", "Y社区"]


def test_exports_are_xlsx_with_the_page_figures(client, world):
    _matters(world, 1, world.y1)
    rollup()
    response = get(client, world.users.staff_a, INDEX, format="xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("维度", "指标", "公式", "数值(%)")
    assert len(rows) == 1 + 13 + 4 + 1
    response = get(client, world.users.staff_a, DIAGNOSTICS, format="xlsx")
    rows = list(
        load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert rows[0] == ("问题", "对象", "说明", "链接")
    assert any(row[1].startswith("#") for row in rows[1:])


def test_bad_period_is_a_clear_error(client, world):
    response = get(
        client, world.users.staff_a, INDEX, period="custom", since="2026-02-01", until="2026-01-01"
    )
    assert response.status_code == 400
    client.force_login(world.users.staff_a)
    response = client.get("/api/v1/insights/index", {"since": "2026-02-01", "until": "2026-01-01"})
    assert response.status_code == 400 and response.json()["code"] == "bad_period"


INDEX_QUERIES = 11


def test_index_page_query_count_is_pinned(client, world):
    client.force_login(world.users.staff_a)
    rollup()
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    _matters(world, 5, world.y2)
    _matters(world, 5, world.j1)
    rollup()
    with CaptureQueriesContext(connection) as many:
        client.get(INDEX)
    assert len(few) == len(many) == INDEX_QUERIES
