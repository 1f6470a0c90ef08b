"""Grids and buildings in natural order (第一…第十二, 2栋 before 10栋) wherever they are listed
or chosen: the sort key itself, the place filter, the place tree and a building's units."""

import random

import pytest

from gongzhi.core.naturalsort import chinese_number, natural_key, natural_sorted
from gongzhi.listing.pages import place_options
from gongzhi.places.models import Building, Grid, Unit
from gongzhi.places.selectors import building_units, place_tree

TWELVE = [f"第{n}网格" for n in "一二三四五六七八九"] + ["第十网格", "第十一网格", "第十二网格"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("一百零五", 105), ("两千", 2000)],
)
def test_chinese_numerals_have_their_value(text, value):
    assert chinese_number(text) == value


def test_grids_first_to_twelfth_sort_by_number_not_character_code():
    shuffled = random.Random(4).sample(TWELVE, len(TWELVE))
    assert natural_sorted(shuffled) == TWELVE
    assert sorted(TWELVE) != TWELVE  # character code order is wrong: 第七 before 第三


def test_buildings_sort_by_number_and_text_stays_text():
    assert natural_sorted(["10栋", "2栋", "1栋", "2栋1单元"]) == ["1栋", "2栋", "2栋1单元", "10栋"]
    assert natural_key("万科城") == ((1, 0, "万科城"),)  # a lone 万 is a word, not 10,000


def _add_grids_and_buildings(world):
    for name in ["第十二网格", "第三网格", "第十网格", "第七网格"]:
        Grid.objects.create(community=world.a, name=name)
    # Imported buildings carry no sort number: the name alone must order them.
    for name in ["10栋", "3栋", "21栋"]:
        Building.objects.create(compound=world.jinxiu, name=name)
    Building.objects.filter(compound=world.jinxiu).update(number=0)


def test_place_filter_lists_grids_and_buildings_in_natural_order(world):
    _add_grids_and_buildings(world)
    # One community: the groups are compounds, buildings, grids.
    _compounds, buildings, grids = place_options(world.users.staff_a)
    grids = [option.label for option in grids.options]
    assert grids == ["第一网格", "第二网格", "第三网格", "第七网格", "第十网格", "第十二网格"]
    buildings = [option.label for option in buildings.options]
    assert buildings == [
        "渔家苑 1栋",
        "渔家苑 2栋",
        "锦绣园 1栋",
        "锦绣园 3栋",
        "锦绣园 10栋",
        "锦绣园 21栋",
    ]


def test_place_tree_orders_buildings_naturally(world):
    _add_grids_and_buildings(world)
    (community,) = [node for node in place_tree(world.users.staff_a)]
    jinxiu = next(node for node in community.compounds if node.compound == world.jinxiu)
    assert [node.building.name for node in jinxiu.buildings] == ["1栋", "3栋", "10栋", "21栋"]


def test_units_of_a_building_in_natural_order(world):
    for name in ["10单元", "2单元", "1单元"]:
        Unit.objects.get_or_create(building=world.y2, name=name)
    assert [unit.name for unit in building_units(world.y2)] == ["1单元", "2单元", "10单元"]
