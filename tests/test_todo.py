"""The to-do list (待办) per role: what each sees, never what lies outside their reach, the
order of urgency, full counts with capped items, pinned query counts, and the API."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts.models import SignUp
from gongzhi.honours.models import Participation
from gongzhi.matters.models import Matter, MatterEvent, MatterOwner, Status
from gongzhi.matters.selectors import day_start
from gongzhi.meetings import services as meeting_services
from gongzhi.meetings.models import Reply
from gongzhi.points.services import redemption_fulfil
from gongzhi.projects.models import Stage
from gongzhi.todo import selectors
from gongzhi.todo.selectors import todo_count, todo_for
from gongzhi.volunteering import services as volunteering_services
from gongzhi.volunteering.models import ActivityKind, EarningRule, EarningUnit
from tests.conftest import login
from tests.factories_matters import make_matter
from tests.factories_meetings import make_meeting
from tests.helpers import agreed_case, give, item, order, propose, to_stage, verify, voting_election

# Mid-morning today, so "due today" has hours on both sides whenever the suite runs.
NOW = day_start(timezone.localdate()) + dt.timedelta(hours=10)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def matter(text, *, status=Status.RECEIVED, ago=HOUR, **fields) -> Matter:
    """A matter submitted ``ago`` before NOW, deadlines from the policies, then ``fields``."""
    given = {
        key: fields.pop(key)
        for key in ("building", "compound", "community", "tier", "reporter")
        if key in fields
    }
    made = make_matter(text=text, status=status, created_at=NOW - ago, **given)
    if fields:
        Matter.objects.filter(pk=made.pk).update(**fields)
        made.refresh_from_db()
    return made


def own(matter_, *, assigned_at=NOW - HOUR, **owner) -> MatterOwner:
    return MatterOwner.objects.create(matter=matter_, assigned_at=assigned_at, **owner)


def items(user, **kwargs) -> list[dict]:
    return todo_for(user, now=NOW, **kwargs)["items"]


def titled(user, **kwargs) -> dict[str, str]:
    """{matter text found in an item's title: kind} for the user's items."""
    return {item["title"]: item["kind"] for item in items(user, **kwargs)}


def kinds_of(user, text: str) -> list[str]:
    return [item["kind"] for item in items(user) if text in item["title"]]


def fresh(user):
    """The user as a request would load it (no profile cached yet)."""
    return get_user_model().objects.get(pk=user.pk)


# ---- grid worker ------------------------------------------------------------------------------


def test_grid_worker_sees_own_grid_to_acknowledge_handle_overdue_and_waiting(world):
    grid = world.users.grid_a1
    matter("一号楼新报", building=world.y1)
    matter("一号楼无人认领", status=Status.ACKNOWLEDGED, building=world.y1)
    partner_owned = matter("一号楼合伙人在办", status=Status.ASSIGNED, building=world.y1)
    own(partner_owned, partner=world.p_neighbour)
    mine = matter("一号楼派给我", status=Status.ASSIGNED, building=world.y1)
    own(mine, user=grid)
    matter("一号楼超期", status=Status.ACKNOWLEDGED, building=world.y1, due_at=NOW - DAY)
    matter("一号楼今日到期", status=Status.IN_PROGRESS, building=world.y1, due_at=NOW + HOUR)
    entered = matter("我录入的", status=Status.IN_PROGRESS, building=world.y1, entered_by=grid)
    own(entered, partner=world.p_neighbour)
    matter("二号楼新报", building=world.y2)  # grid A2
    matter("江南新报", building=world.n1)  # community B
    matter("一号楼已办结", status=Status.DONE, building=world.y1)

    assert kinds_of(grid, "一号楼新报") == ["matter_ack"]
    assert kinds_of(grid, "一号楼无人认领") == ["matter_handle"]
    assert kinds_of(grid, "一号楼派给我") == ["matter_handle"]
    assert kinds_of(grid, "一号楼超期") == ["matter_overdue"]
    assert kinds_of(grid, "一号楼今日到期") == ["matter_due_today"]
    assert kinds_of(grid, "我录入的") == ["matter_waiting"]
    for other in ("一号楼合伙人在办", "二号楼新报", "江南新报", "一号楼已办结"):
        assert kinds_of(grid, other) == []
    todo = todo_for(grid, now=NOW)
    assert todo["counts"] == {
        "matter_overdue": 1,
        "hotline_due": 0,
        "matter_ack": 1,
        "matter_due_today": 1,
        "matter_handle": 2,
        "meeting_invite": 0,
        "service_confirm": 0,
        "matter_waiting": 1,
        "care_overdue": 0,
        "care_due": 0,
    }
    # Waiting for others informs; it is not in the badge.
    assert todo_count(grid, now=NOW) == 5


def test_grid_worker_sees_a_matter_owned_in_person_outside_the_grid(world):
    elsewhere = matter("锦绣园派给网格员", status=Status.ASSIGNED, building=world.j1)
    own(elsewhere, user=world.users.grid_a1)
    assert kinds_of(world.users.grid_a1, "锦绣园派给网格员") == ["matter_handle"]


# ---- community staff --------------------------------------------------------------------------


def test_staff_sees_triage_acknowledge_due_today_overdue_and_own(world):
    staff = world.users.staff_a
    matter("待分类", building=world.y2)
    matter("已确认分类", building=world.y2, classification_confirmed=True)
    matter("今日到期", status=Status.IN_PROGRESS, building=world.j1, due_at=NOW + 2 * HOUR)
    matter("明日到期", status=Status.IN_PROGRESS, building=world.j1, due_at=NOW + 2 * DAY)
    matter("已超期", status=Status.ASSIGNED, compound=world.yujia, due_at=NOW - HOUR)
    flagged = matter("标记超期", status=Status.DELIBERATING, community=world.a, overdue=True)
    mine = matter("派给我", status=Status.ASSIGNED, building=world.y1, due_at=NOW + 3 * DAY)
    own(mine, user=staff)

    assert kinds_of(staff, "待分类") == ["matter_triage"]
    assert kinds_of(staff, "已确认分类") == ["matter_ack"]
    assert kinds_of(staff, "今日到期") == ["matter_due_today"]
    assert kinds_of(staff, "明日到期") == []
    assert kinds_of(staff, "已超期") == ["matter_overdue"]
    assert kinds_of(staff, "标记超期") == ["matter_overdue"]
    assert kinds_of(staff, "派给我") == ["matter_handle"]
    overdue = next(item for item in items(staff) if "标记超期" in item["title"])
    assert overdue["link"] == reverse("matters:detail", args=[flagged.pk])
    assert overdue["place"] == "X社区" and overdue["overdue"] is True


def test_staff_of_another_community_sees_nothing_of_it(world, med):
    agreed_case(med)
    matter("X社区新报", building=world.y1)
    late = matter("X社区超期", status=Status.ASSIGNED, building=world.y1, due_at=NOW - DAY)
    own(late, organisation=world.org_dept, is_whistle=True, respond_by=NOW - HOUR)
    make_meeting(world, days=2)
    todo = todo_for(world.users.staff_b, now=NOW)
    assert todo["items"] == []
    assert set(todo["counts"].values()) == {0}
    assert todo_count(world.users.staff_b, now=NOW) == 0


def test_unanswered_whistles_for_staff_and_official_until_answered(world):
    hard = matter("难事吹哨", status=Status.ASSIGNED, building=world.y1, tier="hard")
    whistle = own(hard, organisation=world.org_dept, is_whistle=True, respond_by=NOW - HOUR)
    own(hard, organisation=world.org_a, is_whistle=True, respond_by=NOW + DAY)  # not yet due
    for user in (world.users.staff_a, world.users.official):
        found = [item for item in items(user) if item["kind"] == "whistle_unanswered"]
        assert len(found) == 1
        assert "区房管局" in found[0]["title"] and found[0]["overdue"] is True
    assert todo_for(world.users.official, now=NOW)["counts"]["whistle_unanswered"] == 1
    MatterEvent.objects.create(
        matter=hard, at=NOW, action="whistle_response", data={"owner": whistle.pk}
    )
    assert todo_for(world.users.staff_a, now=NOW)["counts"]["whistle_unanswered"] == 0


def test_staff_meetings_of_the_week_and_follow_ups_due(world, med):
    agreed_case(med)  # in 2024: both visits long due
    meeting = make_meeting(world, days=3, title="周周议")
    make_meeting(world, days=10, title="下月议事")
    staff = world.users.staff_a
    week = [item for item in items(staff) if item["kind"] == "meeting_week"]
    assert [item["title"] for item in week] == ["周周议"]
    assert week[0]["link"] == reverse("meetings:detail", args=[meeting.pk])
    visits = [item for item in items(staff) if item["kind"] == "mediation_followup"]
    assert len(visits) == 2 and all(item["overdue"] for item in visits)
    # The mediator records the visits; a grid worker of the case's place does not.
    assert todo_for(med.mediator, now=NOW)["counts"]["mediation_followup"] == 2
    assert "mediation_followup" not in todo_for(world.users.grid_a1, now=NOW)["counts"]


@pytest.fixture
def service_activity(world):
    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        valid_from=dt.date(2026, 1, 1),
    )
    return volunteering_services.activity_create(
        title="楼道清扫",
        kind=ActivityKind.SERVICE,
        organiser=world.team_a,
        actor=world.users.partner_a,  # the team's leader organises it
        date=timezone.localdate(),
        compound=world.yujia,
    )


def test_service_hours_to_confirm_then_claims_to_review(world, service_activity):
    records = [
        volunteering_services.service_record_add(
            activity=service_activity, participant=person, minutes=90, actor=world.users.partner_a
        )
        for person in (world.res_y2, world.res_j1)
    ]
    partner = world.users.partner_a
    confirm = [item for item in items(partner) if item["kind"] == "service_confirm"]
    assert len(confirm) == 1  # one item per activity
    assert "2" in confirm[0]["title"] and "楼道清扫" in confirm[0]["title"]
    assert confirm[0]["link"] == reverse("volunteering:detail", args=[service_activity.pk])
    assert todo_for(world.users.staff_a, now=NOW)["counts"]["service_confirm"] == 1
    assert todo_for(world.users.staff_b, now=NOW)["counts"]["service_confirm"] == 0

    for record in records:
        volunteering_services.service_record_confirm(record=record, actor=partner)
    assert todo_for(partner, now=NOW)["counts"]["service_confirm"] == 0
    claims = [item for item in items(world.users.staff_a) if item["kind"] == "points_claim"]
    assert len(claims) == 1 and "2" in claims[0]["title"]
    assert (
        claims[0]["link"]
        == reverse("volunteering:claims") + "?q=%E6%A5%BC%E9%81%93%E6%B8%85%E6%89%AB"
    )
    assert todo_for(world.users.staff_b, now=NOW)["counts"]["points_claim"] == 0


def test_staff_see_their_community_sign_ups_waiting(world):
    def signed_up(username, name, community, status="pending"):
        user = get_user_model().objects.create_user(username)  # no profile until linked
        return SignUp.objects.create(user=user, name=name, community=community, status=status)

    waiting = signed_up("new_resident", "刘新", world.a)
    signed_up("linked_resident", "钱多", world.a, status="linked")
    signed_up("b_resident", "吴新", world.b)
    found = [item for item in items(world.users.staff_a) if item["kind"] == "signup_pending"]
    assert [(item["title"], item["place"]) for item in found] == [("核对注册：刘新", "X社区")]
    assert found[0]["link"] == reverse("accounts:pending_detail", args=[waiting.pk])
    assert todo_for(world.users.staff_b, now=NOW)["counts"]["signup_pending"] == 1
    assert "signup_pending" not in todo_for(world.users.grid_a1, now=NOW)["counts"]


# ---- partner ----------------------------------------------------------------------------------


def test_partner_sees_only_matters_they_or_their_team_own(world):
    partner = world.users.partner_a
    mine = matter("我负责的", status=Status.ASSIGNED, building=world.y1)
    own(mine, partner=world.p_neighbour)
    team = matter("队伍负责的", status=Status.IN_PROGRESS, building=world.y2)
    own(team, team=world.team_a)
    released = matter("已转走的", status=Status.ASSIGNED, building=world.y1)
    own(released, partner=world.p_neighbour, active=False)
    other = matter("别人负责的", status=Status.ASSIGNED, building=world.y1)
    own(other, partner=world.p_construction)
    matter("无人负责的", building=world.y1)
    assert titled(partner) == {
        "请办理：我负责的": "matter_handle",
        "请办理：队伍负责的": "matter_handle",
    }


def test_partner_meeting_invitations_of_the_next_two_weeks(world):
    soon = make_meeting(world, days=3, title="楼栋议事会")
    declined = make_meeting(world, days=4, title="不去的会")
    later = make_meeting(world, days=20, title="下月的会")
    for meeting in (soon, declined, later):
        meeting_services.participant_invite(
            actor=world.users.staff_a, meeting=meeting, partner=world.p_neighbour
        )
    participant = declined.participants.get()
    meeting_services.participant_reply(
        actor=world.users.partner_a, participant=participant, reply=Reply.DECLINED
    )
    invites = [item for item in items(world.users.partner_a) if item["kind"] == "meeting_invite"]
    assert [item["title"] for item in invites] == ["请回复会议邀请：楼栋议事会"]
    assert invites[0]["due_at"] == soon.starts_at
    meeting_services.participant_reply(
        actor=world.users.partner_a, participant=soon.participants.get(), reply=Reply.ACCEPTED
    )
    assert [item["title"] for item in items(world.users.partner_a)] == ["按时参会：楼栋议事会"]


# ---- resident ---------------------------------------------------------------------------------


def test_resident_sees_own_matters_with_the_next_step(world):
    resident = world.users.resident_a
    make_matter(text="我报的已办结", building=world.y1, reporter=world.res_a, status=Status.DONE)
    make_matter(text="我报的刚提交", building=world.y1, reporter=world.res_a)
    make_matter(text="我报的已关闭", building=world.y1, reporter=world.res_a, status=Status.CLOSED)
    make_matter(text="爱人报的", building=world.y1, reporter=world.res_a_spouse)
    make_matter(text="邻居报的", building=world.y1, reporter=world.res_y1b, status=Status.DONE)
    assert titled(resident) == {
        "已办结，请评价：我报的已办结": "matter_feedback",
        "已受理：我报的刚提交": "matter_waiting",
    }
    assert todo_count(resident, now=NOW) == 1  # waiting is not theirs to do


def test_resident_order_to_pick_up(world):
    give(world.res_a, 50)
    held = order(world.res_a, item(world.a, name="毛巾"), quantity=2, actor=world.users.resident_a)
    give(world.res_y1b, 50, key="other")
    order(world.res_y1b, item(world.a, name="香皂", price=5), key="o2")
    pickups = [item for item in items(world.users.resident_a) if item["kind"] == "order_pickup"]
    assert [(item["title"], item["due_at"]) for item in pickups] == [
        ("请到社区领取：毛巾 × 2", held.expires_at)
    ]
    orders = [item for item in items(world.users.staff_a) if item["kind"] == "shop_order"]
    assert len(orders) == 2 and orders[0]["link"] == reverse("points:desk") + "?status=held"
    assert todo_for(world.users.staff_b, now=NOW)["counts"]["shop_order"] == 0
    redemption_fulfil(redemption=held, actor=world.users.staff_a)
    assert todo_for(world.users.resident_a, now=NOW)["counts"]["order_pickup"] == 0


def test_resident_votes_open_to_them(world):
    today = timezone.localdate()
    election, _candidates = voting_election(world, vote_from=today - DAY, vote_to=today + 3 * DAY)
    project = to_stage(world, propose(world, building=world.y1), Stage.PRE_EVALUATION)
    elsewhere = to_stage(
        world, propose(world, title="2栋车棚", building=world.y2), Stage.PRE_EVALUATION
    )
    resident = world.users.resident_a
    # Not verified yet: the election waits; the project in their building is open to them.
    votes = {item["link"] for item in items(resident) if item["kind"] == "vote_open"}
    assert votes == {reverse("projects:detail", args=[project.pk])}
    assert reverse("projects:detail", args=[elsewhere.pk]) not in votes
    verify(world, world.res_a)
    votes = {item["link"] for item in items(resident) if item["kind"] == "vote_open"}
    assert reverse("honours:election", args=[election.pk]) in votes
    Participation.objects.create(election=election, resident=world.res_a, voted_on=today)
    votes = {item["link"] for item in items(resident) if item["kind"] == "vote_open"}
    assert reverse("honours:election", args=[election.pk]) not in votes


# ---- official ---------------------------------------------------------------------------------


def test_official_sees_communities_with_overdue_hard_matters_and_lowest_rates(world):
    for text in ("难事一", "难事二"):
        matter(text, status=Status.ASSIGNED, building=world.y1, tier="hard", due_at=NOW - DAY)
    matter("难事未到期", status=Status.ASSIGNED, building=world.n1, tier="hard", due_at=NOW + DAY)
    matter("小事超期", status=Status.ASSIGNED, building=world.n1, due_at=NOW - DAY)
    matter("B已关闭", status=Status.CLOSED, building=world.n1, satisfaction="satisfied", ago=DAY)
    todo = todo_for(world.users.official, now=NOW)
    hard = [item for item in todo["items"] if item["kind"] == "community_overdue_hard"]
    assert [(item["place"], item["title"]) for item in hard] == [("X社区", "2 件难事超期")]
    low = [item for item in todo["items"] if item["kind"] == "community_low_rates"]
    assert [item["place"] for item in low] == ["X社区", "Y社区"]  # lowest composite first
    assert low[0]["link"] == reverse("dashboard:dashboard") + f"?place=community:{world.a.pk}"
    assert todo_count(world.users.official, now=NOW) == 1  # the rates inform only


def test_a_late_acknowledgement_is_overdue_since_its_acknowledge_deadline(world):
    """Flagged overdue for a missed acknowledge-by time, the matter still has a resolve-by time
    in the future: the to-do says since when it is late, never that future day."""
    late_ack = NOW - 3 * HOUR
    matter(
        "难事迟响应",
        status=Status.IN_PROGRESS,
        building=world.y1,
        tier="hard",
        overdue=True,
        ack_due_at=late_ack,
        due_at=NOW + 20 * DAY,
    )
    staff_item = next(i for i in items(world.users.staff_a) if i["kind"] == "matter_overdue")
    assert (staff_item["overdue"], staff_item["due_at"]) == (True, late_ack)
    hard = next(i for i in items(world.users.official) if i["kind"] == "community_overdue_hard")
    assert hard["due_at"] == late_ack


# ---- order, counts, cap, queries --------------------------------------------------------------


def test_items_are_ordered_overdue_first_then_due_then_newest(world):
    staff = world.users.staff_a
    matter("无期限旧", building=world.y1, ago=3 * DAY, ack_due_at=None, due_at=None)
    matter("无期限新", building=world.y1, ago=HOUR, ack_due_at=None, due_at=None)
    matter("后到期", building=world.y1, ack_due_at=NOW + 5 * HOUR)
    matter("先到期", building=world.y1, ack_due_at=NOW + 2 * HOUR)
    matter("超期", status=Status.ASSIGNED, building=world.y1, due_at=NOW - HOUR)
    order_ = [item["title"].split("：")[1] for item in items(staff)]
    assert order_ == ["超期", "先到期", "后到期", "无期限新", "无期限旧"]


def test_what_asks_to_act_comes_before_what_only_informs(world):
    """A resident's matter to rate comes before their newer matter still being worked on."""
    resident = world.users.resident_a
    matter("门禁坏了", status=Status.DONE, building=world.y1, reporter=world.res_a, ago=3 * DAY)
    matter("雨水井堵了", status=Status.IN_PROGRESS, building=world.y1, reporter=world.res_a)
    kinds = [item["kind"] for item in items(resident)]
    assert kinds == ["matter_feedback", "matter_waiting"]


def test_counts_are_full_while_items_are_capped(world, monkeypatch):
    monkeypatch.setattr(selectors, "LIMIT", 5)
    for number in range(8):
        matter(f"新报{number}", building=world.y1)
    todo = todo_for(world.users.grid_a1, now=NOW)
    assert todo["counts"]["matter_ack"] == 8
    assert len(todo["items"]) == 5


def test_a_kind_narrows_the_items_not_the_counts(world):
    matter("新报", building=world.y1)
    matter("超期", status=Status.ASSIGNED, building=world.y1, due_at=NOW - HOUR)
    todo = todo_for(world.users.grid_a1, now=NOW, kind="matter_ack")
    assert [item["kind"] for item in todo["items"]] == ["matter_ack"]
    assert todo["counts"]["matter_overdue"] == 1


def _grow(world):
    """More of everything each role can see."""
    for number in range(3):
        matter(f"更多新报{number}", building=world.y1)
        late = matter(
            f"更多超期{number}",
            status=Status.ASSIGNED,
            building=world.y1,
            tier="hard",
            due_at=NOW - DAY,
        )
        own(late, partner=world.p_neighbour)
        own(late, organisation=world.org_dept, is_whistle=True, respond_by=NOW - HOUR)
        make_matter(text=f"我的{number}", building=world.y1, reporter=world.res_a)
        meeting = make_meeting(world, days=number + 1, title=f"会议{number}")
        meeting_services.participant_invite(
            actor=world.users.staff_a, meeting=meeting, partner=world.p_neighbour
        )


# The user and their profile (a grid worker's grid, a resident's home), then one count and one
# read of the most urgent rows per part: the same however much data there is.
QUERIES = {
    "grid_a1": 13,
    "partner_a": 16,
    "staff_a": 24,
    "official": 8,
    "resident_a": 13,
    "admin": 24,
}


@pytest.mark.parametrize("persona", list(QUERIES))
def test_query_count_does_not_grow_with_the_data(world, persona, django_assert_num_queries):
    with django_assert_num_queries(QUERIES[persona]):
        todo_for(fresh(getattr(world.users, persona)), now=NOW)
    _grow(world)
    with django_assert_num_queries(QUERIES[persona]):
        todo = todo_for(fresh(getattr(world.users, persona)), now=NOW)
    assert todo["items"]


# ---- the API ----------------------------------------------------------------------------------


def test_api_answers_the_items_and_counts(client, world):
    late = matter("一号楼超期", status=Status.ACKNOWLEDGED, building=world.y1, due_at=NOW - DAY)
    matter("二号楼新报", building=world.y2)
    login(client, world.users.grid_a1)
    response = client.get("/api/v1/me/todo")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "counts"}
    assert body["counts"]["matter_overdue"] == 1 and body["counts"]["matter_ack"] == 0
    [first] = body["items"]
    assert set(first) == {"kind", "title", "link", "place", "due_at", "overdue"}
    assert first["kind"] == "matter_overdue" and first["overdue"] is True
    assert first["link"] == f"/matters/{late.pk}/" and first["place"] == "渔家苑 1栋"
    assert dt.datetime.fromisoformat(first["due_at"]) == late.due_at


def test_api_filters_by_kind_and_refuses_an_unknown_one(client, world):
    matter("新报", building=world.y1)
    login(client, world.users.grid_a1)
    body = client.get("/api/v1/me/todo", {"kind": "matter_overdue"}).json()
    assert body["items"] == [] and body["counts"]["matter_ack"] == 1
    response = client.get("/api/v1/me/todo", {"kind": "everything"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_kind"
    assert response.json()["message"] == "没有这种待办类别。"


def test_api_needs_a_login(client, world):
    response = client.get("/api/v1/me/todo")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
