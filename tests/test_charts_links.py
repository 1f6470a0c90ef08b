"""Every chart is clickable to the list behind it: each data point carries a ``link`` (built by
``core.charts.link_points``), on the matters dashboard, the scope dashboard and the index page;
following a link gives the list with the same place and period plus the clicked filter."""

import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from gongzhi.core.charts import link_points
from gongzhi.matters.models import Matter
from tests.factories_matters import make_matter


def options(html: str) -> dict[str, dict]:
    """The ECharts options of a page, by script id."""
    found = re.findall(r'<script id="([\w-]+-option)" type="application/json">(.*?)</script>', html)
    return {key: json.loads(body) for key, body in found}


def points(option: dict) -> list:
    return [point for series in option["series"] for point in series["data"]]


def test_link_points_names_bars_slices_and_cells():
    bar = {
        "xAxis": {"type": "category", "data": ["线上反映", "网格巡查"]},
        "series": [{"type": "bar", "data": [3, 0]}],
    }
    linked = link_points(bar, {"线上反映": "/matters/?channel=online"})
    assert linked["series"][0]["data"] == [{"value": 3, "link": "/matters/?channel=online"}, 0]
    assert bar["series"][0]["data"] == [3, 0]  # the original is left alone
    pie = {"series": [{"type": "pie", "data": [{"name": "小事", "value": 2}]}]}
    assert link_points(pie, {"小事": "/x"})["series"][0]["data"][0]["link"] == "/x"
    heat = {"series": [{"type": "heatmap", "data": [{"name": "1,0", "value": [1, 0, 4]}]}]}
    assert link_points(heat, {"1,0": "/y"})["series"][0]["data"][0] == {
        "name": "1,0",
        "value": [1, 0, 4],
        "link": "/y",
    }


@pytest.fixture
def matters(world):
    for category, channel in [("facilities", "grid_visit"), ("parking", "grid_visit")]:
        matter = make_matter(building=world.y1, category=category)
        Matter.objects.filter(pk=matter.pk).update(channel=channel)


def test_matters_dashboard_every_point_links_to_its_list(client, world, matters):
    client.force_login(world.users.staff_a)
    place = f"community:{world.a.pk}"
    html = client.get("/matters/dashboard/", {"place": place}).content.decode()
    charts = options(html)
    assert {"chart-category-option", "chart-trend-option", "chart-compounds-option"} <= set(charts)
    for key, option in charts.items():
        for point in points(option):
            assert isinstance(point, dict) and point["link"].startswith("/matters/?"), key
    parking = next(
        p["link"] for p in points(charts["chart-category-option"]) if "parking" in p["link"]
    )
    query = parse_qs(urlparse(parking).query)
    today = timezone.localdate()
    assert query == {
        "since": [today.replace(day=1).isoformat()],
        "until": [today.isoformat()],
        "place": [place],
        "category": ["parking"],
    }
    listed = client.get(parking)
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == 1


def test_matters_dashboard_month_points_open_that_month(client, world, matters):
    client.force_login(world.users.staff_a)
    html = client.get("/matters/dashboard/").content.decode()
    month = points(options(html)["chart-trend-option"])[-1]["link"]
    query = parse_qs(urlparse(month).query)
    today = timezone.localdate()
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    assert query["since"] == [first.isoformat()] and query["until"] == [last.isoformat()]
    assert client.get(month).context["page"].paginator.count == 2


def test_scope_dashboard_charts_link_their_points(client, world, matters):
    client.force_login(world.users.staff_a)
    html = client.get("/dashboard/").content.decode()
    charts = options(html)
    assert charts
    for key, option in charts.items():
        linked = [p for p in points(option) if isinstance(p, dict) and p.get("link")]
        assert linked or not points(option), key  # an empty pie has nothing to click
    cells = points(charts["chart-heatmap-option"])
    assert all(cell["link"].startswith("/matters/?") for cell in cells)


def test_index_page_charts_open_indicators_months_and_places(client, world, matters):
    client.force_login(world.users.official)
    html = client.get("/insights/index/").content.decode()
    charts = options(html)
    assert points(charts["chart-score-option"])[0]["link"] == "#indicators"
    assert points(charts["chart-radar-option"])[0]["link"] == "#indicators"
    assert 'id="indicators"' in html
    months = points(charts["chart-index-trend-option"])
    assert all("period=custom" in p["link"] for p in months)
    places = points(charts["chart-comparison-option"])
    assert {parse_qs(urlparse(p["link"]).query)["place"][0] for p in places} == {
        f"community:{world.a.pk}",
        f"community:{world.b.pk}",
    }
    assert client.get("/insights/index/" + places[0]["link"]).status_code == 200


def _english_sentences(html: str) -> list[str]:
    """Runs of four or more English words outside tags and scripts."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
    return re.findall(r"[A-Za-z]+(?:[ ,.'-]+[A-Za-z]+){3,}", text)


def test_network_figures_each_have_a_plain_chinese_sentence(client, world, matters):
    client.force_login(world.users.official)
    html = client.get("/network/").content.decode()
    explained = re.findall(r'<small class="explain">([^<]+)</small>', html)
    assert len(explained) == 8
    assert any("越高说明各方联系越紧密" in sentence for sentence in explained)  # 网络密度
    assert any("连成了一张网" in sentence for sentence in explained)  # 连通分量
    assert "中介中心度" in html and "桥梁作用" in html
    assert _english_sentences(html) == []


def test_index_figures_each_have_a_plain_chinese_sentence(client, world, matters):
    client.force_login(world.users.staff_a)
    html = client.get("/insights/index/").content.decode()
    explained = re.findall(r'<small class="explain">([^<]+)</small>', html)
    assert len(explained) == 5  # the score and the four dimensions
    assert "拧成一股绳" in explained[0] and "推来推去" in html
    assert _english_sentences(html) == []
