"""The hotline API: the gateway with and without a valid key, rate limit and call records,
staff answers and credentials."""

import pytest
from django.core.management import call_command

from gongzhi.hotline import services
from gongzhi.hotline.models import GatewayCall, GatewayCredential, HotlineOrder, OrderStatus
from gongzhi.matters.models import Matter
from tests.conftest import login

ORDER = {
    "order_no": "W-100",
    "kind": "投诉",
    "text": "小区门口占道经营",
    "address": "锦绣园1栋",
    "caller_phone": "13800138000",
    "urgency": "一般",
    "hotline_category": "市容环境",
}


@pytest.fixture
def key(world):
    _credential, raw = services.credential_create(
        actor=world.users.staff_a, community=world.a, name="区12345平台"
    )
    return raw


def post(client, path, body, key=None):
    headers = {"HTTP_X_HOTLINE_KEY": key} if key else {}
    return client.post(f"/api/v1/hotline{path}", body, content_type="application/json", **headers)


def test_gateway_without_a_valid_key_is_refused_and_recorded(client, world, key):
    assert post(client, "/orders", ORDER).status_code == 401
    response = post(client, "/orders", ORDER, key="gzh_wrong")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert not HotlineOrder.objects.exists()
    assert GatewayCall.objects.filter(status=401, credential=None).count() == 2


def test_gateway_delivers_an_order_once(client, world, key):
    response = post(client, "/orders", ORDER, key=key)
    assert response.status_code == 201, response.content
    assert response.json()["created"] is True
    order = HotlineOrder.objects.get(order_no="W-100")
    assert order.community == world.a and order.matter.building == world.j1
    again = post(client, "/orders", ORDER, key=key)
    assert again.status_code == 200 and again.json()["created"] is False
    changed = post(client, "/orders", {**ORDER, "text": "别的内容"}, key=key)
    assert changed.status_code == 409 and changed.json()["code"] == "order_conflict"
    assert Matter.objects.count() == 1
    calls = list(GatewayCall.objects.order_by("at", "pk").values_list("status", "order_no"))
    assert calls == [(201, "W-100"), (200, "W-100"), (409, "W-100")]


def test_revoked_key_and_bad_body_are_refused(client, world, key):
    bad = post(client, "/orders", {"order_no": "x"}, key=key)
    assert bad.status_code == 422
    assert post(client, "/orders", {**ORDER, "kind": "闲聊"}, key=key).status_code == 400
    GatewayCredential.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert post(client, "/orders", ORDER, key=key).status_code == 401
    assert not HotlineOrder.objects.exists()


def test_rate_limit(client, world, key, settings):
    settings.GONGZHI_HOTLINE_CALLS_PER_MINUTE = 2
    post(client, "/orders", ORDER, key=key)
    post(client, "/orders", ORDER, key=key)
    response = post(client, "/orders", ORDER, key=key)
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"


def test_staff_answer_and_gateway_callback(client, world, key):
    post(client, "/orders", ORDER, key=key)
    order = HotlineOrder.objects.get()
    unknown = post(client, "/orders/NOPE/callback", {"satisfaction": "satisfied"}, key=key)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_order"
    login(client, world.users.staff_a)
    listed = client.get("/api/v1/hotline/orders?status=received").json()
    assert listed["count"] == 1
    assert listed["results"][0]["caller_phone"] == "138****8000"
    early = post(client, f"/orders/{order.pk}/reply", {"text": "好了"})
    assert early.status_code == 409 and early.json()["code"] == "not_signed"
    assert post(client, f"/orders/{order.pk}/sign", {}).json()["status"] == "signed"
    assert post(client, f"/orders/{order.pk}/reply", {"text": "已清理"}).status_code == 200
    client.logout()
    done = post(client, f"/orders/{order.pk}/callback", {"satisfaction": "satisfied"}, key=key)
    assert done.status_code == 404  # the gateway names orders by number, not id
    done = post(client, "/orders/W-100/callback", {"satisfaction": "satisfied"}, key=key)
    assert done.status_code == 200, done.content
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert order.matter.satisfaction == "satisfied"


def test_other_community_sees_and_answers_nothing(client, world, key):
    post(client, "/orders", ORDER, key=key)
    order = HotlineOrder.objects.get()
    login(client, world.users.staff_b)
    assert client.get("/api/v1/hotline/orders").json()["count"] == 0
    assert post(client, f"/orders/{order.pk}/sign", {}).status_code == 404
    login(client, world.users.resident_a)
    assert client.get("/api/v1/hotline/orders").status_code == 403


def test_staff_create_and_revoke_credentials(client, world):
    login(client, world.users.staff_a)
    created = post(client, "/credentials", {"name": "市12345"})
    assert created.status_code == 201
    raw = created.json()["key"]
    credential = GatewayCredential.objects.get(name="市12345")
    assert credential.digest == GatewayCredential.hash(raw) and raw not in credential.digest
    login(client, world.users.staff_b)
    assert post(client, f"/credentials/{credential.pk}/revoke", {}).status_code == 404
    login(client, world.users.staff_a)
    assert post(client, f"/credentials/{credential.pk}/revoke", {}).json()["revoked_at"]
    assert services.credential_for_key(raw) is None


def test_create_credential_command_prints_key_last(world, capsys):
    call_command("create_hotline_credential", "区平台", "--community", "X社区")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert services.credential_for_key(raw).community == world.a
