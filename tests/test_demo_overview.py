"""The demo's building blocks without seeding it: the build is deterministic and plausible,
and the ``overview`` command counts the chosen community only (on the persona world)."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gongzhi.demo.seed import build_demo, lookups
from gongzhi.places.models import Subdistrict


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


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
