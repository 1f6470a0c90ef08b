"""Phone-first layout, server side: the tab bar each role gets, the menu behind 菜单, filters
folded behind 筛选, the to-do badge, and the resident's points shop as cards."""

import re

import pytest
from django.urls import reverse

from gongzhi.points.models import ShopItem
from gongzhi.points.services import points_earn
from tests.factories_matters import make_matter


def tabbar(html: str) -> list[str]:
    """The labels of the bottom tab bar, in order."""
    bar = re.search(r'<nav class="tabbar".*?</nav>', html, re.S).group()
    return re.findall(r"<span>([^<]+)</span>", bar)


@pytest.mark.parametrize(
    ("persona", "tabs"),
    [
        ("resident_a", ["首页", "反映", "我的", "消息", "菜单"]),
        ("grid_a1", ["待办", "反映", "事项", "消息", "菜单"]),
        ("partner_a", ["待办", "反映", "事项", "消息", "菜单"]),
        ("staff_a", ["待办", "事项", "看板", "消息", "菜单"]),
        ("official", ["待办", "事项", "看板", "消息", "菜单"]),
    ],
)
def test_each_role_gets_its_tab_bar_and_the_full_menu(client, world, persona, tabs):
    client.force_login(getattr(world.users, persona))
    html = client.get("/").content.decode()
    assert tabbar(html) == tabs
    assert 'href="#menu"' in html and 'id="menu"' in html  # 菜单 opens the whole menu


def test_anonymous_pages_have_no_tab_bar(client, db):
    assert 'class="tabbar"' not in client.get(reverse("accounts:login")).content.decode()


def test_list_filters_fold_behind_a_button(client, world):
    client.force_login(world.users.grid_a1)
    html = client.get(reverse("matters:list")).content.decode()
    assert '<details class="filters-fold">' in html and "<summary>筛选</summary>" in html
    # A filter in use keeps the fold open, so the phone shows what narrows the list.
    html = client.get(reverse("matters:list"), {"q": "路灯"}).content.decode()
    assert '<details class="filters-fold" open>' in html


def test_todo_badge_counts_after_the_page(client, world):
    make_matter(building=world.y1)  # a new report in grid A1 waits for the grid worker
    client.force_login(world.users.grid_a1)
    html = client.get("/").content.decode()
    assert reverse("core:todo_badge") in html
    badge = client.get(reverse("core:todo_badge")).content.decode()
    count = int(re.search(r'<b class="count">(\d+)</b>', badge).group(1))
    assert count >= 1
    assert 'id="todo-badge-nav"' in badge  # the top menu's badge, swapped out of band


def test_todo_badge_is_empty_with_nothing_to_do(client, world):
    client.force_login(world.users.staff_b)
    assert client.get(reverse("core:todo_badge")).content.decode().strip() == ""


@pytest.fixture
def shop(world):
    points_earn(holder=world.res_a, amount=25, reason="志愿服务", source="t", idempotency_key="s1")
    return [
        ShopItem.objects.create(community=world.a, name="毛巾", price=10, stock=2),
        ShopItem.objects.create(community=world.a, name="大米", price=50, stock=3),
        ShopItem.objects.create(community=world.a, name="雨伞", price=5, stock=0),
    ]


def test_resident_shop_is_cards_with_balance_and_no_admin_controls(client, world, shop):
    client.force_login(world.users.resident_a)
    html = client.get(reverse("points:shop")).content.decode()
    assert "您的余额：25 积分" in html
    assert html.count('class="shop-card"') == 3
    assert html.count("shop-placeholder") == 3  # no photos: a placeholder picture each
    towel, rice, umbrella = shop
    card = lambda item: re.search(rf'id="item-{item.pk}".*?</li>', html, re.S).group()  # noqa: E731
    assert ">兑换</button>" in card(towel)
    assert "积分不足" in card(rice) and ">兑换</button>" not in card(rice)
    assert "已兑完" in card(umbrella)
    assert "<table" not in html and 'name="place"' not in html and "format=xlsx" not in html


def test_ordering_from_a_card_updates_the_balance_on_top(client, world, shop):
    client.force_login(world.users.resident_a)
    response = client.post(
        reverse("points:order", args=[shop[0].pk]),
        {"quantity": "1", "key": "card-1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span id="balance" hx-swap-oob="true">您的余额：15 积分</span>' in html


PAGES = [
    "/",
    "/places/",
    "/people/",
    "/people/households/",
    "/partners/",
    "/partners/teams/",
    "/partners/organisations/",
    "/insights/index/",
    "/insights/diagnostics/",
    "/dashboard/",
    "/network/",
    "/matters/dashboard/",
    "/points/shop/",
]


@pytest.mark.parametrize("persona", ["staff_a", "official", "grid_a1"])
def test_registry_and_insight_pages_speak_chinese_and_show_names(client, world, persona):
    user = getattr(world.users, persona)
    user.first_name = "陈社工"
    user.save(update_fields=["first_name"])
    make_matter(building=world.y1)
    client.force_login(user)
    for url in PAGES:
        html = client.get(url).content.decode()
        text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
        # Only the footer's language name and the file format staff download (导出 Excel).
        english = set(re.findall(r"[A-Za-z_]{3,}", text)) - {"English", "Excel"}
        assert not english, (url, english)
        assert "陈社工" in text  # the person's name, never the username
