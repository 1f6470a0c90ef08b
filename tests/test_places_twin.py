"""The Python twins of the visibility filter agree with it (issue 14's fast intake reads).

``core.scope.within`` (on a row loaded with its place chain by ``places.chain``) must keep
exactly the rows ``core.scope.restrict`` keeps, for every place of every level and every
persona's registry and directory reach: the intake checks its place and its reporter with the
twin instead of compiling the filter.
"""

import pytest

from gongzhi.core import rawsql
from gongzhi.core.places import Place
from gongzhi.core.scope import (
    EVERYWHERE,
    NOWHERE,
    Reach,
    directory_reach,
    registry_reach,
    restrict,
    within,
)
from gongzhi.insights.rules import LEVEL_MODELS as PLACE_LEVEL_MODELS
from gongzhi.people.models import Resident
from gongzhi.places import chain
from gongzhi.places.models import (
    Building,
    Community,
    Compound,
    Household,
)

LEVEL_MODELS = {**PLACE_LEVEL_MODELS, "household": Household}


def _reaches(world) -> list[Reach]:
    reaches = [EVERYWHERE, NOWHERE]
    for level, model in LEVEL_MODELS.items():
        reaches += [
            Reach(place=Place(level, pk)) for pk in model.objects.values_list("pk", flat=True)
        ]
    reaches.append(Reach(place=Place("building", 10**9)))  # a place that does not exist
    for user in vars(world.users).values():
        reaches += [registry_reach(user), directory_reach(user)]
    return reaches


@pytest.mark.django_db
def test_within_agrees_with_restrict_for_every_place_and_reach(world):
    rows = [
        (level, model, pk)
        for level, model in (
            ("community", Community),
            ("compound", Compound),
            ("building", Building),
            ("household", Household),
        )
        for pk in model.objects.values_list("pk", flat=True)
    ]
    checked = 0
    for reach in _reaches(world):
        for level, model, pk in rows:
            loaded = chain.with_ancestors(level, pk)
            expected = restrict(model.objects.all(), reach).filter(pk=pk).exists()
            assert within(reach, loaded) is expected, (reach, level, pk)
            checked += 1
        for resident in Resident.objects.values_list("pk", flat=True):
            loaded = chain.with_ancestors("household", resident, below=(Resident, "household"))
            expected = restrict(Resident.objects.all(), reach).filter(pk=resident).exists()
            assert within(reach, loaded) is expected, (reach, "resident", resident)
            checked += 1
    assert checked > 500


@pytest.mark.django_db
def test_chain_loads_the_row_and_its_places_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        household = chain.with_ancestors("household", world.h_y2.pk)
        assert household.unit.building.compound.community.name == "X社区"
        assert household.unit.building.grid_id == world.grid_a2.pk
    phone = Resident.objects.get(pk=world.res_j1.pk).phone
    with django_assert_num_queries(1):
        resident = chain.with_ancestors("household", world.res_j1.pk, below=(Resident, "household"))
        # decrypted as the ORM gives it, and linked up to the community
        assert resident.phone == phone
        assert resident.household.unit.building.compound == world.jinxiu
    assert chain.with_ancestors("building", 10**9) is None


@pytest.mark.django_db
def test_several_chains_share_one_statement_and_a_missing_one_hides_no_other(
    world, django_assert_num_queries
):
    """``each_with_ancestors``: a submit's place and reporter in one statement; each read is
    its own chain of outer joins, so one that finds nothing is None and the others load."""
    below = (Resident, "household")
    with django_assert_num_queries(1):
        building, resident, missing, community = chain.each_with_ancestors(
            [
                ("building", world.y1.pk, None),
                ("household", world.res_j1.pk, below),
                ("household", 10**9, below),
                ("community", world.b.pk, None),
            ]
        )
        # each linked up to its community, as select_related gives them: no more queries
        assert building.compound.community == world.a
        assert resident.household.unit.building.compound == world.jinxiu
        assert community == world.b
    assert missing is None
    assert building == world.y1 and resident == world.res_j1
    assert (
        chain.each_with_ancestors([("building", 10**9, None), ("compound", world.yujia.pk, None)])[
            1
        ].community
        == world.a
    )


@pytest.mark.django_db
def test_rawsql_loads_what_the_orm_loads(world):
    """Every column of every loaded row equals the ORM's value (converters applied)."""
    for model in (Resident, Household, Building, Community):
        for obj in model.objects.all():
            (raw,) = rawsql.rows(model, "id = %s", [obj.pk])
            for field in model._meta.concrete_fields:
                assert getattr(raw, field.attname) == getattr(obj, field.attname), field
