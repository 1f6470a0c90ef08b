"""Deadlines and the sweep: overdue once, escalation once, silent whistles, idempotent reruns."""

import datetime as dt
import io
import json
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongzhi.matters import deadlines
from gongzhi.matters import services as s
from gongzhi.matters.models import DeadlinePolicy, MatterEvent, Status
from gongzhi.matters.sweep import sweep
from gongzhi.notifications.models import Notification
from tests.factories_matters import make_matter

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FRIDAY = dt.datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
ZERO = {"overdue": 0, "escalated": 0, "whistles_overdue": 0}


def swept(*, now):
    """The matters steps of one sweep (other apps add their own steps and keys)."""
    counts = sweep(now=now)
    return {key: counts[key] for key in ZERO}


def rows() -> tuple[int, int]:
    return MatterEvent.objects.count(), Notification.objects.count()


def notified(user, kind) -> int:
    return Notification.objects.filter(user=user, kind=kind).count()


@pytest.fixture
def assigned(world):
    """A small matter (3 calendar days) submitted on FRIDAY, owned by the neighbour partner."""
    matter = make_matter(building=world.y1, tier="small", created_at=FRIDAY)
    s.matter_assign(
        actor=world.users.staff_a, matter=matter, owners=[world.p_neighbour], now=FRIDAY
    )
    matter.refresh_from_db()
    return matter


# ---- deadlines ------------------------------------------------------------------------------


def test_three_working_days_from_friday_end_on_wednesday():
    due = deadlines.add_days(FRIDAY, 3, working_days=True)
    assert due.strftime("%A") == "Wednesday" and due == FRIDAY + dt.timedelta(days=5)
    assert deadlines.add_days(FRIDAY, 3, working_days=False).strftime("%A") == "Monday"


def test_policy_deadlines_per_tier_and_category(world):
    DeadlinePolicy.objects.create(tier="small", category="", resolve_days=3, working_days=True)
    DeadlinePolicy.objects.create(
        community=world.a, tier="small", category="care", resolve_days=1, acknowledge_hours=4
    )
    facilities = make_matter(building=world.y1, tier="small", created_at=FRIDAY)
    care = make_matter(building=world.y1, tier="small", category="care", created_at=FRIDAY)
    hard = make_matter(building=world.y1, tier="hard", created_at=FRIDAY)
    assert facilities.due_at == FRIDAY + dt.timedelta(days=5)  # Wednesday
    assert facilities.ack_due_at == FRIDAY + dt.timedelta(hours=24)
    assert (care.ack_due_at, care.due_at) == (
        FRIDAY + dt.timedelta(hours=4),
        FRIDAY + dt.timedelta(days=1),
    )
    assert hard.due_at == FRIDAY + dt.timedelta(days=30)


# ---- overdue --------------------------------------------------------------------------------


def test_nothing_to_do_before_the_deadline(world, assigned):
    before = rows()
    assert swept(now=FRIDAY + dt.timedelta(days=2)) == ZERO
    assert rows() == before


def test_overdue_is_marked_once_and_owner_and_staff_told(world, assigned):
    late = FRIDAY + dt.timedelta(days=4)

    assert swept(now=late) == {**ZERO, "overdue": 1}

    assigned.refresh_from_db()
    assert assigned.overdue and assigned.escalation_level == 0
    event = assigned.events.get(action="overdue")
    assert event.data == {"deadline": "resolve"} and event.actor is None
    assert notified(world.users.partner_a, "matter_overdue") == 1
    assert notified(world.users.staff_a, "matter_overdue") == 1
    assert notified(world.users.staff_b, "matter_overdue") == 0
    assert notified(world.users.official, "matter_escalated") == 0

    before = rows()
    assert swept(now=late) == ZERO
    assert swept(now=late + dt.timedelta(hours=1)) == ZERO
    assert rows() == before


def test_unacknowledged_matter_is_overdue_after_a_day(world):
    matter = make_matter(building=world.y1, tier="big", created_at=FRIDAY)
    assert swept(now=FRIDAY + dt.timedelta(hours=25)) == {**ZERO, "overdue": 1}
    matter.refresh_from_db()
    assert matter.overdue
    assert matter.events.get(action="overdue").data == {"deadline": "acknowledge"}
    assert swept(now=FRIDAY + dt.timedelta(hours=26)) == ZERO
    # The resolve deadline is a second lapse, reported once when it comes.
    s.matter_acknowledge(actor=world.users.staff_a, matter=matter, now=FRIDAY)
    assert swept(now=FRIDAY + dt.timedelta(days=16)) == {**ZERO, "overdue": 1}
    assert swept(now=FRIDAY + dt.timedelta(days=16)) == ZERO


def test_long_overdue_escalates_once_to_the_subdistrict(world, assigned):
    # Three days allowed; six days late is more than a whole period again.
    very_late = FRIDAY + dt.timedelta(days=6, hours=1)

    assert swept(now=FRIDAY + dt.timedelta(days=4)) == {**ZERO, "overdue": 1}
    assert swept(now=very_late) == {**ZERO, "escalated": 1}

    assigned.refresh_from_db()
    assert assigned.escalation_level == 1
    assert assigned.events.get(action="escalate").data == {"reason": "overdue", "level": 1}
    assert notified(world.users.official, "matter_escalated") == 1

    before = rows()
    assert swept(now=very_late + dt.timedelta(days=10)) == ZERO
    assert rows() == before
    assigned.refresh_from_db()
    assert assigned.escalation_level == 1


def test_first_sweep_after_a_long_pause_marks_and_escalates_together(world, assigned):
    assert swept(now=FRIDAY + dt.timedelta(days=30)) == {**ZERO, "overdue": 1, "escalated": 1}
    assert swept(now=FRIDAY + dt.timedelta(days=30)) == ZERO


@pytest.mark.parametrize("status", [Status.DONE, Status.CLOSED, Status.WITHDRAWN])
def test_finished_matters_are_not_overdue(world, status):
    matter = make_matter(building=world.y1, tier="small", status=status, created_at=FRIDAY)
    assert swept(now=FRIDAY + dt.timedelta(days=40)) == ZERO
    matter.refresh_from_db()
    assert not matter.overdue and not matter.events.exists()


# ---- whistles -------------------------------------------------------------------------------


@pytest.fixture
def whistled(world):
    matter = make_matter(building=world.y1, tier="hard", created_at=FRIDAY)
    s.matter_assign(
        actor=world.users.staff_a,
        matter=matter,
        owners=[world.p_team],
        whistle=[world.org_dept],
        whistle_hours=72,
        now=FRIDAY,
    )
    return matter


def test_silent_whistle_is_reported_once(world, whistled):
    assert swept(now=FRIDAY + dt.timedelta(hours=71)) == ZERO
    assert swept(now=FRIDAY + dt.timedelta(hours=73)) == {**ZERO, "whistles_overdue": 1}
    event = whistled.events.get(action="whistle_overdue")
    assert event.data["organisation"] == "区房管局"
    assert notified(world.users.staff_a, "whistle_overdue") == 1
    assert notified(world.users.official, "whistle_overdue") == 1
    before = rows()
    assert swept(now=FRIDAY + dt.timedelta(hours=80)) == ZERO
    assert rows() == before


def test_answered_whistle_is_not_reported(world, whistled):
    owner = whistled.owners.get(is_whistle=True)
    s.matter_whistle_respond(
        actor=world.users.staff_a, matter=whistled, owner=owner, note="房管局已派人勘察"
    )
    assert swept(now=FRIDAY + dt.timedelta(hours=80)) == ZERO


def test_whistle_response_recorded_once_and_only_by_staff(world, whistled):
    owner = whistled.owners.get(is_whistle=True)
    with pytest.raises(s.MatterError) as refused:
        s.matter_whistle_respond(actor=world.users.staff_b, matter=whistled, owner=owner)
    assert refused.value.code == "forbidden"
    regular = whistled.owners.get(is_whistle=False)
    with pytest.raises(s.MatterError) as wrong:
        s.matter_whistle_respond(actor=world.users.staff_a, matter=whistled, owner=regular)
    assert wrong.value.code == "invalid_owner"
    s.matter_whistle_respond(actor=world.users.staff_a, matter=whistled, owner=owner)
    with pytest.raises(s.MatterError) as again:
        s.matter_whistle_respond(actor=world.users.staff_a, matter=whistled, owner=owner)
    assert again.value.code == "already_responded"
    assert whistled.events.filter(action="whistle_response").count() == 1


# ---- command ---------------------------------------------------------------------------------


def test_sweep_command_prints_counts_and_second_run_changes_nothing(world):
    make_matter(building=world.y1, tier="small", created_at=timezone.now() - dt.timedelta(days=60))
    first, second = io.StringIO(), io.StringIO()
    call_command("sweep", stdout=first)
    assert {k: v for k, v in json.loads(first.getvalue()).items() if k in ZERO} == {
        **ZERO,
        "overdue": 2,
        "escalated": 1,
    }
    before = rows()
    call_command("sweep", stdout=second)
    # The second run changes nothing in any step of any app.
    assert set(json.loads(second.getvalue()).values()) == {0}
    assert rows() == before
