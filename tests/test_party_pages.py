"""Staff edit the Party's tree and roll on the pages (/party/, /party/members/), through the
same services as the API: a refusal shows the service's Chinese message and changes nothing."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongzhi.party.models import CentreHousehold, OrgLevel, PartyMember, PartyOrg
from gongzhi.party.services import party_member_add
from tests.conftest import login
from tests.factories import make_household, make_resident
from tests.helpers import party_tree

TREE = reverse("party:tree")
MEMBERS = reverse("party:members")


@pytest.fixture
def tree(world):
    return party_tree(world)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_staff_add_a_group_on_the_tree_page(client, world, tree):
    login(client, world.users.staff_a)
    page = client.get(TREE).content.decode()
    assert f'value="building:{world.y2.pk}"' in page
    assert f'value="building:{world.n1.pk}"' not in page  # Y社区's building is not offered
    response = client.post(
        TREE,
        {
            "level": "building",
            "place": f"building:{world.y2.pk}",
            "parent": tree["yujia"].pk,
            "name": "渔家苑2栋党小组",
        },
        follow=True,
    )
    group = PartyOrg.objects.get(name="渔家苑2栋党小组")
    assert (group.level, group.building_id, group.parent_id) == (
        OrgLevel.BUILDING,
        world.y2.pk,
        tree["yujia"].pk,
    )
    assert "渔家苑2栋党小组" in response.content.decode()


def test_a_group_under_the_branch_of_another_compound_is_refused(client, world, tree):
    login(client, world.users.staff_a)
    before = PartyOrg.objects.count()
    response = client.post(
        TREE,
        {
            "level": "building",
            "place": f"building:{world.y2.pk}",
            "parent": tree["jinxiu"].pk,
            "name": "错挂党小组",
        },
        follow=True,
    )
    assert PartyOrg.objects.count() == before
    assert "上级党组织" in _messages(response) or "不覆盖" in _messages(response)


def test_staff_add_a_member_with_the_picker(client, world, tree):
    login(client, world.users.staff_a)
    page = client.get(MEMBERS).content.decode()
    assert 'data-name="person"' in page
    response = client.post(
        MEMBERS,
        {
            "action": "add",
            "person": f"resident:{world.res_y1b.pk}",
            "branch": tree["yujia"].pk,
            "lives_here": "1",
        },
        follow=True,
    )
    member = PartyMember.objects.get(resident=world.res_y1b)
    assert (member.branch_id, member.lives_here, member.in_service, member.left_on) == (
        tree["yujia"].pk,
        True,
        False,
        None,
    )
    assert "赵敏" in response.content.decode()


def test_a_member_in_two_branches_is_refused_with_the_chinese_message(client, world, tree):
    party_member_add(actor=world.users.staff_a, branch=tree["yujia"], person=world.res_a)
    login(client, world.users.staff_a)
    # The partner record linked to 王建国 is the same person as the resident.
    response = client.post(
        MEMBERS,
        {"action": "add", "person": f"partner:{world.p_neighbour.pk}", "branch": tree["jinxiu"].pk},
        follow=True,
    )
    assert "已是渔家苑党支部的党员" in _messages(response), _messages(response)
    assert list(PartyMember.objects.values_list("branch_id", "left_on")) == [
        (tree["yujia"].pk, None)
    ]


def test_staff_move_a_member_and_record_the_leaving(client, world, tree):
    member = party_member_add(actor=world.users.staff_a, branch=tree["yujia"], person=world.res_a)
    login(client, world.users.staff_a)
    assert "记录离开" in client.get(MEMBERS, {"edit": member.pk}).content.decode()
    client.post(MEMBERS, {"action": "move", "member": member.pk, "branch": tree["jinxiu"].pk})
    member.refresh_from_db()
    assert member.left_on is not None
    moved = PartyMember.objects.get(left_on__isnull=True)
    assert (moved.resident_id, moved.branch_id) == (world.res_a.pk, tree["jinxiu"].pk)
    client.post(MEMBERS, {"action": "leave", "member": moved.pk})
    assert not PartyMember.objects.filter(left_on__isnull=True).exists()


def test_staff_of_y_cannot_touch_x(client, world, tree):
    member = party_member_add(actor=world.users.staff_a, branch=tree["yujia"], person=world.res_a)
    login(client, world.users.staff_b)
    page = client.get(TREE).content.decode()
    assert f"building:{world.y1.pk}" not in page
    client.post(
        TREE,
        {
            "level": "building",
            "place": f"building:{world.y1.pk}",
            "parent": tree["yujia"].pk,
            "name": "越界党小组",
        },
    )
    assert not PartyOrg.objects.filter(name="越界党小组").exists()
    response = client.post(MEMBERS, {"action": "leave", "member": member.pk})
    assert response.status_code == 404
    client.post(
        MEMBERS,
        {"action": "add", "person": f"resident:{world.res_j1.pk}", "branch": tree["jinxiu"].pk},
    )
    assert list(PartyMember.objects.values_list("pk", "left_on")) == [(member.pk, None)]


@pytest.mark.parametrize("who", ["resident_a", "partner_a"])
def test_residents_and_partners_get_403(client, world, tree, who):
    login(client, getattr(world.users, who))
    assert client.get(TREE).status_code == 403
    assert client.get(MEMBERS).status_code == 403
    response = client.post(
        MEMBERS,
        {"action": "add", "person": f"resident:{world.res_a.pk}", "branch": tree["yujia"].pk},
    )
    assert response.status_code == 403
    assert not PartyMember.objects.exists()


def test_officials_read_but_do_not_write(client, world, tree):
    login(client, world.users.official)
    page = client.get(MEMBERS)
    assert page.status_code == 200 and 'data-name="person"' not in page.content.decode()
    response = client.post(
        MEMBERS,
        {"action": "add", "person": f"resident:{world.res_a.pk}", "branch": tree["yujia"].pk},
    )
    assert response.status_code == 403
    assert not PartyMember.objects.exists()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(MEMBERS).status_code == 200
    return len(ctx.captured_queries)


def test_members_page_query_count_does_not_grow_with_members(client, world, tree):
    staff = world.users.staff_a
    party_member_add(actor=staff, branch=tree["yujia"], person=world.res_a)
    login(client, staff)
    few = _queries(client)
    for i in range(12):
        household = make_household(world.j1, f"5{i:02d}")
        party_member_add(
            actor=staff, branch=tree["jinxiu"], person=make_resident(household, f"党员{i}")
        )
    assert _queries(client) == few
    assert few <= 7, few  # session, user, profile, roll, count, branches, messages


def test_the_forms_speak_chinese(client, world, tree):
    member = party_member_add(actor=world.users.staff_a, branch=tree["yujia"], person=world.res_a)
    staff = world.users.staff_a
    staff.first_name = "陈社工"  # the header shows the name; without one, the username
    staff.save(update_fields=["first_name"])
    login(client, staff)
    for url in (TREE, f"{MEMBERS}?edit={member.pk}"):
        html = client.get(url).content.decode()
        text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
        placeholders = " ".join(re.findall(r'(?:placeholder|aria-label)="([^"]*)"', html))
        english = set(re.findall(r"[A-Za-z_]{3,}", f"{text} {placeholders}")) - {"English"}
        assert not english, (url, english)


def test_staff_rename_a_branch_but_not_the_committee_nor_another_communitys(client, world, tree):
    login(client, world.users.staff_a)
    assert "改名" in client.get(TREE, {"edit": tree["yujia"].pk}).content.decode()
    client.post(
        TREE,
        {
            "action": "rename",
            "org": tree["yujia"].pk,
            "name": "渔家苑小区党支部",
            "secretary": "王书记",
        },
    )
    tree["yujia"].refresh_from_db()
    assert (tree["yujia"].name, tree["yujia"].secretary) == ("渔家苑小区党支部", "王书记")
    # The committee is the officials' (the service refuses with its message).
    response = client.post(
        TREE, {"action": "rename", "org": tree["a"].pk, "name": "改掉"}, follow=True
    )
    assert "权" in _messages(response), _messages(response)  # 您无权…/您没有权限…
    login(client, world.users.staff_b)
    client.post(TREE, {"action": "rename", "org": tree["jinxiu"].pk, "name": "越界改名"})
    assert set(PartyOrg.objects.values_list("name", flat=True)).isdisjoint({"改掉", "越界改名"})


def test_staff_designate_a_centre_household_and_a_far_household_is_refused(client, world, tree):
    member = party_member_add(actor=world.users.staff_a, branch=tree["yujia"], person=world.res_a)
    login(client, world.users.staff_a)
    page = client.get(MEMBERS, {"edit": member.pk}).content.decode()
    assert f'name="neighbour" value="{world.h_y1b.pk}"' in page
    assert f'name="neighbour" value="{world.h_y1.pk}"' not in page  # never its own
    response = client.post(
        MEMBERS,
        {"action": "centre", "member": member.pk, "neighbour": [world.h_y1b.pk, world.h_j1.pk]},
        follow=True,
    )
    assert "锦绣园" in _messages(response), _messages(response)
    assert not CentreHousehold.objects.exists()
    client.post(
        MEMBERS,
        {"action": "centre", "member": member.pk, "neighbour": [world.h_y1b.pk, world.h_y2.pk]},
    )
    centre = CentreHousehold.objects.get(member=member)
    assert set(centre.neighbours.values_list("pk", flat=True)) == {world.h_y1b.pk, world.h_y2.pk}
    # Another building's page keeps the neighbours chosen elsewhere as hidden values.
    page = client.get(MEMBERS, {"edit": member.pk, "building": world.y2.pk}).content.decode()
    assert f'type="hidden" name="neighbour" value="{world.h_y1b.pk}"' in page
    assert f'value="{world.h_y2.pk}" checked' in page
