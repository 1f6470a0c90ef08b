"""Honours on the shared toolkit (issue 13): the services are a package by sub-domain, an
election's history carries the moment given and is append-only in the database, the row is
locked before the permission is checked, control characters never reach a nomination, and a
huge candidate id is a clear refusal, never a 500 (issue 12)."""

import ast
import datetime as dt
import pathlib

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from gongzhi.honours import services
from gongzhi.honours.models import Election, ElectionEvent, ElectionStatus
from gongzhi.honours.services import HonoursError
from tests.conftest import login
from tests.helpers import new_election, voter, voting_election

T0 = timezone.make_aware(dt.datetime(2026, 9, 1, 8, 0))
PACKAGE = pathlib.Path(services.__file__).parent


def test_the_services_are_split_by_sub_domain_and_no_module_imports_the_package():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == [
        "__init__.py",
        "common.py",
        "elections.py",
        "rolls.py",
        "talent.py",
    ]
    for path in PACKAGE.glob("*.py"):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "gongzhi.honours.services", path.name
                assert not (
                    node.module == "gongzhi.honours"
                    and "services" in {alias.name for alias in node.names}
                ), path.name
    # The public names are where they always were.
    assert services.election_publish.__module__ == "gongzhi.honours.services.elections"
    assert services.roll_publish.__module__ == "gongzhi.honours.services.rolls"
    assert services.talent_add.__module__ == "gongzhi.honours.services.talent"


def test_history_carries_the_moment_given(world):
    staff = world.users.staff_a
    election = new_election(world, now=T0)
    services.candidate_nominate(
        election=election, name="张三", category="helping", deeds="助人为乐", actor=staff
    )
    services.election_start_screening(
        election=election, actor=staff, now=T0 + dt.timedelta(hours=2)
    )
    rows = list(election.events.values_list("action", "at", "from_status", "to_status", "actor"))
    assert rows == [
        ("create", T0, "", "nomination", staff.pk),
        ("start_screening", T0 + dt.timedelta(hours=2), "nomination", "screening", staff.pk),
    ]


def test_election_history_is_append_only(world):
    election = new_election(world)
    event = election.events.get()

    def refused(write):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            write()

    refused(lambda: ElectionEvent.objects.filter(pk=event.pk).update(note="改写"))
    refused(lambda: ElectionEvent.objects.filter(pk=event.pk).update(to_status="published"))
    refused(lambda: ElectionEvent.objects.filter(pk=event.pk).delete())
    refused(lambda: Election.objects.filter(pk=election.pk).delete())
    event.refresh_from_db()
    assert (event.action, event.to_status, event.note) == ("create", "nomination", "")


def test_permission_is_checked_on_the_locked_row_before_the_state(world):
    # staff_b runs no election of community A: refused as forbidden whatever the state, and
    # nothing is written.
    election = new_election(world)
    for service in (services.election_start_screening, services.election_open_voting):
        with pytest.raises(HonoursError) as refused:
            service(election=election, actor=world.users.staff_b)
        assert refused.value.code == "forbidden" and refused.value.status == 403
    election.refresh_from_db()
    assert election.status == ElectionStatus.NOMINATION
    assert election.events.count() == 1


def test_control_characters_are_cleaned_on_the_page_and_in_the_service(client, world):
    election = new_election(world)
    login(client, world.users.staff_a)
    client.post(
        f"/honours/elections/{election.pk}/nominate/",
        {"name": "张\x07三", "category": "helping", "deeds": "助人\x1b为乐"},
    )
    services.candidate_nominate(
        election=election,
        name="李\x00四",
        category="bravery",
        deeds="见义\x7f勇为",
        actor=world.users.staff_a,
    )
    assert set(election.candidates.values_list("name", "deeds")) == {
        ("张三", "助人为乐"),
        ("李四", "见义勇为"),
    }


def test_a_huge_candidate_id_is_refused_not_a_500(client, world):
    today = timezone.localdate()
    election, _candidates = voting_election(
        world, vote_from=today - dt.timedelta(days=1), vote_to=today + dt.timedelta(days=1)
    )
    user = voter(world, "钱七", "209")
    login(client, user)
    url = f"/api/v1/honours/elections/{election.pk}/vote"
    for choices in ([99999999999999999999], [2**63], [-1]):
        response = client.post(url, {"choices": choices}, content_type="application/json")
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid_choices"
    assert not election.participations.exists()
