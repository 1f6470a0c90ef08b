"""`gongzhi generate_district`: counts, histories that obey the state machine, determinism,
refusal on a second run. Tiny runs: 2 communities, 200 matters each, 4 households a building."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.matters.models import Matter, MatterEvent, MatterOwner, MatterReporter, Status
from gongzhi.partners.models import Partner, PartnerKind, Team
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Household, Subdistrict
from tests.demo_checks import documented_steps, replay_errors

pytestmark = pytest.mark.django_db(transaction=False)

SMALL = {"communities": 2, "matters_per_community": 200, "households_per_building": 4}


def generate(name: str, seed: int = 5) -> str:
    out = io.StringIO()
    call_command("generate_district", subdistrict=name, seed=seed, stdout=out, **SMALL)
    return out.getvalue()


def snapshot(name: str) -> dict:
    """The generated content without ids, community by community in creation order (workers
    interleave the ids of different communities, never those of one)."""
    sub = Subdistrict.objects.get(name=name)
    matters = Matter.objects.filter(community__subdistrict=sub).order_by("community__name", "pk")
    return {
        "communities": list(sub.communities.order_by("name").values_list("name", flat=True)),
        "residents": list(
            Resident.objects.filter(household__unit__building__compound__community__subdistrict=sub)
            .order_by("household__unit__building__compound__community__name", "pk")
            .values_list("name", "gender", "birth_date", "relation")
        ),
        "matters": list(
            matters.values_list(
                "text", "category", "tier", "channel", "status", "created_at", "closed_at"
            )
        ),
        "events": list(
            MatterEvent.objects.filter(matter__in=matters)
            .order_by("matter__community__name", "pk")
            .values_list("action", "from_status", "to_status", "at")
        ),
    }


def test_counts_and_histories():
    out = generate("测试街道")
    sub = Subdistrict.objects.get(name="测试街道")
    communities = Community.objects.filter(subdistrict=sub)
    assert communities.count() == 2
    assert Building.objects.filter(compound__community__subdistrict=sub).count() == 140
    households = Household.objects.filter(unit__building__compound__community__subdistrict=sub)
    assert 140 * 3 <= households.count() <= 140 * 8
    residents = Resident.objects.filter(household__in=households)
    assert 2 * households.count() <= residents.count() <= 4 * households.count()
    # One head per household; no personal data in scale data.
    assert residents.filter(relation="head").count() == households.count()
    assert not residents.exclude(id_number="").exists()
    assert not residents.exclude(phone="").exists()

    matters = Matter.objects.filter(community__subdistrict=sub)
    assert matters.count() == 400
    per_community = matters.values("community").annotate(n=Count("pk"))
    assert sorted(row["n"] for row in per_community) == [200, 200]
    assert MatterReporter.objects.filter(matter__in=matters).count() >= 400
    assert MatterOwner.objects.filter(matter__in=matters).exists()
    assert matters.filter(status=Status.CLOSED).count() > 200
    assert matters.exclude(satisfaction="").exists()
    assert Partner.objects.filter(community__in=communities, kind=PartnerKind.NEIGHBOUR).exists()
    assert Team.objects.filter(community__in=communities).count() == 24
    assert Profile.objects.filter(role=UserRole.SUBDISTRICT_OFFICIAL, subdistrict=sub).count() == 1

    # Every matter starts with "submit"; every history obeys docs/matters.md.
    events = MatterEvent.objects.filter(matter__in=matters)
    firsts = {}
    for matter_id, action in events.order_by("matter_id", "at", "id").values_list(
        "matter_id", "action"
    ):
        firsts.setdefault(matter_id, action)
    assert len(firsts) == 400 and set(firsts.values()) == {"submit"}
    rows = events.order_by("matter_id", "at", "id").values_list(
        "matter_id", "from_status", "to_status", "action"
    )
    assert replay_errors(rows.iterator(), documented_steps()) == []
    # The final status of each matter is the last event's.
    last = dict(rows.values_list("matter_id", "to_status"))
    assert last == dict(matters.values_list("pk", "status"))
    assert out.strip()


def test_same_seed_same_data_other_seed_other_data():
    generate("甲街道", seed=9)
    generate("乙街道", seed=9)
    generate("丙街道", seed=10)
    first, second, other = snapshot("甲街道"), snapshot("乙街道"), snapshot("丙街道")
    assert first == second
    assert first["matters"] != other["matters"]
    assert first["residents"] != other["residents"]


def test_refuses_to_run_twice_and_changes_nothing():
    generate("重复街道")
    before = (Matter.objects.count(), Resident.objects.count(), Community.objects.count())
    with pytest.raises(CommandError, match="重复街道"):
        generate("重复街道")
    assert (Matter.objects.count(), Resident.objects.count(), Community.objects.count()) == before


def test_bad_options_are_refused():
    with pytest.raises(CommandError):
        call_command("generate_district", communities=0, stdout=io.StringIO())
    with pytest.raises(CommandError, match="工作进程"):
        call_command("generate_district", communities=1, workers=0, stdout=io.StringIO())
    assert not Subdistrict.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_workers_write_the_same_communities_as_one_process():
    """Several processes (PostgreSQL only) give the same rows as one, ids aside; elsewhere, or
    inside a transaction, more than one worker is refused before anything is written."""
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("generate_district", workers=2, stdout=io.StringIO(), **SMALL)
        assert not Subdistrict.objects.exists()
        return
    call_command("generate_district", subdistrict="一街道", seed=3, stdout=io.StringIO(), **SMALL)
    call_command(
        "generate_district", subdistrict="二街道", seed=3, workers=2, stdout=io.StringIO(), **SMALL
    )
    assert snapshot("一街道") == snapshot("二街道")
