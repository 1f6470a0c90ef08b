"""The X-community demo, seeded once for the module: the paper's figures exactly, realistic
people and places, the logins, and a year of matters, meetings and mediation — one test per
feature. The demo is seeded in a transaction the module rolls back at its end; every test runs
in a savepoint inside it (pytest-django's ``django_db``), so a test's own writes do not reach the
next. The tests that need no demo (the build's determinism, the overview on the persona world)
are in tests/test_demo_overview.py."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.test import override_settings

from gongzhi.accounts.models import Profile
from gongzhi.core.identity import birth_date_from_id, gender_from_id, normalize_id_number
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


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """``seed_demo`` once for the module, in a transaction rolled back after its last test."""
    # The hashers of the tests (conftest's _fast_password_hashing is per test, this is earlier).
    hashers = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), hashers:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield run("seed_demo")
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


pytestmark = pytest.mark.django_db


def test_seed_demo_prints_the_logins_and_a_second_run_adds_nothing(seeded):
    assert "演示数据载入完毕" in seeded
    assert "gongzhi-demo" in seeded
    # Running again (here through `gongzhi demo --no-serve`) adds nothing.
    before = row_counts()
    again = run("demo", "--no-serve")
    assert "演示数据已载入过" in again
    assert "http://127.0.0.1:8000/" in again
    assert row_counts() == before


def test_the_overview_has_the_papers_figures(seeded):
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
    # The default community is X社区 even though Y社区 exists too.
    assert json.loads(run("overview", "--json")) == figures


def test_households_have_one_head_and_every_id_number_is_valid(seeded):
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


def test_every_building_has_a_grid_and_a_building_leader(seeded):
    # Every building of X社区 has a grid and a 楼栋长 among its neighbour partners.
    x_buildings = Building.objects.filter(compound__community__name="X社区")
    assert not x_buildings.filter(grid__isnull=True).exists()
    assert not x_buildings.exclude(partners__roles__name="楼栋长").exists()


def test_every_demo_login_signs_in_and_finds_something_to_do(seeded):
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


def test_a_year_of_matters(seeded):
    check_demo_matters("X社区")  # tests/demo_checks.py
    assert Matter.objects.filter(community__name="Y社区").exists()


def test_a_year_of_meetings_and_mediation(seeded):
    check_demo_action("X社区")  # tests/demo_checks.py
