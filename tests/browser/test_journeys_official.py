"""A subdistrict official at the desk: opens the dashboard from the menu and clicks a bar of a
chart to the list of matters behind it, filtered to what the bar counted."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.insights.rollup import rollup
from tests.browser.journeys import Journey, name_the_personas
from tests.factories_matters import make_matter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The chart's own instance tells where the bar of ``category`` is drawn (charts.js draws every
# [data-chart] with ECharts on a canvas; a data point's ``link`` opens the list behind it).
BAR_POSITION = """(category) => {
  const el = document.getElementById('chart-category');
  const chart = echarts.getInstanceByDom(el);
  const option = chart.getOption();
  const index = option.series[0].data.findIndex((point) => point.link && point.link.includes(
    'category=' + category));
  const label = option.xAxis[0].data[index];
  const value = option.series[0].data[index].value;
  return chart.convertToPixel({seriesIndex: 0}, [label, value / 2]);
}"""


def test_official_clicks_from_a_chart_to_the_list_behind_it(page, world, artifacts):
    name_the_personas()
    now = timezone.now()
    for hours in range(3):
        make_matter(
            building=world.y1, category="parking", created_at=now - dt.timedelta(hours=1 + hours)
        )
    make_matter(building=world.j1, category="sanitation", created_at=now - dt.timedelta(hours=2))
    make_matter(building=world.n1, category="sanitation", created_at=now - dt.timedelta(hours=3))
    rollup(full=True)

    day = Journey(page, artifacts, "official", phone=False)
    day.log_in("official")
    day.shot("1-home")
    day.menu("数据看板")
    assert "/dashboard/" in page.url
    day.step("dashboard")
    chart = page.locator("#chart-category")
    expect(chart.locator("canvas")).to_be_visible()
    page.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart-category'))"
    )
    chart.scroll_into_view_if_needed()
    day.shot("2-dashboard")

    x, y = page.evaluate(BAR_POSITION, "parking")
    box = chart.bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    day.step("drilled-list")
    assert "category=parking" in page.url
    rows = page.locator("table.rows tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("table.rows tbody")).not_to_contain_text("环境卫生")
    expect(page.locator("select[name=category]")).to_have_value("parking")
    day.shot("3-list")
    day.finish()
