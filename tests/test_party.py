"""The party organisation tree, the roll, 党员中心户 and figures per branch (docs/party.md)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongzhi.matters import services as matter_services
from gongzhi.matters.models import Matter, Status
from gongzhi.party import selectors
from gongzhi.party.models import CentreHousehold, OrgLevel, PartyMember, PartyOrg
from gongzhi.party.services import (
    PartyError,
    centre_household_designate,
    party_member_add,
    party_member_leave,
    party_org_create,
)
from gongzhi.volunteering import services as volunteering
from tests.conftest import login
from tests.helpers import party_tree


@pytest.fixture
def tree(world):
    """``party_tree`` plus 渔家苑1栋党小组 and 江南小区党支部 (by staff_b)."""
    tree = party_tree(world)
    tree["y1"] = party_org_create(
        actor=world.users.staff_a,
        name="渔家苑1栋党小组",
        level=OrgLevel.BUILDING,
        place=world.y1,
        parent=tree["yujia"],
    )
    tree["jiangnan"] = party_org_create(
        actor=world.users.staff_b,
        name="江南小区党支部",
        level=OrgLevel.COMPOUND,
        place=world.jiangnan,
        parent=tree["b"],
    )
    return tree


def test_tree_nodes_are_anchored_down_the_place_tree(world, tree):
    group = tree["y1"]
    assert (group.subdistrict_id, group.community_id, group.compound_id, group.building_id) == (
        world.sub.pk,
        world.a.pk,
        world.yujia.pk,
        world.y1.pk,
    )
    assert tree["yujia"].building_id is None


def test_node_anchored_to_the_wrong_level_of_place_is_refused(world, tree):
    with pytest.raises(PartyError) as exc:
        party_org_create(
            actor=world.users.staff_a,
            name="2栋党支部",
            level=OrgLevel.COMPOUND,
            place=world.y2,
            parent=tree["a"],
        )
    assert exc.value.code == "wrong_anchor"
    assert "小区" in str(exc.value.message) or "compound" in str(exc.value.message)
    assert not PartyOrg.objects.filter(name="2栋党支部").exists()


def test_parent_of_the_wrong_level_is_refused(world, tree):
    # a building group directly under the community committee skips the branch
    with pytest.raises(PartyError) as exc:
        party_org_create(
            actor=world.users.staff_a,
            name="渔家苑2栋党小组",
            level=OrgLevel.BUILDING,
            place=world.y2,
            parent=tree["a"],
        )
    assert exc.value.code == "wrong_parent"
    # a branch under the committee of another community
    with pytest.raises(PartyError) as exc:
        party_org_create(
            actor=world.users.staff_a,
            name="渔家苑2栋党小组",
            level=OrgLevel.BUILDING,
            place=world.y2,
            parent=tree["jinxiu"],
        )
    assert exc.value.code == "wrong_parent"
    assert not PartyOrg.objects.filter(name="渔家苑2栋党小组").exists()


def test_database_refuses_an_anchor_that_does_not_match_the_level(world, tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyOrg.objects.create(
            name="坏节点",
            level=OrgLevel.COMPOUND,
            parent=tree["a"],
            subdistrict=world.sub,
            community=world.a,
            compound=world.yujia,
            building=world.y1,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyOrg.objects.create(
            name="无上级党委", level=OrgLevel.COMMUNITY, subdistrict=world.sub, community=world.a
        )


def test_one_branch_per_compound(world, tree):
    with pytest.raises(PartyError) as exc:
        party_org_create(
            actor=world.users.staff_a,
            name="渔家苑第二党支部",
            level=OrgLevel.COMPOUND,
            place=world.yujia,
            parent=tree["a"],
        )
    assert exc.value.code == "duplicate_org"


def test_staff_of_another_community_may_not_build_its_tree(world, tree):
    with pytest.raises(PartyError) as exc:
        party_org_create(
            actor=world.users.staff_b,
            name="渔家苑2栋党小组",
            level=OrgLevel.BUILDING,
            place=world.y2,
            parent=tree["yujia"],
        )
    assert exc.value.code == "forbidden"


def test_member_in_two_branches_at_once_is_refused(world, tree):
    staff = world.users.staff_a
    party_member_add(actor=staff, branch=tree["y1"], person=world.res_a)
    with pytest.raises(PartyError) as exc:
        party_member_add(actor=staff, branch=tree["jinxiu"], person=world.res_a)
    assert exc.value.code == "already_member"
    assert "渔家苑1栋党小组" in exc.value.message
    # the same person through their partner record is the same person
    with pytest.raises(PartyError):
        party_member_add(actor=staff, branch=tree["jinxiu"], person=world.p_neighbour)
    assert PartyMember.objects.filter(resident=world.res_a).count() == 1


def test_database_keeps_one_current_branch(world, tree):
    party_member_add(actor=world.users.staff_a, branch=tree["y1"], person=world.p_team)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyMember.objects.create(
            partner=world.p_team,
            name="陈下沉",
            branch=tree["jinxiu"],
            joined_on=dt.date(2025, 1, 1),
        )


def test_member_moves_after_leaving(world, tree):
    staff = world.users.staff_a
    member = party_member_add(
        actor=staff, branch=tree["y1"], person=world.res_a, joined_on=dt.date(2020, 1, 1)
    )
    party_member_leave(actor=staff, member=member, left_on=dt.date(2026, 1, 1))
    moved = party_member_add(actor=staff, branch=tree["jinxiu"], person=world.res_a)
    assert moved.branch == tree["jinxiu"]


def test_member_from_another_community_is_refused(world, tree):
    with pytest.raises(PartyError) as exc:
        party_member_add(actor=world.users.staff_a, branch=tree["yujia"], person=world.res_b)
    assert exc.value.code == "other_community"
    assert not PartyMember.objects.exists()


def test_centre_household_looks_after_neighbours_of_its_compound(world, tree):
    staff = world.users.staff_a
    member = party_member_add(actor=staff, branch=tree["y1"], person=world.res_a)
    centre = centre_household_designate(
        actor=staff, member=member, neighbours=[world.h_y1b, world.h_y2]
    )
    assert centre.household == world.h_y1
    assert set(centre.neighbours.all()) == {world.h_y1b, world.h_y2}
    with pytest.raises(PartyError) as exc:
        centre_household_designate(actor=staff, member=member, neighbours=[world.h_j1])
    assert exc.value.code == "not_neighbour"
    assert set(CentreHousehold.objects.get().neighbours.all()) == {world.h_y1b, world.h_y2}


def _matter(world, building, status=None):
    matter = matter_services.matter_submit(
        actor=world.users.staff_a,
        text="楼道堆物需要清理",
        channel="grid_visit",
        place=matter_services.resolve_place(building=building),
        reporter=world.res_a,
        category="facilities",
        tier="small",
    )
    if status:
        Matter.objects.filter(pk=matter.pk).update(status=status)
    return matter


def test_figures_per_branch(world, tree):
    staff = world.users.staff_a
    party_member_add(actor=staff, branch=tree["y1"], person=world.res_a)
    party_member_add(actor=staff, branch=tree["yujia"], person=world.res_y2)
    party_member_add(actor=staff, branch=tree["jinxiu"], person=world.res_j1)
    _matter(world, world.y1, Status.CLOSED)
    _matter(world, world.y1)
    _matter(world, world.y2, Status.DONE)
    _matter(world, world.j1)
    activity = volunteering.activity_create(
        title="楼道清理",
        kind="service",
        organiser=world.team_a,
        actor=staff,
        date=timezone.localdate(),
        community=world.a,
    )
    record = volunteering.service_record_add(
        activity=activity, participant=world.res_a, minutes=90, actor=staff
    )
    volunteering.service_record_confirm(record=record, actor=staff)
    # an unconfirmed claim does not count
    volunteering.service_record_add(
        activity=activity, participant=world.res_y2, minutes=600, actor=staff
    )

    rows = {row.org.name: row for row in selectors.org_tree(staff, community_id=world.a.pk)}
    assert (rows["渔家苑1栋党小组"].members, rows["渔家苑1栋党小组"].service_hours) == (1, 1.5)
    assert (rows["渔家苑1栋党小组"].matters_raised, rows["渔家苑1栋党小组"].matters_handled) == (
        2,
        1,
    )
    assert (rows["渔家苑党支部"].matters_raised, rows["渔家苑党支部"].matters_handled) == (3, 2)
    assert (rows["渔家苑党支部"].members, rows["渔家苑党支部"].service_hours) == (1, 0)
    assert (rows["锦绣园党支部"].members, rows["锦绣园党支部"].matters_raised) == (1, 1)
    assert rows["X社区党委"].matters_raised == 4
    assert [r.depth for r in selectors.org_tree(staff, community_id=world.a.pk)][:3] == [0, 1, 2]


def test_tree_figures_take_a_fixed_number_of_queries(world, tree, django_assert_max_num_queries):
    staff = world.users.staff_a
    party_member_add(actor=staff, branch=tree["y1"], person=world.res_a)
    party_member_add(actor=staff, branch=tree["jinxiu"], person=world.res_j1)
    with django_assert_max_num_queries(8):
        selectors.org_tree(staff, community_id=world.a.pk)


def test_staff_of_y_see_nothing_of_x_and_residents_nothing(world, tree, client):
    party_member_add(actor=world.users.staff_a, branch=tree["y1"], person=world.res_a)
    names = {row.org.name for row in selectors.org_tree(world.users.staff_b)}
    assert names == {"Y社区党委", "江南小区党支部"}
    assert not selectors.members_visible(world.users.staff_b).exists()
    assert selectors.org_tree(world.users.resident_a) == []
    assert not selectors.members_visible(world.users.partner_a).exists()
    assert selectors.members_visible(world.users.official).count() == 1

    login(client, world.users.staff_b)
    page = client.get("/party/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert ">党建</a>" in page.content.decode()  # in the staff menu
    assert "渔家苑" not in page.content.decode()
    assert "王建国" not in client.get("/party/members/").content.decode()
    assert client.get("/api/v1/party/members").json()["count"] == 0
    login(client, world.users.resident_a)
    assert client.get("/party/").status_code == 403
    assert client.get("/api/v1/party/orgs").status_code == 403


def test_api_tree_and_refusal_in_chinese(world, tree, client):
    login(client, world.users.staff_a)
    data = client.get("/api/v1/party/orgs").json()
    assert [o["name"] for o in data][:2] == ["X社区党委", "渔家苑党支部"]
    answer = client.post(
        "/api/v1/party/orgs",
        {
            "name": "坏支部",
            "level": "compound",
            "place": f"building:{world.y2.pk}",
            "parent_id": tree["a"].pk,
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "wrong_anchor"
    assert "小区" in answer.json()["message"]
    assert not PartyOrg.objects.filter(name="坏支部").exists()


def test_overview_has_the_party_section(world, tree):
    from gongzhi.core.overview import overview

    party_member_add(actor=world.users.staff_a, branch=tree["y1"], person=world.res_a)
    figures = overview(community=world.a)["party"]
    assert figures == {
        "branches": 3,
        "members": 1,
        "in_service_registered": 0,
        "units_registered": 0,
        "dispatched_cadres": 0,
    }
