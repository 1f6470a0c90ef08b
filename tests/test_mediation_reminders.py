"""Follow-up reminders in ``gongzhi sweep`` (once when due, once when overdue, never twice)
and the ``mediation_cases`` numbers of ``gongzhi overview``."""

import datetime as dt
import io
import json

from django.core.management import call_command

from gongzhi.core.overview import overview
from gongzhi.matters.sweep import STEPS, sweep
from gongzhi.mediation import services
from gongzhi.mediation.reminders import remind_follow_ups
from gongzhi.notifications.models import Notification
from tests.helpers import T0, agreed_case

DAY = dt.timedelta(days=1)


def reminders(user):
    return list(
        Notification.objects.filter(user=user, kind="mediation_follow_up").values_list(
            "title", flat=True
        )
    )


def test_the_step_is_registered_once():
    assert STEPS.count(remind_follow_ups) == 1


def test_nothing_before_the_due_day(med):
    agreed_case(med)  # outcome at T0 + 2 days: visits due at +9 and +32 days
    counts = sweep(T0 + 8 * DAY)
    assert counts["mediation_follow_ups_due"] == 0
    assert counts["mediation_follow_ups_overdue"] == 0
    assert reminders(med.mediator) == []


def test_due_then_overdue_each_once(med):
    agreed_case(med)
    first = sweep(T0 + 9 * DAY)
    assert first["mediation_follow_ups_due"] == 1
    assert len(reminders(med.mediator)) == 1
    assert "王建国" not in reminders(med.mediator)[0]  # no names in notifications
    again = sweep(T0 + 9 * DAY + dt.timedelta(hours=1))
    assert again["mediation_follow_ups_due"] == 0 and again["mediation_follow_ups_overdue"] == 0
    assert len(reminders(med.mediator)) == 1
    late = sweep(T0 + 13 * DAY)
    assert late["mediation_follow_ups_overdue"] == 1 and late["mediation_follow_ups_due"] == 0
    assert len(reminders(med.mediator)) == 2
    assert sweep(T0 + 14 * DAY)["mediation_follow_ups_overdue"] == 0
    assert len(reminders(med.mediator)) == 2
    # Non-mediators are never reminded.
    assert reminders(med.world.users.staff_a) == []


def test_a_recorded_visit_is_not_reminded(med):
    case = agreed_case(med)
    first = case.follow_ups.order_by("after_days").first()
    services.case_record_follow_up(actor=med.mediator, case=case, follow_up=first, held=True)
    assert sweep(T0 + 20 * DAY)["mediation_follow_ups_due"] == 0
    assert reminders(med.mediator) == []


def test_a_long_missed_visit_sends_only_the_overdue_reminder(med):
    agreed_case(med)
    counts = sweep(T0 + 40 * DAY)  # both visits are long overdue
    assert counts["mediation_follow_ups_overdue"] == 2
    assert counts["mediation_follow_ups_due"] == 0
    assert len(reminders(med.mediator)) == 2
    assert sweep(T0 + 41 * DAY)["mediation_follow_ups_overdue"] == 0


def test_overview_numbers(med):
    world = med.world
    empty = overview(community=world.b)["mediation_cases"]
    assert empty["total"] == 0 and empty["success_rate"] is None
    case = agreed_case(med)
    visits = list(case.follow_ups.order_by("after_days"))
    for visit in visits:
        services.case_record_follow_up(actor=med.mediator, case=case, follow_up=visit, held=True)
    # A second case fails and is referred to the committee; a third stays open.
    other = services.case_open(
        actor=world.users.staff_a,
        kind="family",
        description="家庭纠纷",
        place=world.yujia,
        names=["甲", "乙"],
        mediators=[world.p_construction],
    )
    services.case_add_session(actor=med.mediator, case=other, notes="调解未成")
    services.case_record_outcome(
        actor=med.mediator, case=other, outcome="failed", referred_to="committee"
    )
    services.case_open(
        actor=world.users.staff_a, kind="other", description="x", place=world.a, names=["丙"]
    )
    data = overview(community=world.a)["mediation_cases"]
    assert data["total"] == 3
    assert data["by_status"]["closed"] == 1 and data["by_status"]["referred"] == 1
    assert data["by_status"]["open"] == 1
    assert data["by_outcome"] == {"agreed": 1, "partly": 0, "failed": 1}
    assert data["success_rate"] == 0.5
    assert data["held_at_follow_up"] == {"followed_up": 1, "held": 1, "rate": 1.0}
    assert overview(community=world.b)["mediation_cases"]["total"] == 0


def test_overview_counts_a_broken_agreement(med):
    case = agreed_case(med)
    first, second = case.follow_ups.order_by("after_days")
    services.case_record_follow_up(actor=med.mediator, case=case, follow_up=first, held=True)
    services.case_record_follow_up(actor=med.mediator, case=case, follow_up=second, held=False)
    held = overview(community=med.world.a)["mediation_cases"]["held_at_follow_up"]
    assert held == {"followed_up": 1, "held": 0, "rate": 0.0}


def test_overview_command_json(med):
    out = io.StringIO()
    call_command("overview", "--community", "X社区", "--json", stdout=out)
    assert json.loads(out.getvalue())["mediation_cases"]["total"] == 1
