"""Mediation cases through the services: the lifecycle, every refusal (which changes nothing),
opening from a dispute matter, and the fixtures the other mediation tests share."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.mediation import services
from gongzhi.mediation.models import CaseEvent, CaseStatus, FollowUp, MediationCase
from gongzhi.mediation.services import MediationError
from gongzhi.notifications.models import Notification
from tests.factories_matters import make_matter
from tests.helpers import T0, agreed_case


def test_open_authorises_the_opener_and_notifies_the_mediators(med):
    case = MediationCase.objects.get(pk=med.case.pk)
    assert case.status == CaseStatus.OPEN
    assert case.compound == med.world.yujia and case.community == med.world.a
    assert list(case.authorised_staff.all()) == [med.world.users.staff_a]
    assert sorted(p.label for p in case.parties.all()) == ["王建国", "赵敏"]
    note = Notification.objects.get(user=med.mediator)
    assert note.kind == "mediation_assigned" and "王建国" not in note.title
    assert CaseEvent.objects.get(case=case).action == "open"


def test_full_lifecycle_agreement_follow_ups_and_close(med):
    case = agreed_case(med)
    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOWING_UP and case.outcome == "agreed"
    visits = list(case.follow_ups.order_by("after_days"))
    outcome_day = timezone.localdate(T0 + dt.timedelta(days=2))
    assert [(v.after_days, v.due_on) for v in visits] == [
        (7, outcome_day + dt.timedelta(days=7)),
        (30, outcome_day + dt.timedelta(days=30)),
    ]
    services.case_record_follow_up(actor=med.mediator, case=case, follow_up=visits[0], held=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOWING_UP
    services.case_record_follow_up(
        actor=med.world.users.staff_a, case=case, follow_up=visits[1], held=True, notes="已清理"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    # One history shape (core.models.HistoryEvent): a row that moves nothing (the first
    # visit) has the same state before and after.
    actions = list(case.events.values_list("action", "from_status", "to_status"))
    assert actions == [
        ("open", "", "open"),
        ("session", "open", "mediating"),
        ("outcome", "mediating", "following_up"),
        ("follow_up", "following_up", "following_up"),
        ("follow_up", "following_up", "closed"),
    ]
    assert all(e.actor_id for e in case.events.all())


def test_failed_outcome_is_referred_without_follow_ups(med):
    services.case_add_session(actor=med.mediator, case=med.case, notes="双方分歧很大")
    case = services.case_record_outcome(
        actor=med.mediator, case=med.case, outcome="failed", referred_to="court"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED and case.referred_to == "court"
    assert not case.follow_ups.exists()


def _unchanged(case, before_events):
    case.refresh_from_db()
    return case.events.count() == before_events


def test_mediator_without_skill_or_role_is_refused(med):
    world = med.world
    with pytest.raises(MediationError) as exc:
        services.case_set_mediators(
            actor=world.users.staff_a, case=med.case, mediators=[world.p_neighbour]
        )
    assert exc.value.code == "not_mediator" and "王建国" in exc.value.message
    assert list(med.case.mediators.all()) == [world.p_construction]
    # A senior party member qualifies by role; a partner of another community does not.
    services.case_set_mediators(actor=world.users.staff_a, case=med.case, mediators=[med.senior])
    assert list(med.case.mediators.all()) == [med.senior]
    with pytest.raises(MediationError) as exc:
        services.case_set_mediators(actor=world.users.staff_a, case=med.case, mediators=[world.p_b])
    assert exc.value.code == "invalid_mediator"


def test_open_refuses_an_unqualified_mediator_and_creates_nothing(med):
    world = med.world
    with pytest.raises(MediationError) as exc:
        services.case_open(
            actor=world.users.staff_a,
            kind="family",
            description="家庭纠纷",
            place=world.y1,
            residents=[world.res_a],
            mediators=[world.p_team],
        )
    assert exc.value.code == "not_mediator"
    assert MediationCase.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "war"}, "invalid_kind"),
        ({"description": "  "}, "description_required"),
        ({"residents": [], "names": []}, "parties_required"),
    ],
)
def test_open_bad_input(med, fields, code):
    world = med.world
    kwargs = {
        "actor": world.users.staff_a,
        "kind": "family",
        "description": "家庭纠纷",
        "place": world.y1,
        "residents": [world.res_a],
        **fields,
    }
    with pytest.raises(MediationError) as exc:
        services.case_open(**kwargs)
    assert exc.value.code == code and exc.value.message
    assert MediationCase.objects.count() == 1


def test_only_staff_of_the_community_open_cases(med):
    world = med.world
    for user in (world.users.staff_b, world.users.grid_a1, world.users.official, med.mediator):
        with pytest.raises(MediationError) as exc:
            services.case_open(
                actor=user, kind="family", description="x", place=world.y1, names=["某甲"]
            )
        assert exc.value.code == "forbidden"
    assert MediationCase.objects.count() == 1


def test_outcome_from_the_wrong_state_is_refused(med):
    # No session yet.
    with pytest.raises(MediationError) as exc:
        services.case_record_outcome(
            actor=med.mediator, case=med.case, outcome="agreed", agreement_text="协议"
        )
    assert exc.value.code == "bad_state"
    case = agreed_case(med)
    before = case.events.count()
    with pytest.raises(MediationError) as exc:
        services.case_record_outcome(
            actor=med.mediator, case=case, outcome="failed", referred_to="court"
        )
    assert exc.value.code == "bad_state"
    with pytest.raises(MediationError) as exc:
        services.case_add_session(actor=med.mediator, case=case, notes="再谈一次")
    assert exc.value.code == "bad_state"
    assert _unchanged(case, before) and case.status == CaseStatus.FOLLOWING_UP


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"outcome": "agreed", "agreement_text": "  "}, "agreement_required"),
        ({"outcome": "partly", "agreement_text": ""}, "agreement_required"),
        ({"outcome": "failed"}, "referral_required"),
        ({"outcome": "failed", "referred_to": "moon"}, "referral_required"),
        ({"outcome": "maybe"}, "invalid_outcome"),
    ],
)
def test_outcome_bad_input_changes_nothing(med, fields, code):
    services.case_add_session(actor=med.mediator, case=med.case, notes="第一次调解")
    before = med.case.events.count()
    with pytest.raises(MediationError) as exc:
        services.case_record_outcome(actor=med.mediator, case=med.case, **fields)
    assert exc.value.code == code
    assert _unchanged(med.case, before)
    assert med.case.status == CaseStatus.MEDIATING and med.case.outcome == ""
    assert not FollowUp.objects.exists()


def test_session_needs_notes_and_someone_with_details(med):
    with pytest.raises(MediationError) as exc:
        services.case_add_session(actor=med.mediator, case=med.case, notes=" ")
    assert exc.value.code == "notes_required"
    for user in (med.staff_a2, med.world.users.official, med.world.users.partner_a):
        with pytest.raises(MediationError) as exc:
            services.case_add_session(actor=user, case=med.case, notes="偷看")
        assert exc.value.code == "forbidden"
    assert not med.case.sessions.exists()


def test_follow_up_twice_is_refused(med):
    case = agreed_case(med)
    visit = case.follow_ups.first()
    services.case_record_follow_up(actor=med.mediator, case=case, follow_up=visit, held=False)
    with pytest.raises(MediationError) as exc:
        services.case_record_follow_up(actor=med.mediator, case=case, follow_up=visit, held=True)
    assert exc.value.code == "already_done"
    visit.refresh_from_db()
    assert visit.held is False


def test_authorise_only_staff_of_the_community(med):
    world = med.world
    with pytest.raises(MediationError) as exc:
        services.case_authorise_staff(
            actor=world.users.staff_a, case=med.case, user=world.users.staff_b
        )
    assert exc.value.code == "invalid_staff"
    with pytest.raises(MediationError) as exc:
        services.case_authorise_staff(actor=med.staff_a2, case=med.case, user=med.staff_a2)
    assert exc.value.code == "forbidden"
    services.case_authorise_staff(actor=world.users.staff_a, case=med.case, user=med.staff_a2)
    assert med.case.authorised_staff.filter(pk=med.staff_a2.pk).exists()


def test_open_from_a_dispute_matter(med):
    world = med.world
    matter = make_matter(
        text="楼上装修噪音扰民，邻里争吵",
        building=world.y1,
        category="disputes",
        reporter=world.res_y1b,
    )
    case = services.case_open_from_matter(actor=world.users.staff_a, matter=matter)
    assert case.matter == matter and case.description == matter.text
    assert [p.resident for p in case.parties.all()] == [world.res_y1b]
    with pytest.raises(MediationError) as exc:
        services.case_open_from_matter(actor=world.users.staff_a, matter=matter)
    assert exc.value.code == "already_open"
    other = make_matter(text="路灯坏了", building=world.y1, category="facilities")
    with pytest.raises(MediationError) as exc:
        services.case_open_from_matter(actor=world.users.staff_a, matter=other)
    assert exc.value.code == "not_a_dispute"
    assert MediationCase.objects.count() == 2
