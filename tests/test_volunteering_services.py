"""Volunteer service: "谁组织谁记录", immutability, amendments, the claim flow with publicity,
exactly-once issuance, star levels and bad input — by persona, with the database checked."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.points.models import Journal, JournalKind
from gongzhi.points.services import balance_of, redemption_order
from gongzhi.volunteering import services
from gongzhi.volunteering.models import (
    ActivityKind,
    ClaimStatus,
    EarningRule,
    EarningUnit,
    ImmutableRecord,
    PointsClaim,
    RecordEvent,
    RecordStatus,
    ServiceAmendment,
    ServiceRecord,
    StarAward,
    StarEvent,
    StarScheme,
    StarStatus,
)
from gongzhi.volunteering.services import VolunteeringError

DAY = dt.date(2026, 3, 14)


@pytest.fixture
def rule(world):
    return EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        cap_per_activity=10,
        publicity_days=7,
        valid_from=dt.date(2026, 1, 1),
    )


@pytest.fixture
def activity(world, rule):
    return services.activity_create(
        title="楼道清扫",
        kind=ActivityKind.SERVICE,
        organiser=world.team_a,
        actor=world.users.partner_a,  # the team's leader organises it
        date=DAY,
        compound=world.yujia,
    )


def _confirmed(activity, participant, minutes, actor):
    record = services.service_record_add(
        activity=activity, participant=participant, minutes=minutes, actor=actor
    )
    return services.service_record_confirm(record=record, actor=actor)


def _issue(record, staff, now=None):
    claim = PointsClaim.objects.get(record=record)
    services.points_claim_approve(claim=claim, actor=staff, now=now)
    later = (now or timezone.now()) + dt.timedelta(days=8)
    return services.points_claim_issue(claim=claim, actor=staff, now=later)


# 谁组织谁记录 -----------------------------------------------------------------------------


def test_organiser_and_own_staff_confirm(world, activity):
    record = services.service_record_add(
        activity=activity, participant=world.p_construction, minutes=90, actor=world.users.staff_a
    )
    services.service_record_confirm(record=record, actor=world.users.partner_a)
    record.refresh_from_db()
    assert record.status == RecordStatus.CONFIRMED
    assert record.confirmed_by == world.users.partner_a
    claim = PointsClaim.objects.get(record=record)
    assert (claim.status, claim.points) == (ClaimStatus.APPLIED, 3)  # 2 per hour × 1.5 h


@pytest.mark.parametrize("persona", ["staff_b", "grid_a1", "resident_a", "official"])
def test_others_cannot_confirm(world, activity, persona):
    record = services.service_record_add(
        activity=activity, participant=world.p_construction, minutes=60, actor=world.users.staff_a
    )
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_confirm(record=record, actor=getattr(world.users, persona))
    assert exc.value.code == "forbidden"
    record.refresh_from_db()
    assert record.status == RecordStatus.CLAIMED
    assert not PointsClaim.objects.exists()


def test_volunteer_claims_own_hours_but_not_anothers(world, activity):
    # resident_a is 王建国, who is also the neighbour partner: one person.
    record = services.service_record_add(
        activity=activity, participant=world.res_a, minutes=60, actor=world.users.resident_a
    )
    assert record.resident == world.res_a
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_add(
            activity=activity, participant=world.res_y2, minutes=60, actor=world.users.resident_a
        )
    assert exc.value.code == "forbidden"
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_confirm(record=record, actor=world.users.resident_a)
    assert exc.value.code == "forbidden"


def test_staff_of_other_community_cannot_create_activity(world, rule):
    with pytest.raises(VolunteeringError) as exc:
        services.activity_create(
            title="x",
            kind=ActivityKind.SERVICE,
            organiser=world.team_a,
            actor=world.users.staff_b,
            date=DAY,
        )
    assert exc.value.code in {"forbidden", "other_community"}


# Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, -30, 24 * 60 + 1, "60", 1.5, True])
def test_bad_minutes_refused(world, activity, minutes):
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_add(
            activity=activity,
            participant=world.p_neighbour,
            minutes=minutes,
            actor=world.users.staff_a,
        )
    assert exc.value.code == "invalid_minutes"
    assert not ServiceRecord.objects.exists()


def test_duplicate_participant_refused(world, activity):
    services.service_record_add(
        activity=activity, participant=world.p_neighbour, minutes=60, actor=world.users.staff_a
    )
    # The same person through their resident record is still a duplicate.
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_add(
            activity=activity, participant=world.res_a, minutes=30, actor=world.users.staff_a
        )
    assert exc.value.code == "duplicate_participant"
    assert ServiceRecord.objects.count() == 1


def test_participant_of_other_community_refused(world, activity):
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_add(
            activity=activity, participant=world.p_b, minutes=60, actor=world.users.staff_a
        )
    assert exc.value.code == "other_community"


# Immutability and amendments -------------------------------------------------------------


def test_confirmed_record_is_immutable(world, activity):
    record = _confirmed(activity, world.p_neighbour, 60, world.users.staff_a)
    record.minutes = 600
    with pytest.raises(ImmutableRecord):
        record.save()
    with pytest.raises(ImmutableRecord):
        ServiceRecord.objects.filter(pk=record.pk).update(minutes=600)
    assert ServiceRecord.objects.get(pk=record.pk).minutes == 60


def test_amendment_of_issued_record_is_reversal_plus_new_earn(world, activity):
    record = _confirmed(activity, world.p_neighbour, 120, world.users.staff_a)
    claim = _issue(record, world.users.staff_a)
    assert balance_of(world.res_a) == 4
    amendment = services.service_record_amend(
        record=record, minutes=240, reason="漏记了下午场", actor=world.users.partner_a
    )
    record.refresh_from_db()
    claim.refresh_from_db()
    assert record.minutes == 240
    assert (amendment.old_minutes, amendment.new_minutes, amendment.by) == (
        120,
        240,
        world.users.partner_a,
    )
    assert amendment.reversal.kind == JournalKind.REVERSAL
    assert (
        amendment.reversal.reverses_id == Journal.objects.get(idempotency_key=f"svc:{record.pk}").pk
    )
    assert amendment.earning.amount == 8
    assert claim.journal == amendment.earning and claim.points == 8
    assert balance_of(world.res_a) == 8
    assert RecordEvent.objects.filter(record=record, action="amended").exists()


def test_amendment_needs_reason_and_a_change(world, activity):
    record = _confirmed(activity, world.p_neighbour, 60, world.users.staff_a)
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_amend(
            record=record, minutes=90, reason=" ", actor=world.users.staff_a
        )
    assert exc.value.code == "reason_required"
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_amend(
            record=record, minutes=60, reason="x", actor=world.users.staff_a
        )
    assert exc.value.code == "unchanged"
    with pytest.raises(VolunteeringError) as exc:
        services.service_record_amend(
            record=record, minutes=90, reason="x", actor=world.users.staff_b
        )
    assert exc.value.code == "forbidden"
    assert not ServiceAmendment.objects.exists()


# The claim flow: 申请 → 审核 → 公示 → issued ---------------------------------------------


def test_claim_flow_with_publicity_issues_exactly_once(world, activity):
    record = _confirmed(activity, world.p_neighbour, 180, world.users.staff_a)
    claim = PointsClaim.objects.get(record=record)
    now = timezone.now()
    services.points_claim_approve(claim=claim, actor=world.users.staff_a, now=now)
    with pytest.raises(VolunteeringError) as exc:
        services.points_claim_approve(claim=claim, actor=world.users.staff_a, now=now)
    assert exc.value.code == "bad_state"
    with pytest.raises(VolunteeringError) as exc:
        services.points_claim_issue(claim=claim, actor=world.users.staff_a, now=now)
    assert exc.value.code == "in_publicity"
    assert balance_of(world.res_a) == 0
    record.refresh_from_db()
    assert record.status == RecordStatus.PUBLICISED

    later = now + dt.timedelta(days=7, minutes=1)
    assert services.points_claims_issue_due(now=later) == 1
    assert services.points_claims_issue_due(now=later) == 0
    with pytest.raises(VolunteeringError):
        services.points_claim_issue(claim=claim, actor=world.users.staff_a, now=later)
    claim.refresh_from_db()
    record.refresh_from_db()
    assert claim.status == ClaimStatus.ISSUED and record.status == RecordStatus.APPROVED
    assert Journal.objects.filter(idempotency_key=f"svc:{record.pk}").count() == 1
    assert balance_of(world.res_a) == 6


def test_cap_per_activity(world, activity):
    record = _confirmed(activity, world.p_neighbour, 600, world.users.staff_a)
    assert PointsClaim.objects.get(record=record).points == 10  # 20 capped at 10


def test_only_reviewing_staff_approve(world, activity):
    record = _confirmed(activity, world.p_neighbour, 60, world.users.partner_a)
    claim = PointsClaim.objects.get(record=record)
    for persona in ("partner_a", "staff_b", "grid_a1"):
        with pytest.raises(VolunteeringError):
            services.points_claim_approve(claim=claim, actor=getattr(world.users, persona))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPLIED


def test_objection_holds_then_upheld_rejects(world, activity):
    record = _confirmed(activity, world.p_neighbour, 60, world.users.staff_a)
    claim = services.points_claim_approve(
        claim=PointsClaim.objects.get(record=record), actor=world.users.staff_a
    )
    services.points_claim_object(claim=claim, reason="那天他不在", actor=world.users.grid_a1)
    assert services.points_claims_issue_due(now=timezone.now() + dt.timedelta(days=30)) == 0
    services.points_claim_reject(claim=claim, reason="核实属实", actor=world.users.staff_a)
    record.refresh_from_db()
    assert record.status == RecordStatus.REJECTED
    assert balance_of(world.res_a) == 0


def test_objection_outside_publicity_refused(world, activity):
    record = _confirmed(activity, world.p_neighbour, 60, world.users.staff_a)
    claim = PointsClaim.objects.get(record=record)
    with pytest.raises(VolunteeringError) as exc:
        services.points_claim_object(claim=claim, reason="x", actor=world.users.staff_a)
    assert exc.value.code == "not_in_publicity"


# Hours are never reduced by spending points -----------------------------------------------


def test_redemption_leaves_hours(world, activity):
    from gongzhi.points.models import ShopItem

    record = _confirmed(activity, world.p_neighbour, 300, world.users.staff_a)
    _issue(record, world.users.staff_a)
    item = ShopItem.objects.create(community=world.a, name="毛巾", price=10, stock=5)
    redemption_order(holder=world.res_a, item=item, actor=None, idempotency_key="t1")
    assert balance_of(world.res_a) == 0
    assert services.approved_minutes(world.res_a) == 300
    record.refresh_from_db()
    assert record.minutes == 300 and record.status == RecordStatus.APPROVED


# Star levels -------------------------------------------------------------------------------


def test_star_thresholds_publicity_and_revoke(world, rule):
    StarScheme.objects.create(community=world.a, thresholds=[2, 5], publicity_days=5)
    now = timezone.now()
    records = []
    for n in range(3):
        activity = services.activity_create(
            title=f"服务{n}",
            kind=ActivityKind.SERVICE,
            organiser=world.team_a,
            actor=world.users.staff_a,
            date=DAY + dt.timedelta(days=n),
        )
        record = _confirmed(activity, world.p_neighbour, 120, world.users.staff_a)
        _issue(record, world.users.staff_a, now=now)
        records.append(record)
    # 2 h reached ★1 at the first issue, 6 h reached ★2 (5 h) at the third; both publicised.
    live = StarAward.objects.filter(resident=world.res_a).exclude(status=StarStatus.WITHDRAWN)
    assert sorted(live.values_list("level", flat=True)) == [1, 2]
    assert set(live.values_list("status", flat=True)) == {StarStatus.PUBLICISED}

    services.star_awards_refresh(community=world.a, now=now + dt.timedelta(days=20))
    assert set(live.values_list("status", flat=True)) == {StarStatus.AWARDED}

    # Revoking one record (6 h → 4 h) withdraws ★2, with an event; ★1 stays.
    services.service_record_revoke(record=records[0], reason="重复记录", actor=world.users.staff_a)
    live = StarAward.objects.filter(resident=world.res_a).exclude(status=StarStatus.WITHDRAWN)
    assert list(live.values_list("level", flat=True)) == [1]
    withdrawn = StarAward.objects.get(resident=world.res_a, status=StarStatus.WITHDRAWN)
    assert StarEvent.objects.filter(award=withdrawn, action="withdrawn").exists()
    assert services.approved_minutes(world.res_a) == 240
    assert balance_of(world.res_a) == 8  # the revoked record's 4 points were reversed


def test_default_thresholds(world):
    scheme = services.star_scheme_for(world.a)
    assert scheme.thresholds == [100, 300, 600, 1000, 1500]
    assert [scheme.level_for(h * 60) for h in (99, 100, 299, 300, 1500, 9000)] == [0, 1, 1, 2, 5, 5]


# Co-building labour -----------------------------------------------------------------------


def test_co_building_record_is_confirmed_and_idempotent(world):
    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.CO_BUILDING,
        unit=EarningUnit.PER_HOUR,
        points=1,
        valid_from=dt.date(2026, 1, 1),
    )
    args = {
        "project_source": "project:7",
        "minutes": 180,
        "organiser": world.org_a,
        "actor": world.users.staff_a,
        "date": DAY,
    }
    activity = services.co_building_record(participants=[world.res_y2, world.res_j1], **args)
    services.co_building_record(participants=[world.p_construction, world.res_y1b], **args)
    records = activity.records.all()
    assert records.count() == 3  # 孙立 as partner and as resident is one person
    assert set(records.values_list("status", flat=True)) == {RecordStatus.CONFIRMED}
    assert set(PointsClaim.objects.values_list("points", flat=True)) == {3}
