"""Meetings pages, minutes (.docx), .ics, the 公示 page, the API and the overview section."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from docx import Document

from gongzhi.core.overview import overview
from gongzhi.meetings import services
from gongzhi.meetings.ics import fold
from gongzhi.meetings.models import Decision, Meeting, Vote
from tests.conftest import login
from tests.factories_meetings import make_meeting, make_venue, voters_present

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(world):
    """A closed meeting with one decision by vote and one action item."""
    staff = world.users.staff_a
    meeting = make_meeting(world, venue=make_venue(world))
    people = voters_present(world, meeting, present=3, absent=1)
    item = services.agenda_propose(actor=staff, meeting=meeting, title="加装电梯")
    services.agenda_update(actor=staff, item=item, notes="多数居民支持，低层住户担心采光")
    services.meeting_open(actor=staff, meeting=meeting)
    for person, choice in zip(people[:3], ["for", "for", "against"], strict=True):
        services.vote_cast(actor=staff, item=item, participant=person, choice=choice)
    services.decision_record(
        actor=staff,
        item=item,
        method="vote",
        text="同意1栋加装电梯",
        actions=[
            services.ActionSpec(
                title="报送加装方案",
                due_on=timezone.localdate() + dt.timedelta(days=30),
                partner=world.p_neighbour,
            )
        ],
    )
    services.meeting_close(actor=staff, meeting=meeting)
    return meeting


def test_minutes_docx_opens_and_has_the_committee_layout(client, world, decided):
    login(client, world.users.resident_a)
    response = client.get(reverse("meetings:minutes_docx", args=[decided.pk]))
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    for heading in (
        "会议名称",
        "时间",
        "地点",
        "主持人",
        "记录人",
        "参会人员",
        "议题",
        "讨论情况",
        "表决结果",
        "决议事项",
        "责任人",
        "完成时限",
    ):
        assert heading in text
    assert "赞成2票，反对1票，弃权0票" in text
    assert "王建国" in text  # the action item's owner
    assert "低层住户担心采光" in text


def test_minutes_print_page(client, world, decided):
    login(client, world.users.staff_a)
    response = client.get(reverse("meetings:minutes", args=[decided.pk]))
    assert response.status_code == 200
    assert "@media print" in response.content.decode()
    assert "同意1栋加装电梯" in response.content.decode()


def test_public_decisions_page_shows_own_community_only(client, world, decided):
    login(client, world.users.resident_a)
    assert "同意1栋加装电梯" in client.get(reverse("meetings:decisions")).content.decode()
    client.logout()
    login(client, world.users.staff_b)
    assert "同意1栋加装电梯" not in client.get(reverse("meetings:decisions")).content.decode()
    assert client.get(reverse("meetings:detail", args=[decided.pk])).status_code == 404


def test_undecided_meetings_publish_nothing(client, world):
    meeting = make_meeting(world)
    voters_present(world, meeting)
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="停车")
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    services.decision_record(
        actor=world.users.staff_a, item=item, method="consensus", text="先试行"
    )
    login(client, world.users.resident_a)
    assert "先试行" not in client.get(reverse("meetings:decisions")).content.decode()


def test_series_ics_is_valid_icalendar(client, world):
    venue = make_venue(world, name="议事厅, 一楼; 东侧")
    series = services.series_create(
        actor=world.users.staff_a,
        name="周周议" * 12,
        venue=venue,
        rule="weekly",
        weekday=2,
        starts_on=timezone.localdate(),
        start_time=dt.time(15, 0),
    )
    login(client, world.users.resident_a)
    response = client.get(reverse("meetings:series_ics", args=[series.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    meetings = list(series.meetings.all())
    assert body.count("BEGIN:VEVENT") == len(meetings) > 0
    first = meetings[0]
    assert f"UID:meeting-{first.pk}@" in body
    start = first.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in body
    unfolded = body.replace("\r\n ", "")
    assert "LOCATION:议事厅\\, 一楼\\; 东侧" in unfolded


def test_fold_never_splits_a_character():
    line = "SUMMARY:" + "逢四说事" * 30
    folded = fold(line)
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))


def test_staff_run_a_vote_in_the_browser_form_all_or_nothing(client, world):
    meeting = make_meeting(world)
    people = voters_present(world, meeting, present=2)
    item = services.agenda_propose(actor=world.users.staff_a, meeting=meeting, title="停车")
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    login(client, world.users.staff_a)
    url = reverse("meetings:act", args=[meeting.pk, "vote"])
    client.post(url, {"item": item.pk, f"vote_{people[0].pk}": "for"})
    assert Vote.objects.count() == 1
    # The second person's vote is fine, the first one's is a second vote: nothing is saved.
    response = client.post(
        url,
        {"item": item.pk, f"vote_{people[1].pk}": "for", f"vote_{people[0].pk}": "against"},
        follow=True,
    )
    assert Vote.objects.count() == 1
    assert "已经投过票" in response.content.decode() or "already voted" in response.content.decode()


def test_decide_form_refuses_an_action_item_without_owner(client, world):
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
            "action_due_1": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert not Decision.objects.exists()


def test_calendar_and_pages_render_for_every_persona(client, world, decided):
    for user in vars(world.users).values():
        client.force_login(user)
        assert client.get(reverse("meetings:calendar")).status_code == 200
        assert client.get(reverse("meetings:series")).status_code == 200
        assert client.get(reverse("meetings:decisions")).status_code == 200
    client.force_login(world.users.resident_a)
    assert client.get(reverse("meetings:new")).status_code == 404
    page = client.get(reverse("meetings:detail", args=[decided.pk])).content.decode()
    assert "同意1栋加装电梯" in page
    assert "Record the decision" not in page and "记录决议" not in page


def test_a_resident_cannot_run_a_meeting_through_the_form(client, world):
    meeting = make_meeting(world)
    login(client, world.users.resident_a)
    client.post(reverse("meetings:act", args=[meeting.pk, "open"]))
    meeting.refresh_from_db()
    assert meeting.status == "planned"


def test_generate_meetings_command_is_idempotent(world):
    venue = make_venue(world)
    services.series_create(
        actor=world.users.staff_a,
        name="逢四说事",
        venue=venue,
        rule="fours",
        starts_on=timezone.localdate(),
        start_time=dt.time(9, 0),
        weeks_ahead=1,
    )
    call_command("generate_meetings", "--weeks", "12")
    count = Meeting.objects.count()
    call_command("generate_meetings", "--weeks", "12")
    assert Meeting.objects.count() == count >= 7


def test_overview_has_meetings_figures(world, decided):
    services.agenda_propose(
        actor=world.users.resident_a, meeting=make_meeting(world, days=4), title="增设充电桩"
    )
    data = overview(community=world.a)
    assert data["venues"] == 1
    assert data["meetings"]["held"] == 1
    assert data["decisions"]["items_decided"] == 1
    assert data["decisions"]["action_items"] == 1
    assert data["opinions"] == 1
    assert overview(community=world.b)["meetings"]["held"] == 0


# ---- API -----------------------------------------------------------------------------------------


def _api(client, method, path, payload=None):
    url = "/api/v1/meetings" + path
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_api_lists_are_scoped(client, world, decided):
    login(client, world.users.staff_b)
    assert _api(client, "get", "").json()["count"] == 0
    assert _api(client, "get", "/decisions").json()["count"] == 0
    assert _api(client, "get", f"/{decided.pk}").status_code == 404
    client.force_login(world.users.resident_a)
    assert _api(client, "get", "").json()["count"] == 1
    body = _api(client, "get", "/decisions?published=true").json()
    assert body["results"][0]["text"] == "同意1栋加装电梯"
    assert body["results"][0]["actions"][0]["owner"] == "王建国"


def test_api_runs_a_meeting_and_refuses_bad_input(client, world):
    login(client, world.users.staff_a)
    venue = _api(client, "post", "/venues", {"name": "议事厅", "place": f"community:{world.a.pk}"})
    assert venue.status_code == 201
    starts = (timezone.now() + dt.timedelta(days=2)).isoformat()
    created = _api(
        client,
        "post",
        "",
        {
            "title": "议事会",
            "place": f"compound:{world.yujia.pk}",
            "starts_at": starts,
            "venue_id": venue.json()["id"],
        },
    )
    assert created.status_code == 201
    clash = _api(
        client,
        "post",
        "",
        {
            "title": "撞车",
            "place": f"community:{world.a.pk}",
            "starts_at": starts,
            "venue_id": venue.json()["id"],
        },
    )
    assert clash.status_code == 409 and clash.json()["code"] == "venue_taken"
    past = _api(
        client,
        "post",
        "/series",
        {
            "name": "周周议",
            "venue_id": venue.json()["id"],
            "rule": "weekly",
            "weekday": 1,
            "starts_on": "2020-01-01",
            "start_time": "15:00",
        },
    )
    assert past.status_code == 400 and past.json()["code"] == "in_the_past"

    meeting = Meeting.objects.get(pk=created.json()["id"])
    people = voters_present(world, meeting, present=2)
    item = _api(client, "post", f"/{meeting.pk}/items", {"title": "车棚改造"}).json()
    services.meeting_open(actor=world.users.staff_a, meeting=meeting)
    vote = {"item_id": item["id"], "participant_id": people[0].pk, "choice": "for"}
    assert _api(client, "post", "/votes", vote).status_code == 201
    again = _api(client, "post", "/votes", vote)
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    no_owner = _api(
        client,
        "post",
        "/decisions",
        {
            "item_id": item["id"],
            "method": "vote",
            "text": "改造车棚",
            "actions": [{"title": "改造", "due_on": "2099-01-01"}],
        },
    )
    assert no_owner.status_code == 400 and no_owner.json()["code"] == "owner_required"
    decided = _api(
        client,
        "post",
        "/decisions",
        {
            "item_id": item["id"],
            "method": "vote",
            "text": "改造车棚",
            "actions": [
                {"title": "改造", "due_on": "2099-01-01", "owner": f"organisation:{world.org_a.pk}"}
            ],
        },
    )
    assert decided.status_code == 201, decided.json()
    action_id = decided.json()["actions"][0]["id"]
    done = _api(client, "post", f"/actions/{action_id}/done", {"note": "已完成"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    client.force_login(world.users.resident_a)
    forbidden = _api(client, "post", f"/actions/{action_id}/done", {})
    assert forbidden.status_code in (403, 409)


def test_openapi_lists_the_meetings_endpoints(client, world):
    login(client, world.users.staff_a)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/meetings/venues",
        "/api/v1/meetings/series",
        "/api/v1/meetings",
        "/api/v1/meetings/{meeting_id}",
        "/api/v1/meetings/{meeting_id}/items",
        "/api/v1/meetings/votes",
        "/api/v1/meetings/decisions",
        "/api/v1/meetings/actions",
        "/api/v1/meetings/actions/{action_id}/done",
    ):
        assert path in paths
