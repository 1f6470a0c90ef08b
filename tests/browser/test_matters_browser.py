"""The closed loop in a real browser: a resident reports on a phone, a grid worker acknowledges,
staff accept the suggested classification and assign, the owner completes, the resident gives
feedback — and the three rates move accordingly."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.matters import services
from gongzhi.matters.models import Matter, Status
from gongzhi.matters.rates import three_rates
from tests.browser.helpers import log_in
from tests.helpers import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "1栋3楼楼道的灯坏了一个星期，晚上老人上下楼看不见，很危险"


def submit_button(page, action: str):
    """The submit button of the matter page's form for ``action`` (language-independent)."""
    return page.locator(f"form[action$='/{action}/'] button[type=submit]").first


def assert_fits_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def community_a_rates(world) -> dict:
    return three_rates(Matter.objects.filter(community=world.a))


def dashboard_rates(page) -> list[str]:
    """Response, resolution and satisfaction as staff_a's dashboard shows them (30 days)."""
    page.goto(reverse("matters:dashboard") + "?period=30d")
    figures = page.locator("section.stats").first.locator("a.stat b")
    return [figures.nth(index).inner_text() for index in range(3)]


def test_closed_loop_from_phone_report_to_feedback(
    browser, live_server, phone_page, world, artifacts
):
    # An older matter nobody acknowledged in time: the rates start below 100%.
    stale = services.matter_submit(
        actor=world.users.staff_a,
        text="锦绣园1栋门口的垃圾桶坏了",
        channel="walk_in",
        place=services.resolve_place(building=world.j1),
        reporter=world.res_j1,
        now=timezone.now() - dt.timedelta(days=3),
    )
    before = community_a_rates(world)
    assert (before["response"], before["resolution"], before["satisfaction"]) == (0.0, 0.0, None)
    desk = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    desk.set_default_timeout(15_000)
    log_in(desk, "staff_a")
    assert dashboard_rates(desk) == ["0.0%", "0.0%", "—"]
    desk.context.clear_cookies()

    # 1. The resident reports on a phone-sized screen, with a photo.
    resident = phone_page
    log_in(resident, "resident_a")
    resident.goto(reverse("matters:report"))
    assert_fits_phone(resident)
    resident.locator("textarea[name=text]").fill(TEXT)
    suggestion = resident.locator("#suggestion .suggestion[data-category]")
    expect(suggestion).to_be_visible()
    expect(resident.locator("select[name=where]")).to_have_value(f"building:{world.y1.pk}")
    resident.locator("input[name=photo]").set_input_files(
        {"name": "lamp.png", "mimeType": "image/png", "buffer": PNG}
    )
    resident.screenshot(path=artifacts / "matters-1-report-phone.png", full_page=True)
    submit = resident.locator("form button.primary[type=submit]")
    expect(submit).to_be_in_viewport()
    submit.click()
    resident.wait_for_url("**/matters/*/")
    matter = Matter.objects.exclude(pk=stale.pk).get()
    assert matter.reporter == world.res_a and matter.photos.count() == 1
    expect(resident.locator(".matter-text")).to_have_text(TEXT)
    expect(resident.locator(".photos img")).to_have_count(1)
    # The photo loads through the access-checked view (wait for it: the page is there first).
    resident.wait_for_function("document.querySelector('.photos img').complete")
    assert resident.evaluate("document.querySelector('.photos img').naturalWidth") == 8
    assert_fits_phone(resident)
    resident.screenshot(path=artifacts / "matters-2-timeline-phone.png", full_page=True)

    detail = reverse("matters:detail", args=[matter.pk])

    # 2. The grid worker acknowledges it.
    log_in(desk, "grid_a1")
    desk.goto(detail)
    submit_button(desk, "acknowledge").click()
    expect(desk.locator(".messages .success")).to_be_visible()
    matter.refresh_from_db()
    assert matter.status == Status.ACKNOWLEDGED

    # 3. Staff accept the suggested classification, then assign the top candidate.
    desk.context.clear_cookies()
    log_in(desk, "staff_a")
    desk.goto(detail)
    desk.locator("#classification form.inline-form button").click()
    expect(desk.locator(".messages .success")).to_be_visible()
    matter.refresh_from_db()
    assert matter.classification_confirmed
    assert (matter.category, matter.tier) == (matter.suggested_category, matter.suggested_tier)
    owner = f"partner:{world.p_neighbour.pk}"
    desk.locator(f"#assign button[data-owner='{owner}']").click()
    expect(desk.locator(".messages .success")).to_be_visible()
    desk.screenshot(path=artifacts / "matters-3-staff-assigned.png", full_page=True)
    matter.refresh_from_db()
    assert matter.status == Status.ASSIGNED
    assert matter.owners.get(active=True).partner == world.p_neighbour

    # 4. The owner (a neighbour partner) finds it in the inbox, starts and completes it.
    desk.context.clear_cookies()
    log_in(desk, "partner_a")
    desk.goto(reverse("notifications:inbox"))
    desk.locator("a[href*='/inbox/']", has_text=TEXT[:10]).first.click()
    desk.wait_for_url(f"**{detail}")
    submit_button(desk, "start").click()
    expect(desk.locator(".messages .success")).to_be_visible()
    desk.locator("form[action$='/complete/'] input[name=note]").fill("已更换灯泡，楼道恢复照明")
    submit_button(desk, "complete").click()
    expect(desk.locator(".messages .success")).to_be_visible()
    matter.refresh_from_db()
    assert matter.status == Status.DONE

    # 5. The resident sees it is done and says they are satisfied.
    resident.goto(detail)
    feedback = resident.locator("#feedback")
    expect(feedback).to_be_in_viewport()
    feedback.locator("input[name=satisfaction][value=satisfied]").check()
    feedback.locator("textarea[name=comment]").fill("修得很快，谢谢")
    resident.screenshot(path=artifacts / "matters-4-feedback-phone.png", full_page=True)
    feedback.locator("button[type=submit]").click()
    expect(resident.locator(".messages .success")).to_be_visible()
    expect(resident.locator("#feedback")).to_have_count(0)
    assert_fits_phone(resident)
    resident.screenshot(path=artifacts / "matters-5-closed-phone.png", full_page=True)
    matter.refresh_from_db()
    assert (matter.status, matter.satisfaction) == (Status.CLOSED, "satisfied")
    actions = list(matter.events.values_list("action", flat=True))
    assert actions[0] == "submit" and actions[-1] == "feedback"
    assert {"acknowledge", "classify", "assign", "start", "complete"} <= set(actions)

    # 6. The three rates moved: one of two answered in time and resolved, one rated satisfied.
    after = community_a_rates(world)
    assert (after["response"], after["resolution"], after["satisfaction"]) == (0.5, 0.5, 1.0)
    desk.context.clear_cookies()
    log_in(desk, "staff_a")
    assert dashboard_rates(desk) == ["50.0%", "50.0%", "100.0%"]
    desk.screenshot(path=artifacts / "matters-6-dashboard.png", full_page=True)
    desk.context.close()


def test_staff_intake_with_place_pickers_and_reporter_search(page, world, artifacts):
    log_in(page, "staff_a")
    page.goto(reverse("matters:new"))
    page.locator("textarea[name=text]").fill("小区里有人遛狗不拴绳，吓到了小孩")
    expect(page.locator("#suggestion .suggestion[data-category]")).to_be_visible()
    # One community in reach: it is preselected; choosing a compound loads its buildings.
    expect(page.locator("select[name=community]")).to_have_value(str(world.a.pk))
    page.locator("select[name=compound]").select_option(str(world.yujia.pk))
    building = page.locator("select[name=building] option", has_text="2栋")
    expect(building).to_have_count(1)
    page.locator("select[name=building]").select_option(str(world.y1.pk))
    expect(page.locator("select[name=household] option", has_text="102")).to_have_count(1)
    page.locator("select[name=household]").select_option(str(world.h_y1b.pk))
    # The reporter is optional and folded away, so a grid worker's phone form stays short.
    page.get_by_text("反映人（可选）").click()
    page.locator("input[name=reporter_q]").fill("赵")
    expect(page.locator("select[name=reporter] option", has_text="赵敏")).to_have_count(1)
    expect(page.locator("select[name=reporter]")).to_have_value(str(world.res_y1b.pk))
    page.screenshot(path=artifacts / "matters-intake-desk.png", full_page=True)
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url("**/matters/*/")
    matter = Matter.objects.get()
    assert matter.household == world.h_y1b and matter.reporter == world.res_y1b
    assert matter.entered_by == world.users.staff_a
