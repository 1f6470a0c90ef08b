"""12345 on the dashboards and the hotline's answer to an extension request.

* 满意度来源 on the matters dashboard: ratings from residents' own feedback and from the 12345
  callback side by side, from one grouped query, scoped like the rest of the dashboard;
* ``POST /api/v1/hotline/orders/{order_no}/extension-decision``: granted moves the reply
  deadline, refused keeps it; both put the order back to signed, only a pending request may be
  decided, and a refusal changes nothing; the same decisions from the import file.
"""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from gongzhi.hotline import services
from gongzhi.hotline.excel import import_orders
from gongzhi.hotline.models import GatewayCall, HotlineOrder, OrderEvent, OrderStatus
from gongzhi.hotline.selectors import satisfaction_sources
from gongzhi.matters.models import Matter
from gongzhi.matters.selectors import matter_list
from tests.factories_matters import make_matter

HOUR = dt.timedelta(hours=1)


def receive(world, no, community=None):
    order, _created = services.order_receive(
        community=community or world.a,
        data=services.OrderIn(order_no=no, kind="投诉", text="噪音扰民", address="渔家苑1栋"),
    )
    return order


def replied(world, no, community=None, staff=None):
    order = receive(world, no, community)
    staff = staff or world.users.staff_a
    services.order_sign(actor=staff, order=order)
    return services.order_reply(actor=staff, order=order, text="已协调处理")


def extension_requested(world, no="GD1"):
    order = receive(world, no)
    services.order_sign(actor=world.users.staff_a, order=order)
    return services.order_extend(
        actor=world.users.staff_a,
        order=order,
        new_due=order.reply_due_at + 72 * HOUR,
        reason="需协调物业",
    )


def rated_by_resident(world, satisfaction, building=None):
    matter = make_matter(building=building or world.y1, status="closed")
    Matter.objects.filter(pk=matter.pk).update(
        satisfaction=satisfaction, feedback_at=timezone.now()
    )
    return matter


@pytest.fixture
def ratings(world):
    """In A: two residents' ratings, two callbacks that count, and one callback overruled by a
    resident's later rating; in B: one callback (never seen by A's staff)."""
    rated_by_resident(world, "satisfied")
    rated_by_resident(world, "dissatisfied")
    for no, satisfaction in (("GD1", "satisfied"), ("GD2", "basic"), ("GD3", "dissatisfied")):
        order = replied(world, no)
        services.order_callback(order=order, satisfaction=satisfaction, solved=True)
    # The resident rated GD3's matter after the callback: their word is what counts.
    Matter.objects.filter(hotline_order__order_no="GD3").update(
        satisfaction="basic", feedback_at=timezone.now() + HOUR
    )
    in_b = replied(world, "GD4", community=world.b, staff=world.users.staff_b)
    services.order_callback(order=in_b, satisfaction="satisfied", solved=True)
    make_matter(building=world.y2)  # not rated: in neither column


def test_sources_split_residents_and_callbacks_in_one_query(
    world, ratings, django_assert_num_queries
):
    matters = matter_list(world.users.staff_a)
    with django_assert_num_queries(1):
        counts = satisfaction_sources(matters)
    assert counts == {
        "resident": {"satisfied": 1, "basic": 1, "dissatisfied": 1},
        "hotline": {"satisfied": 1, "basic": 1, "dissatisfied": 0},
    }
    # Together they are exactly the ratings the rates count.
    rated = matters.exclude(satisfaction="").count()
    assert sum(sum(by.values()) for by in counts.values()) == rated == 5
    everything = satisfaction_sources(matter_list(world.users.official))
    assert everything["hotline"]["satisfied"] == 2


def test_dashboard_shows_the_sources_in_chinese(client, world, ratings):
    client.force_login(world.users.staff_a)
    response = client.get("/matters/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    rows = {row["label"]: [n for _label, n in row["counts"]] for row in response.context[
        "satisfaction_sources"
    ]}  # fmt: skip
    assert rows == {"居民自评": [1, 1, 1], "12345回访": [1, 1, 0]}
    html = response.content.decode()
    for word in ("满意度来源", "居民自评", "12345回访", "基本满意", "不满意"):
        assert word in html
    # The place filter applies: 锦绣园 has no ratings at all.
    other = client.get("/matters/dashboard/", {"place": f"compound:{world.jinxiu.pk}"})
    assert all(n == 0 for row in other.context["satisfaction_sources"] for _l, n in row["counts"])


@pytest.fixture
def key(world):
    _credential, raw = services.credential_create(
        actor=world.users.staff_a, community=world.a, name="区12345平台"
    )
    return raw


def decide(client, no, body, key):
    return client.post(
        f"/api/v1/hotline/orders/{no}/extension-decision",
        body,
        content_type="application/json",
        HTTP_X_HOTLINE_KEY=key,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )


def test_granted_extension_moves_the_reply_deadline(client, world, key):
    order = extension_requested(world)
    old_due, asked = order.reply_due_at, order.requested_due_at
    granted = asked - 24 * HOUR  # the hotline may grant less than was asked
    response = decide(
        client, "GD1", {"approved": True, "new_due": granted.isoformat(), "note": "同意"}, key
    )
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == OrderStatus.SIGNED
    assert order.reply_due_at == granted and order.requested_due_at is None
    event = order.events.get(action="extension_grant")
    assert (event.from_status, event.to_status, event.note) == (
        "extension_requested",
        "signed",
        "同意",
    )
    assert event.data["old_due"] == old_due.isoformat()
    assert event.data["asked"] == asked.isoformat()
    # Decided once: a second decision is refused and changes nothing.
    again = decide(client, "GD1", {"approved": False}, key)
    assert again.status_code == 409 and again.json()["code"] == "no_extension_pending"
    assert "延期申请" in again.json()["message"]
    order.refresh_from_db()
    assert order.reply_due_at == granted
    assert order.events.filter(action__startswith="extension_").count() == 1
    calls = list(GatewayCall.objects.order_by("pk").values_list("endpoint", "status"))
    assert calls == [("extension-decision", 200), ("extension-decision", 409)]


def test_refused_extension_keeps_the_deadline_and_the_order_goes_on(client, world, key):
    order = extension_requested(world)
    old_due = order.reply_due_at
    response = decide(client, "GD1", {"approved": False, "note": "不符合延期条件"}, key)
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert (order.status, order.reply_due_at) == (OrderStatus.SIGNED, old_due)
    assert order.events.get(action="extension_refuse").note == "不符合延期条件"
    # Back to signed: it may be replied to, or asked for an extension again.
    services.order_extend(
        actor=world.users.staff_a, order=order, new_due=old_due + HOUR, reason="再申请"
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"approved": True}, 400, "invalid_date"),
        ({"approved": True, "new_due": "2020-01-01T00:00:00+08:00"}, 400, "invalid_date"),
        ({"approved": "perhaps"}, 422, "invalid"),
    ],
)
def test_bad_decisions_change_nothing(client, world, key, body, status, code):
    order = extension_requested(world)
    before = (order.status, order.reply_due_at, order.requested_due_at)
    events = OrderEvent.objects.count()
    response = decide(client, "GD1", body, key)
    assert (response.status_code, response.json()["code"]) == (status, code)
    order.refresh_from_db()
    assert (order.status, order.reply_due_at, order.requested_due_at) == before
    assert OrderEvent.objects.count() == events


def test_only_a_pending_request_and_only_ones_own_orders(client, world, key):
    signed = receive(world, "GD2")
    services.order_sign(actor=world.users.staff_a, order=signed)
    response = decide(client, "GD2", {"approved": False}, key)
    assert response.status_code == 409 and response.json()["code"] == "no_extension_pending"
    assert decide(client, "NOPE", {"approved": False}, key).status_code == 404
    assert decide(client, "GD2", {"approved": False}, "gzh_wrong").status_code == 401
    # A key of community B cannot decide on A's order.
    extension_requested(world, "GD3")
    _credential, key_b = services.credential_create(
        actor=world.users.staff_b, community=world.b, name="B平台"
    )
    assert decide(client, "GD3", {"approved": False}, key_b).status_code == 404
    assert HotlineOrder.objects.get(order_no="GD3").status == OrderStatus.EXTENSION_REQUESTED


def decision_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["工单编号", "诉求类型", "诉求内容", "诉求地址", "延期审批", "批准延期至", "审批说明"]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_brings_decisions_once_and_all_or_nothing(world):
    granted = extension_requested(world, "GD1")
    refused = extension_requested(world, "GD2")
    new_due = timezone.localtime(granted.requested_due_at).replace(second=0, microsecond=0)
    shown = new_due.strftime("%Y-%m-%d %H:%M")
    rows = [
        ["GD1", "投诉", "噪音扰民", "渔家苑1栋", "同意", shown, "准予延期"],
        ["GD2", "投诉", "噪音扰民", "渔家苑1栋", "不同意", "", "请按期办结"],
    ]
    # One bad row (a grant without its date): nothing at all is decided.
    bad = import_orders(decision_file([*rows, [*rows[0][:4], "同意", "", ""]]), community=world.a)
    assert [(e.row, e.column) for e in bad.errors] == [(4, "批准延期至")]
    assert HotlineOrder.objects.filter(status=OrderStatus.EXTENSION_REQUESTED).count() == 2
    result = import_orders(decision_file(rows), community=world.a)
    assert result.ok, result.errors
    assert (result.unchanged, result.decisions) == (2, 2)
    granted.refresh_from_db()
    refused.refresh_from_db()
    assert (granted.status, granted.reply_due_at) == (OrderStatus.SIGNED, new_due)
    assert refused.status == OrderStatus.SIGNED and refused.requested_due_at is None
    # The same file again changes nothing; another decision for a decided order is refused.
    again = import_orders(decision_file(rows), community=world.a)
    assert again.ok and again.decisions == 0
    assert OrderEvent.objects.filter(action__startswith="extension_").count() == 2
    other = import_orders(decision_file([[*rows[1][:4], "同意", shown, ""]]), community=world.a)
    assert [(e.row, e.column) for e in other.errors] == [(2, "延期审批")]
