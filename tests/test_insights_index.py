"""Each index indicator on a small hand-built fixture with a known answer, and the weights."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from gongzhi.core.places import Place
from gongzhi.insights import index
from gongzhi.insights.index import Period, combine, index_for
from gongzhi.insights.rollup import rollup
from gongzhi.matters.models import Matter, MatterOwner
from gongzhi.mediation.models import FollowUp, MediationCase
from gongzhi.meetings.models import ActionItem, AgendaItem, Decision
from gongzhi.projects.models import Project, Rating
from gongzhi.volunteering.models import Activity, ServiceRecord
from tests.factories_matters import make_matter
from tests.factories_meetings import make_meeting

TODAY = dt.date(2026, 6, 30)
PERIOD = Period(dt.date(2026, 1, 1), TODAY)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def whole(indicator, place, *args):
    """An indicator (``index.<key>_by``) for the whole of ``place``, as ``index_for`` asks."""
    return indicator(place, index.WHOLE, *args)[None]


@pytest.fixture
def a(world):
    return Place("community", world.a.pk)


def test_neighbour_buildings_counts_buildings_with_an_active_neighbour_partner(world, a):
    # Community A has three buildings; only 渔家苑 1栋 has a neighbour partner.
    assert whole(index.neighbour_buildings_by, a) == {
        "value": 0.3333,
        "numerator": 1,
        "denominator": 3,
    }
    world.p_neighbour.status = "left"
    world.p_neighbour.save()
    assert whole(index.neighbour_buildings_by, a)["numerator"] == 0


def test_connected_teams_need_a_shared_matter_in_the_period(world, a):
    assert whole(index.connected_teams_by, a, PERIOD) == {
        "value": 0.0,
        "numerator": 0,
        "denominator": 1,
    }
    matter = make_matter(building=world.y1, created_at=at(dt.date(2026, 3, 1)))
    MatterOwner.objects.create(matter=matter, team=world.team_a, assigned_at=at(TODAY))
    assert whole(index.connected_teams_by, a, PERIOD)["numerator"] == 0  # alone on it
    MatterOwner.objects.create(matter=matter, organisation=world.org_a, assigned_at=at(TODAY))
    assert whole(index.connected_teams_by, a, PERIOD)["value"] == 1.0
    assert whole(index.connected_teams_by, a, Period(dt.date(2026, 4, 1), TODAY))["value"] == 0.0


def _project(world, title, completed_on, **fields):
    return Project.objects.create(
        community=world.a,
        compound=world.yujia,
        kind="micro_space",
        title=title,
        source="staff",
        stage=fields.pop("stage", "completed"),
        proposed_at=at(dt.date(2026, 1, 5)),
        completed_on=completed_on,
        **fields,
    )


def test_participation_counts_households_by_any_way_of_taking_part(world, a):
    make_matter(building=world.y1, reporter=world.res_a, created_at=at(dt.date(2026, 2, 1)))
    make_matter(building=world.y2, reporter=world.res_y2, created_at=at(dt.date(2025, 2, 1)))
    project = _project(world, "口袋公园", dt.date(2026, 5, 1))
    Rating.objects.create(project=project, resident=world.res_j1, score=5, at=at(TODAY))
    rollup(now=at(TODAY))
    # 王建国's household reported, 周芳's rated; 孙立 reported last year. A has 4 households.
    assert whole(index.participation_by, a, PERIOD) == {
        "value": 0.5,
        "numerator": 2,
        "denominator": 4,
    }
    assert whole(index.participation_by, Place("compound", world.jinxiu.pk), PERIOD)["value"] == 1.0


def _served(world, day, *, partner=None, resident=None):
    activity = Activity.objects.create(
        title="清扫楼道",
        kind="service",
        community=world.a,
        compound=world.yujia,
        organiser_team=world.team_a,
        date=day,
    )
    ServiceRecord.objects.create(
        activity=activity,
        partner=partner,
        resident=resident,
        minutes=60,
        status="approved",
        recorded_at=at(day),
    )


def test_volunteer_retention_follows_last_half_years_volunteers(world, a):
    _served(world, dt.date(2025, 10, 1), partner=world.p_neighbour)
    _served(world, dt.date(2025, 11, 1), resident=world.res_y1b)
    _served(world, dt.date(2026, 3, 1), partner=world.p_neighbour)
    _served(world, dt.date(2026, 3, 1), resident=world.res_j1)  # new, not in the cohort
    assert whole(index.volunteer_retention_by, a, PERIOD) == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
    }


def _decision(world, matter=None):
    meeting = make_meeting(world)
    item = AgendaItem.objects.create(
        community=world.a,
        meeting=meeting,
        source="matter" if matter else "staff",
        matter=matter,
        title="停车难",
        status="decided",
    )
    return Decision.objects.create(
        item=item, method="consensus", outcome="adopted", text="划线", decided_at=at(TODAY, 9)
    )


def test_actions_on_time_count_done_by_the_deadline_day(world, a):
    decision = _decision(world)
    due = dt.date(2026, 6, 10)
    for title, done in [
        ("准时", at(due, 20)),
        ("晚了", at(due + dt.timedelta(days=1))),
        ("未办", None),
    ]:
        ActionItem.objects.create(
            decision=decision,
            title=title,
            team=world.team_a,
            due_on=due,
            status="done" if done else "open",
            done_at=done,
        )
    ActionItem.objects.create(decision=decision, title="未到期", team=world.team_a, due_on=TODAY)
    assert whole(index.actions_on_time_by, a, PERIOD, TODAY) == {
        "value": 0.3333,
        "numerator": 1,
        "denominator": 3,
    }


def test_meeting_feedback_counts_decided_matters_closed_and_rated(world, a):
    rated = make_matter(building=world.y1, created_at=at(dt.date(2026, 5, 1)))
    Matter.objects.filter(pk=rated.pk).update(status="closed", satisfaction="satisfied")
    open_matter = make_matter(building=world.y2, created_at=at(dt.date(2026, 5, 1)))
    _decision(world, rated)
    _decision(world, open_matter)
    assert whole(index.meeting_feedback_by, a, PERIOD) == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
    }


def test_mediation_held_counts_follow_up_visits(world, a):
    case = MediationCase.objects.create(
        kind="neighbour", description="漏水", community=world.a, opened_at=at(dt.date(2026, 2, 1))
    )
    for held, days in [(True, 7), (False, 30)]:
        FollowUp.objects.create(
            case=case,
            after_days=days,
            due_on=dt.date(2026, 3, 1),
            done_at=at(dt.date(2026, 3, 1)),
            held=held,
        )
    FollowUp.objects.create(case=case, after_days=60, due_on=dt.date(2026, 4, 1))
    assert whole(index.mediation_held_by, a, PERIOD) == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
    }


def test_projects_evaluated_counts_completed_projects_with_ratings(world, a):
    rated = _project(world, "非机动车棚", dt.date(2026, 3, 1), stage="post_evaluation")
    _project(world, "垃圾站", dt.date(2026, 4, 1))
    _project(world, "去年的", dt.date(2025, 4, 1))
    Rating.objects.create(project=rated, resident=world.res_a, score=4, at=at(TODAY))
    assert whole(index.projects_evaluated_by, a, PERIOD) == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
    }


def test_matter_indicators_read_the_rollup(world, a):
    made = make_matter(building=world.y1, created_at=at(dt.date(2026, 3, 1)))
    Matter.objects.filter(pk=made.pk).update(
        status="closed",
        acknowledged_at=at(dt.date(2026, 3, 1), 11),
        closed_at=at(dt.date(2026, 3, 2)),
        satisfaction="basic",
        bounce_count=1,
    )
    make_matter(building=world.y2, created_at=at(dt.date(2026, 3, 1)))
    result = index_for(a, PERIOD, today=TODAY)["indicators"]
    assert result["satisfaction"]["denominator"] == 0  # no rollup yet: nothing counted
    rollup(now=at(TODAY))
    result = index_for(a, PERIOD, today=TODAY)["indicators"]
    assert result["satisfaction"]["value"] == 0.9
    assert result["not_bounced"] == {"value": 0.5, "numerator": 1, "denominator": 2, "weight": 1.0}
    assert result["ack_on_time"] == {"value": 0.5, "numerator": 1, "denominator": 2, "weight": 1.0}
    assert result["multi_actor"]["value"] == 0.0


def _indicators(**values):
    return {key: {"value": values.get(key)} for key in index.INDICATOR_KEYS}


def test_dimensions_are_weighted_means_and_skip_missing_indicators(settings):
    values = _indicators(multi_actor=1.0, neighbour_buildings=0.5, ack_on_time=0.8)
    result = combine(values)
    # subjects: (1 + 0.5) / 2; responsibility: only ack_on_time; goals and action: nothing.
    assert result == {
        "score": 77.5,
        "subjects": 75.0,
        "responsibility": 80.0,
        "goals": None,
        "action": None,
    }
    settings.GONGZHI_INDEX_WEIGHTS = {
        "indicators": {"multi_actor": 3},
        "dimensions": {"responsibility": 0},
    }
    assert combine(values) == {
        "score": 87.5,
        "subjects": 87.5,
        "responsibility": 80.0,
        "goals": None,
        "action": None,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"indicator": {}},
        {"indicators": {"nonsense": 1}},
        {"indicators": {"multi_actor": -1}},
        {"dimensions": {"goals": "high"}},
        [],
    ],
)
def test_bad_weights_are_refused(settings, bad):
    settings.GONGZHI_INDEX_WEIGHTS = bad
    with pytest.raises(ImproperlyConfigured):
        index.weights()


def test_index_is_in_the_overview(world):
    from gongzhi.core.overview import overview

    data = overview(community=world.a)
    assert set(data["index"]) == {"score", "subjects", "responsibility", "goals", "action"}
    today = timezone.localdate()
    expected = index_for(
        Place("community", world.a.pk), Period(today.replace(month=1, day=1), today)
    )
    assert data["index"]["score"] == expected["score"]
    assert data["index"]["subjects"] == expected["subjects"]
