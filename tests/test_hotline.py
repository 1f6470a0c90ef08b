"""12345 work orders: the spreadsheet import, the state machine, refusals, the callback in the
three rates and hotline deadlines in the to-do."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from openpyxl import Workbook

from gongzhi.hotline import services
from gongzhi.hotline.excel import MappingError, import_orders, load_mapping
from gongzhi.hotline.models import HotlineOrder, OrderEvent, OrderStatus, OutboundAction
from gongzhi.matters.models import Matter, Status
from gongzhi.matters.rates import three_rates
from gongzhi.matters.services import matter_handle

HEADERS = ["工单编号", "诉求类型", "诉求内容", "诉求地址", "来电人", "联系电话", "派单单位"]
HEADERS += ["派单时间", "紧急程度", "热线分类"]


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good_rows():
    now = timezone.localtime()
    dispatched = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    return [
        ["GD2025001", "投诉", "楼道堆放杂物", "渔家苑2栋3单元", "张三", "13800138000", "区城管",
         dispatched, "一般", "市容环境"],
        ["GD2025002", "求助", "路灯不亮", "X社区东门", "李四", "", "区市政", dispatched,
         "紧急", "市政设施"],
    ]  # fmt: skip


def receive(world, no="GD9", kind="投诉", address="渔家苑1栋", urgency="一般"):
    order, _ = services.order_receive(
        community=world.a,
        data=services.OrderIn(
            order_no=no, kind=kind, text="噪音扰民", address=address, urgency=urgency,
            caller_phone="13912345678",
        ),
    )  # fmt: skip
    return order


def test_import_creates_matters_with_place_and_deadlines(world):
    result = import_orders(xlsx(good_rows()), community=world.a)
    assert result.ok, result.errors
    assert result.created == 2
    first = HotlineOrder.objects.get(order_no="GD2025001")
    assert first.matter.building == world.y2
    assert first.hotline_category == "市容环境"
    assert first.kind == "complaint"
    assert first.caller_phone == "13800138000"
    assert first.caller_phone_masked == "138****8000"
    assert first.reply_due_at - first.dispatched_at == dt.timedelta(days=7)
    assert first.sign_due_at - first.dispatched_at == dt.timedelta(hours=24)
    second = HotlineOrder.objects.get(order_no="GD2025002")
    # No compound in the address: the community level, the address kept in the text.
    assert second.matter.compound is None and second.matter.community == world.a
    assert "X社区东门" in second.matter.text
    assert second.sign_due_at - second.dispatched_at == dt.timedelta(hours=2)
    assert second.matter.priority == "urgent"
    assert second.matter.channel == "online_phone"


def test_importing_the_same_file_twice_changes_nothing(world):
    content = xlsx(good_rows())
    import_orders(content, community=world.a)
    again = import_orders(content, community=world.a)
    assert again.ok and again.created == 0 and again.unchanged == 2
    assert Matter.objects.count() == 2


def test_reused_order_number_with_other_content_is_refused(world):
    import_orders(xlsx(good_rows()), community=world.a)
    rows = good_rows()
    rows[1][2] = "路灯还是不亮"
    result = import_orders(xlsx(rows), community=world.a)
    assert not result.ok
    assert result.errors[0].row == 3 and result.errors[0].column == "工单编号"
    assert "GD2025002" in result.errors[0].reason
    assert Matter.objects.count() == 2


def test_bad_rows_import_nothing_and_name_row_and_column(world):
    rows = good_rows()
    rows[1][1] = "闲聊"
    rows[1][7] = "昨天下午"
    result = import_orders(xlsx(rows), community=world.a)
    assert not result.ok
    assert {(e.row, e.column) for e in result.errors} == {(3, "诉求类型"), (3, "派单时间")}
    assert not HotlineOrder.objects.exists() and not Matter.objects.exists()


def test_malformed_spreadsheet_is_refused(world):
    result = import_orders(b"not a workbook", community=world.a)
    assert not result.ok and result.errors[0].row == 0
    missing = import_orders(xlsx([["1"]], headers=["工单编号"]), community=world.a)
    assert {e.column for e in missing.errors} == {"诉求类型", "诉求内容"}


def test_mapping_file_renames_columns(world, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"order_no": "工单号", "text": "内容"}), encoding="utf-8")
    headers = ["工单号", "诉求类型", "内容"]
    path = tmp_path / "orders.xlsx"
    path.write_bytes(xlsx([["A-1", "咨询", "社保怎么办"]], headers=headers))
    call_command("hotline_import", str(path), "--mapping", str(mapping), "--community", "X社区")
    assert HotlineOrder.objects.get(order_no="A-1").kind == "consult"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nonsense": "x"}), encoding="utf-8")
    with pytest.raises(MappingError):
        load_mapping(bad)
    with pytest.raises(CommandError):
        call_command("hotline_import", str(path), "--mapping", str(bad))


def test_import_command_refuses_bad_file_with_chinese_errors(world, tmp_path):
    path = tmp_path / "orders.xlsx"
    rows = good_rows()
    rows[0][1] = "闲聊"
    path.write_bytes(xlsx(rows))
    with pytest.raises(CommandError):
        call_command("hotline_import", str(path), "--community", "X社区")
    assert not HotlineOrder.objects.exists()


def test_sign_reply_close_with_history_and_queue(world, settings):
    staff = world.users.staff_a
    order = receive(world)
    services.order_sign(actor=staff, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.SIGNED and order.signed_at
    assert order.matter.status == Status.ACKNOWLEDGED
    services.order_reply(actor=staff, order=order, text="已协调物业处理")
    order.refresh_from_db()
    assert order.status == OrderStatus.REPLIED
    actions = list(OrderEvent.objects.filter(order=order).values_list("action", flat=True))
    assert actions == ["receive", "sign", "reply"]
    queued = OutboundAction.objects.filter(order=order).order_by("pk")
    assert [q.action for q in queued] == ["sign", "reply"]
    assert queued[1].payload["text"] == "已协调物业处理"
    assert queued[1].adapter == settings.GONGZHI_HOTLINE_ADAPTER


def test_order_history_is_append_only(world):
    order = receive(world)
    event = order.events.get(action="receive")
    for write in (
        lambda: OrderEvent.objects.filter(pk=event.pk).update(note="rewritten"),
        lambda: OrderEvent.objects.filter(pk=event.pk).update(to_status="closed"),
        lambda: OrderEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            write()
    event.refresh_from_db()
    assert (event.action, event.note, event.to_status) == ("receive", "", OrderStatus.RECEIVED)


def test_refusals_change_nothing(world):
    staff = world.users.staff_a
    order = receive(world)
    with pytest.raises(services.HotlineError) as exc:
        services.order_reply(actor=staff, order=order, text="好了")
    assert exc.value.code == "not_signed" and "签收" in exc.value.message
    with pytest.raises(services.HotlineError) as exc:
        services.order_return(actor=staff, order=order, reason="  ")
    assert exc.value.code == "reason_required"
    with pytest.raises(services.HotlineError) as exc:
        services.order_sign(actor=world.users.staff_b, order=order)
    assert exc.value.code == "forbidden"
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    assert not OutboundAction.objects.exists()
    services.order_sign(actor=staff, order=order)
    with pytest.raises(services.HotlineError) as exc:
        services.order_reply(actor=staff, order=order, text="")
    assert exc.value.code == "reply_text_required"
    with pytest.raises(services.HotlineError) as exc:
        services.order_extend(
            actor=staff, order=order, new_due=order.reply_due_at, reason="需要协调"
        )
    assert exc.value.code == "invalid_date"
    with pytest.raises(services.HotlineError) as exc, translation.override("zh-hans"):
        services.order_sign(actor=staff, order=order)
    assert (exc.value.code, exc.value.status) == ("bad_state", 409)
    assert exc.value.message == "“已签收，办理中”的工单不能签收。"


def test_return_refers_the_matter_and_extension_keeps_asked_date(world):
    staff = world.users.staff_a
    order = receive(world, no="R1")
    services.order_return(actor=staff, order=order, reason="不属于本社区辖区")
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED
    assert order.matter.status == Status.REFERRED
    other = receive(world, no="E1")
    services.order_sign(actor=staff, order=other)
    new_due = other.reply_due_at + dt.timedelta(days=5)
    services.order_extend(actor=staff, order=other, new_due=new_due, reason="需要维修资金")
    other.refresh_from_db()
    assert other.status == OrderStatus.EXTENSION_REQUESTED
    assert other.requested_due_at == new_due
    assert OutboundAction.objects.get(order=other, action="extend").payload["new_due"]


def _done_and_replied(world, no):
    staff = world.users.staff_a
    order = receive(world, no=no)
    services.order_sign(actor=staff, order=order)
    matter_handle(actor=staff, matter=order.matter, note="已清理")
    services.order_reply(actor=staff, order=order)
    order.refresh_from_db()
    return order


def test_callback_counts_in_the_three_rates(world):
    matters = Matter.objects.filter(community=world.a)
    before = three_rates(matters)
    assert before["counts"]["rated"] == 0
    order = _done_and_replied(world, "C1")
    assert OutboundAction.objects.get(order=order, action="reply").payload["text"] == "已清理"
    services.order_callback(order=order, satisfaction="基本满意", solved=True, note="")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert order.matter.satisfaction == "basic" and order.matter.status == Status.CLOSED
    after = three_rates(matters)
    assert after["counts"]["rated"] == 1 and after["counts"]["basic"] == 1
    assert after["satisfaction"] == 0.9
    # The same result again changes nothing; another result is refused.
    _order, changed = services.order_callback(order=order, satisfaction="basic", solved=True)
    assert not changed
    with pytest.raises(services.HotlineError):
        services.order_callback(order=order, satisfaction="dissatisfied", solved=False)


def test_callback_to_unreplied_order_is_refused(world):
    order = receive(world, no="C2")
    with pytest.raises(services.HotlineError) as exc:
        services.order_callback(order=order, satisfaction="satisfied", solved=True)
    assert exc.value.code == "not_replied"
    assert Matter.objects.get(pk=order.matter_id).satisfaction == ""


def test_import_brings_callback_results(world):
    order = _done_and_replied(world, "C3")
    headers = ["工单编号", "诉求类型", "诉求内容", "诉求地址", "联系电话", "回访结果", "是否解决"]
    row = ["C3", "投诉", "噪音扰民", "渔家苑1栋", "13912345678", "满意", "是"]
    # The same order content as received, so the row is "already known" plus a callback.
    result = import_orders(xlsx([row], headers=headers), community=world.a)
    assert result.ok, result.errors
    assert result.callbacks == 1
    order.refresh_from_db()
    assert order.callback_satisfaction == "satisfied" and order.callback_solved is True


# ---- the to-do and the pages --------------------------------------------------------------------


def test_orders_near_or_past_their_deadline_are_in_the_todo(world, django_assert_num_queries):
    from gongzhi.todo.selectors import todo_for

    staff = world.users.staff_a
    late = receive(world, no="D1")
    HotlineOrder.objects.filter(pk=late.pk).update(
        sign_due_at=timezone.now() - dt.timedelta(hours=1)
    )
    far = receive(world, no="D2")  # signed: its reply deadline is days away
    services.order_sign(actor=staff, order=far)
    items = [i for i in todo_for(staff)["items"] if i["kind"] == "hotline_due"]
    assert len(items) == 1 and items[0]["overdue"] and "D1" in items[0]["title"]
    assert items[0]["link"] == f"/hotline/{late.pk}/"
    HotlineOrder.objects.filter(pk=far.pk).update(
        reply_due_at=timezone.now() + dt.timedelta(hours=5)
    )
    todo = todo_for(staff)
    assert todo["counts"]["hotline_due"] == 2
    assert todo_for(world.users.staff_b)["counts"].get("hotline_due") == 0


def test_order_pages_for_staff_only(client, world):
    from tests.conftest import login

    order = receive(world, no="P1")
    login(client, world.users.staff_a)
    page = client.get("/hotline/?status=received")
    assert page.status_code == 200 and "P1" in page.content.decode()
    detail = client.get(f"/hotline/{order.pk}/")
    assert "139****5678" in detail.content.decode()
    assert "13912345678" not in detail.content.decode()
    refused = client.post(f"/hotline/{order.pk}/reply/", {"text": "好了"}, follow=True)
    assert "签收" in refused.content.decode()
    client.post(f"/hotline/{order.pk}/sign/")
    order.refresh_from_db()
    assert order.status == OrderStatus.SIGNED
    export = client.get("/hotline/?format=xlsx")
    assert export.status_code == 200
    answers = client.post("/hotline/answers.xlsx")
    assert answers.status_code == 200
    assert not OutboundAction.objects.filter(status="queued").exists()
    keys = client.post("/hotline/credentials/", {"name": "区平台"})
    assert "gzh_" in keys.content.decode()
    login(client, world.users.staff_b)
    assert client.get(f"/hotline/{order.pk}/").status_code == 404
    login(client, world.users.resident_a)
    assert client.get("/hotline/").status_code == 403
