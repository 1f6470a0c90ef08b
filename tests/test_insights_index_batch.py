"""``indexes_for`` (the index of every place of a level at once) equals ``index_for`` place by
place, and its number of queries does not grow with the number of places."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.core.places import Place
from gongzhi.honours.models import Election, Participation
from gongzhi.insights.index import Period, index_for
from gongzhi.insights.index_batch import indexes_for, indexes_of_levels, places_of
from gongzhi.insights.index_store import FIELDS, stored_scopes
from gongzhi.insights.models import IndexMonth
from gongzhi.insights.rollup import roll_matters, rollup
from gongzhi.matters.models import Matter, MatterOwner
from gongzhi.mediation.models import FollowUp, MediationCase
from gongzhi.meetings import services
from gongzhi.meetings.models import ActionItem, AgendaItem, Decision, Participant, Vote
from gongzhi.places.models import Building, Community, Compound
from gongzhi.projects.models import PreVote, Project, Rating
from gongzhi.volunteering.models import Activity, ServiceRecord
from tests.factories import make_household
from tests.factories_matters import make_matter

TODAY = dt.date(2026, 6, 30)
PERIODS = [
    Period(dt.date(2026, 6, 1), TODAY),  # a month
    Period(dt.date(2026, 1, 1), TODAY),  # the year to date
    Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),  # last year: other rows, retention
    Period(dt.date(2025, 7, 1), TODAY),  # spanning both
    Period(dt.date(2010, 1, 1), dt.date(2010, 1, 31)),  # nothing at all
]
LEVELS = [None, "subdistrict", "community", "compound"]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _matters(world):
    """Matters in both communities, one anchored at the community only, some rated,
    bounced, acknowledged; a team sharing one with an organisation."""
    shared = make_matter(
        building=world.y1, reporter=world.res_a, created_at=at(dt.date(2026, 3, 1))
    )
    Matter.objects.filter(pk=shared.pk).update(
        status="closed",
        acknowledged_at=at(dt.date(2026, 3, 1), 11),
        closed_at=at(dt.date(2026, 3, 2)),
        satisfaction="basic",
        bounce_count=1,
    )
    MatterOwner.objects.create(matter=shared, team=world.team_a, assigned_at=at(TODAY))
    MatterOwner.objects.create(matter=shared, organisation=world.org_a, assigned_at=at(TODAY))
    rated = make_matter(building=world.j1, reporter=world.res_j1, created_at=at(TODAY, 8))
    Matter.objects.filter(pk=rated.pk).update(status="closed", satisfaction="satisfied")
    alone = make_matter(building=world.n1, reporter=world.res_b, created_at=at(dt.date(2026, 6, 2)))
    MatterOwner.objects.create(matter=alone, team=world.team_b, assigned_at=at(TODAY))
    make_matter(community=world.a, created_at=at(dt.date(2026, 5, 5)))
    make_matter(building=world.y2, reporter=world.res_y2, created_at=at(dt.date(2025, 2, 1)))
    make_matter(building=world.n1, created_at=at(dt.date(2025, 9, 9)), status="closed")
    return shared, rated, alone


def _served(world, day, community, compound=None, **who):
    activity = Activity.objects.create(
        title="清扫楼道",
        kind="service",
        community=community,
        compound=compound,
        organiser_team=world.team_a if community == world.a else world.team_b,
        date=day,
    )
    ServiceRecord.objects.create(
        activity=activity, minutes=60, status="approved", recorded_at=at(day), **who
    )


def _volunteering(world):
    _served(world, dt.date(2025, 10, 1), world.a, world.yujia, partner=world.p_neighbour)
    _served(world, dt.date(2025, 11, 1), world.a, world.yujia, resident=world.res_y1b)
    _served(world, dt.date(2026, 3, 1), world.a, world.yujia, partner=world.p_neighbour)
    _served(world, dt.date(2026, 6, 3), world.a, world.jinxiu, partner=world.p_construction)
    _served(world, dt.date(2025, 6, 1), world.b, resident=world.res_b)
    _served(world, dt.date(2026, 6, 5), world.b, world.jiangnan, resident=world.res_b)


def _project(world, community, compound, title, completed_on):
    return Project.objects.create(
        community=community,
        compound=compound,
        kind="micro_space",
        title=title,
        source="staff",
        stage="completed",
        proposed_at=at(dt.date(2025, 1, 5)),
        completed_on=completed_on,
    )


def _projects_and_votes(world):
    park = _project(world, world.a, world.yujia, "口袋公园", dt.date(2026, 5, 1))
    _project(world, world.a, None, "垃圾站", dt.date(2026, 6, 1))
    shed = _project(world, world.b, world.jiangnan, "车棚", dt.date(2025, 8, 1))
    Rating.objects.create(project=park, resident=world.res_j1, score=5, at=at(dt.date(2026, 6, 9)))
    Rating.objects.create(project=shed, resident=world.res_b, score=3, at=at(dt.date(2025, 9, 1)))
    PreVote.objects.create(project=shed, resident=world.res_b, choice="yes", at=at(TODAY))
    election = Election.objects.create(
        community=world.b,
        title="身边好人",
        max_choices=2,
        seats=2,
        vote_from=dt.date(2026, 6, 1),
        vote_to=dt.date(2026, 6, 20),
    )
    Participation.objects.create(election=election, resident=world.res_b, voted_on=TODAY)


def _meeting(world, place, matter=None, decided=TODAY):
    meeting = services.meeting_create(
        actor=world.users.admin,
        title="居民议事会",
        place=place,
        starts_at=timezone.now() + dt.timedelta(days=2),
    )
    scope = services.Scope.of(place)
    item = AgendaItem.objects.create(
        **scope.fields(),
        meeting=meeting,
        source="matter" if matter else "staff",
        matter=matter,
        title="停车难",
        status="decided",
    )
    decision = Decision.objects.create(
        item=item, method="consensus", outcome="adopted", text="划线", decided_at=at(decided, 9)
    )
    return meeting, item, decision


def _meetings(world, shared, rated, alone):
    meeting, item, decision = _meeting(world, world.yujia, shared)
    participant = Participant.objects.create(
        meeting=meeting, kind="resident", resident=world.res_y1b, name="赵敏", is_voter=True
    )
    Vote.objects.create(item=item, participant=participant, choice="yes", at=at(TODAY))
    due = dt.date(2026, 6, 10)
    for title, done, owner in [
        ("准时", at(due, 20), {"team": world.team_a}),
        ("晚了", at(due + dt.timedelta(days=1)), {"organisation": world.org_a}),
        ("未办", None, {"partner": world.p_team}),
    ]:
        ActionItem.objects.create(
            decision=decision,
            title=title,
            due_on=due,
            status="done" if done else "open",
            done_at=done,
            **owner,
        )
    _meeting(world, world.jinxiu, rated)
    _meeting(world, world.b, alone, decided=dt.date(2025, 12, 1))
    _, _, b_decision = _meeting(world, world.jiangnan)
    ActionItem.objects.create(
        decision=b_decision,
        title="修灯",
        team=world.team_b,
        due_on=dt.date(2026, 6, 5),
        status="done",
        done_at=at(dt.date(2026, 6, 4)),
    )


def _mediation(world):
    cases = [
        MediationCase.objects.create(
            kind="neighbour",
            description="漏水",
            community=world.a,
            compound=world.yujia,
            opened_at=at(dt.date(2026, 2, 1)),
        ),
        MediationCase.objects.create(
            kind="neighbour",
            description="噪音",
            community=world.b,
            opened_at=at(dt.date(2025, 5, 1)),
        ),
    ]
    for case, held, done in [
        (cases[0], True, dt.date(2026, 6, 20)),
        (cases[0], False, dt.date(2026, 3, 1)),
        (cases[1], True, dt.date(2025, 6, 1)),
    ]:
        FollowUp.objects.create(
            case=case,
            after_days=(done - case.opened_at.date()).days,
            due_on=done,
            done_at=at(done),
            held=held,
        )


@pytest.fixture
def busy(world):
    """The persona world with something for every indicator, in several places."""
    _meetings(world, *_matters(world))
    _volunteering(world)
    _projects_and_votes(world)
    _mediation(world)
    roll_matters(now=at(TODAY), since=None, full=True)
    return world


def _assert_equal_to_index_for(level, period):
    batch = indexes_for(level, period, today=TODAY)
    assert list(batch) == places_of(level)
    for place, result in batch.items():
        assert result == index_for(place, period, today=TODAY), (place, period)
    return batch


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.since}..{p.until}")
@pytest.mark.parametrize("level", LEVELS)
def test_batch_equals_index_for_place_by_place(busy, level, period):
    _assert_equal_to_index_for(level, period)


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.since}..{p.until}")
def test_all_levels_at_once_equal_index_for(busy, period):
    """The stored index asks every level at once: each indicator's rows are fetched once."""
    together = indexes_of_levels(LEVELS, period, today=TODAY)
    assert list(together) == [place for level in LEVELS for place in places_of(level)]
    for place, result in together.items():
        assert result == index_for(place, period, today=TODAY), (place, period)


def test_the_fixture_counts_in_several_places(busy):
    """Guard: the comparison above is not between empty indexes."""
    year = PERIODS[1]
    by_compound = indexes_for("compound", year, today=TODAY)
    yujia = by_compound[Place("compound", busy.yujia.pk)]["indicators"]
    jiangnan = by_compound[Place("compound", busy.jiangnan.pk)]["indicators"]
    for key in ("multi_actor", "participation", "actions_on_time", "mediation_held"):
        assert yujia[key]["denominator"], key
    assert jiangnan["participation"]["numerator"] == 1
    assert jiangnan["actions_on_time"] == {
        "value": 1.0,
        "numerator": 1,
        "denominator": 1,
        "weight": 1.0,
    }
    by_community = indexes_for("community", year, today=TODAY)
    community_a = by_community[Place("community", busy.a.pk)]["indicators"]
    assert community_a["connected_teams"]["value"] == 1.0


def test_weights_apply_alike(busy, settings):
    settings.GONGZHI_INDEX_WEIGHTS = {
        "indicators": {"participation": 3, "multi_actor": 0},
        "dimensions": {"action": 2},
    }
    _assert_equal_to_index_for("compound", PERIODS[1])


def test_places_without_data_get_an_empty_index(world):
    empty = Compound.objects.create(community=world.b, name="新建小区")
    result = indexes_for("compound", PERIODS[0], today=TODAY)[Place("compound", empty.pk)]
    assert result == index_for(Place("compound", empty.pk), PERIODS[0], today=TODAY)
    assert result["score"] is None
    assert all(share["denominator"] == 0 for share in result["indicators"].values())


def _more_places(world, communities: int):
    """Communities with two compounds each, a building and a household in each compound."""
    for n in range(communities):
        community = Community.objects.create(subdistrict=world.sub, name=f"扩展社区{n}")
        for m in range(2):
            compound = Compound.objects.create(community=community, name=f"小区{m}")
            building = Building.objects.create(compound=compound, name="1栋", number=1)
            make_household(building, "101")


@pytest.mark.parametrize("levels", [["community"], ["compound"], LEVELS])
def test_queries_do_not_grow_with_the_places(busy, levels):
    year = PERIODS[1]
    with CaptureQueriesContext(connection) as few:
        indexes_of_levels(levels, year, today=TODAY)
    _more_places(busy, 6)
    with CaptureQueriesContext(connection) as many:
        batch = indexes_of_levels(levels, year, today=TODAY)
    assert len(batch) > 6
    # 12 indicator queries (the ways of taking part counted in one), whatever the levels, and one
    # listing the places of each level.
    assert len(many) == len(few) == 12 + len([level for level in levels if level])


def test_rollup_stores_what_index_for_computes_for_every_scope(busy):
    today = timezone.localdate()
    rollup(now=at(today))
    scopes = stored_scopes()
    rows = IndexMonth.objects.filter(since=dt.date(today.year, 1, 1), until=today)
    assert len(rows) == len(scopes)
    stored = {row.scope: row for row in rows}
    for place in scopes:
        expected = index_for(place, Period(dt.date(today.year, 1, 1), today), today=today)
        row = stored["" if place is None else str(place)]
        assert {name: getattr(row, name) for name in FIELDS} == {
            name: expected[name] for name in FIELDS
        }


def test_households_taking_part_counted_by_the_database_equal_the_sets(busy):
    """``participating_counts_by`` (one UNION counted per place) gives the sizes of
    ``participating_households_by``'s sets (every household fetched) for every scope."""
    from gongzhi.insights.index import participating_counts_by, participating_households_by

    counted = 0
    for period in PERIODS:
        for place in (None, Place("community", busy.a.pk), Place("compound", busy.jinxiu.pk)):
            sets = participating_households_by(place, LEVELS, period)
            counts = participating_counts_by(place, LEVELS, period)
            assert counts == {scope: len(ids) for scope, ids in sets.items() if ids}, place
            counted += len(counts)
    assert counted > 10
