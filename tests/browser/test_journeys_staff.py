"""A community staff member's morning at the desk, each task opened from 待办: triage a
resident's new report (accept the suggested classification) and give it to a grid worker with
the type-ahead picker, invite a whole team to this week's meeting in one step, approve a batch of
points claims."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.matters import services
from gongzhi.matters.models import Matter, Status
from gongzhi.meetings.models import Participant
from gongzhi.partners.models import TeamMembership
from gongzhi.volunteering import services as volunteering
from gongzhi.volunteering.models import (
    ActivityKind,
    ClaimStatus,
    EarningRule,
    EarningUnit,
    PointsClaim,
)
from tests.browser.journeys import Journey, name_the_personas, pick
from tests.factories_meetings import make_meeting, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = "1栋3楼楼道的灯坏了一个星期，晚上老人上下楼看不见"
MEETING = "渔家苑周周议"
ACTIVITY = "渔家苑楼道清扫"


def _morning(world):
    """What waits for staff: a resident's report, this week's meeting, three points claims."""
    report = services.matter_submit(
        actor=world.users.resident_a,
        text=REPORT,
        channel="online_web",
        place=services.resolve_place(building=world.y1),
    )
    make_meeting(world, place=world.yujia, venue=make_venue(world), title=MEETING)
    for partner in (world.p_construction, world.p_team):
        TeamMembership.objects.create(team=world.team_a, partner=partner, joined_on="2024-01-01")
    today = timezone.localdate()
    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        publicity_days=7,
        valid_from=today - dt.timedelta(days=30),
    )
    activity = volunteering.activity_create(
        title=ACTIVITY,
        kind=ActivityKind.SERVICE,
        organiser=world.team_a,
        actor=world.users.staff_a,
        date=today - dt.timedelta(days=1),
    )
    volunteering.service_records_add_batch(
        activity=activity,
        participants=[world.p_neighbour, world.p_construction, world.p_team],
        minutes=120,
        actor=world.users.staff_a,
        confirm=True,
    )
    return report


def test_staff_triage_assign_invite_a_team_and_approve_claims(page, world, artifacts):
    name_the_personas()
    report = _morning(world)
    assert report.status == Status.RECEIVED and not report.classification_confirmed
    day = Journey(page, artifacts, "staff", phone=False)
    day.log_in("staff_a")
    day.shot("1-home")

    # 1. Triage the new report from 待办: accept the suggested classification.
    day.menu("待办")
    day.step("todo")
    day.shot("2-todo")
    day.go(page.locator("a.todo-card", has_text=REPORT[:8]), "report")
    assert f"/matters/{report.pk}/" in page.url
    day.go(page.locator("#classification form.inline-form button"), "classified")
    expect(page.locator(".messages .success")).to_be_visible()
    report.refresh_from_db()
    assert report.classification_confirmed

    # 2. Give it to the grid worker: type part of the name into the picker, choose, assign.
    page.locator("#assign details summary").click()
    picker = page.locator("#assign-picker [data-picker]")
    day.timed(
        "picker-search",
        lambda: picker.locator(".picker-q").fill("刘网"),
        lambda: expect(picker.locator(".picker-option").first).to_be_visible(),
    )
    pick(picker, "刘网", f"user:{world.users.grid_a1.pk}")
    day.shot("3-assign-picker")
    day.go(page.locator("#assign-picker > button[type=submit]"), "assigned")
    expect(page.locator(".messages .success")).to_be_visible()
    report = Matter.objects.get(pk=report.pk)
    assert report.status == Status.ASSIGNED
    assert report.owners.get(active=True).user == world.users.grid_a1

    # 3. Invite the whole volunteer team to this week's meeting in one step.
    day.menu("待办")
    day.step("todo-meeting")
    day.go(page.locator("a.todo-card", has_text=MEETING), "meeting")
    page.locator("#invite summary").click()
    pick(
        page.locator("#invite [data-name=invitees]"),
        "志愿服务队",
        f"team_members:{world.team_a.pk}",
    )
    day.shot("4-invite-team")
    day.go(page.locator("#invite button[name=go][value=invite]"), "invited")
    expect(page.locator("#participants tbody tr")).to_have_count(3)
    day.shot("5-invited")
    invited = set(Participant.objects.values_list("partner", flat=True))
    assert invited == {world.p_neighbour.pk, world.p_construction.pk, world.p_team.pk}

    # 4. Approve the activity's points claims in one batch.
    day.menu("待办")
    day.step("todo-claims")
    day.go(page.locator("a.todo-card", has_text=ACTIVITY), "claims")
    assert "/volunteering/claims/" in page.url
    boxes = page.locator("input[type=checkbox][name=claim]")
    expect(boxes).to_have_count(3)
    for index in range(3):
        boxes.nth(index).check()
    day.shot("6-claims")
    day.go(page.locator("#claims-batch button[type=submit]"), "claims-approved")
    expect(page.locator(".messages .success")).to_be_visible()
    day.shot("7-claims-approved")
    statuses = set(PointsClaim.objects.values_list("status", flat=True))
    assert statuses == {ClaimStatus.PUBLICISED}

    # The morning's list is shorter: none of the three waits any more.
    day.menu("待办")
    day.step("todo-after")
    for text in (REPORT[:8], ACTIVITY):
        expect(page.locator("a.todo-card", has_text=text)).to_have_count(0)
    day.finish()
