"""Projects on the shared toolkit (issue 13): a project's history is append-only in the database
and carries the moment given, permission comes before the stage, control characters never
reach a project or a wish, and ids in the API are bounded (issue 12)."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from gongzhi.projects import services
from gongzhi.projects.models import Project, ProjectEvent, Stage, Wish
from tests.factories import make_user
from tests.helpers import propose, refused, to_stage

T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 30))


def _refused_by_database(write) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        write()


def test_project_history_is_append_only(world):
    project = propose(world)
    event = project.events.get()
    _refused_by_database(lambda: ProjectEvent.objects.filter(pk=event.pk).update(note="x"))
    _refused_by_database(
        lambda: ProjectEvent.objects.filter(pk=event.pk).update(to_status=Stage.CLOSED)
    )
    _refused_by_database(lambda: ProjectEvent.objects.filter(pk=event.pk).delete())
    _refused_by_database(lambda: Project.objects.filter(pk=project.pk).delete())
    event.refresh_from_db()
    assert (event.action, event.from_status, event.to_status) == ("propose", "", "proposed")


def test_every_history_row_carries_the_moment_given(world):
    project = propose(world, now=T0)
    project = services.project_open_pre_evaluation(
        actor=world.users.staff_a, project=project, now=T0 + dt.timedelta(hours=1)
    )
    project = services.project_decide(
        actor=world.users.staff_a,
        project=project,
        approve=True,
        reasoning="多数支持",
        now=T0 + dt.timedelta(hours=2),
    )
    project = services.project_start(
        actor=world.users.staff_a, project=project, now=T0 + dt.timedelta(hours=3)
    )
    services.project_log_supervision(
        actor=world.users.staff_a,
        project=project,
        inspected_on=timezone.localdate(T0),
        progress=40,
        problems="材料未到",
        now=T0 + dt.timedelta(hours=4),
    )
    rows = list(project.events.values_list("action", "at", "from_status", "to_status", "note"))
    assert rows == [
        ("propose", T0, "", "proposed", ""),
        ("open_pre_evaluation", T0 + dt.timedelta(hours=1), "proposed", "pre_evaluation", ""),
        ("approve", T0 + dt.timedelta(hours=2), "pre_evaluation", "approved", "多数支持"),
        ("start", T0 + dt.timedelta(hours=3), "approved", "in_progress", ""),
        ("supervise", T0 + dt.timedelta(hours=4), "in_progress", "in_progress", "材料未到"),
    ]


def test_who_may_vote_is_checked_before_whether_voting_is_open(world):
    # Someone who may never vote on the project is told so, whatever its stage.
    project = to_stage(world, propose(world), Stage.APPROVED)
    other = make_user("sunli", role="resident", community=world.a, resident=world.res_y2)
    refused("not_in_scope", services.project_vote, actor=other, project=project, choice="support")
    refused(
        "not_in_scope",
        services.project_rate,
        actor=world.users.staff_a,
        project=project,
        score=4,
    )


def test_control_characters_are_cleaned_in_service_page_and_api(client, world):
    project = propose(world, title="1栋\x07车棚", description="带\x1b充电桩")
    assert (project.title, project.description) == ("1栋车棚", "带充电桩")
    project = to_stage(world, project, Stage.PRE_EVALUATION)
    client.force_login(world.users.resident_a)
    response = client.post(
        f"/api/v1/projects/{project.pk}/votes",
        {"choice": "support", "comment": "早该\x00建了"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert project.votes.get().comment == "早该建了"
    response = client.post(
        "/api/v1/projects/wishes",
        {"text": "想要\x08一把轮椅", "category": "daily"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "想要一把轮椅"
    client.post(
        "/projects/wishes/", {"action": "post", "text": "想要\x7f助听器", "category": "daily"}
    )
    assert Wish.objects.filter(text="想要助听器").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/99999999999999999999",
        "/api/v1/projects/99999999999999999999/votes",
        "/api/v1/projects/wishes/99999999999999999999/claim",
        "/api/v1/projects/99999999999999999999/start",
    ],
)
def test_a_huge_id_is_a_422_never_a_500(client, world, url):
    client.force_login(world.users.staff_a)
    response = client.post(url) if url.endswith(("claim", "start")) else client.get(url)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
