"""The scope dashboard in a real browser: staff open it, click a bar of a chart and land on
the list behind it, open the collaboration network, and download the annual report."""

import datetime as dt

import pytest
from django.utils import timezone
from docx import Document
from playwright.sync_api import expect

from gongzhi.insights.rollup import rollup
from tests.browser.helpers import log_in
from tests.factories_matters import make_matter
from tests.factories_network import own

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_drill_down_network_and_annual_report(page, world, artifacts, tmp_path):
    now = timezone.now()
    parking = [
        make_matter(
            building=world.y1, category="parking", created_at=now - dt.timedelta(hours=i + 1)
        )
        for i in range(4)
    ]
    # A neighbour partner and a team worked together on one: an edge of the network.
    own(parking[0], world.p_neighbour, world.team_a, day=timezone.localdate())
    make_matter(building=world.j1, category="sanitation", created_at=now - dt.timedelta(hours=2))
    rollup(full=True)

    log_in(page, "staff_a")
    page.goto("/dashboard/")
    chart = page.locator("#chart-category")
    expect(chart.locator("canvas")).to_be_visible()
    page.wait_for_function(
        "() => { const el = document.getElementById('chart-category');"
        " return window.echarts && echarts.getInstanceByDom(el); }"
    )
    page.screenshot(path=str(artifacts / "dashboard-1-scope.png"), full_page=True)

    # Click the middle of the parking bar (its position from ECharts itself).
    x, y = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.getElementById('chart-category'));
          const option = chart.getOption();
          const labels = option.xAxis[0].data;
          const values = option.series[0].data;
          const index = values.findIndex((point) => (point.value ?? point) === 4);
          return chart.convertToPixel({seriesIndex: 0}, [labels[index], 2]);
        }"""
    )
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(lambda url: "/matters/?" in url and "category=parking" in url)
    expect(page.locator("body")).to_contain_text("1栋3单元电梯坏了")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    page.screenshot(path=str(artifacts / "dashboard-2-drilled-list.png"), full_page=True)

    # The collaboration network page, linked from the dashboard.
    page.goto("/dashboard/")
    page.locator("a[href='/network/']").first.click()
    page.wait_for_url(lambda url: "/network/" in url)
    expect(page.locator("[data-chart]").first).to_be_visible()
    page.screenshot(path=str(artifacts / "dashboard-3-network.png"), full_page=True)

    # The annual report: choose the year and download the .docx.
    page.goto("/dashboard/")
    page.locator("#annual-report-link").click()
    page.wait_for_url(lambda url: "/dashboard/report/" in url)
    page.screenshot(path=str(artifacts / "dashboard-4-report-page.png"), full_page=True)
    # The report is prepared in the background: the page says so, the worker's job prepares
    # it, and the page (polling) then offers the download.
    page.locator("#report-docx").click()
    expect(page.locator(".report-job-queued")).to_be_visible()
    from gongzhi.insights.report_jobs import run_queued

    assert [job.status for job in run_queued()] == ["done"]
    link = page.locator(".report-job-done a")
    expect(link).to_be_visible(timeout=10_000)
    with page.expect_download() as info:
        link.click()
    target = tmp_path / "report.docx"
    info.value.save_as(target)
    doc = Document(str(target))
    assert doc.paragraphs[0].text == "社区治理年报"
    assert len(doc.inline_shapes) >= 3
