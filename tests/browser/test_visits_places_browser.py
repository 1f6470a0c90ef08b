"""A grid worker on a phone records a visit at a public spot: "公共区域" chosen, the bike shed
found by typing, saved. Screenshot: test-artifacts/visits-spot.png."""

import pytest
from playwright.sync_api import expect

from gongzhi.maps.models import Spot, SpotKind
from gongzhi.visits.models import Visit
from tests.browser.helpers import enter
from tests.browser.journeys import assert_chinese, assert_fits_phone, name_the_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_records_a_visit_at_a_spot(phone_page, world, artifacts):
    name_the_personas()
    shed = Spot.objects.create(
        community=world.a, compound=world.yujia, name="自行车棚", kind=SpotKind.PARKING
    )
    page = phone_page
    enter(page, "grid_a1")
    page.goto("/visits/new/")
    page.locator(".targets label", has_text="公共区域").click()
    page.locator("input[name=q]").fill("车棚")
    option = page.locator("#households-found label", has_text="渔家苑 自行车棚")
    expect(option).to_be_visible()
    # Switching back to households searches households again with the same words.
    page.locator(".targets label", has_text="住户").click()
    expect(page.locator("#households-found")).to_contain_text("您的范围内没有匹配的住户")
    page.locator(".targets label", has_text="公共区域").click()
    option.click()
    page.locator("textarea[name=found]").fill("车棚整洁，无私拉电线")
    assert_chinese(page, "record a visit at a spot")
    assert_fits_phone(page, "record a visit at a spot")
    page.screenshot(path=artifacts / "visits-spot.png", full_page=True)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/visits/")
    assert Visit.objects.get().spot == shed
