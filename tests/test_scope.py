"""Scope isolation for every persona, through the selectors that views, API and exports share."""

import pytest

from gongzhi.core.places import Place
from gongzhi.partners.selectors import organisation_list, partner_list, team_list
from gongzhi.people.selectors import household_list, resident_list


def names(qs):
    return sorted(r.name for r in qs)


def test_superuser_sees_every_resident(world):
    assert resident_list(world.users.admin).count() == 6


def test_official_sees_whole_subdistrict(world):
    assert resident_list(world.users.official).count() == 6
    assert partner_list(world.users.official).count() == 4


def test_staff_of_community_a_sees_only_a(world):
    seen = names(resident_list(world.users.staff_a))
    assert seen == sorted(["王建国", "李秀英", "赵敏", "孙立", "周芳"])
    assert "吴刚" not in names(partner_list(world.users.staff_a))
    assert names(team_list(world.users.staff_a)) == ["渔家苑志愿服务队"]
    assert names(organisation_list(world.users.staff_a)) == ["X社区居委会"]


def test_staff_of_community_b_sees_nothing_of_a(world):
    assert names(resident_list(world.users.staff_b)) == ["吴刚"]
    assert names(partner_list(world.users.staff_b)) == ["吴刚"]
    assert names(team_list(world.users.staff_b)) == ["江南志愿服务队"]
    assert household_list(world.users.staff_b).count() == 1
    # Asking explicitly for community A's places yields nothing, not A's rows.
    assert resident_list(world.users.staff_b, place=Place("community", world.a.id)).count() == 0


def test_grid_worker_sees_only_own_grid_residents(world):
    assert names(resident_list(world.users.grid_a1)) == sorted(["王建国", "李秀英", "赵敏"])
    assert household_list(world.users.grid_a1).count() == 2


def test_grid_worker_sees_community_directory(world):
    assert names(partner_list(world.users.grid_a1)) == sorted(["王建国", "孙立", "陈下沉"])


def test_partner_sees_no_personal_registry(world):
    assert resident_list(world.users.partner_a).count() == 0
    assert partner_list(world.users.partner_a).count() == 3


def test_resident_sees_only_own_household(world):
    assert names(resident_list(world.users.resident_a)) == sorted(["王建国", "李秀英"])


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert resident_list(AnonymousUser()).count() == 0
    assert partner_list(AnonymousUser()).count() == 0


@pytest.mark.parametrize(
    ("place_attr", "level", "expected"),
    [
        ("yujia", "compound", 4),
        ("y1", "building", 3),
        ("grid_a2", "grid", 2),
        ("h_y1", "household", 2),
    ],
)
def test_place_filter_narrows_within_reach(world, place_attr, level, expected):
    place = Place(level, getattr(world, place_attr).id)
    assert resident_list(world.users.staff_a, place=place).count() == expected
