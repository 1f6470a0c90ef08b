"""Points pages: my points, the shop with htmx ordering, the pickup desk, items and exports."""

import pytest
from django.urls import reverse

from gongzhi.core.excel import XLSX_CONTENT_TYPE
from gongzhi.points.models import Redemption, RedemptionStatus, ShopItem
from gongzhi.points.services import balance_of, points_earn


@pytest.fixture
def towel(world):
    points_earn(holder=world.res_a, amount=30, reason="志愿服务", source="t", idempotency_key="s1")
    return ShopItem.objects.create(community=world.a, name="毛巾", price=10, stock=2)


def test_resident_orders_with_htmx_and_staff_hand_over(client, world, towel):
    client.force_login(world.users.resident_a)
    page = client.get(reverse("points:shop"))
    assert page.status_code == 200 and "毛巾" in page.content.decode()
    url = reverse("points:order", args=[towel.pk])
    response = client.post(url, {"quantity": "1", "key": "web-1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert balance_of(world.res_a) == 20
    again = client.post(url, {"quantity": "1", "key": "web-1"}, headers={"HX-Request": "true"})
    assert again.status_code == 200 and Redemption.objects.count() == 1
    refused = client.post(url, {"quantity": "5", "key": "web-2"}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    mine = client.get(reverse("points:mine")).content.decode()
    assert "毛巾" in mine and "20" in mine

    client.force_login(world.users.staff_a)
    desk = client.get(reverse("points:desk"), {"status": "held"})
    assert "王建国" in desk.content.decode()
    redemption = Redemption.objects.get()
    client.post(reverse("points:resolve", args=[redemption.pk, "fulfil"]))
    assert Redemption.objects.get().status == RedemptionStatus.FULFILLED


def test_desk_and_items_are_staff_only_and_scoped(client, world, towel):
    client.force_login(world.users.resident_a)
    assert client.get(reverse("points:desk")).status_code == 403
    assert client.get(reverse("points:items")).status_code == 403
    client.force_login(world.users.staff_b)
    assert "毛巾" not in client.get(reverse("points:shop")).content.decode()
    assert client.get(reverse("points:item_edit", args=[towel.pk])).status_code == 404


def test_lists_export_to_excel_and_filter_by_place(client, world, towel):
    client.force_login(world.users.staff_a)
    for name in ("points:shop", "points:desk", "points:items", "points:accounts"):
        response = client.get(reverse(name), {"format": "xlsx", "place": f"community:{world.a.pk}"})
        assert response["Content-Type"] == XLSX_CONTENT_TYPE, name
    assert client.get(reverse("points:desk"), {"place": "nowhere"}).status_code == 400


def test_staff_create_item_and_restock_relatively(client, world, towel):
    client.force_login(world.users.staff_a)
    data = {"name": "洗衣液", "price": "15", "stock": "4", "pickup_days": "7", "active": "on"}
    assert client.post(reverse("points:item_new"), data).status_code == 302
    bad = client.post(reverse("points:item_new"), {**data, "name": "香皂", "price": "0"})
    assert bad.status_code == 400
    assert not ShopItem.objects.filter(name="香皂").exists()
    edit = {"name": "毛巾", "price": "10", "pickup_days": "7", "active": "on", "add_stock": "3"}
    assert client.post(reverse("points:item_edit", args=[towel.pk]), edit).status_code == 302
    assert ShopItem.objects.get(pk=towel.pk).stock == 5
    too_many = {**edit, "add_stock": "-9"}
    assert client.post(reverse("points:item_edit", args=[towel.pk]), too_many).status_code == 400
    assert ShopItem.objects.get(pk=towel.pk).stock == 5
