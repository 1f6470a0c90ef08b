"""Every transition of the matter state machine, allowed and refused, for every persona."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.matters import services as s
from gongzhi.matters.models import ClassificationCorrection, Matter, MatterEvent, Status
from gongzhi.matters.services import MatterError
from gongzhi.notifications.models import Notification


def submit(
    world,
    actor=None,
    *,
    text="3栋楼道灯坏了，晚上看不见",
    tier="small",
    category="facilities",
    **kw,
):
    actor = actor or world.users.staff_a
    place = s.resolve_place(building=world.y1)
    reporter = kw.pop("reporter", world.res_a)
    return s.matter_submit(
        actor=actor,
        text=text,
        channel="grid_visit",
        place=place,
        reporter=reporter,
        category=category,
        tier=tier,
        **kw,
    )


def code_of(excinfo) -> str:
    return excinfo.value.code


def at(matter, status):
    """Force a status for testing the guards (bypasses the services on purpose)."""
    Matter.objects.filter(pk=matter.pk).update(status=status)
    matter.refresh_from_db()
    return matter


# ---- submit ---------------------------------------------------------------------------------


def test_resident_submits_for_themselves(world):
    m = s.matter_submit(
        actor=world.users.resident_a,
        text="楼下垃圾桶满了好几天没人清",
        channel="online_web",
        place=s.resolve_place(building=world.y1),
        reporter=world.res_y2,
    )
    assert m.reporter == world.res_a  # forced to the resident's own record
    assert m.status == Status.RECEIVED and m.entered_by == world.users.resident_a
    assert m.suggested_category and m.suggested_tier and m.category == m.suggested_category
    assert m.ack_due_at - m.created_at == dt.timedelta(hours=24)
    assert list(m.events.values_list("action", flat=True)) == ["submit", "route"]
    assert m.reporters.get().resident == world.res_a


def test_resident_cannot_report_for_another_compound(world):
    with pytest.raises(MatterError) as e:
        s.matter_submit(
            actor=world.users.resident_a,
            text="江南小区停车难",
            channel="online_web",
            place=s.resolve_place(building=world.n1),
        )
    assert code_of(e) == "unknown_place"
    assert Matter.objects.count() == 0


def test_staff_of_b_cannot_submit_in_a(world):
    with pytest.raises(MatterError) as e:
        submit(world, world.users.staff_b)
    assert code_of(e) == "unknown_place"


@pytest.mark.parametrize("text", ["", "   ", "长" * 20000])
def test_bad_text_is_refused_and_nothing_written(world, text):
    with pytest.raises(MatterError) as e:
        submit(world, text=text)
    assert code_of(e) == "invalid_text"
    assert Matter.objects.count() == 0 and MatterEvent.objects.count() == 0


def test_missing_place_is_refused(world):
    with pytest.raises(MatterError) as e:
        s.resolve_place()
    assert code_of(e) == "unknown_place"


def test_same_idempotency_key_gives_one_matter(world):
    first = submit(world, idempotency_key="abc-1")
    again = submit(world, idempotency_key="abc-1")
    assert first.pk == again.pk and Matter.objects.count() == 1
    other = submit(world, idempotency_key="abc-2")
    assert other.pk != first.pk


def test_deadline_follows_tier(world):
    small = submit(world, tier="small")
    hard = submit(world, tier="hard")
    assert small.due_at - small.created_at == dt.timedelta(days=3)
    assert hard.due_at - hard.created_at == dt.timedelta(days=30)


# ---- acknowledge, classify, assign ---------------------------------------------------------


@pytest.mark.parametrize("who", ["staff_a", "grid_a1", "official", "admin"])
def test_acknowledge_allowed(world, who):
    m = s.matter_acknowledge(actor=getattr(world.users, who), matter=submit(world))
    assert m.status == Status.ACKNOWLEDGED and m.acknowledged_at is not None
    assert m.events.last().actor == getattr(world.users, who)


@pytest.mark.parametrize("who", ["staff_b", "resident_a", "partner_a"])
def test_acknowledge_refused(world, who):
    m = submit(world)
    with pytest.raises(MatterError) as e:
        s.matter_acknowledge(actor=getattr(world.users, who), matter=m)
    assert code_of(e) == "forbidden"
    m.refresh_from_db()
    assert m.status == Status.RECEIVED and m.events.count() == 2


def test_grid_worker_cannot_acknowledge_outside_grid(world):
    m = s.matter_submit(
        actor=world.users.staff_a,
        text="锦绣园停车位被占",
        channel="walk_in",
        place=s.resolve_place(building=world.j1),
        category="parking",
        tier="small",
    )
    with pytest.raises(MatterError):
        s.matter_acknowledge(actor=world.users.grid_a1, matter=m)


def test_classification_correction_is_stored(world):
    m = submit(world)
    s.matter_classify(actor=world.users.staff_a, matter=m, category="safety", tier="big")
    m.refresh_from_db()
    assert (m.category, m.tier, m.classification_confirmed) == ("safety", "big", True)
    correction = ClassificationCorrection.objects.get(matter=m)
    assert correction.category == "safety" and correction.suggested_category == m.suggested_category
    assert m.due_at - m.created_at == dt.timedelta(days=15)  # deadline follows the new tier
    with pytest.raises(MatterError) as e:
        s.matter_classify(actor=world.users.staff_a, matter=m, category="nonsense", tier="big")
    assert code_of(e) == "invalid_classification"


def test_assign_notifies_owner_users_and_counts_bounces(world):
    m = submit(world)
    s.matter_assign(actor=world.users.staff_a, matter=m, owners=[world.p_neighbour])
    m.refresh_from_db()
    assert m.status == Status.ASSIGNED and m.acknowledged_at is not None and m.bounce_count == 0
    assert Notification.objects.filter(user=world.users.partner_a, kind="matter_assigned").exists()
    s.matter_assign(actor=world.users.staff_a, matter=m, owners=[world.p_construction])
    m.refresh_from_db()
    assert (
        m.bounce_count == 1 and m.owners.filter(active=True).get().partner == world.p_construction
    )


@pytest.mark.parametrize("who", ["grid_a1", "partner_a", "resident_a", "staff_b"])
def test_assign_refused_for_non_staff(world, who):
    m = submit(world)
    with pytest.raises(MatterError) as e:
        s.matter_assign(actor=getattr(world.users, who), matter=m, owners=[world.p_neighbour])
    assert code_of(e) == "forbidden"
    assert not m.owners.exists()


def test_assign_refuses_owner_of_another_community_and_empty_owner(world):
    m = submit(world)
    with pytest.raises(MatterError) as e:
        s.matter_assign(actor=world.users.staff_a, matter=m, owners=[world.p_b])
    assert code_of(e) == "invalid_owner"
    with pytest.raises(MatterError):
        s.matter_assign(actor=world.users.staff_a, matter=m, owners=[])
    m.refresh_from_db()
    assert m.status == Status.RECEIVED and not m.owners.exists()


def test_whistle_to_a_department(world):
    m = submit(world, tier="hard")
    s.matter_assign(
        actor=world.users.staff_a,
        matter=m,
        owners=[world.p_team],
        whistle=[world.org_dept],
        whistle_hours=48,
    )
    whistle = m.owners.get(is_whistle=True)
    assert whistle.organisation == world.org_dept
    assert whistle.respond_by - whistle.assigned_at == dt.timedelta(hours=48)


# ---- deliberate, start, complete, feedback --------------------------------------------------


def test_small_matters_are_not_deliberated(world):
    m = submit(world, tier="small")
    s.matter_assign(actor=world.users.staff_a, matter=m, owners=[world.p_neighbour])
    with pytest.raises(MatterError) as e:
        s.matter_deliberate(actor=world.users.staff_a, matter=m)
    assert code_of(e) == "small_matter"


def assigned(world, tier="small"):
    m = submit(world, tier=tier)
    return s.matter_assign(actor=world.users.staff_a, matter=m, owners=[world.p_neighbour])


def test_full_loop_closes_with_satisfaction(world):
    m = assigned(world, tier="big")
    s.matter_deliberate(actor=world.users.staff_a, matter=m)
    s.matter_start(actor=world.users.partner_a, matter=m)
    s.matter_complete(actor=world.users.partner_a, matter=m)
    assert Notification.objects.filter(user=world.users.resident_a, kind="matter_done").exists()
    s.matter_feedback(
        actor=world.users.resident_a, matter=m, satisfaction="satisfied", comment="很及时"
    )
    m.refresh_from_db()
    assert m.status == Status.CLOSED and m.closed_at and m.satisfaction == "satisfied"
    actions = list(m.events.values_list("action", flat=True))
    assert actions == ["submit", "route", "assign", "deliberate", "start", "complete", "feedback"]
    statuses = list(m.events.values_list("from_status", "to_status"))
    assert statuses[2:] == [
        ("received", "assigned"),
        ("assigned", "deliberating"),
        ("deliberating", "in_progress"),
        ("in_progress", "done"),
        ("done", "closed"),
    ]


@pytest.mark.parametrize("who", ["resident_a", "grid_a1", "staff_b"])
def test_start_refused_for_non_owners(world, who):
    # Big: the grid worker of the building may handle small matters of their grid.
    m = assigned(world, tier="big")
    with pytest.raises(MatterError) as e:
        s.matter_start(actor=getattr(world.users, who), matter=m)
    assert code_of(e) == "forbidden"


def test_dissatisfied_reopens_once_then_escalates(world):
    m = assigned(world)
    for _round in range(2):
        s.matter_start(
            actor=world.users.partner_a, matter=m
        ) if m.status == Status.ASSIGNED else None
        s.matter_complete(actor=world.users.partner_a, matter=m)
        s.matter_feedback(actor=world.users.resident_a, matter=m, satisfaction="dissatisfied")
        m.refresh_from_db()
        assert m.status == Status.IN_PROGRESS
    assert m.reopen_count == 1 and m.escalation_level == 1
    assert list(
        m.events.filter(action__in=["reopen", "escalate"]).values_list("action", flat=True)
    ) == ["reopen", "escalate"]
    assert Notification.objects.filter(user=world.users.official, kind="matter_escalated").exists()


@pytest.mark.parametrize("who", ["staff_a", "partner_a", "grid_a1"])
def test_feedback_only_by_a_reporter(world, who):
    m = assigned(world)
    s.matter_start(actor=world.users.partner_a, matter=m)
    s.matter_complete(actor=world.users.partner_a, matter=m)
    with pytest.raises(MatterError) as e:
        s.matter_feedback(actor=getattr(world.users, who), matter=m, satisfaction="satisfied")
    assert code_of(e) == "not_reporter"
    m.refresh_from_db()
    assert m.status == Status.DONE and m.satisfaction == ""


def test_feedback_before_done_is_refused(world):
    m = assigned(world)
    with pytest.raises(MatterError) as e:
        s.matter_feedback(actor=world.users.resident_a, matter=m, satisfaction="satisfied")
    assert code_of(e) == "bad_state"


def test_close_unrated_waits_for_the_window(world):
    m = assigned(world)
    s.matter_start(actor=world.users.partner_a, matter=m)
    s.matter_complete(actor=world.users.partner_a, matter=m)
    with pytest.raises(MatterError) as e:
        s.matter_close_unrated(actor=world.users.staff_a, matter=m)
    assert code_of(e) == "too_early"
    later = timezone.now() + dt.timedelta(days=8)
    s.matter_close_unrated(actor=world.users.staff_a, matter=m, now=later)
    m.refresh_from_db()
    assert m.status == Status.CLOSED and m.satisfaction == ""


# ---- closed variants ------------------------------------------------------------------------


def test_merge_keeps_every_reporter(world):
    target = submit(world)
    dup = submit(world, reporter=world.res_y1b, text="3栋的楼道灯不亮")
    s.matter_merge(actor=world.users.staff_a, matter=dup, into=target)
    dup.refresh_from_db()
    assert dup.status == Status.MERGED and dup.merged_into == target
    assert set(target.reporters.values_list("resident", flat=True)) == {
        world.res_a.pk,
        world.res_y1b.pk,
    }
    with pytest.raises(MatterError) as e:
        s.matter_merge(actor=world.users.staff_a, matter=target, into=target)
    assert code_of(e) == "invalid_target"


def test_refer_and_reject_need_a_reason(world):
    m = submit(world)
    with pytest.raises(MatterError) as e:
        s.matter_reject(actor=world.users.staff_a, matter=m, reason=" ")
    assert code_of(e) == "reason_required"
    s.matter_refer(actor=world.users.staff_a, matter=m, to="区城管局", reason="占道经营归城管")
    m.refresh_from_db()
    assert m.status == Status.REFERRED and m.referred_to == "区城管局"
    other = submit(world)
    s.matter_reject(actor=world.users.staff_a, matter=other, reason="重复反映，已在处理")
    other.refresh_from_db()
    assert other.status == Status.REJECTED


def test_withdraw_by_reporter_not_by_stranger(world):
    m = submit(world)
    with pytest.raises(MatterError):
        s.matter_withdraw(actor=world.users.partner_a, matter=m)
    s.matter_withdraw(actor=world.users.resident_a, matter=m, reason="已自行解决")
    m.refresh_from_db()
    assert m.status == Status.WITHDRAWN


TRANSITIONS = {
    "acknowledge": (
        lambda w, m: s.matter_acknowledge(actor=w.users.staff_a, matter=m),
        {"received"},
    ),
    "deliberate": (lambda w, m: s.matter_deliberate(actor=w.users.staff_a, matter=m), {"assigned"}),
    "start": (
        lambda w, m: s.matter_start(actor=w.users.staff_a, matter=m),
        {"assigned", "deliberating"},
    ),
    "complete": (lambda w, m: s.matter_complete(actor=w.users.staff_a, matter=m), {"in_progress"}),
    "feedback": (
        lambda w, m: s.matter_feedback(actor=w.users.resident_a, matter=m, satisfaction="basic"),
        {"done"},
    ),
    "reject": (
        lambda w, m: s.matter_reject(actor=w.users.staff_a, matter=m, reason="不属实"),
        {"received", "acknowledged"},
    ),
    "refer": (
        lambda w, m: s.matter_refer(actor=w.users.staff_a, matter=m, to="派出所", reason="治安"),
        {"received", "acknowledged", "assigned"},
    ),
    "withdraw": (
        lambda w, m: s.matter_withdraw(actor=w.users.staff_a, matter=m),
        {"received", "acknowledged", "assigned", "deliberating", "in_progress"},
    ),
    "close_unrated": (
        lambda w, m: s.matter_close_unrated(
            actor=w.users.staff_a, matter=m, now=timezone.now() + dt.timedelta(days=30)
        ),
        {"done"},
    ),
}


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
@pytest.mark.parametrize("status", [st.value for st in Status if st != Status.MERGED])
def test_transition_refused_from_wrong_state(world, name, status):
    call, allowed = TRANSITIONS[name]
    m = at(submit(world, tier="big"), status)
    m.owners.create(partner=world.p_neighbour, assigned_at=timezone.now())
    events = m.events.count()
    if status in allowed:
        call(world, m)
        m.refresh_from_db()
        assert m.events.count() == events + 1
    else:
        with pytest.raises(MatterError) as e:
            call(world, m)
        assert code_of(e) == "bad_state"
        m.refresh_from_db()
        assert m.status == status and m.events.count() == events
