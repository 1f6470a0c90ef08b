"""The map in a real browser: an official opens it from the navigation, sees the community's
plan drawn from its own GeoJSON, and clicks a grid to the list of that grid's open matters."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.maps.services import map_import
from tests.browser.journeys import Journey, name_the_personas
from tests.factories_matters import make_matter
from tests.helpers import collection_a

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_official_clicks_a_grid_to_its_open_matters(page, world, artifacts):
    map_import(community=world.a, collection=collection_a())
    make_matter(building=world.y1, text="1栋楼道堆满杂物")
    make_matter(building=world.y1, text="1栋单元门禁坏了")
    make_matter(building=world.y2, text="2栋路灯不亮")  # grid A2: not in the list below

    name_the_personas()
    journey = Journey(page, artifacts, "map", phone=False)
    journey.log_in("official")
    journey.menu("地图")  # steps check the page is all Chinese and quick
    journey.step("map")
    assert page.url.endswith(reverse("maps:map"))
    chart = page.locator("#community-map")
    expect(chart.locator("canvas").first).to_be_visible()
    page.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('community-map'))"
    )
    expect(page.locator(".map-legend")).to_contain_text("未办结事项")
    page.screenshot(path=str(artifacts / "map-1-community.png"), full_page=True)

    # A point of grid A1 away from its building and the square (plan metres, see collection_a),
    # turned into a pixel by ECharts itself.
    x, y = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('community-map'))
                 .convertToPixel({geoIndex: 0}, [5, 10])"""
    )
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    expect(page.locator("body")).to_contain_text("第一网格 · 网格")  # the tooltip
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(
        lambda url: f"place=grid%3A{world.grid_a1.pk}" in url and "status=open" in url
    )
    expect(page.locator("body")).to_contain_text("1栋楼道堆满杂物")
    expect(page.locator("body")).to_contain_text("1栋单元门禁坏了")
    expect(page.locator("body")).not_to_contain_text("2栋路灯不亮")
    page.screenshot(path=str(artifacts / "map-2-grid-list.png"), full_page=True)
