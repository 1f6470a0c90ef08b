"""Residents (and partners) never download a list: every ``?format=xlsx`` answers 403 for them
and their pages carry no export link, while staff still export (one rule: ``can_export``)."""

import pytest
from django.urls import reverse

from gongzhi.core.excel import XLSX_CONTENT_TYPE
from gongzhi.listing.pages import can_export

# Every list that offers ``?format=xlsx`` through ``render_list``.
LISTS = [
    "people:residents",
    "people:households",
    "partners:partners",
    "partners:teams",
    "partners:organisations",
    "matters:list",
    "projects:list",
    "experiences:list",
    "volunteering:activities",
    "volunteering:records",
    "volunteering:claims",
    "points:shop",
    "points:desk",
    "points:items",
    "points:accounts",
]
# The insight pages' own exports (staff-only pages, same rule).
INSIGHTS = ["dashboard:dashboard", "insights:index", "insights:diagnostics", "network:graph"]


@pytest.mark.parametrize("name", LISTS + INSIGHTS)
@pytest.mark.parametrize("persona", ["resident_a", "partner_a"])
def test_residents_and_partners_cannot_export(client, world, persona, name):
    client.force_login(getattr(world.users, persona))
    response = client.get(reverse(name), {"format": "xlsx"})
    if persona == "resident_a" and name == "matters:list":
        # A resident's matters list is their own matters page, which has no export.
        assert response.status_code == 302 and response.url == reverse("matters:mine")
        return
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("name", ["partners:partners", "projects:list", "experiences:list"])
def test_a_residents_list_page_has_no_export_link(client, world, name):
    client.force_login(world.users.resident_a)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "format=xlsx" not in response.content.decode()


@pytest.mark.parametrize("name", ["partners:partners", "people:residents", "matters:list"])
def test_staff_see_the_export_link(client, world, name):
    client.force_login(world.users.staff_a)
    assert "format=xlsx" in client.get(reverse(name)).content.decode()


@pytest.mark.parametrize("name", LISTS + INSIGHTS)
@pytest.mark.parametrize("persona", ["staff_a", "grid_a1", "official"])
def test_people_who_run_the_community_still_export(client, world, persona, name):
    client.force_login(getattr(world.users, persona))
    response = client.get(reverse(name), {"format": "xlsx"})
    if persona != "staff_a" and name == "points:items":
        # The shop's item management is the community staff's own page, export included.
        assert response.status_code == 403
        return
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX_CONTENT_TYPE


def test_the_rule(world):
    users = world.users
    assert [can_export(u) for u in (users.resident_a, users.partner_a)] == [False, False]
    assert all(can_export(u) for u in (users.staff_a, users.grid_a1, users.official, users.admin))
