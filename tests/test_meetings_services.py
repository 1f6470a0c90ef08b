"""Meetings through their services: generation, venues, votes, decisions, immutability and the
closed loop back into matters."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from gongzhi.matters.models import Status
from gongzhi.matters.services import matter_deliberate, matter_feedback
from gongzhi.meetings import services
from gongzhi.meetings.models import (
    ActionItem,
    AgendaItem,
    Decision,
    ItemStatus,
    Meeting,
    MeetingStatus,
    PublicHoliday,
    Vote,
)
from gongzhi.meetings.services import ActionSpec, MeetingError
from gongzhi.notifications.models import Notification
from tests.factories_matters import make_matter
from tests.factories_meetings import make_meeting, make_venue, voters_present

pytestmark = pytest.mark.django_db


def _error(code, call, **kwargs):
    with pytest.raises(MeetingError) as info:
        call(**kwargs)
    assert info.value.code == code, info.value.message
    return info.value


def _in_session(world, **kwargs):
    meeting = make_meeting(world, **kwargs)
    people = voters_present(world, meeting, present=kwargs.pop("present", 3))
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="加装电梯")
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    meeting.refresh_from_db()
    return meeting, people, item


# ---- series and generation --------------------------------------------------------------------


def test_series_generates_meetings_ahead_and_is_idempotent(world):
    venue = make_venue(world)
    today = timezone.localdate()
    series = services.series_create(
        actor=world.users.staff_a,
        name="逢四说事",
        venue=venue,
        rule="fours",
        starts_on=today,
        start_time=dt.time(9, 0),
        holiday_policy="keep",
    )
    first = Meeting.objects.filter(series=series).count()
    assert 5 <= first <= 7  # about two per four weeks, over eight weeks
    assert all(m.rule_date.day in (4, 14, 24) for m in series.meetings.all())
    again = services.meetings_generate(series=series)
    assert again.created == []
    assert Meeting.objects.filter(series=series).count() == first


def test_series_meeting_on_a_holiday_moves_to_the_next_working_day(world):
    venue = make_venue(world)
    today = timezone.localdate()
    # Make the series' next 4th/14th/24th a holiday and the day after it too.
    nxt = next(
        today + dt.timedelta(days=n)
        for n in range(1, 40)
        if (today + dt.timedelta(days=n)).day in (4, 14, 24)
    )
    PublicHoliday.objects.update_or_create(date=nxt, defaults={"name": "测试假日"})
    series = services.series_create(
        actor=world.users.staff_a,
        name="逢四说事",
        venue=venue,
        rule="fours",
        starts_on=today,
        start_time=dt.time(9, 0),
        holiday_policy="next_workday",
    )
    moved = series.meetings.get(rule_date=nxt)
    day = timezone.localtime(moved.starts_at).date()
    assert day > nxt
    assert day.weekday() < 5 or PublicHoliday.objects.filter(date=day, is_workday=True).exists()


def test_a_new_series_cannot_start_in_the_past(world):
    venue = make_venue(world)
    _error(
        "in_the_past",
        services.series_create,
        actor=world.users.staff_a,
        name="周周议",
        venue=venue,
        rule="weekly",
        weekday=2,
        starts_on=timezone.localdate() - dt.timedelta(days=1),
        start_time=dt.time(15, 0),
    )
    assert not Meeting.objects.exists()


def test_a_weekly_series_needs_a_weekday(world):
    venue = make_venue(world)
    _error(
        "bad_rule",
        services.series_create,
        actor=world.users.staff_a,
        name="周周议",
        venue=venue,
        rule="weekly",
        starts_on=timezone.localdate(),
        start_time=dt.time(15, 0),
    )


def test_generation_skips_a_date_whose_venue_is_taken(world):
    venue = make_venue(world)
    today = timezone.localdate()
    nxt = next(
        today + dt.timedelta(days=n)
        for n in range(1, 8)
        if (today + dt.timedelta(days=n)).weekday() == 2
    )
    blocker = services.meeting_create(
        actor=world.users.staff_a,
        title="业委会座谈",
        place=world.a,
        venue=venue,
        starts_at=timezone.make_aware(dt.datetime.combine(nxt, dt.time(14, 30))),
    )
    series = services.series_create(
        actor=world.users.staff_a,
        name="周周议",
        venue=venue,
        rule="weekly",
        weekday=2,
        starts_on=today,
        start_time=dt.time(15, 0),
    )
    assert not series.meetings.filter(rule_date=nxt).exists()
    result = services.meetings_generate(series=series)
    assert result.conflicts == [(nxt, blocker)]


def test_staff_b_cannot_create_a_series_in_community_a(world):
    venue = make_venue(world)
    _error(
        "forbidden",
        services.series_create,
        actor=world.users.staff_b,
        name="周周议",
        venue=venue,
        rule="weekly",
        weekday=2,
        starts_on=timezone.localdate(),
        start_time=dt.time(15, 0),
    )


# ---- venues ------------------------------------------------------------------------------------


def test_overlapping_meetings_at_one_venue_are_refused(world):
    venue = make_venue(world)
    first = make_meeting(world, venue=venue)
    err = _error(
        "venue_taken",
        services.meeting_create,
        actor=world.users.staff_a,
        title="另一个会",
        place=world.yujia,
        venue=venue,
        starts_at=first.starts_at + dt.timedelta(minutes=30),
    )
    assert venue.name in err.message
    assert Meeting.objects.count() == 1
    # Back to back is fine, and so is another venue at the same time.
    services.meeting_create(
        actor=world.users.staff_a,
        title="接着开",
        place=world.a,
        venue=venue,
        starts_at=first.ends_at,
    )
    make_meeting(world, venue=make_venue(world, name="锦绣园活动室"))
    assert Meeting.objects.count() == 3


def test_a_cancelled_meeting_frees_its_venue(world):
    venue = make_venue(world)
    first = make_meeting(world, venue=venue)
    services.meeting_cancel(actor=world.users.staff_a, meeting=first)
    make_meeting(world, venue=venue)
    assert Meeting.objects.exclude(status=MeetingStatus.CANCELLED).count() == 1


def test_an_ad_hoc_meeting_in_the_past_is_refused(world):
    _error("in_the_past", make_meeting, world=world, days=-1)


# ---- votes, quorum, majorities ------------------------------------------------------------------


def test_votes_decide_by_simple_majority(world):
    meeting, people, item = _in_session(world)
    for person, choice in zip(people, ["for", "for", "against"], strict=True):
        services.vote_cast(actor=world.users.staff_a, item=item, participant=person, choice=choice)
    decision = services.decision_record(
        actor=world.users.staff_a, item=item, method="vote", text="同意加装电梯"
    )
    assert (decision.outcome, decision.votes_for, decision.votes_against) == ("adopted", 2, 1)
    item.refresh_from_db()
    assert item.status == ItemStatus.DECIDED


def test_simple_majority_ignores_abstentions_but_a_tie_fails(world):
    meeting, people, item = _in_session(world)
    for person, choice in zip(people, ["for", "against", "abstain"], strict=True):
        services.vote_cast(actor=world.users.staff_a, item=item, participant=person, choice=choice)
    decision = services.decision_record(
        actor=world.users.staff_a, item=item, method="vote", text="加装电梯"
    )
    assert decision.outcome == "rejected"


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "expected"),
    [(2, 1, 0, True), (2, 0, 1, True), (3, 1, 1, False), (4, 2, 0, True), (0, 0, 0, False)],
)
def test_two_thirds_counts_abstentions_as_votes_cast(yes, no, abstain, expected):
    assert services.majority_reached("two_thirds", yes=yes, no=no, abstain=abstain) is expected


def test_simple_majority_rule():
    assert services.majority_reached("simple", yes=2, no=1, abstain=5)
    assert not services.majority_reached("simple", yes=1, no=1, abstain=0)
    assert not services.majority_reached("simple", yes=0, no=0, abstain=0)


def test_two_thirds_meeting_rejects_a_bare_majority(world):
    meeting, people, item = _in_session(world, majority="two_thirds")
    for person, choice in zip(people, ["for", "for", "abstain"], strict=True):
        services.vote_cast(actor=world.users.staff_a, item=item, participant=person, choice=choice)
    assert (
        services.decision_record(
            actor=world.users.staff_a, item=item, method="vote", text="动用公共收益"
        ).outcome
        == "adopted"
    )


def test_no_quorum_no_vote(world):
    meeting = make_meeting(world, quorum_share=0.5)
    people = voters_present(world, meeting, present=1, absent=2)
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="停车")
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    services.vote_cast(actor=world.users.staff_a, item=item, participant=people[0], choice="for")
    err = _error(
        "no_quorum",
        services.decision_record,
        actor=world.users.staff_a,
        item=item,
        method="vote",
        text="停车",
    )
    assert "1" in err.message and "3" in err.message
    assert not Decision.objects.exists()


def test_quorum_count_is_a_minimum_number(world):
    meeting = make_meeting(world, quorum_share=0, quorum_count=3)
    assert services.quorum_needed(meeting, 10) == 3
    meeting.quorum_share = 0.5
    assert services.quorum_needed(meeting, 10) == 5
    assert services.quorum_needed(meeting, 7) == 4  # rounded up


def test_bad_votes_are_refused_and_change_nothing(world):
    meeting, people, item = _in_session(world)
    other = make_meeting(world, days=5, title="别的会")
    stranger = services.participant_invite(
        actor=world.users.staff_a, meeting=other, resident=world.res_y2, is_voter=True
    )
    guest = services.participant_invite(
        actor=world.users.staff_a, meeting=meeting, name="张代表", outsider_role="deputy"
    )
    services.participant_attend(actor=world.users.staff_a, participant=guest)
    guest.refresh_from_db()
    vote = services.vote_cast
    staff = world.users.staff_a
    _error("not_a_voter", vote, actor=staff, item=item, participant=stranger, choice="for")
    _error("not_a_voter", vote, actor=staff, item=item, participant=guest, choice="for")
    _error("bad_choice", vote, actor=staff, item=item, participant=people[0], choice="maybe")
    vote(actor=staff, item=item, participant=people[0], choice="for")
    _error("already_voted", vote, actor=staff, item=item, participant=people[0], choice="against")
    assert Vote.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(item=item, participant=people[0], choice="for", at=timezone.now())


def test_a_voter_casts_their_own_vote_but_not_someone_elses(world):
    meeting, people, item = _in_session(world)
    services.vote_cast(actor=world.users.resident_a, item=item, participant=people[0], choice="for")
    _error(
        "forbidden",
        services.vote_cast,
        actor=world.users.resident_a,
        item=item,
        participant=people[1],
        choice="for",
    )


def test_absent_voters_cannot_vote(world):
    meeting = make_meeting(world)
    people = voters_present(world, meeting, present=1, absent=1)
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="停车")
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    _error(
        "not_present",
        services.vote_cast,
        actor=world.users.staff_a,
        item=item,
        participant=people[1],
        choice="for",
    )


def test_no_vote_before_the_meeting_opens_or_after_it_closes(world):
    meeting = make_meeting(world)
    people = voters_present(world, meeting)
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="停车")
    staff = world.users.staff_a
    _error(
        "not_in_session",
        services.vote_cast,
        actor=staff,
        item=item,
        participant=people[0],
        choice="for",
    )
    services.meeting_open(actor=staff, meeting=meeting)
    services.meeting_close(actor=staff, meeting=meeting)
    _error(
        "meeting_closed",
        services.vote_cast,
        actor=staff,
        item=item,
        participant=people[0],
        choice="for",
    )
    assert not Vote.objects.exists()


def test_no_vote_after_the_item_is_decided(world):
    meeting, people, item = _in_session(world)
    services.decision_record(actor=world.users.staff_a, item=item, method="consensus", text="同意")
    _error(
        "item_decided",
        services.vote_cast,
        actor=world.users.staff_a,
        item=item,
        participant=people[0],
        choice="for",
    )


# ---- decisions and action items -----------------------------------------------------------------


def test_an_action_item_without_an_owner_is_refused_and_nothing_is_decided(world):
    meeting, people, item = _in_session(world)
    err = _error(
        "owner_required",
        services.decision_record,
        actor=world.users.staff_a,
        item=item,
        method="consensus",
        text="修缮外墙",
        actions=[ActionSpec(title="联系施工队", due_on=timezone.localdate() + dt.timedelta(7))],
    )
    assert err.message
    assert not Decision.objects.exists()
    assert not ActionItem.objects.exists()
    item.refresh_from_db()
    assert item.status == ItemStatus.SCHEDULED


def test_an_action_item_needs_a_deadline(world):
    meeting, people, item = _in_session(world)
    _error(
        "deadline_required",
        services.decision_record,
        actor=world.users.staff_a,
        item=item,
        method="consensus",
        text="修缮外墙",
        actions=[ActionSpec(title="联系施工队", due_on=None, partner=world.p_neighbour)],
    )


def test_closed_meeting_freezes_decisions_and_corrections_are_new_rows(world):
    meeting, people, item = _in_session(world)
    decision = services.decision_record(
        actor=world.users.staff_a, item=item, method="consensus", text="同意加装电梯"
    )
    services.meeting_close(actor=world.users.staff_a, meeting=meeting)
    _error(
        "meeting_closed",
        services.decision_record,
        actor=world.users.staff_a,
        item=item,
        method="consensus",
        text="改主意",
    )
    _error(
        "meeting_closed",
        services.action_item_add,
        actor=world.users.staff_a,
        decision=decision,
        spec=ActionSpec(title="x", due_on=timezone.localdate(), partner=world.p_neighbour),
    )
    # The model refuses to save or delete an existing decision …
    decision.text = "悄悄改掉"
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()
    # … and the database refuses an UPDATE that bypasses the model.
    with pytest.raises(DatabaseError), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(text="悄悄改掉")
    decision.refresh_from_db()
    assert decision.text == "同意加装电梯"

    correction = services.decision_correct(
        actor=world.users.staff_a, decision=decision, text="同意加装两部电梯", reason="记录笔误"
    )
    assert correction.corrects == decision
    assert list(Decision.objects.current()) == [correction]
    _error(
        "already_corrected",
        services.decision_correct,
        actor=world.users.staff_a,
        decision=decision,
        text="再改",
        reason="x",
    )


def test_only_staff_of_the_place_decide(world):
    meeting, people, item = _in_session(world)
    for user in (world.users.staff_b, world.users.resident_a, world.users.partner_a):
        _error(
            "forbidden",
            services.decision_record,
            actor=user,
            item=item,
            method="consensus",
            text="同意",
        )


# ---- the closed loop ----------------------------------------------------------------------------


def test_the_loop_closes_from_matter_to_feedback(world):
    staff = world.users.staff_a
    meeting = make_meeting(world, place=world.yujia)
    matter = make_matter(
        text="1栋外墙渗水，多户受影响",
        building=world.y1,
        tier="big",
        status="assigned",
        reporter=world.res_a,
    )
    matter_deliberate(actor=staff, matter=matter)

    item = AgendaItem.objects.get(matter=matter)
    assert item.meeting == meeting and item.status == ItemStatus.SCHEDULED

    people = voters_present(world, meeting)
    services.meeting_open(actor=staff, meeting=meeting)
    for person in people:
        services.vote_cast(actor=staff, item=item, participant=person, choice="for")
    deadline = timezone.localdate() + dt.timedelta(days=14)
    decision = services.decision_record(
        actor=staff,
        item=item,
        method="vote",
        text="由物业牵头维修外墙，维修资金按规定申请",
        actions=[
            ActionSpec(title="申请维修资金", due_on=deadline, organisation=world.org_a),
            ActionSpec(title="组织施工", due_on=deadline, partner=world.p_construction),
        ],
    )
    matter.refresh_from_db()
    assert matter.status == Status.IN_PROGRESS
    services.meeting_close(actor=staff, meeting=meeting)

    first, second = decision.actions.all()
    services.action_item_complete(actor=staff, action=first)
    matter.refresh_from_db()
    assert matter.status == Status.IN_PROGRESS  # one action item is still open
    services.action_item_complete(actor=staff, action=second, note="已完工")
    matter.refresh_from_db()
    assert matter.status == Status.DONE
    assert Notification.objects.filter(user=world.users.resident_a, kind="matter_done").exists()
    second.refresh_from_db()
    assert second.done_on_time

    matter_feedback(actor=world.users.resident_a, matter=matter, satisfaction="satisfied")
    matter.refresh_from_db()
    assert matter.status == Status.CLOSED


def test_a_matter_waits_in_the_queue_until_a_meeting_of_its_scope_exists(world):
    staff = world.users.staff_a
    make_meeting(world, place=world.jinxiu)  # another compound: not the right scope
    matter = make_matter(building=world.y1, tier="hard", status="assigned")
    matter_deliberate(actor=staff, matter=matter)
    item = AgendaItem.objects.get(matter=matter)
    assert item.meeting is None and item.status == ItemStatus.PROPOSED

    meeting = make_meeting(world, place=world.yujia, days=3)
    item.refresh_from_db()
    assert item.meeting == meeting and item.status == ItemStatus.SCHEDULED


def test_a_building_meeting_is_preferred_to_a_community_meeting(world):
    make_meeting(world, place=world.a, days=1)
    building = make_meeting(world, place=world.y1, days=5, title="1栋楼栋议事")
    matter = make_matter(building=world.y1, tier="big", status="assigned")
    matter_deliberate(actor=world.users.staff_a, matter=matter)
    assert AgendaItem.objects.get(matter=matter).meeting == building


def test_an_undecided_matter_item_is_proposed_again_after_closing(world):
    staff = world.users.staff_a
    meeting = make_meeting(world, place=world.a)
    matter = make_matter(building=world.y1, tier="big", status="assigned")
    matter_deliberate(actor=staff, matter=matter)
    later = make_meeting(world, place=world.a, days=9, title="下次议事会")
    services.meeting_open(actor=staff, meeting=meeting)
    services.meeting_close(actor=staff, meeting=meeting)
    statuses = dict(AgendaItem.objects.filter(matter=matter).values_list("meeting", "status"))
    assert statuses == {meeting.pk: ItemStatus.DEFERRED, later.pk: ItemStatus.SCHEDULED}


def test_residents_propose_and_staff_accept(world):
    meeting = make_meeting(world)
    item = services.agenda_propose(
        actor=world.users.resident_a, meeting=meeting, title="小区增设充电桩"
    )
    assert (item.source, item.status) == ("resident", ItemStatus.PROPOSED)
    _error("forbidden", services.agenda_accept, actor=world.users.resident_a, item=item)
    services.agenda_accept(actor=world.users.staff_a, item=item)
    item.refresh_from_db()
    assert item.status == ItemStatus.SCHEDULED
    _error(
        "forbidden",
        services.agenda_propose,
        actor=world.users.staff_b,
        meeting=meeting,
        title="别社区的人",
    )


def test_agenda_order_can_be_changed(world):
    meeting = make_meeting(world)
    a, b, c = (
        services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title=t)
        for t in ("一", "二", "三")
    )
    services.agenda_move(actor=world.users.staff_a, item=c, by=-2)
    assert list(meeting.items.values_list("title", flat=True)) == ["三", "一", "二"]


def test_invitations_notify_and_replies_are_recorded(world):
    meeting = make_meeting(world)
    participant = services.participant_invite(
        actor=world.users.staff_a, meeting=meeting, partner=world.p_neighbour, is_voter=True
    )
    assert Notification.objects.filter(
        user=world.users.partner_a, kind="meeting_invitation"
    ).exists()
    services.participant_reply(
        actor=world.users.partner_a, participant=participant, reply="accepted"
    )
    participant.refresh_from_db()
    assert participant.reply == "accepted"
    _error(
        "forbidden",
        services.participant_reply,
        actor=world.users.resident_a,
        participant=participant,
        reply="declined",
    )
    _error(
        "already_invited",
        services.participant_invite,
        actor=world.users.staff_a,
        meeting=meeting,
        partner=world.p_neighbour,
    )
    _error(
        "bad_participant",
        services.participant_invite,
        actor=world.users.staff_a,
        meeting=meeting,
        partner=world.p_b,
    )
