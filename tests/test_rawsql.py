"""``core.rawsql``: statements written once for the intake (issue 14)."""

from gongzhi.core import rawsql
from gongzhi.places.models import Building, Compound


def test_firsts_reads_the_first_row_of_each_query_in_one_statement(
    world, django_assert_num_queries
):
    with django_assert_num_queries(1):
        last, named, missing, ascending = rawsql.firsts(
            [
                (Building, "compound_id = %s", [world.yujia.pk], "ORDER BY number DESC"),
                (Compound, "community_id = %s AND name = %s", [world.a.pk, "锦绣园"], ""),
                (Building, "id = %s", [0], ""),
                (Building, "compound_id = %s", [world.yujia.pk], "ORDER BY number"),
            ]
        )
    assert (last, named, missing, ascending) == (world.y2, world.jinxiu, None, world.y1)
    # Instances as the ORM loads them: every column, saved state, the database's types.
    assert last.name == "2栋" and last.number == 2 and last.grid_id == world.grid_a2.pk
    assert not last._state.adding and last._state.db == "default"
    assert Building.objects.get(pk=last.pk).__dict__.keys() <= last.__dict__.keys()


def test_firsts_of_one_query_that_finds_nothing_is_none(world):
    assert rawsql.firsts([(Compound, "name = %s", ["没有"], "")]) == [None]
