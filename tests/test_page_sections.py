"""Pages of a lower app that show what a higher app holds, through the lists the lower app
declares and the higher app fills from its ``AppConfig.ready`` (no import cycle:
tests/test_import_graph.py): a resident's partnerships, a building's households and partners."""

from django.urls import reverse

from gongzhi.partners.views import building_partners, resident_partnerships
from gongzhi.people.views import RESIDENT_SECTIONS, building_households, unit_households
from gongzhi.places.views import BUILDING_SECTIONS, UNIT_SECTIONS
from tests.conftest import login


def test_the_sections_are_lent_once():
    assert RESIDENT_SECTIONS == [resident_partnerships]
    assert sorted(BUILDING_SECTIONS, key=lambda f: f.__name__) == [
        building_households,
        building_partners,
    ]
    assert UNIT_SECTIONS == [unit_households]


def test_resident_page_shows_the_partnerships(client, world):
    login(client, world.users.staff_a)
    response = client.get(reverse("people:resident", args=[world.res_a.pk]))
    assert list(response.context["partnerships"]) == [world.p_neighbour]
    assert reverse("partners:partner", args=[world.p_neighbour.pk]) in response.content.decode()
    # A resident without a partner record.
    response = client.get(reverse("people:resident", args=[world.res_a_spouse.pk]))
    assert list(response.context["partnerships"]) == []


def test_building_page_shows_units_households_and_partners(client, world):
    login(client, world.users.staff_a)
    context = client.get(reverse("places:building", args=[world.y1.pk])).context
    assert [(unit.name, [h.room for h in households]) for unit, households in context["units"]] == [
        ("1单元", ["101", "102"])
    ]
    assert (context["counts"].households, context["counts"].residents) == (2, 3)
    assert list(context["partners"]) == [world.p_neighbour]
    # Counts are for staff only; a partner sees the households of their reach (none).
    login(client, world.users.partner_a)
    context = client.get(reverse("places:building", args=[world.y1.pk])).context
    assert context["counts"] is None
    assert [households for _unit, households in context["units"]] == [[]]


def test_unit_page_shows_the_households(client, world):
    login(client, world.users.staff_a)
    response = client.get(reverse("places:unit", args=[world.h_y1.unit_id]))
    assert [h.room for h in response.context["households"]] == ["101", "102"]
