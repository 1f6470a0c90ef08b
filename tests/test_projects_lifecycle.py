"""Micro-projects: the stage machine per persona, pre-evaluation votes, post-evaluation ratings,
wishes and scope isolation."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongzhi.core.overview import SECTIONS
from gongzhi.core.places import Place
from gongzhi.experiences.overview import experiences_section
from gongzhi.partners.models import Role
from gongzhi.projects import selectors, services
from gongzhi.projects.models import (
    Kind,
    PreVote,
    Project,
    Rating,
    Source,
    Stage,
    SupervisionLog,
    Wish,
    WishStatus,
)
from gongzhi.projects.overview import projects_section
from tests.factories import make_user
from tests.helpers import propose, refused, to_stage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_whole_lifecycle_records_tally_and_satisfaction(world):
    project = propose(world)
    assert project.source == Source.STAFF and project.stage == Stage.PROPOSED
    project = services.project_open_pre_evaluation(actor=world.users.staff_a, project=project)
    services.project_vote(
        actor=world.users.resident_a, project=project, choice="support", comment="早该建了"
    )
    spouse = make_user("spouse", role="resident", community=world.a, resident=world.res_a_spouse)
    services.project_vote(actor=spouse, project=project, choice="oppose", comment="占地方")
    project = services.project_decide(
        actor=world.users.staff_a,
        project=project,
        approve=True,
        reasoning="支持与反对各一，安全优先",
    )
    assert (project.stage, project.votes_support, project.votes_oppose) == ("approved", 1, 1)
    # The planner (partner_a is 王建国's partner account) starts and supervises.
    project = services.project_start(actor=world.users.partner_a, project=project)
    log = services.project_log_supervision(
        actor=world.users.partner_a,
        project=project,
        inspected_on=timezone.localdate(),
        progress=60,
        problems="雨棚立柱未做防锈",
        photos=[SimpleUploadedFile("a.png", PNG, content_type="image/png")],
    )
    assert log.photos.count() == 1
    project.refresh_from_db()
    assert project.progress == 60
    project = services.project_complete(actor=world.users.staff_a, project=project)
    project = services.project_open_post_evaluation(actor=world.users.staff_a, project=project)
    services.project_rate(actor=world.users.resident_a, project=project, score=5, comment="好")
    services.project_rate(actor=spouse, project=project, score="3")
    project = services.project_close(actor=world.users.staff_a, project=project)
    assert project.stage == Stage.CLOSED
    assert project.rating_count == 2
    assert str(project.rating_average) == "4.00"
    assert str(project.satisfaction) == "0.500"
    actions = list(project.events.values_list("action", flat=True))
    assert actions == [
        "propose", "open_pre_evaluation", "approve", "start", "supervise", "complete",
        "open_post_evaluation", "close",
    ]  # fmt: skip


@pytest.mark.parametrize("persona", ["resident_a", "partner_a", "grid_a1", "staff_b", "official"])
def test_only_community_staff_run_the_stages(world, persona):
    project = propose(world)
    user = getattr(world.users, persona)
    refused("forbidden", services.project_open_pre_evaluation, actor=user, project=project)
    refused("forbidden", propose, world=world, actor=user)
    project.refresh_from_db()
    assert project.stage == Stage.PROPOSED


def _state(project):
    project.refresh_from_db()
    return (
        project.stage,
        project.decision_note,
        project.decided_by,
        project.decided_at,
        project.started_on,
        project.completed_on,
        project.progress,
        project.closed_at,
        list(project.events.values_list("action", flat=True)),
    )


def test_admin_may_run_stages_and_wrong_order_is_refused(world):
    admin = world.users.admin
    t0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    project = propose(world, now=t0)
    # Every step out of order is refused with bad_stage and changes nothing, at every stage.
    wrong_order = {
        Stage.PROPOSED: [
            (services.project_decide, {"approve": True, "reasoning": "x"}),
            (services.project_start, {}),
            (services.project_complete, {}),
            (services.project_open_post_evaluation, {}),
            (services.project_close, {}),
        ],
        Stage.PRE_EVALUATION: [
            (services.project_open_pre_evaluation, {}),
            (services.project_start, {}),
            (services.project_complete, {}),
            (services.project_close, {}),
        ],
        Stage.APPROVED: [
            (services.project_decide, {"approve": False, "reasoning": "x"}),
            (services.project_complete, {}),
            (services.project_open_post_evaluation, {}),
        ],
        Stage.IN_PROGRESS: [
            (services.project_start, {}),
            (services.project_open_post_evaluation, {}),
            (services.project_close, {}),
        ],
        Stage.COMPLETED: [
            (services.project_complete, {}),
            (services.project_close, {}),
        ],
        Stage.POST_EVALUATION: [
            (services.project_open_post_evaluation, {}),
            (services.project_open_pre_evaluation, {}),
        ],
        Stage.CLOSED: [
            (services.project_close, {}),
            (services.project_open_pre_evaluation, {}),
            (services.project_start, {}),
        ],
    }

    def refuse_wrong_order(project):
        before = _state(project)
        for fn, kw in wrong_order[before[0]]:
            err = refused("bad_stage", fn, actor=admin, project=project, **kw)
            assert err.status == 409
            assert _state(project) == before, fn.__name__

    err = refused(
        "bad_stage",
        services.project_decide,
        actor=admin,
        project=project,
        approve=True,
        reasoning="x",
    )
    assert err.status == 409 and "已提议" in err.message
    refuse_wrong_order(project)
    assert _state(project) == (Stage.PROPOSED, "", None, None, None, None, 0, None, ["propose"])

    def step(fn, action, from_stage, to_stage, minutes, **kw):
        moved = fn(actor=admin, project=project, now=t0 + dt.timedelta(minutes=minutes), **kw)
        moved.refresh_from_db()
        assert moved.stage == to_stage
        last = moved.events.last()
        assert (last.action, last.actor, last.from_status, last.to_status, last.at) == (
            action,
            admin,
            from_stage,
            to_stage,
            t0 + dt.timedelta(minutes=minutes),
        )
        refuse_wrong_order(moved)
        return moved

    project = step(
        services.project_open_pre_evaluation,
        "open_pre_evaluation",
        Stage.PROPOSED,
        Stage.PRE_EVALUATION,
        1,
    )
    project = step(
        services.project_decide,
        "approve",
        Stage.PRE_EVALUATION,
        Stage.APPROVED,
        2,
        approve=True,
        reasoning="无人反对",
    )
    assert (project.decision_note, project.decided_by, project.decided_at) == (
        "无人反对",
        admin,
        t0 + dt.timedelta(minutes=2),
    )
    assert (project.votes_support, project.votes_oppose) == (0, 0)
    project = step(
        services.project_start,
        "start",
        Stage.APPROVED,
        Stage.IN_PROGRESS,
        3,
        started_on=dt.date(2026, 3, 5),
    )
    assert project.started_on == dt.date(2026, 3, 5)
    project = step(services.project_complete, "complete", Stage.IN_PROGRESS, Stage.COMPLETED, 4)
    assert (project.completed_on, project.progress) == (dt.date(2026, 3, 2), 100)
    project = step(
        services.project_open_post_evaluation,
        "open_post_evaluation",
        Stage.COMPLETED,
        Stage.POST_EVALUATION,
        5,
    )
    project = step(services.project_close, "close", Stage.POST_EVALUATION, Stage.CLOSED, 6)
    assert (project.closed_at, project.rating_count, project.rating_average) == (
        t0 + dt.timedelta(minutes=6),
        0,
        None,
    )
    assert project.satisfaction is None
    assert list(project.events.values_list("action", flat=True)) == [
        "propose", "open_pre_evaluation", "approve", "start", "complete",
        "open_post_evaluation", "close",
    ]  # fmt: skip


def test_vote_after_decision_is_refused_and_changes_nothing(world):
    project = to_stage(world, propose(world), Stage.APPROVED)
    err = refused(
        "voting_closed",
        services.project_vote,
        actor=world.users.resident_a,
        project=project,
        choice="support",
    )
    assert "不再接受投票" in err.message
    assert PreVote.objects.count() == 0


def test_vote_before_opening_refused(world):
    project = propose(world)
    refused(
        "voting_closed",
        services.project_vote,
        actor=world.users.resident_a,
        project=project,
        choice="support",
    )


def test_one_vote_per_resident_and_only_residents_of_the_scope(world):
    project = to_stage(world, propose(world), Stage.PRE_EVALUATION)
    services.project_vote(actor=world.users.resident_a, project=project, choice="support")
    refused(
        "already_voted",
        services.project_vote,
        actor=world.users.resident_a,
        project=project,
        choice="oppose",
    )
    # 孙立 lives in 渔家苑 2栋: outside a 1栋 project.
    other = make_user("sunli", role="resident", community=world.a, resident=world.res_y2)
    refused("not_in_scope", services.project_vote, actor=other, project=project, choice="support")
    refused(
        "not_in_scope",
        services.project_vote,
        actor=world.users.staff_a,
        project=project,
        choice="support",
    )
    refused(
        "invalid_vote",
        services.project_vote,
        actor=make_user("zm", role="resident", community=world.a, resident=world.res_y1b),
        project=project,
        choice="maybe",
    )
    assert PreVote.objects.get().choice == "support"


@pytest.mark.parametrize("score", [0, 6, -1, "4.5", "five", "", None])
def test_rating_outside_1_to_5_refused(world, score):
    project = to_stage(world, propose(world), Stage.POST_EVALUATION)
    err = refused(
        "invalid_rating",
        services.project_rate,
        actor=world.users.resident_a,
        project=project,
        score=score,
    )
    assert "1 到 5" in err.message
    assert Rating.objects.count() == 0


def test_rating_only_in_post_evaluation_and_once(world):
    project = to_stage(world, propose(world), Stage.COMPLETED)
    refused(
        "rating_closed",
        services.project_rate,
        actor=world.users.resident_a,
        project=project,
        score=4,
    )
    project = services.project_open_post_evaluation(actor=world.users.staff_a, project=project)
    services.project_rate(actor=world.users.resident_a, project=project, score=4)
    refused(
        "already_rated",
        services.project_rate,
        actor=world.users.resident_a,
        project=project,
        score=2,
    )
    assert Rating.objects.get().score == 4


def test_supervision_bad_input_changes_nothing(world):
    project = to_stage(world, propose(world), Stage.IN_PROGRESS)
    today = timezone.localdate()
    kw = dict(actor=world.users.partner_a, project=project, inspected_on=today)
    refused("invalid_progress", services.project_log_supervision, progress=120, **kw)
    refused("invalid_progress", services.project_log_supervision, progress="abc", **kw)
    bad = SimpleUploadedFile("a.png", b"GIF89a...", content_type="image/png")
    refused("invalid_photo", services.project_log_supervision, progress=10, photos=[bad], **kw)
    refused(
        "invalid_date",
        services.project_log_supervision,
        progress=10,
        **{**kw, "inspected_on": today + dt.timedelta(days=3)},
    )
    refused(
        "forbidden",
        services.project_log_supervision,
        progress=10,
        **{**kw, "actor": world.users.resident_a},
    )
    assert SupervisionLog.objects.count() == 0
    project.refresh_from_db()
    assert project.progress == 0


def test_propose_bad_input(world):
    refused("invalid_text", propose, world=world, title="  ")
    refused("invalid_kind", propose, world=world, kind="micro_party")
    refused("invalid_budget", propose, world=world, budget="lots")
    refused("invalid_planner", propose, world=world, planner=world.p_b)
    assert Project.objects.count() == 0


def test_scope_isolation(world):
    project = propose(world)
    assert list(selectors.project_list(world.users.resident_a)) == [project]
    assert list(selectors.project_list(world.users.official)) == [project]
    assert list(selectors.project_list(world.users.staff_b)) == []
    refused(
        "forbidden",
        services.project_open_pre_evaluation,
        actor=world.users.staff_b,
        project=project,
    )


def test_wish_flow_and_project_record(world):
    resident, partner, staff = world.users.resident_a, world.users.partner_a, world.users.staff_a
    refused("forbidden", services.wish_post, actor=partner, text="x", category="daily")
    refused("invalid_text", services.wish_post, actor=resident, text=" ", category="daily")
    wish = services.wish_post(actor=resident, text="想请人帮忙换个灯泡", category="repair")
    assert wish.building == world.y1
    refused("forbidden", services.wish_claim, actor=resident, wish=wish)
    wish = services.wish_claim(actor=partner, wish=wish)
    refused("bad_stage", services.wish_claim, actor=partner, wish=wish)
    refused("bad_stage", services.wish_confirm, actor=resident, wish=wish)
    wish = services.wish_fulfil(
        actor=partner,
        wish=wish,
        note="已更换LED灯泡",
        photo=SimpleUploadedFile("w.png", PNG, content_type="image/png"),
    )
    assert wish.status == WishStatus.FULFILLED
    wish = services.wish_confirm(actor=resident, wish=wish)
    assert wish.status == WishStatus.CONFIRMED
    refused("forbidden", services.wish_to_project, actor=partner, wish=wish)
    project = services.wish_to_project(actor=staff, wish=wish)
    assert (project.kind, project.source, project.stage) == ("micro_wish", "wish", "completed")
    refused("already_recorded", services.wish_to_project, actor=staff, wish=wish)
    assert Wish.objects.get().project == project


def test_overview_keys(world):
    propose(world)
    propose(world, kind=Kind.MICRO_SPACE, title="共同缔造公园", building=None, compound=world.yujia)
    assert projects_section in SECTIONS and experiences_section in SECTIONS
    data = projects_section(Place("community", world.a.pk))
    assert data["projects"] == {
        "micro_renovation": 1,
        "micro_service": 0,
        "micro_wish": 0,
        "micro_space": 1,
        "micro_governance": 0,
    }
    assert data["projects_by_stage"]["proposed"] == 2
    assert projects_section(Place("community", world.b.pk))["projects"]["micro_space"] == 0
    assert experiences_section(Place("community", world.a.pk)) == {"experiences": 0}


def test_planner_role_exists(db):
    # The seeded role the demo gives to community planners.
    assert Role.objects.filter(code="community_planner").exists()


def test_co_building_labour_creates_service_records(world):
    from gongzhi.volunteering.models import ServiceRecord

    project = to_stage(
        world, propose(world, kind=Kind.MICRO_SPACE, title="共同缔造公园"), Stage.IN_PROGRESS
    )
    day = timezone.localdate()
    refused(
        "forbidden",
        services.project_record_co_building,
        actor=world.users.resident_a,
        project=project,
        participants=[world.res_a],
        minutes=120,
        date=day,
    )
    refused(
        "invalid_minutes",
        services.project_record_co_building,
        actor=world.users.staff_a,
        project=project,
        participants=[world.res_a],
        minutes=0,
        date=day,
    )
    assert ServiceRecord.objects.count() == 0
    row = services.project_record_co_building(
        actor=world.users.staff_a,
        project=project,
        participants=[world.res_a, world.res_y1b, world.p_construction],
        minutes=120,
        date=day,
        note="铺设透水砖",
    )
    assert row.participants == 3
    records = ServiceRecord.objects.filter(activity__source=services.co_building_source(project))
    assert records.count() == 3
    assert {r.minutes for r in records} == {120}
