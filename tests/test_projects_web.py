"""Project pages and API: permissions, bad input shown without changes, scope isolation."""

import pytest

from gongzhi.projects import services
from gongzhi.projects.models import Kind, PreVote, Project, Rating, Stage
from tests.conftest import login


@pytest.fixture
def project(world):
    return services.project_propose(
        actor=world.users.staff_a,
        kind=Kind.MICRO_RENOVATION,
        title="垃圾中转站改造",
        building=world.y1,
        planner=world.p_neighbour,
    )


def test_list_detail_export_and_isolation(client, world, project):
    login(client, world.users.resident_a)
    page = client.get("/projects/?kind=micro_renovation")
    assert page.status_code == 200 and "垃圾中转站改造" in page.content.decode()
    assert client.get("/projects/?kind=nope").status_code == 400
    assert client.get(f"/projects/{project.pk}/").status_code == 200
    assert client.get("/projects/?format=xlsx").status_code == 403  # residents never export
    login(client, world.users.staff_b)
    assert "垃圾中转站改造" not in client.get("/projects/").content.decode()
    assert client.get(f"/projects/{project.pk}/").status_code == 404


def test_web_flow_vote_and_refused_vote_after_decision(client, world, project):
    login(client, world.users.resident_a)
    client.post(f"/projects/{project.pk}/action/", {"action": "open_pre_evaluation"})
    project.refresh_from_db()
    assert project.stage == Stage.PROPOSED  # residents cannot run stages
    login(client, world.users.staff_a)
    client.post(f"/projects/{project.pk}/action/", {"action": "open_pre_evaluation"})
    login(client, world.users.resident_a)
    response = client.post(f"/projects/{project.pk}/vote/", {"choice": "support", "comment": "好"})
    assert response.status_code == 302
    login(client, world.users.staff_a)
    client.post(f"/projects/{project.pk}/action/", {"action": "approve", "reasoning": "支持"})
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED and project.votes_support == 1
    from tests.factories import make_user

    spouse = make_user("spouse", role="resident", community=world.a, resident=world.res_a_spouse)
    login(client, spouse)
    response = client.post(f"/projects/{project.pk}/vote/", {"choice": "oppose"})
    assert response.status_code == 400
    assert "不再接受投票" in response.content.decode()
    assert PreVote.objects.count() == 1


def test_api_transitions_and_bad_rating(client, world, project):
    login(client, world.users.staff_a)
    for step in ("open-pre-evaluation",):
        assert client.post(f"/api/v1/projects/{project.pk}/{step}").status_code == 200
    r = client.post(
        f"/api/v1/projects/{project.pk}/decide",
        {"approve": True, "reasoning": "ok"},
        content_type="application/json",
    )
    assert r.json()["stage"] == "approved"
    for step in ("start", "complete", "open-post-evaluation"):
        assert client.post(f"/api/v1/projects/{project.pk}/{step}").status_code == 200
    assert client.post(f"/api/v1/projects/{project.pk}/start").json()["code"] == "bad_stage"
    login(client, world.users.resident_a)
    bad = client.post(
        f"/api/v1/projects/{project.pk}/ratings", {"score": 7}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_rating"
    good = client.post(
        f"/api/v1/projects/{project.pk}/ratings", {"score": 4}, content_type="application/json"
    )
    assert good.status_code == 201
    again = client.post(
        f"/api/v1/projects/{project.pk}/ratings", {"score": 5}, content_type="application/json"
    )
    assert again.status_code == 409
    assert Rating.objects.count() == 1
    assert client.get(f"/api/v1/projects/{project.pk}/ratings").json()["satisfaction"] == "1.000"
    login(client, world.users.staff_b)
    assert client.get(f"/api/v1/projects/{project.pk}").status_code == 404
    assert client.get("/api/v1/projects/").json()["count"] == 0


def test_wish_board_pages(client, world):
    login(client, world.users.resident_a)
    client.post(
        "/projects/wishes/", {"action": "post", "text": "想学用智能手机", "category": "daily"}
    )
    client.post("/projects/wishes/", {"action": "post", "text": "", "category": "daily"})
    assert client.get("/projects/wishes/").content.decode().count("想学用智能手机") == 1
    login(client, world.users.partner_a)
    wish_id = client.get("/api/v1/projects/wishes").json()["results"][0]["id"]
    client.post("/projects/wishes/", {"action": "claim", "wish": wish_id})
    client.post("/projects/wishes/", {"action": "fulfil", "wish": wish_id, "note": "上门教了两次"})
    login(client, world.users.resident_a)
    client.post("/projects/wishes/", {"action": "confirm", "wish": wish_id})
    login(client, world.users.staff_a)
    client.post("/projects/wishes/", {"action": "to_project", "wish": wish_id})
    assert Project.objects.get().kind == "micro_wish"


def test_supervision_page_refuses_bad_photo(client, world, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    for step in ("open_pre_evaluation",):
        login(client, world.users.staff_a)
        client.post(f"/projects/{project.pk}/action/", {"action": step})
    client.post(f"/projects/{project.pk}/action/", {"action": "approve", "reasoning": "ok"})
    client.post(f"/projects/{project.pk}/action/", {"action": "start"})
    login(client, world.users.partner_a)
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(
        f"/projects/{project.pk}/supervise/",
        {"inspected_on": "2020-01-01", "progress": "30", "photos": [bad]},
    )
    assert response.status_code == 400
    assert project.logs.count() == 0
    login(client, world.users.resident_a)
    assert client.get(f"/projects/{project.pk}/supervise/").status_code == 404
