"""Answers to the hotline: each action over HTTP against a local server that checks the
documented format and the signature, retries, never twice, and the spreadsheet export."""

import datetime as dt
import hashlib
import hmac
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from gongzhi.hotline import adapters, services
from gongzhi.hotline.models import OutboundAction, OutboundStatus
from gongzhi.matters.services import matter_handle

SECRET = "test-hotline-secret"
FIELDS = {"hotline", "order_no", "action", "at", "text", "reason", "new_due"}


class Hotline(BaseHTTPRequestHandler):
    """The hotline's side: checks the signature and the body, answers as ``answers`` says."""

    received: list = []
    answers: list = []  # statuses to answer in turn; then 200

    def do_POST(self):  # noqa: N802 — the http.server interface
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        problem = ""
        if not hmac.compare_digest(self.headers.get("X-Gongzhi-Signature", ""), expected):
            problem = "bad_signature"
        payload = json.loads(body)
        if set(payload) != FIELDS or not payload["order_no"]:
            problem = "bad_format"
        dt.datetime.fromisoformat(payload["at"])
        status = 401 if problem else (Hotline.answers.pop(0) if Hotline.answers else 200)
        if status == 200:
            Hotline.received.append(payload)
        answer = json.dumps({"code": problem or ("ok" if status == 200 else "busy")}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def hotline(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hotline)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hotline.received, Hotline.answers = [], []
    settings.GONGZHI_HOTLINE_ADAPTER = "http"
    settings.GONGZHI_HOTLINE_URL = f"http://127.0.0.1:{server.server_port}/orders/answers"
    settings.GONGZHI_HOTLINE_SECRET = SECRET
    yield Hotline
    server.shutdown()
    server.server_close()


def receive(world, no):
    order, _ = services.order_receive(
        community=world.a,
        data=services.OrderIn(order_no=no, kind="求助", text="电梯坏了", address="渔家苑1栋"),
    )
    return order


def test_each_action_reaches_the_hotline_signed_and_documented(world, hotline):
    staff = world.users.staff_a
    order = receive(world, "H1")
    services.order_sign(actor=staff, order=order)
    new_due = order.reply_due_at + dt.timedelta(days=3)
    services.order_extend(actor=staff, order=order, new_due=new_due, reason="等配件")
    services.order_reply(actor=staff, order=order, text="已修好")
    other = receive(world, "H2")
    services.order_return(actor=staff, order=other, reason="属于物业公司职责")
    call_command("send_hotline")
    actions = [(p["order_no"], p["action"]) for p in hotline.received]
    assert actions == [("H1", "sign"), ("H1", "extend"), ("H1", "reply"), ("H2", "return")]
    extend, reply, returned = hotline.received[1:]
    assert dt.datetime.fromisoformat(extend["new_due"]) == new_due
    assert extend["reason"] == "等配件" and reply["text"] == "已修好"
    assert returned["reason"] == "属于物业公司职责"
    assert set(OutboundAction.objects.values_list("status", flat=True)) == {"sent"}
    call_command("send_hotline")
    assert len(hotline.received) == 4


def test_wrong_secret_fails_for_good_and_busy_hotline_is_retried(world, hotline, settings):
    order = receive(world, "H3")
    services.order_sign(actor=world.users.staff_a, order=order)
    hotline.answers = [503]
    summary = adapters.send_due()
    assert (summary.sent, summary.retrying) == (0, 1)
    row = OutboundAction.objects.get()
    assert row.attempts == 1 and row.next_try_at > row.created_at and "503" in row.last_error
    OutboundAction.objects.update(next_try_at=row.created_at)
    assert adapters.send_due().sent == 1
    other = receive(world, "H4")
    services.order_sign(actor=world.users.staff_a, order=other)
    settings.GONGZHI_HOTLINE_SECRET = "not-the-secret"
    assert adapters.send_due().failed == 1
    assert OutboundAction.objects.get(order=other).status == OutboundStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_a_second_sender_during_a_send_takes_nothing_twice(world, hotline, monkeypatch):
    for no in ("T1", "T2", "T3"):
        services.order_sign(actor=world.users.staff_a, order=receive(world, no))
    second = []
    real_send = adapters.HttpAdapter.send

    def send_and_interleave(self, payload):
        real_send(self, payload)
        if not second:
            second.append(adapters.send_due())

    monkeypatch.setattr(adapters.HttpAdapter, "send", send_and_interleave)
    first = adapters.send_due()
    assert (first.sent, second[0].sent) == (3, 0)
    assert sorted(p["order_no"] for p in hotline.received) == ["T1", "T2", "T3"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_never_send_twice(world, hotline):
    if connection.vendor == "sqlite":
        pytest.skip("needs a database that lets two threads write (PostgreSQL)")
    for n in range(20):
        services.order_sign(actor=world.users.staff_a, order=receive(world, f"P{n}"))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sender():
        try:
            barrier.wait(timeout=10)
            results.append(adapters.send_due())
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sum(r.sent for r in results) == 20
    assert len(hotline.received) == 20


def test_spreadsheet_export_marks_answers_sent(world, settings, tmp_path):
    settings.GONGZHI_HOTLINE_ADAPTER = "spreadsheet"
    staff = world.users.staff_a
    order = receive(world, "S1")
    services.order_sign(actor=staff, order=order)
    matter_handle(actor=staff, matter=order.matter, note="已维修")
    services.order_reply(actor=staff, order=order)
    assert adapters.send_due().sent == 0  # the http sender leaves spreadsheet answers alone
    path = tmp_path / "answers.xlsx"
    call_command("export_hotline", "--output", str(path))
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("工单编号", "热线", "操作")
    assert [(r[0], r[2], r[4]) for r in rows[1:]] == [
        ("S1", "签收", None),
        ("S1", "办结回复", "已维修"),
    ]
    assert set(OutboundAction.objects.values_list("status", flat=True)) == {"sent"}
    content, count = adapters.spreadsheet_export()
    assert count == 0
