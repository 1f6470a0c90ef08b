"""Pages of a lower app that show what a higher app holds, through the lists the lower app
declares and the higher app fills from its ``AppConfig.ready`` (no import cycle:
tests/test_import_graph.py): a resident's partnerships, a building's households and partners."""

from django.urls import reverse

from gongzhi.partners.views import resident_partnerships
from gongzhi.people.views import RESIDENT_SECTIONS
from tests.conftest import login


def test_the_sections_are_lent_once():
    assert RESIDENT_SECTIONS.count(resident_partnerships) == 1


def test_resident_page_shows_the_partnerships(client, world):
    login(client, world.users.staff_a)
    response = client.get(reverse("people:resident", args=[world.res_a.pk]))
    assert list(response.context["partnerships"]) == [world.p_neighbour]
    assert reverse("partners:partner", args=[world.p_neighbour.pk]) in response.content.decode()
    # A resident without a partner record.
    response = client.get(reverse("people:resident", args=[world.res_a_spouse.pk]))
    assert list(response.context["partnerships"]) == []
