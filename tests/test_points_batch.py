"""The pickup desk hands over many orders at once (all or nothing, web and API); nobody is
sent to a page that refuses them; residents never export."""

import json
import re

import pytest
from django.urls import reverse

from gongzhi.points.models import Redemption, RedemptionStatus, ShopItem
from gongzhi.points.services import (
    PointsError,
    balance_of,
    points_earn,
    redemption_order,
    redemptions_fulfil_many,
)
from tests.conftest import login
from tests.pickers_assert import assert_no_walls

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(world):
    """Three orders awaiting pickup in community A (王建国 ×2, 孙立 ×1)."""
    towel = ShopItem.objects.create(community=world.a, name="毛巾", price=10, stock=10)
    for holder, key in ((world.res_a, "a"), (world.res_y2, "b")):
        points_earn(holder=holder, amount=50, reason="志愿服务", source="t", idempotency_key=key)
    return [
        redemption_order(holder=holder, item=towel, quantity=1, actor=None, idempotency_key=key)
        for holder, key in ((world.res_a, "o1"), (world.res_a, "o2"), (world.res_y2, "o3"))
    ]


def _statuses():
    return list(Redemption.objects.order_by("pk").values_list("status", flat=True))


def test_staff_hand_over_the_ticked_orders_in_one_step(client, world, orders):
    login(client, world.users.staff_a)
    page = client.get(reverse("points:desk"), {"status": "held"}).content.decode()
    assert page.count('name="orders"') == 3 and 'id="handout"' in page
    response = client.post(
        reverse("points:handout"), {"orders": [orders[0].pk, orders[2].pk]}, follow=True
    )
    assert "已发放2个订单" in response.content.decode()
    assert _statuses() == [RedemptionStatus.FULFILLED, RedemptionStatus.HELD, "fulfilled"]
    assert balance_of(world.res_a) == 30  # held points are spent, not returned


def test_one_order_that_cannot_be_handed_over_refuses_the_batch(client, world, orders):
    login(client, world.users.staff_a)
    client.post(reverse("points:resolve", args=[orders[1].pk, "cancel"]))
    before = _statuses()
    response = client.post(
        reverse("points:handout"), {"orders": [o.pk for o in orders]}, follow=True
    )
    assert _statuses() == before  # nothing handed over
    assert f"订单 #{orders[1].pk}" in response.content.decode()


def test_the_service_is_all_or_nothing(world, orders):
    redemptions_fulfil_many(redemptions=[orders[0]], actor=world.users.staff_a)
    with pytest.raises(PointsError) as refused:
        redemptions_fulfil_many(redemptions=[orders[1], orders[0]], actor=world.users.staff_a)
    assert refused.value.code == "bad_state" and str(orders[0].pk) in refused.value.message
    assert Redemption.objects.get(pk=orders[1].pk).status == RedemptionStatus.HELD
    with pytest.raises(PointsError):
        redemptions_fulfil_many(redemptions=[], actor=world.users.staff_a)


def test_other_staff_and_grid_workers_cannot_hand_over(client, world, orders):
    login(client, world.users.staff_b)
    client.post(reverse("points:handout"), {"orders": [orders[0].pk]})
    login(client, world.users.grid_a1)
    client.post(reverse("points:handout"), {"orders": [orders[0].pk]})
    client.post(reverse("points:handout"), {"orders": ["x"]})
    assert set(_statuses()) == {RedemptionStatus.HELD}


def test_grid_worker_desk_links_lead_to_pages_they_may_open(client, world, orders):
    login(client, world.users.grid_a1)
    page = client.get(reverse("points:desk"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("points:items") not in html and 'name="orders"' not in html
    links = set(re.findall(r'href="(/points/[^"?#]*)', html))
    assert links, "the desk links somewhere"
    for link in links:
        assert client.get(link).status_code == 200, link
    login(client, world.users.staff_a)
    assert reverse("points:items") in client.get(reverse("points:desk")).content.decode()


def test_desk_page_ticks_only_one_page_of_orders(client, world, orders):
    towel = ShopItem.objects.get()
    ShopItem.objects.filter(pk=towel.pk).update(stock=200)
    points_earn(holder=world.res_j1, amount=2000, reason="服务", source="t", idempotency_key="j")
    for n in range(25):
        redemption_order(
            holder=world.res_j1, item=towel, quantity=1, actor=None, idempotency_key=f"j{n}"
        )
    login(client, world.users.staff_a)
    page = client.get(reverse("points:desk"), {"status": "held"}).content
    assert_no_walls(page)
    assert page.decode().count('name="orders"') < 28  # paginated: never all the orders


def test_api_hands_over_a_list_all_or_nothing(client, world, orders):
    login(client, world.users.staff_a)
    url = "/api/v1/points/redemptions/fulfil"
    done = client.post(url, json.dumps({"ids": [orders[0].pk]}), content_type="application/json")
    assert done.status_code == 200 and done.json()[0]["status"] == "fulfilled"
    again = client.post(
        url, json.dumps({"ids": [orders[1].pk, orders[0].pk]}), content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "bad_state"
    assert Redemption.objects.get(pk=orders[1].pk).status == RedemptionStatus.HELD
    unknown = client.post(url, json.dumps({"ids": [999999]}), content_type="application/json")
    assert unknown.status_code == 404
    login(client, world.users.resident_a)
    refused = client.post(url, json.dumps({"ids": [orders[1].pk]}), content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert Redemption.objects.get(pk=orders[1].pk).status == RedemptionStatus.HELD


@pytest.mark.parametrize("user", ["resident_a", "partner_a"])
def test_residents_and_partners_cannot_export_points_lists(client, world, orders, user):
    login(client, getattr(world.users, user))
    for name in ("points:shop", "points:desk", "points:items", "points:accounts"):
        response = client.get(reverse(name), {"format": "xlsx"})
        assert response.status_code == 403, name
        assert "xlsx" not in response.get("Content-Type", "")
        body = response.content.decode()
        assert "Forbidden" not in body and re.search("[\u4e00-\u9fff]", body), name
    assert "format=xlsx" not in client.get(reverse("points:shop")).content.decode()
