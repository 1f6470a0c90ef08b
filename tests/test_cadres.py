"""下沉干部: assignments to a compound or building for a period, check-ins there, tasks from hard
matters through a whistle, and the subdistrict's view of attendance and tasks (docs/party.md)."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.accounts.models import UserRole
from gongzhi.matters import rules as matter_rules
from gongzhi.matters import services as matter_services
from gongzhi.matters.models import Matter, MatterOwner
from gongzhi.party.models import CadreAssignment, CadreTask, CheckIn
from gongzhi.party.services import PartyError, cadre_assign, cadre_check_in, cadre_task_dispatch
from tests.conftest import login
from tests.factories import make_user

TODAY = dt.date(2026, 10, 15)


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def cadre(world):
    return make_user("cadre", role=UserRole.PARTNER, community=world.a, partner=world.p_team)


@pytest.fixture
def assignment(world, cadre):
    today = timezone.localdate()
    return cadre_assign(
        actor=world.users.official,
        cadre=world.p_team,
        compound=world.yujia,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=60),
    )


def _hard_matter(world):
    return matter_services.matter_submit(
        actor=world.users.staff_a,
        text="渔家苑外墙脱落，需要住建部门和物业共同处理",
        channel="grid_visit",
        place=matter_services.resolve_place(building=world.y2),
        reporter=world.res_y2,
        category="facilities",
        tier="hard",
    )


def test_assignment_period_and_place_are_checked(world, cadre):
    with pytest.raises(PartyError) as exc:
        cadre_assign(
            actor=world.users.official,
            cadre=world.p_team,
            compound=world.yujia,
            starts_on=TODAY,
            ends_on=TODAY - dt.timedelta(days=1),
        )
    assert exc.value.code == "invalid_period"
    with pytest.raises(PartyError) as exc:
        cadre_assign(
            actor=world.users.official,
            cadre=world.p_team,
            compound=world.yujia,
            building=world.j1,
            starts_on=TODAY,
            ends_on=TODAY,
        )
    assert exc.value.code == "wrong_place"
    with pytest.raises(PartyError) as exc:  # a partner of X cannot be dispatched to Y's compound
        cadre_assign(
            actor=world.users.official,
            cadre=world.p_team,
            compound=world.jiangnan,
            starts_on=TODAY,
            ends_on=TODAY,
        )
    assert exc.value.code == "other_community"
    with pytest.raises(PartyError) as exc:
        cadre_assign(
            actor=world.users.staff_b,
            cadre=world.p_team,
            compound=world.yujia,
            starts_on=TODAY,
            ends_on=TODAY,
        )
    assert exc.value.code == "forbidden"
    assert not CadreAssignment.objects.exists()


def test_cadre_checks_in_at_the_assigned_place(world, cadre, assignment):
    done = cadre_check_in(actor=cadre, assignment=assignment, building=world.y2)
    assert (done.assignment, done.building) == (assignment, world.y2)


def test_check_in_outside_the_period_is_refused(world, cadre, assignment):
    later = _noon(assignment.ends_on + dt.timedelta(days=1))
    with pytest.raises(PartyError) as exc:
        cadre_check_in(actor=cadre, assignment=assignment, now=later)
    assert exc.value.code == "outside_period"
    assert not CheckIn.objects.exists()


def test_check_in_at_another_place_or_by_someone_else_is_refused(world, cadre, assignment):
    with pytest.raises(PartyError) as exc:
        cadre_check_in(actor=cadre, assignment=assignment, building=world.j1)
    assert exc.value.code == "outside_place"
    with pytest.raises(PartyError) as exc:
        cadre_check_in(actor=world.users.partner_a, assignment=assignment)
    assert exc.value.code == "forbidden"
    assert not CheckIn.objects.exists()


def test_check_in_page_has_one_big_button_and_refuses_in_chinese(world, cadre, assignment, client):
    login(client, cadre)
    page = client.get("/party/checkin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "签到" in page and "渔家苑" in page
    answer = client.post(
        "/party/checkin/",
        {"assignment": assignment.pk, "building": world.y1.pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    assert CheckIn.objects.get().building == world.y1
    assert "已在渔家苑 1栋签到" in answer.content.decode()
    answer = client.post(
        "/party/checkin/",
        {"assignment": assignment.pk, "building": world.j1.pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    assert CheckIn.objects.count() == 1
    assert "不是" in answer.content.decode()


def test_api_check_in_outside_the_period_is_a_chinese_400(world, cadre, client):
    past = CadreAssignment.objects.create(
        cadre=world.p_team,
        compound=world.yujia,
        starts_on=TODAY.replace(year=2020),
        ends_on=TODAY.replace(year=2020),
    )
    login(client, cadre)
    answer = client.post(
        "/api/v1/party/checkins",
        {"assignment_id": past.pk},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "outside_period"
    assert "期" in answer.json()["message"]
    assert not CheckIn.objects.exists()


def test_cadre_named_in_a_whistle_sees_the_task(world, cadre, assignment, client):
    matter = _hard_matter(world)
    matter_services.matter_assign(actor=world.users.staff_a, matter=matter, owners=[world.team_a])
    assert not Matter.objects.filter(matter_rules.visible_q(cadre), pk=matter.pk).exists()

    task = cadre_task_dispatch(
        actor=world.users.staff_a, matter=matter, assignment=assignment, whistle=[world.org_dept]
    )
    owners = MatterOwner.objects.filter(matter=matter, active=True)
    assert owners.filter(partner=world.p_team, is_whistle=False).exists()
    assert owners.filter(team=world.team_a).exists()  # the current owner stays
    assert owners.filter(organisation=world.org_dept, is_whistle=True).exists()
    assert task.matter == matter
    assert Matter.objects.filter(matter_rules.visible_q(cadre), pk=matter.pk).exists()
    login(client, cadre)
    assert client.get(f"/matters/{matter.pk}/").status_code == 200
    # the task is in the cadre's 待办, as any matter a partner owns
    assert "外墙脱落" in client.get("/todo/").content.decode()

    with pytest.raises(PartyError) as exc:
        cadre_task_dispatch(actor=world.users.staff_a, matter=matter, assignment=assignment)
    assert exc.value.code == "already_dispatched"


def test_only_managers_of_the_matter_dispatch(world, cadre, assignment):
    matter = _hard_matter(world)
    with pytest.raises(PartyError) as exc:
        cadre_task_dispatch(actor=world.users.staff_b, matter=matter, assignment=assignment)
    assert exc.value.code == "forbidden"
    assert not CadreTask.objects.exists()
    assert not MatterOwner.objects.filter(partner=world.p_team).exists()


def test_subdistrict_sees_attendance_and_tasks_per_compound(world, cadre, assignment, client):
    cadre_check_in(actor=cadre, assignment=assignment)
    matter = _hard_matter(world)
    cadre_task_dispatch(actor=world.users.staff_a, matter=matter, assignment=assignment)
    login(client, world.users.official)
    page = client.get("/party/cadres/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "陈下沉" in page and "渔家苑" in page and "外墙脱落" in page
    (row,) = client.get("/api/v1/party/cadres").json()
    assert (row["cadre"], row["checkins"], row["tasks"]) == ("陈下沉", 1, [matter.pk])
    login(client, world.users.staff_b)
    assert "陈下沉" not in client.get("/party/cadres/").content.decode()
    assert client.get("/api/v1/party/cadres").json() == []
    assert client.get("/api/v1/party/checkins").json()["count"] == 0
    login(client, world.users.resident_a)
    assert client.get("/party/cadres/").status_code == 403
    login(client, cadre)
    assert client.get("/api/v1/party/checkins").json()["count"] == 1


def test_cadre_list_takes_a_fixed_number_of_queries(
    world, cadre, assignment, django_assert_max_num_queries
):
    from gongzhi.party import selectors

    cadre_assign(
        actor=world.users.official,
        cadre=world.p_team,
        compound=world.jinxiu,
        starts_on=TODAY,
        ends_on=TODAY,
    )
    cadre_check_in(actor=cadre, assignment=assignment)
    with django_assert_max_num_queries(3):
        rows = selectors.cadre_rows(world.users.official, since=TODAY - dt.timedelta(days=90))
        assert len(rows) == 2


def test_official_assigns_and_dispatches_from_the_page(world, cadre, client):
    from gongzhi.partners.models import Role

    world.p_team.roles.add(Role.objects.get(code="dispatched_cadre"))
    login(client, world.users.official)
    page = client.get("/party/cadres/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "陈下沉" in page  # offered as a candidate
    today = timezone.localdate()
    answer = client.post(
        "/party/cadres/",
        {
            "action": "assign",
            "cadre": world.p_team.pk,
            "compound": world.yujia.pk,
            "starts_on": today.isoformat(),
            "ends_on": "not a date",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    assert not CadreAssignment.objects.exists()
    assert "请按日期格式填写结束日期" in answer.content.decode()
    client.post(
        "/party/cadres/",
        {
            "action": "assign",
            "cadre": world.p_team.pk,
            "compound": world.yujia.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=90)).isoformat(),
        },
    )
    assignment = CadreAssignment.objects.get()
    matter = _hard_matter(world)
    login(client, world.users.staff_a)
    client.post(
        "/party/cadres/",
        {
            "action": "dispatch",
            "assignment": assignment.pk,
            "matter": matter.pk,
            "whistle": [world.org_dept.pk],
        },
    )
    assert CadreTask.objects.get().matter == matter
    assert MatterOwner.objects.filter(matter=matter, organisation=world.org_dept).exists()
