"""Volunteering history: one append-only table per subject (activity, record, claim, star
award), each row with a real foreign key and the state before and after, as every app's
history (``core.models.HistoryEvent``)."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from gongzhi.volunteering import services
from gongzhi.volunteering.models import (
    ActivityEvent,
    ActivityKind,
    ClaimEvent,
    ClaimStatus,
    EarningRule,
    EarningUnit,
    RecordEvent,
    RecordStatus,
    StarEvent,
)
from tests.helpers import cleaning_activity

DAY = dt.date(2026, 3, 14)


@pytest.fixture
def record(world):
    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        valid_from=dt.date(2026, 1, 1),
    )
    activity = cleaning_activity(world, DAY)
    record = services.service_record_add(
        activity=activity, participant=world.p_neighbour, minutes=90, actor=world.users.partner_a
    )
    return services.service_record_confirm(record=record, actor=world.users.partner_a)


def test_each_subject_has_its_history(world, record):
    staff = world.users.staff_a
    assert list(ActivityEvent.objects.filter(activity=record.activity).values_list("action")) == [
        ("created",)
    ]
    rows = RecordEvent.objects.filter(record=record).values_list(
        "action", "from_status", "to_status", "data"
    )
    assert list(rows) == [
        ("recorded", "", RecordStatus.CLAIMED, {"minutes": 90}),
        ("confirmed", RecordStatus.CLAIMED, RecordStatus.CONFIRMED, {"minutes": 90}),
    ]
    services.points_claim_reject(claim=record.claim, reason="重复申报", actor=staff)
    rows = ClaimEvent.objects.filter(claim=record.claim).values_list(
        "action", "from_status", "to_status", "note", "actor"
    )
    assert list(rows) == [
        ("applied", "", ClaimStatus.APPLIED, "", world.users.partner_a.pk),
        ("rejected", ClaimStatus.APPLIED, ClaimStatus.REJECTED, "重复申报", staff.pk),
    ]
    assert not StarEvent.objects.exists()


def test_history_rows_cannot_be_updated_or_deleted(world, record):
    for model, subject in (
        (ActivityEvent, {"activity": record.activity}),
        (RecordEvent, {"record": record}),
        (ClaimEvent, {"claim": record.claim}),
    ):
        rows = model.objects.filter(**subject)
        assert rows.exists()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            rows.update(note="rewritten")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            rows.delete()
        assert not rows.filter(note="rewritten").exists()
