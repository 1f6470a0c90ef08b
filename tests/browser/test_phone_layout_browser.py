"""The phone layout in a real browser (390×844): the bottom tab bar, the menu behind 菜单, lists
as cards with folded filters, the resident's shop as cards, nothing wider than the screen; and
on a desktop the top menu wraps instead of being cut off. Screenshots go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from gongzhi.points.models import ShopItem
from gongzhi.points.services import points_earn
from tests.browser.helpers import enter, log_in
from tests.browser.journeys import assert_chinese, assert_fits_phone, name_the_personas
from tests.factories_matters import make_matter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_menu(page, artifacts, name: str) -> None:
    menu = page.locator("#menu")
    expect(menu).to_be_hidden()
    page.locator("nav.tabbar a[href='#menu']").click()
    expect(menu).to_be_visible()
    expect(menu.locator(".menu-close")).to_be_visible()
    page.screenshot(path=artifacts / f"phone-{name}-menu.png")
    # Every link of the menu is on the screen and big enough for a thumb.
    for box in [link.bounding_box() for link in menu.locator(":scope > a").all()]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 40
    page.locator("#menu .menu-close").click()
    expect(menu).to_be_hidden()


def test_resident_phone_tab_bar_menu_and_shop(ledger_flushable, phone_page, world, artifacts):  # noqa: F811
    name_the_personas()
    points_earn(holder=world.res_a, amount=25, reason="志愿服务", source="t", idempotency_key="b1")
    ShopItem.objects.create(
        community=world.a, name="纯棉毛巾", description="两条装", price=10, stock=5
    )
    ShopItem.objects.create(community=world.a, name="东北大米 10斤", price=50, stock=3)
    page = phone_page
    enter(page, "resident_a")
    bar = page.locator("nav.tabbar")
    expect(bar).to_be_visible()
    expect(bar.locator("a span:first-of-type")).to_have_text(
        ["首页", "反映", "我的", "消息", "菜单"]
    )
    assert_fits_phone(page, "resident/home")
    assert_chinese(page, "resident/home")
    page.screenshot(path=artifacts / "phone-resident-home.png", full_page=True)
    open_menu(page, artifacts, "resident")

    page.locator("nav.tabbar a[href='#menu']").click()
    page.locator("#menu a", has_text="积分超市").click()
    expect(page.locator("#balance")).to_contain_text("25")
    cards = page.locator(".shop-card")
    expect(cards).to_have_count(2)
    expect(page.locator("table")).to_have_count(0)
    expect(page.locator("text=导出")).to_have_count(0)
    towel = cards.filter(has_text="纯棉毛巾")
    button = towel.get_by_role("button", name="兑换")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 120  # one big button, not a character wide
    expect(cards.filter(has_text="东北大米").get_by_role("button")).to_have_text("积分不足")
    assert_fits_phone(page, "resident/shop")
    assert_chinese(page, "resident/shop")
    page.screenshot(path=artifacts / "phone-resident-shop.png", full_page=True)
    button.click()
    expect(towel.locator("[role=status]")).to_contain_text("纯棉毛巾")
    expect(page.locator("#balance")).to_contain_text("15")
    page.screenshot(path=artifacts / "phone-resident-shop-ordered.png", full_page=True)


def test_grid_worker_phone_tab_bar_menu_and_cards(phone_page, world, artifacts):
    name_the_personas()
    for text in ["3栋门口电动车乱停，堵住消防通道", "1栋楼道灯坏了，晚上看不见"]:
        make_matter(building=world.y1, text=text)
    page = phone_page
    enter(page, "grid_a1")
    bar = page.locator("nav.tabbar")
    expect(bar).to_be_visible()
    expect(bar.locator("a span:first-of-type")).to_have_text(
        ["待办", "反映", "事项", "消息", "菜单"]
    )
    expect(bar.locator(".count")).to_have_text(re.compile(r"^[1-9]\d*$"))  # to-do badge
    assert_fits_phone(page, "grid/home")
    page.screenshot(path=artifacts / "phone-grid-home.png", full_page=True)
    open_menu(page, artifacts, "grid")

    bar.locator("a", has_text="事项").click()
    page.wait_for_url("**/matters/**")
    form = page.locator("form.filters")
    expect(form).to_be_hidden()  # folded behind 筛选
    rows = page.locator("table.rows tbody tr")
    expect(rows).to_have_count(2)
    first = rows.first.bounding_box()
    assert first["width"] <= 390 and first["height"] > 60  # a card, not a squeezed table row
    expect(rows.first.locator("td[data-label]").first).to_be_visible()
    assert_fits_phone(page, "grid/matters")
    page.screenshot(path=artifacts / "phone-grid-matters.png", full_page=True)
    page.locator("details.filters-fold > summary").click()
    expect(form).to_be_visible()
    assert_fits_phone(page, "grid/matters-filters")
    page.screenshot(path=artifacts / "phone-grid-matters-filters.png", full_page=True)


def test_desktop_menu_wraps_instead_of_being_cut_off(page, world, artifacts):
    page.set_viewport_size({"width": 1100, "height": 800})
    log_in(page, "grid_a1")
    expect(page.locator("nav.tabbar")).to_be_hidden()
    links = page.locator("nav.main-nav > a")
    assert links.count() >= 15
    for box in [link.bounding_box() for link in links.all()]:
        assert box is not None and box["x"] + box["width"] <= 1100
    heights = {round(link.bounding_box()["y"]) for link in links.all()}
    assert len(heights) >= 2  # more than one line
    page.screenshot(path=artifacts / "desktop-grid-menu.png")
