"""The outbox: written with the change, sent after commit by send_outbox, once, with backoff."""

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from gongzhi.notifications import outbox
from gongzhi.notifications.models import Outbox, OutboxStatus
from gongzhi.notifications.outbound import ConsoleBackend, SendError

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _clear_console():
    ConsoleBackend.sent.clear()


def queue(**kwargs) -> Outbox:
    values = {"to": PHONE, "channel": "sms", "subject": "您反映的事项已办结", "body": "谢谢"}
    return outbox.enqueue(**(values | kwargs))


def run(limit: int | None = None) -> str:
    out = StringIO()
    call_command("send_outbox", *(["--limit", str(limit)] if limit else []), stdout=out)
    return out.getvalue().strip()


def make_due(row: Outbox) -> None:
    Outbox.objects.filter(pk=row.pk).update(next_try_at=timezone.now() - dt.timedelta(seconds=1))


class Flaky:
    """A backend that fails the way it is told to (set on the class by each test)."""

    error: Exception | None = None
    calls: list = []

    def send(self, *, to, subject, body, kind="", params=None):
        Flaky.calls.append(to)
        if Flaky.error is not None:
            raise Flaky.error


@pytest.fixture
def flaky(settings):
    settings.GONGZHI_OUTBOUND_BACKEND = "tests.test_outbox.Flaky"
    Flaky.error, Flaky.calls = None, []
    return Flaky


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_message():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")
    assert not Outbox.objects.exists()
    assert run() == "sent 0, retrying 0, failed 0"
    assert not ConsoleBackend.sent


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_inline_send_outbox_sends_after_commit():
    with transaction.atomic():
        row = queue()
    assert not ConsoleBackend.sent
    assert Outbox.objects.get().status == OutboxStatus.QUEUED
    # The recipient is encrypted at rest: the column holds no phone number.
    with connection.cursor() as cursor:
        cursor.execute('SELECT "to" FROM notifications_outbox')
        (stored,) = cursor.fetchone()
    assert PHONE not in stored

    assert run() == "sent 1, retrying 0, failed 0"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert row.sent_at is not None and row.claimed_until is None
    assert [m["to"] for m in ConsoleBackend.sent] == [PHONE]
    # Safe to run again: nothing is sent twice.
    assert run() == "sent 0, retrying 0, failed 0"
    assert len(ConsoleBackend.sent) == 1


def test_limit_and_urgent_first(db):
    later = queue(subject="普通")
    urgent = queue(subject="紧急", urgent=True)
    assert run(limit=1) == "sent 1, retrying 0, failed 0"
    assert Outbox.objects.get(pk=urgent.pk).status == OutboxStatus.SENT
    assert Outbox.objects.get(pk=later.pk).status == OutboxStatus.QUEUED


def test_a_bad_limit_is_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run(limit=-1)


def test_a_sender_started_while_another_sends_takes_nothing_twice(db, flaky, monkeypatch):
    """The second sender runs in the middle of the first one's send (when both hold the same
    due rows in view): it must not claim what the first has claimed."""
    rows = [queue(), queue(), queue()]
    second = []

    def send_and_interleave(self, *, to, subject, body, kind="", params=None):
        Flaky.calls.append(to)
        if not second:
            second.append(outbox.send_due())

    monkeypatch.setattr(flaky, "send", send_and_interleave)
    first = outbox.send_due()
    assert (first.sent, second[0].sent) == (3, 0)
    assert len(Flaky.calls) == 3
    assert set(Outbox.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert len(rows) == 3


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_never_send_the_same_message_twice(flaky):
    if connection.vendor == "sqlite":
        # The in-memory test database shares one cache between threads, where a second writer
        # fails at once ("table is locked") instead of waiting as on the file database the
        # app uses; the interleaved test above covers SQLite's claim.
        pytest.skip("needs a database that lets two threads write (PostgreSQL)")
    for _ in range(40):
        queue()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sender():
        try:
            barrier.wait(timeout=10)
            results.append(outbox.send_due())
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
    assert sum(r.sent for r in results) == 40
    assert len(Flaky.calls) == 40
    assert Outbox.objects.filter(status=OutboxStatus.SENT, attempts=1).count() == 40


def test_retry_delays_grow_and_are_capped():
    minutes = [outbox.retry_delay(n).total_seconds() / 60 for n in range(1, 9)]
    assert minutes == [1, 5, 25, 125, 360, 360, 360, 360]


def test_a_failing_message_is_retried_with_backoff_then_failed(db, flaky, settings):
    settings.GONGZHI_OUTBOX_MAX_ATTEMPTS = 4
    flaky.error = SendError("isv.BUSINESS_LIMIT_CONTROL: 触发流控")
    row = queue()
    for attempt, wait in [(1, 1), (2, 5), (3, 25)]:
        before = timezone.now()
        assert run() == "sent 0, retrying 1, failed 0"
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.QUEUED, attempt)
        assert "BUSINESS_LIMIT_CONTROL" in row.last_error
        delay = row.next_try_at - before
        assert dt.timedelta(minutes=wait) <= delay < dt.timedelta(minutes=wait, seconds=5)
        # Not due yet: a run now leaves it alone.
        assert run() == "sent 0, retrying 0, failed 0"
        make_due(row)
    assert run() == "sent 0, retrying 0, failed 1"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 4)
    assert len(Flaky.calls) == 4


def test_a_permanent_error_fails_at_once_and_a_recovery_sends(db, flaky):
    flaky.error = SendError("isv.MOBILE_NUMBER_ILLEGAL", permanent=True)
    bad = queue()
    assert run() == "sent 0, retrying 0, failed 1"
    bad.refresh_from_db()
    assert (bad.status, bad.attempts) == (OutboxStatus.FAILED, 1)

    flaky.error = ConnectionError("connection refused")
    good = queue()
    assert run() == "sent 0, retrying 1, failed 0"
    flaky.error = None
    make_due(good)
    assert run() == "sent 1, retrying 0, failed 0"
    good.refresh_from_db()
    assert (good.status, good.attempts, good.last_error) == (OutboxStatus.SENT, 2, "")


def test_errors_and_logs_keep_no_phone_number_or_code(db, flaky, caplog, settings):
    caplog.set_level("DEBUG")
    settings.GONGZHI_OUTBOX_MAX_ATTEMPTS = 1
    flaky.error = SendError(f"provider said: {PHONE} is not reachable")
    row = queue(params={"code": "482913"}, body="验证码 482913")
    run()
    row.refresh_from_db()
    assert PHONE not in row.last_error
    settings.GONGZHI_OUTBOUND_BACKEND = "gongzhi.notifications.outbound.ConsoleBackend"
    queue(params={"code": "482913"}, body="验证码 482913")
    run()
    assert ConsoleBackend.sent
    assert PHONE not in caplog.text and "482913" not in caplog.text
    assert "138****5678" in caplog.text


def test_an_abandoned_claim_is_taken_again_after_its_lease(db):
    row = queue()
    claimed = outbox.claim_due(limit=10)
    assert [r.pk for r in claimed] == [row.pk]
    # The first sender died: within the lease nobody else sends it, afterwards one does.
    assert outbox.claim_due(limit=10) == []
    later = timezone.now() + outbox.CLAIM_LEASE + dt.timedelta(seconds=1)
    assert [r.pk for r in outbox.claim_due(limit=10, now=later)] == [row.pk]


def test_an_unknown_channel_is_refused(db):
    with pytest.raises(ValueError):
        queue(channel="pigeon")
    assert not Outbox.objects.exists()
