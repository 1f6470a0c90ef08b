"""Providers are called only outside any transaction (issue 13 item 5): a message is written in
the business transaction (so a rollback sends nothing), claimed in one short transaction of its
own, sent with no transaction open, and its outcome recorded in another. These tests run
without the test's own wrapping transaction (``transaction=True``), so ``in_atomic_block`` is
true at the provider only if the sending code opened one."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from gongzhi.hotline import adapters, services
from gongzhi.hotline.models import OutboundAction, OutboundStatus
from gongzhi.notifications import outbox
from gongzhi.notifications.models import Notification, Outbox, OutboxStatus
from gongzhi.notifications.outbound import SendError
from gongzhi.notifications.services import notify_users

PHONE = "13812345678"


def _seen_by_provider(model) -> dict:
    """What a provider sees when it is called: a transaction open, and the claim committed."""
    return {
        "in_atomic_block": connection.in_atomic_block,
        "claimed": model.objects.filter(status="queued", claimed_until__isnull=False).exists(),
    }


class Recording:
    """An SMS backend that records what it saw at each call and fails when told to."""

    calls: list = []
    error: Exception | None = None

    def send(self, *, to, subject, body, kind="", params=None):
        Recording.calls.append(_seen_by_provider(Outbox))
        if Recording.error is not None:
            raise Recording.error


@pytest.fixture
def recording(settings):
    settings.GONGZHI_OUTBOUND_BACKEND = "tests.test_outbox_transactions.Recording"
    Recording.calls, Recording.error = [], None
    return Recording


@pytest.mark.django_db(transaction=True)
def test_outbox_provider_runs_outside_any_transaction(recording):
    with transaction.atomic():  # the business transaction that queues the messages
        for subject in ("已受理", "已办结"):
            outbox.enqueue(to=PHONE, channel="sms", subject=subject, body="谢谢")
    assert recording.calls == []  # nothing is sent inline
    call_command("send_outbox", stdout=None)
    assert recording.calls == [{"in_atomic_block": False, "claimed": True}] * 2
    assert set(Outbox.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_recorded_outside_the_provider_call(recording):
    outbox.enqueue(to=PHONE, channel="sms", subject="已受理", body="")
    recording.error = SendError("provider refused", permanent=True)
    assert str(outbox.send_due()) == "sent 0, retrying 0, failed 1"
    assert recording.calls == [{"in_atomic_block": False, "claimed": True}]
    row = Outbox.objects.get()
    assert (row.status, row.attempts, row.claimed_until) == (OutboxStatus.FAILED, 1, None)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_queues_no_notification(world, recording):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_users(users=[world.users.staff_a], kind="matter", title="新事项", urgent=True)
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists() and not Outbox.objects.exists()
    assert str(outbox.send_due()) == "sent 0, retrying 0, failed 0"
    assert recording.calls == []


class RecordingHotline(adapters.HttpAdapter):
    """The hotline's HTTP adapter without the network: records what it saw at each call."""

    def __init__(self) -> None:
        self.calls: list = []

    def send(self, payload: dict) -> None:
        self.calls.append(_seen_by_provider(OutboundAction) | {"action": payload["action"]})


@pytest.mark.django_db(transaction=True)
def test_hotline_answers_are_sent_outside_any_transaction(world, settings):
    settings.GONGZHI_HOTLINE_ADAPTER = "http"
    order, _ = services.order_receive(
        community=world.a,
        data=services.OrderIn(order_no="TX1", kind="求助", text="电梯坏了", address="渔家苑1栋"),
    )
    services.order_sign(actor=world.users.staff_a, order=order)  # queued in its transaction
    adapter = RecordingHotline()
    assert adapters.send_due(adapter=adapter).sent == 1
    assert adapter.calls == [{"in_atomic_block": False, "claimed": True, "action": "sign"}]
    assert OutboundAction.objects.get().status == OutboundStatus.SENT
