"""The X-community demo: the paper's figures exactly, seeded once, realistic and deterministic."""

import io
import json
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from gongzhi.accounts.models import Profile
from gongzhi.core.identity import birth_date_from_id, gender_from_id, normalize_id_number
from gongzhi.demo.seed import build_demo, lookups
from gongzhi.matters.models import Matter, MatterEvent
from gongzhi.partners.models import Organisation, Partner, Team, TeamMembership
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Grid, Household, Subdistrict
from gongzhi.todo.selectors import todo_count, todo_for
from tests.demo_checks import check_demo_action, check_demo_matters

COUNTED = (
    Subdistrict,
    Community,
    Compound,
    Grid,
    Building,
    Household,
    Resident,
    Resident.tags.through,
    Partner,
    Partner.roles.through,
    Partner.skills.through,
    Team,
    TeamMembership,
    Organisation,
    get_user_model(),
    Profile,
    Matter,
    MatterEvent,
)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in COUNTED}


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_loads_the_papers_figures_once():
    output = run("seed_demo")
    assert "演示数据载入完毕" in output
    assert "gongzhi-demo" in output

    figures = json.loads(run("overview", "--json", "--community", "X社区"))
    assert figures["community"] == "X社区"
    assert figures["compounds"] == 4
    assert figures["households"] == 7191
    assert figures["residents"] == 21235
    assert figures["volunteer_teams"] == 12
    assert figures["volunteers"] == 1192
    assert figures["partners"]["neighbour"] == 1192
    assert figures["partners"]["construction"] == 65
    assert figures["partners"]["team"] > 0
    assert 90 <= figures["buildings"] <= 110
    assert figures["grids"] == 8
    # A year of visits: 90-day coverage between the best-run grid (~83 %) and the weakest.
    assert figures["visits"]["total"] > 30_000
    assert 0.55 <= figures["visits"]["coverage_90d"] <= 0.75
    assert 300 <= figures["care"]["registered"] <= 500
    assert 0 < figures["care"]["visits_overdue"] < figures["care"]["visits_due"]
    assert figures["party"] == {
        "branches": 106,  # 4 小区党支部 and a 楼栋党小组 per building
        "members": 300,
        "in_service_registered": 48,
        "units_registered": 7,
        "dispatched_cadres": 8,
    }

    # Running again (here through `gongzhi demo --no-serve`) adds nothing.
    before = row_counts()
    again = run("demo", "--no-serve")
    assert "演示数据已载入过" in again
    assert "http://127.0.0.1:8000/" in again
    assert row_counts() == before

    # Exactly one head per household, and no empty household.
    heads = Household.objects.annotate(
        heads=Count("residents", filter=Q(residents__relation="head"))
    )
    assert not heads.exclude(heads=1).exists()

    # Every ID number is valid, unique and agrees with the birth date and gender.
    people = list(Resident.objects.values_list("id_number", "birth_date", "gender"))
    numbers = [number for number, _born, _gender in people]
    assert len(set(numbers)) == len(numbers) == Resident.objects.count()
    for number, born, gender in people:
        assert normalize_id_number(number) == number
        assert birth_date_from_id(number) == born
        assert gender_from_id(number) == gender

    # Every building of X社区 has a grid and a 楼栋长 among its neighbour partners.
    x_buildings = Building.objects.filter(compound__community__name="X社区")
    assert not x_buildings.filter(grid__isnull=True).exists()
    assert not x_buildings.exclude(partners__roles__name="楼栋长").exists()

    # One login per role, each able to sign in with the printed password.
    for username in ("admin", "official", "staff", "staff_y", "grid1", "partner", "resident"):
        assert get_user_model().objects.get(username=username).check_password("gongzhi-demo")
    assert Profile.objects.filter(role="grid_worker", grid__community__name="X社区").count() == 8
    # Each demo account opens its to-do and finds something to do (ROLES.md).
    waiting = {
        username: todo_count(get_user_model().objects.get(username=username))
        for username in ("official", "staff", "grid1", "partner", "resident")
    }
    assert all(waiting.values()), waiting
    resident_kinds = todo_for(get_user_model().objects.get(username="resident"))["counts"]
    assert resident_kinds["matter_feedback"] >= 1
    partner_kinds = todo_for(get_user_model().objects.get(username="partner"))["counts"]
    assert partner_kinds["matter_handle"] >= 1

    # The default community is X社区 even though Y社区 exists too.
    assert json.loads(run("overview", "--json")) == figures

    # A year of matters, checked in tests/test_demo_matters.py (one seeding for both).
    check_demo_matters("X社区")
    # A year of meetings and mediation, checked in tests/test_demo_action.py.
    check_demo_action("X社区")
    assert Matter.objects.filter(community__name="Y社区").exists()


@pytest.mark.django_db
def test_demo_build_is_deterministic_and_plausible():
    subdistrict = Subdistrict.objects.create(name="琴台街道")

    def fingerprint():
        data = build_demo(subdistrict, **lookups())
        residents = [
            (r.name, r.gender, r.birth_date, r.id_number, r.phone, r.relation, r.household.room)
            for r in data.residents
        ]
        partners = [(p.name, p.kind, p.joined_on, p.is_party_member) for p in data.partners]
        return data, residents, partners

    data, residents, partners = fingerprint()
    assert fingerprint()[1:] == (residents, partners)

    in_x = {
        id(r)
        for r in data.residents
        if r.household.unit.building.compound.community.name == "X社区"
    }
    x_residents = [r for r in data.residents if id(r) in in_x]
    assert len(x_residents) == 21235
    assert Counter(r.relation for r in x_residents)["head"] == 7191
    tags = Counter(tag.name for resident, tag in data.resident_tags if id(resident) in in_x)
    assert 0.06 <= tags["党员"] / len(x_residents) <= 0.08
    assert tags["独居老人"] > 0 and tags["高龄"] > 0 and tags["流动人口"] > 0


@pytest.mark.django_db
def test_overview_counts_only_the_chosen_community(world):
    figures = json.loads(run("overview", "--json", "--community", "X社区"))
    assert figures == figures | {
        "community": "X社区",
        "compounds": 2,
        "buildings": 3,
        "households": 4,
        "residents": 5,
        "volunteer_teams": 1,
        "volunteers": 1,
        "partners": {"neighbour": 1, "construction": 1, "team": 1},
    }
    assert json.loads(run("overview", "--json", "--community", "Y社区"))["residents"] == 1


@pytest.mark.django_db
def test_overview_refuses_an_unknown_community(world):
    with pytest.raises(CommandError, match="Z社区"):
        run("overview", "--json", "--community", "Z社区")


@pytest.mark.django_db
def test_overview_without_json_is_a_readable_summary(world):
    text = run("overview")
    assert "X社区" in text
    assert not text.lstrip().startswith("{")
