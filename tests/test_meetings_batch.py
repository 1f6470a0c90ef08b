"""Inviting many at once (a team, a building's partners) with the picker, the roll call
(全部到会 and per-person toggles), convenor and recorder, and a fast meeting page without walls
of options."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.meetings import services
from gongzhi.meetings.models import Participant
from gongzhi.meetings.services import MeetingError
from gongzhi.notifications.models import Notification
from gongzhi.partners.models import Partner, PartnerKind, TeamMembership
from tests.conftest import login
from tests.factories import make_partner
from tests.factories_meetings import make_meeting, voters_present
from tests.pickers_assert import assert_no_walls

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(world):
    """渔家苑志愿服务队 with four active members (the leader and three more)."""
    for n in range(3):
        partner = make_partner(
            name=f"队员{n}",
            kind=PartnerKind.NEIGHBOUR,
            community=world.a,
            compound=world.yujia,
            building=world.y2,
        )
        TeamMembership.objects.create(team=world.team_a, partner=partner, joined_on="2024-01-01")
    return world.team_a


def _invite(client, meeting, values, **extra):
    url = reverse("meetings:act", args=[meeting.pk, "invite"])
    return client.post(url, {"invitees": values, **extra}, follow=True)


def test_staff_invite_a_whole_team_in_one_step(client, world, team):
    meeting = make_meeting(world)
    login(client, world.users.staff_a)
    response = _invite(client, meeting, [f"team_members:{team.pk}"], is_voter="on")
    assert response.status_code == 200
    invited = meeting.participants.all()
    assert invited.count() == 4
    assert all(p.is_voter and p.kind == "partner" for p in invited)
    assert "邀请4人" in response.content.decode()
    # The leader has an account (partner_a): one invitation in their inbox.
    assert Notification.objects.filter(
        user=world.users.partner_a, kind="meeting_invitation"
    ).exists()


def test_a_second_batch_skips_those_already_invited(client, world, team):
    meeting = make_meeting(world)
    services.participant_invite(
        actor=world.users.staff_a, meeting=meeting, partner=world.p_neighbour
    )
    login(client, world.users.staff_a)
    values = [f"team_members:{team.pk}", f"partner:{world.p_construction.pk}"]
    page = _invite(client, meeting, values).content.decode()
    assert meeting.participants.count() == 5  # 4 team members (1 already there) + 孙立
    assert "已邀请过" in page and "王建国" in page
    assert meeting.participants.filter(partner=world.p_neighbour).count() == 1


def test_building_partners_and_mixed_kinds_in_one_step(client, world, team):
    meeting = make_meeting(world)
    login(client, world.users.staff_a)
    values = [
        f"building_partners:{world.y2.pk}",
        f"resident:{world.res_j1.pk}",
        f"organisation:{world.org_a.pk}",
        f"user:{world.users.staff_a.pk}",
    ]
    _invite(client, meeting, values)
    kinds = sorted(meeting.participants.values_list("kind", flat=True))
    assert kinds == ["organisation", "partner", "partner", "partner", "resident", "staff"]


def test_someone_out_of_reach_refuses_the_whole_batch(client, world, team):
    meeting = make_meeting(world)
    login(client, world.users.staff_a)
    page = _invite(client, meeting, [f"team_members:{team.pk}", f"partner:{world.p_b.pk}"])
    assert Participant.objects.count() == 0
    assert "不在您的工作范围内" in page.content.decode()


def test_the_service_refuses_people_of_another_community_by_name(world, team):
    meeting = make_meeting(world)
    with pytest.raises(MeetingError) as refused:
        services.meeting_invite_many(
            actor=world.users.staff_a,
            meeting=meeting,
            people=[world.p_neighbour, world.p_construction, world.p_b],
        )
    assert refused.value.code == "bad_participant" and "吴刚" in refused.value.message
    assert Participant.objects.count() == 0 and Notification.objects.count() == 0


def test_staff_of_another_community_cannot_invite(world, team):
    meeting = make_meeting(world)
    with pytest.raises(MeetingError) as refused:
        services.meeting_invite_many(
            actor=world.users.staff_b, meeting=meeting, people=[world.p_neighbour]
        )
    assert refused.value.code == "forbidden"
    assert Participant.objects.count() == 0


def test_a_guest_is_still_invited_by_name(client, world):
    meeting = make_meeting(world)
    login(client, world.users.staff_a)
    client.post(
        reverse("meetings:act", args=[meeting.pk, "invite"]),
        {"name": "张代表", "outsider_role": "deputy"},
    )
    assert meeting.participants.get().kind == "outsider"


def test_nothing_chosen_is_a_clear_error(client, world):
    meeting = make_meeting(world)
    login(client, world.users.staff_a)
    page = _invite(client, meeting, []).content.decode()
    assert "请选择邀请对象" in page and Participant.objects.count() == 0


# ---- attendance ------------------------------------------------------------------------------


def test_everyone_present_in_one_step_then_toggle_one_off(client, world):
    meeting = make_meeting(world)
    people = voters_present(world, meeting, present=0, absent=4)
    login(client, world.users.staff_a)
    url = reverse("meetings:act", args=[meeting.pk, "attend"])
    client.post(url, {"go": "all"})
    assert meeting.participants.filter(attended=True).count() == 4
    keep = [p.pk for p in people[:3]]
    client.post(url, {"go": "attend", "present": keep})
    assert set(meeting.participants.filter(attended=True).values_list("pk", flat=True)) == set(keep)


def test_a_large_roll_is_called_a_page_at_a_time(client, world):
    Partner.objects.bulk_create(
        Partner(
            name=f"队员{n}",
            kind=PartnerKind.NEIGHBOUR,
            community=world.a,
            compound=world.yujia,
            building=world.y1,
            joined_on=dt.date(2023, 3, 1),
        )
        for n in range(130)
    )
    meeting = make_meeting(world)
    people = list(Partner.objects.filter(community=world.a).order_by("pk"))
    services.meeting_invite_many(actor=world.users.staff_a, meeting=meeting, people=people)
    ids = list(meeting.participants.values_list("pk", flat=True))
    login(client, world.users.staff_a)
    url = reverse("meetings:detail", args=[meeting.pk])
    first = client.get(url).content.decode()
    assert_no_walls(first)
    assert first.count('name="present"') == 100 and "?people=2" in first
    attend = reverse("meetings:act", args=[meeting.pk, "attend"])
    client.post(attend, {"go": "all"})
    # Page 2 unticks all but one of its people; page 1 stays present.
    client.post(attend, {"go": "attend", "people": "2", "present": [ids[-1]]})
    present = set(meeting.participants.filter(attended=True).values_list("pk", flat=True))
    assert present == set(ids[:100]) | {ids[-1]}
    # A tick from page 1 sent as page 2 is refused; nothing changes.
    client.post(attend, {"go": "attend", "people": "2", "present": [ids[0]]})
    assert set(meeting.participants.filter(attended=True).values_list("pk", flat=True)) == present


def test_attendance_refuses_someone_of_another_meeting(client, world):
    meeting, other = make_meeting(world), make_meeting(world, days=3)
    mine = voters_present(world, meeting, present=0, absent=1)[0]
    theirs = voters_present(world, other, present=0, absent=1)[0]
    with pytest.raises(MeetingError):
        services.meeting_attendance(
            actor=world.users.staff_a, meeting=meeting, present=[mine.pk, theirs.pk]
        )
    assert not Participant.objects.filter(attended=True).exists()


def test_a_resident_cannot_take_the_roll(client, world):
    meeting = make_meeting(world)
    voters_present(world, meeting, present=0, absent=2)
    login(client, world.users.resident_a)
    client.post(reverse("meetings:act", args=[meeting.pk, "attend"]), {"go": "all"})
    assert not Participant.objects.filter(attended=True).exists()


# ---- API -------------------------------------------------------------------------------------


def _post(client, path, payload):
    return client.post(path, json.dumps(payload), content_type="application/json")


def test_api_batch_invite_and_attendance(client, world, team):
    meeting = make_meeting(world)
    login(client, world.users.staff_a)
    url = f"/api/v1/meetings/{meeting.pk}/participants"
    created = _post(client, url, {"invitees": [f"team_members:{team.pk}"], "is_voter": True})
    assert created.status_code == 201, created.json()
    assert len(created.json()["invited"]) == 4 and created.json()["skipped"] == []
    again = _post(client, url, {"invitees": [f"partner:{world.p_neighbour.pk}"]})
    assert again.status_code == 201
    assert again.json()["invited"] == [] and again.json()["skipped"][0]["name"] == "王建国"

    refused = _post(
        client, url, {"invitees": [f"resident:{world.res_a.pk}", f"partner:{world.p_b.pk}"]}
    )
    assert refused.status_code == 400 and refused.json()["code"] == "bad_participant"
    assert meeting.participants.count() == 4

    roll_url = f"/api/v1/meetings/{meeting.pk}/attendance"
    roll = _post(client, roll_url, {"everyone": True})
    assert roll.status_code == 200 and all(p["attended"] for p in roll.json())
    stranger = _post(client, roll_url, {"present": [999999]})
    assert stranger.status_code == 400 and stranger.json()["code"] == "not_a_participant"
    assert meeting.participants.filter(attended=True).count() == 4
    client.force_login(world.users.staff_b)
    assert _post(client, url, {"invitees": [f"partner:{world.p_b.pk}"]}).status_code == 404


# ---- convenor, recorder, action owners -------------------------------------------------------


def test_recorder_is_chosen_with_the_picker_and_must_run_meetings(client, world):
    meeting = make_meeting(world)
    login(client, world.users.staff_a)
    url = reverse("meetings:act", args=[meeting.pk, "roles"])
    client.post(url, {"recorder": f"user:{world.users.staff_a.pk}"})
    meeting.refresh_from_db()
    assert meeting.recorder == world.users.staff_a
    client.post(url, {"recorder": f"user:{world.users.grid_a1.pk}"})
    meeting.refresh_from_db()
    assert meeting.recorder == world.users.staff_a  # a grid worker does not run meetings


def test_action_owner_comes_from_the_picker(client, world):
    meeting = make_meeting(world)
    voters_present(world, meeting)
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="停车")
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    login(client, world.users.staff_a)
    client.post(
        reverse("meetings:act", args=[meeting.pk, "decide"]),
        {
            "item": item.pk,
            "method": "consensus",
            "text": "划线停车",
            "action_title_1": "划线",
            "action_owner_1": f"team:{world.team_a.pk}",
            "action_due_1": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert item.decisions.get().actions.get().team == world.team_a


def test_an_action_owner_out_of_reach_is_refused(client, world):
    meeting = make_meeting(world)
    voters_present(world, meeting)
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="停车")
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    login(client, world.users.staff_a)
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    page = client.post(
        reverse("meetings:act", args=[meeting.pk, "decide"]),
        {
            "item": item.pk,
            "method": "consensus",
            "text": "划线停车",
            "action_title_1": "划线",
            "action_owner_1": f"team:{world.team_b.pk}",  # community B's team
            "action_due_1": due,
        },
        follow=True,
    ).content.decode()
    assert not item.decisions.exists() and "不在您的工作范围内" in page


# ---- the page --------------------------------------------------------------------------------


def _busy_meeting(world, *, partners: int, items: int, invite: int | None = None):
    """A meeting in session of community A, which has ``partners`` more partners; ``invite``
    of them (all by default) invited as voters and present; ``items`` decided items with two
    action items each."""
    Partner.objects.bulk_create(
        Partner(
            name=f"合伙人{n}",
            kind=PartnerKind.NEIGHBOUR,
            community=world.a,
            compound=world.yujia,
            building=world.y1,
            joined_on=dt.date(2023, 3, 1),
        )
        for n in range(partners)
    )
    meeting = make_meeting(world)
    staff = world.users.staff_a
    people = list(Partner.objects.filter(community=world.a).order_by("pk")[: invite or partners])
    services.meeting_invite_many(actor=staff, meeting=meeting, people=people, is_voter=True)
    services.meeting_attendance(
        actor=staff,
        meeting=meeting,
        present=list(meeting.participants.values_list("pk", flat=True)),
    )
    services.meeting_open(actor=staff, meeting=meeting)
    due = timezone.localdate() + dt.timedelta(days=10)
    for n in range(items):
        item = services.agenda_propose(actor=staff, meeting=meeting, title=f"议题{n}")
        services.decision_record(
            actor=staff,
            item=item,
            method="consensus",
            text=f"决议{n}",
            actions=[
                services.ActionSpec(title="甲", due_on=due, partner=world.p_neighbour),
                services.ActionSpec(title="乙", due_on=due, organisation=world.org_a),
            ],
        )
    services.agenda_propose(actor=staff, meeting=meeting, title="待议")  # one still to decide
    return meeting


def _queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_meeting_page_queries_do_not_grow_with_people_or_items(
    client, world, django_assert_max_num_queries
):
    login(client, world.users.staff_a)
    small = _busy_meeting(world, partners=5, items=1)
    few, _response = _queries(
        client, reverse("meetings:detail", args=[small.pk]), django_assert_max_num_queries, 30
    )
    big = _busy_meeting(world, partners=60, items=6)
    many, response = _queries(
        client, reverse("meetings:detail", args=[big.pk]), django_assert_max_num_queries, 30
    )
    assert many == few
    assert "议题5" in response.content.decode()


def test_meeting_page_has_no_walls_with_hundreds_of_partners(client, world):
    meeting = _busy_meeting(world, partners=220, items=2, invite=90)
    login(client, world.users.staff_a)
    url = reverse("meetings:detail", args=[meeting.pk])
    html = client.get(url).content.decode()
    assert_no_walls(html)
    assert "data-picker" in html and 'name="invitees"' not in html.split("data-picker")[0]
    assert "合伙人219" not in html  # the community's partners are searched, never listed
    # Held and closed, as most meetings are looked at: small enough for a phone.
    services.meeting_close(actor=world.users.staff_a, meeting=meeting)
    assert len(client.get(url).content) < 30 * 1024
