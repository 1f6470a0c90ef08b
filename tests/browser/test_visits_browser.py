"""A grid worker on a phone (390×844) finds today's care visit on the home page, opens today's
visits from the menu, and records the visit with a problem that becomes a matter in the same
step. Screenshots go to test-artifacts/visits-*.png."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.matters.models import Matter
from gongzhi.visits.models import CareReason, CareSubject, Visit
from tests.browser.helpers import enter
from tests.browser.journeys import assert_chinese, assert_fits_phone, name_the_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_records_a_care_visit_that_raises_a_matter(phone_page, world, artifacts):
    name_the_personas()
    today = timezone.localdate()
    subject = CareSubject.objects.create(
        resident=world.res_y1b,
        reason=CareReason.ALONE,
        frequency_days=7,
        registered_on=today - dt.timedelta(days=30),
        next_due_on=today - dt.timedelta(days=2),
    )
    subject.visitors.add(world.users.grid_a1)
    page = phone_page
    enter(page, "grid_a1")
    expect(page.locator("main")).to_contain_text("关爱走访：赵敏")  # the to-do on the home page

    page.locator("nav.tabbar a[href='#menu']").click()
    page.locator("#menu a", has_text="走访").click()
    page.wait_for_url("**/visits/")
    cards = page.locator("ul.visit-cards li")
    expect(cards.first).to_contain_text("渔家苑 1栋1单元102")
    expect(cards.first).to_contain_text("已逾期 2 天")
    assert_chinese(page, "visits/today")
    assert_fits_phone(page, "visits/today")
    page.screenshot(path=artifacts / "visits-today.png", full_page=True)

    cards.first.locator("a").click()
    page.wait_for_url("**/visits/new/**")
    expect(page.locator("input[name=kind][value=care]")).to_be_checked()
    page.locator("textarea[name=found]").fill("老人精神不错，反映厨房水管漏水")
    matter_text = page.locator("textarea[name=matter_text]")
    expect(matter_text).to_be_hidden()
    page.locator("label[for=raise_matter]").click()
    expect(matter_text).to_be_visible()
    matter_text.fill("1栋1单元102厨房水管漏水，需物业维修")
    assert_chinese(page, "visits/new")
    assert_fits_phone(page, "visits/new")
    page.screenshot(path=artifacts / "visits-new.png", full_page=True)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/visits/")
    expect(page.locator(".messages")).to_contain_text("走访已记录，事项 #")
    page.screenshot(path=artifacts / "visits-recorded.png", full_page=True)

    visit = Visit.objects.get()
    assert visit.kind == "care"
    assert visit.matter == Matter.objects.get(text="1栋1单元102厨房水管漏水，需物业维修")
    assert visit.matter.channel == "grid_visit"
    subject.refresh_from_db()
    assert subject.next_due_on == today + dt.timedelta(days=7)


def test_household_type_ahead_on_the_phone(phone_page, world, artifacts):
    name_the_personas()
    page = phone_page
    enter(page, "grid_a1")
    page.goto("/visits/new/")
    page.locator("input[name=q]").fill("102")
    option = page.locator("#households-found label", has_text="渔家苑 1栋1单元102")
    expect(option).to_be_visible()
    option.click()
    page.locator("textarea[name=found]").fill("一切正常")
    page.screenshot(path=artifacts / "visits-type-ahead.png", full_page=True)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/visits/")
    assert Visit.objects.get().household == world.h_y1b


def test_staff_coverage_and_care_register_in_chinese(phone_page, world, artifacts):
    name_the_personas()
    today = timezone.localdate()
    subject = CareSubject.objects.create(
        resident=world.res_y1b,
        reason=CareReason.SUBSISTENCE,
        frequency_days=30,
        registered_on=today,
        next_due_on=today,
    )
    subject.visitors.add(world.users.grid_a1)
    Visit.objects.create(
        household=world.h_y1,
        visitor=world.users.grid_a1,
        kind="routine",
        found="一切正常",
        visited_at=timezone.now(),
    )
    page = phone_page
    enter(page, "staff_a")
    page.goto("/visits/coverage/")
    expect(page.locator("main")).to_contain_text("共 4 户：近90天走访 1 户，从未走访 3 户。")
    assert_chinese(page, "visits/coverage")
    assert_fits_phone(page, "visits/coverage")
    page.screenshot(path=artifacts / "visits-coverage.png", full_page=True)
    page.goto("/visits/care/")
    expect(page.locator("main")).to_contain_text("低保户")
    assert_chinese(page, "visits/care")
    assert_fits_phone(page, "visits/care")
    page.screenshot(path=artifacts / "visits-care.png", full_page=True)
    page.locator("main a", has_text="登记关爱对象").click()
    page.wait_for_url("**/visits/care/new/")
    assert_chinese(page, "visits/care/new")
    assert_fits_phone(page, "visits/care/new")
    page.screenshot(path=artifacts / "visits-care-new.png", full_page=True)
