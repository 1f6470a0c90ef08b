"""``core.rawsql``: statements written once for the intake (issue 14)."""

import pytest

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


def test_a_loaded_row_equals_the_orms_and_init_listeners_still_hear_of_it(world):
    """Rows load without ``Model.__init__`` when it would only store the values; a model
    whose init someone listens to (or with its own column descriptors, like files) goes
    through ``from_db`` as the ORM does."""
    from django.db.models.signals import post_init

    (raw,) = rawsql.rows(Building, "id = %s", [world.y1.pk])
    orm = Building.objects.get(pk=world.y1.pk)
    assert raw.__dict__.keys() == orm.__dict__.keys()
    assert all(raw.__dict__[k] == orm.__dict__[k] for k in orm.__dict__ if k != "_state")
    assert (raw._state.adding, raw._state.db) == (False, "default")
    assert raw.compound == world.yujia  # the foreign key's object loads on access, as usual
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.pk)

    post_init.connect(listener, sender=Building)
    try:
        (again,) = rawsql.rows(Building, "id = %s", [world.y1.pk])
    finally:
        post_init.disconnect(listener, sender=Building)
    assert heard == [world.y1.pk] and again == raw
    from gongzhi.matters.models import MatterPhoto

    fields = [f.attname for f in MatterPhoto._meta.concrete_fields]
    assert rawsql._plain_init(Building, [f.attname for f in Building._meta.concrete_fields])
    assert not rawsql._plain_init(MatterPhoto, fields)  # its FileField's descriptor


def test_firsts_of_one_query_that_finds_nothing_is_none(world):
    assert rawsql.firsts([(Compound, "name = %s", ["没有"], "")]) == [None]


def test_inserts_fill_in_the_ids_of_earlier_groups_when_they_run(world, django_assert_num_queries):
    """Values are prepared when ``Inserts`` is made; ``run`` sends one statement per group (on
    PostgreSQL one for all) and gives the rows of later groups the ids of the earlier ones,
    keeping them linked."""
    compound = Compound(community=world.a, name="新小区")
    buildings = [Building(compound=compound, name=f"{n}栋", number=n) for n in (1, 2)]
    rows = rawsql.Inserts([[compound], buildings])
    assert compound.pk is None and not Compound.objects.filter(name="新小区").exists()
    from django.db import connection

    # PostgreSQL: both groups in one statement (``Inserts.single``), atomic by itself.
    with django_assert_num_queries(2 if connection.vendor == "sqlite" else 1):
        rows.run()
    assert compound.pk is not None and not compound._state.adding
    for building in buildings:
        assert building.compound_id == compound.pk and building.compound is compound
    saved = Building.objects.filter(compound=compound).order_by("number")
    assert [(b.pk, b.name) for b in saved] == [(b.pk, b.name) for b in buildings]


def test_inserts_refuse_an_unsaved_related_instance_as_save_does(world):
    compound = Compound(community=world.a, name="新小区")
    with pytest.raises(ValueError, match="unsaved related object 'compound'"):
        rawsql.Inserts([[Building(compound=compound, name="1栋", number=1)]])
    with pytest.raises(ValueError, match="new instances of one model"):
        rawsql.Inserts([[compound, Building(compound=world.yujia, name="9栋", number=9)]])


def test_on_postgresql_the_statements_are_prepared_once_per_connection(world):
    """PostgreSQL parses and plans a statement of these helpers once per connection (a
    prepared statement), not at every request; Django's own queries stay unprepared."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    query = ("compound_id = %s", [world.yujia.pk], "ORDER BY number DESC")
    for _ in range(3):
        assert rawsql.firsts([(Building, *query)]) == [world.y2]
    list(Building.objects.filter(name="没有这栋楼"))
    statements = prepared()
    ours = [s for s in statements if "ORDER BY number DESC LIMIT 1" in s]
    assert len(ours) == 1, statements
    assert not any("没有这栋楼" in s for s in statements)


def test_on_postgresql_a_refused_row_leaves_none_of_the_others(world):
    """All the groups in one statement: a row the database refuses (here a building name
    taken twice in its compound) leaves no row of the statement behind, as one transaction."""
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("one statement for all the groups is PostgreSQL's")
    compound = Compound(community=world.a, name="新小区")
    twins = [Building(compound=compound, name="1栋", number=n) for n in (1, 2)]
    rows = rawsql.Inserts([[compound], twins])
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.run()
    assert not Compound.objects.filter(name="新小区").exists()
    assert compound.pk is None and all(b.pk is None for b in twins)
