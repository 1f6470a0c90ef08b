"""Community staff use the registry in a real browser, on a desk and on a phone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_opens_a_building_and_sees_its_households(page, world, artifacts):
    log_in(page, "staff_a")
    page.locator(f".main-nav a[href='{reverse('places:tree')}']").click()
    page.wait_for_url("**/places/")
    compound = page.locator("details", has_text="渔家苑")
    compound.get_by_role("link", name="1栋").click()
    page.wait_for_url(f"**/places/buildings/{world.y1.pk}/")

    expect(page.locator("h1")).to_have_text("渔家苑 1栋")
    households = page.locator("ul.households")
    expect(households).to_contain_text("1单元101")
    expect(households).to_contain_text("1单元102")
    expect(page.locator("body")).not_to_contain_text(world.res_a.id_number)
    page.screenshot(path=artifacts / "building-households.png", full_page=True)

    households.get_by_role("link", name="1单元101").click()
    expect(page.locator("h1")).to_have_text(world.h_y1.label)
    expect(page.locator("table")).to_contain_text("王建国")


def test_resident_list_is_usable_on_a_phone(phone_page, world, artifacts):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(reverse("people:residents"))
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(5)

    # No sideways scrolling of the page itself, and the filter is on screen and tappable.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    search = page.locator("input[name=q]")
    expect(search).to_be_hidden()  # on a phone the filters fold behind 筛选
    page.locator("details.filters-fold > summary").click()
    expect(search).to_be_in_viewport()
    search.fill("秀英")
    search.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("李秀英")
    # htmx swapped the results and pushed the filter into the address bar.
    assert "q=" in page.url
    name_link = rows.first.get_by_role("link", name="李秀英")
    expect(name_link).to_be_in_viewport()
    page.screenshot(path=artifacts / "residents-phone.png", full_page=True)
