"""The picker's search and resolve: only what the user may reach, hints that tell people apart,
a bounded number of queries, and all-or-nothing resolving."""

import pytest
from django.utils import translation

from gongzhi.matters.models import MatterOwner
from gongzhi.partners.models import PartnerKind, PartnerStatus, Team, TeamKind, TeamMembership
from gongzhi.pickers.selectors import PickError, options_for, resolve, search
from tests.factories import make_partner, make_user
from tests.factories_matters import make_matter
from tests.pickers_assert import assert_no_walls

ALL = ["partner", "team", "organisation", "user", "resident", "team_members", "building_partners"]


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def values(options):
    return [option.value for option in options]


def test_staff_finds_partners_of_own_community_only(world):
    found = values(search(world.users.staff_a, "吴", ["partner"]))
    assert found == []  # 吴刚 is a partner of community B
    assert values(search(world.users.staff_b, "吴", ["partner"])) == [f"partner:{world.p_b.pk}"]


def test_outside_reach_returns_nothing_for_every_kind(world):
    b = world.users.staff_b
    for q in ("王建国", "渔家苑", "X社区", "1栋"):
        for option in search(b, q, ALL):
            assert world.a.name not in option.hint
            assert "渔家苑" not in option.label


def test_partner_hint_tells_place_kind_team_and_load(world):
    _own(world.p_neighbour, world.a, n=2)
    [option] = search(world.users.staff_a, "王建国", ["partner"])
    assert option.label == "王建国"
    assert "渔家苑 1栋" in option.hint
    assert "睦邻合伙人" in option.hint or "neighbour" not in option.hint
    assert "渔家苑志愿服务队" in option.hint
    assert "2" in option.hint


def _own(partner, community, *, n):
    for i in range(n):
        matter = make_matter(community=community, text=f"事项{i}", status="assigned")
        MatterOwner.objects.create(matter=matter, partner=partner, assigned_at=matter.created_at)


def test_same_names_are_told_apart(world):
    other = make_partner(
        name="王建国",
        kind=PartnerKind.CONSTRUCTION,
        community=world.a,
        compound=world.jinxiu,
    )
    options = search(world.users.staff_a, "王建国", ["partner"])
    assert {o.value for o in options} == {f"partner:{world.p_neighbour.pk}", f"partner:{other.pk}"}
    assert len({o.hint for o in options}) == 2


def test_users_by_full_name_never_username(world):
    world.users.grid_a1.first_name = "陈艳"
    world.users.grid_a1.save()
    [option] = search(world.users.staff_a, "陈艳", ["user"])
    assert option.value == f"user:{world.users.grid_a1.pk}"
    assert option.label == "陈艳"
    assert "grid_a1" not in option.label + option.hint
    assert "网格员" in option.hint
    assert search(world.users.staff_b, "陈艳", ["user"]) == []
    # An account without a name is shown by its role, and a username never matches.
    assert search(world.users.staff_a, "grid_a1", ["user"]) == []


def test_residents_only_within_registry_reach(world):
    assert values(search(world.users.grid_a1, "王建国", ["resident"])) == [
        f"resident:{world.res_a.pk}"
    ]
    assert search(world.users.grid_a1, "周芳", ["resident"]) == []  # grid A2
    assert search(world.users.partner_a, "王建国", ["resident"]) == []
    [option] = search(world.users.staff_a, "王建国", ["resident"])
    assert "渔家苑 1栋" in option.hint


def test_group_kinds(world):
    member = make_partner(
        name="赵敏", kind=PartnerKind.NEIGHBOUR, community=world.a, compound=world.yujia,
        building=world.y1,
    )  # fmt: skip
    TeamMembership.objects.create(team=world.team_a, partner=member, joined_on="2024-01-01")
    [team] = search(world.users.staff_a, "渔家苑志愿", ["team_members"])
    assert team.value == f"team_members:{world.team_a.pk}"
    assert "2" in team.hint
    [building] = search(world.users.staff_a, "渔家苑 1栋", ["building_partners"])
    assert building.value == f"building_partners:{world.y1.pk}"
    chosen = resolve(
        world.users.staff_a, [team.value, building.value], ["team_members", "building_partners"]
    )
    assert chosen == [world.p_neighbour, member]  # deduplicated, in order


def test_resolve_keeps_order_and_dedupes(world):
    got = resolve(
        world.users.staff_a,
        [f"team:{world.team_a.pk}", f"partner:{world.p_team.pk}", f"team:{world.team_a.pk}"],
        ["partner", "team"],
    )
    assert got == [world.team_a, world.p_team]


@pytest.mark.parametrize(
    "value",
    ["partner:{p_b}", "organisation:{org_a}", "partner:abc", "nonsense", "resident:{res_a}"],
)
def test_resolve_refuses_outside_reach_or_wrong_kind(world, value):
    value = value.format(p_b=world.p_b.pk, org_a=world.org_a.pk, res_a=world.res_a.pk)
    with pytest.raises(PickError) as error:
        resolve(world.users.staff_a, [f"partner:{world.p_team.pk}", value], ["partner"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.value.message)


def test_resolve_refuses_an_empty_group(world):
    empty = Team.objects.create(name="空队", kind=TeamKind.RED, community=world.a)
    with pytest.raises(PickError):
        resolve(world.users.staff_a, [f"team_members:{empty.pk}"], ["team_members"])


def test_inactive_partners_are_not_offered(world):
    world.p_team.status = PartnerStatus.LEFT
    world.p_team.save()
    assert search(world.users.staff_a, "陈下沉", ["partner"]) == []


def test_phone_tail_for_staff_only(world):
    p = make_partner(name="钱多", kind=PartnerKind.TEAM, community=world.a)
    p.phone = "13812345678"
    p.save()
    assert values(search(world.users.staff_a, "5678", ["partner"])) == [f"partner:{p.pk}"]
    assert search(world.users.partner_a, "5678", ["partner"]) == []


def test_unknown_kind_refused(world):
    with pytest.raises(PickError):
        search(world.users.staff_a, "王", ["household"])


def test_search_query_count_is_bounded(world, django_assert_num_queries):
    for i in range(30):
        p = make_partner(name=f"王{i}", kind=PartnerKind.TEAM, community=world.a)
        TeamMembership.objects.create(team=world.team_a, partner=p, joined_on="2024-01-01")
    Team.objects.create(name="王家湾服务队", kind=TeamKind.VOLUNTEER, community=world.a)
    staff_c = make_user("staff_c", role="staff", community=world.a)
    staff_c.first_name = "王小二"
    staff_c.save()
    user = world.users.staff_a
    search(user, "王", ALL)  # warm the profile cache
    # partners 5 (rows, skills, roles, teams, load); teams 2; organisations 1; users 2;
    # residents 2 (rows, tags); team members 2; buildings 1
    with django_assert_num_queries(15):
        options = search(user, "王", ALL)
    assert len(options) == 20


def test_options_for_initial(world):
    options = options_for([world.p_neighbour, world.team_a, world.users.grid_a1])
    assert values(options) == [
        f"partner:{world.p_neighbour.pk}",
        f"team:{world.team_a.pk}",
        f"user:{world.users.grid_a1.pk}",
    ]


def test_api_pick(client, world):
    client.force_login(world.users.staff_a)
    response = client.get("/api/v1/pick", {"kinds": "partner,team", "q": "渔家苑"})
    assert response.status_code == 200
    assert response.json()["items"] == [
        {"value": f"team:{world.team_a.pk}", "label": "渔家苑志愿服务队", "hint": _hint(world)}
    ]
    bad = client.get("/api/v1/pick", {"kinds": "household", "q": "王"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_kind"


def _hint(world):
    [option] = search(world.users.staff_a, "渔家苑", ["team"])
    return option.hint


def test_web_pick_fragment(client, world):
    client.force_login(world.users.staff_a)
    response = client.get("/pick/", {"kinds": "partner", "q": "王", "name": "owners"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-value="partner:{world.p_neighbour.pk}"' in html
    assert "王建国" in html
    assert client.get("/pick/", {"kinds": "x", "q": "王"}).status_code == 400
    client.logout()
    assert client.get("/pick/", {"kinds": "partner", "q": "王"}).status_code == 302


def test_assert_no_walls_counts():
    ok = "<form><select name=a>" + "<option>x</option>" * 200 + "</select></form>"
    assert_no_walls(ok)
    with pytest.raises(AssertionError):
        assert_no_walls("<select name=a>" + "<option>x" * 201 + "</select>")
    with pytest.raises(AssertionError):
        assert_no_walls("<form>" + '<input type="checkbox" name=c>' * 101 + "</form>")
