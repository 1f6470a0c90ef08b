"""The points API (/api/v1/points): balance, history, items, orders and their refusals, scope."""

import pytest
from django.urls import path

from gongzhi.api import api
from gongzhi.points.models import Redemption, RedemptionStatus, ShopItem
from gongzhi.points.services import balance_of, points_earn

urlpatterns = [path("api/v1/", api.urls)]
pytestmark = pytest.mark.urls(__name__)

URL = "/api/v1/points"


def post(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, data or {}, content_type="application/json")


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def error_code(response, status):
    assert response.status_code == status, response.content
    assert response.json()["message"]
    return response.json()["code"]


@pytest.fixture
def shop(world):
    points_earn(
        holder=world.res_a, amount=30, reason="志愿服务", source="t", idempotency_key="svc:1"
    )
    return {
        "towel": ShopItem.objects.create(community=world.a, name="毛巾", price=10, stock=2),
        "rice": ShopItem.objects.create(community=world.a, name="油米", price=50, stock=5),
        "other": ShopItem.objects.create(community=world.b, name="江南洗衣液", price=5, stock=5),
    }


def test_balance_and_history_of_a_resident(client, world, shop):
    body = get(client, world.users.resident_a, f"{URL}/balance").json()
    assert body["balance"] == 30 and body["holder"] == "王建国"
    # The neighbour partner is the same person: the same account.
    assert get(client, world.users.partner_a, f"{URL}/balance").json()["balance"] == 30
    history = get(client, world.users.resident_a, f"{URL}/history").json()
    assert history["count"] == 1
    assert history["results"][0]["amount"] == 30


def test_items_are_those_of_the_users_community(client, world, shop):
    names = {
        i["name"] for i in get(client, world.users.resident_a, f"{URL}/items").json()["results"]
    }
    assert names == {"毛巾", "油米"}
    names = {i["name"] for i in get(client, world.users.staff_b, f"{URL}/items").json()["results"]}
    assert names == {"江南洗衣液"}


def test_order_pickup_by_staff(client, world, shop):
    data = {"item_id": shop["towel"].pk, "quantity": 2, "idempotency_key": "k-1"}
    response = post(client, world.users.resident_a, f"{URL}/redemptions", data)
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "held" and order["points"] == 20
    again = post(client, world.users.resident_a, f"{URL}/redemptions", data)
    assert again.status_code == 200  # a retry, as for matters: the same order, not a new one
    assert again.json()["id"] == order["id"]
    assert balance_of(world.res_a) == 10
    listed = get(client, world.users.staff_a, f"{URL}/redemptions", status="held").json()
    assert [r["id"] for r in listed["results"]] == [order["id"]]
    assert get(client, world.users.staff_b, f"{URL}/redemptions").json()["count"] == 0
    code = error_code(
        post(client, world.users.staff_b, f"{URL}/redemptions/{order['id']}/fulfil"), 404
    )
    assert code == "not_found"
    code = error_code(
        post(client, world.users.resident_a, f"{URL}/redemptions/{order['id']}/fulfil"), 403
    )
    assert code == "forbidden"
    done = post(client, world.users.staff_a, f"{URL}/redemptions/{order['id']}/fulfil")
    assert done.status_code == 200 and done.json()["status"] == "fulfilled"
    code = error_code(
        post(client, world.users.staff_a, f"{URL}/redemptions/{order['id']}/cancel"), 409
    )
    assert code == "bad_state"


@pytest.mark.parametrize(
    ("item", "quantity", "status", "code"),
    [
        ("rice", 1, 409, "insufficient"),
        ("towel", 3, 409, "out_of_stock"),
        ("other", 1, 400, "unknown_item"),
        (None, 1, 400, "unknown_item"),
        ("towel", 0, 422, "invalid"),
        ("towel", -2, 422, "invalid"),
    ],
)
def test_bad_orders_are_refused(client, world, shop, item, quantity, status, code):
    item_id = shop[item].pk if item else 99999
    data = {"item_id": item_id, "quantity": quantity, "idempotency_key": "bad"}
    response = post(client, world.users.resident_a, f"{URL}/redemptions", data)
    assert error_code(response, status) == code
    assert not Redemption.objects.exists()
    assert balance_of(world.res_a) == 30


def test_holder_cancels_own_order_and_staff_order_on_behalf(client, world, shop):
    account = world.res_a.points_accounts.get()
    data = {"item_id": shop["towel"].pk, "idempotency_key": "desk-1", "account_id": account.pk}
    response = post(client, world.users.staff_a, f"{URL}/redemptions", data)
    assert response.status_code == 201, response.content
    refused = post(
        client, world.users.staff_b, f"{URL}/redemptions", {**data, "idempotency_key": "x"}
    )
    assert error_code(refused, 400) == "unknown_item"
    order_id = response.json()["id"]
    cancelled = post(
        client, world.users.resident_a, f"{URL}/redemptions/{order_id}/cancel", {"reason": "不要了"}
    )
    assert cancelled.json()["status"] == RedemptionStatus.CANCELLED
    assert balance_of(world.res_a) == 30
    assert ShopItem.objects.get(pk=shop["towel"].pk).stock == 2


def test_journals_are_scoped(client, world, shop):
    assert get(client, world.users.staff_a, f"{URL}/journals").json()["count"] == 1
    assert get(client, world.users.staff_b, f"{URL}/journals").json()["count"] == 0
    code = error_code(get(client, world.users.staff_a, f"{URL}/journals", place="bogus"), 400)
    assert code == "bad_place"
