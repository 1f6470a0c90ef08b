"""Batch work in volunteering: one activity's hours for many volunteers in one submit, many
points claims approved at once — all or nothing, with a Chinese error naming what failed — on
the pages (picker, no walls) and over the API."""

import datetime as dt

import pytest
from django.utils import translation

from gongzhi.partners.models import PartnerKind, TeamMembership
from gongzhi.volunteering import services
from gongzhi.volunteering.models import (
    ActivityKind,
    ClaimStatus,
    EarningRule,
    EarningUnit,
    PointsClaim,
    RecordStatus,
    ServiceRecord,
)
from gongzhi.volunteering.services import VolunteeringError
from tests.factories import make_partner
from tests.pickers_assert import assert_no_walls

DAY = dt.date(2026, 3, 14)


@pytest.fixture
def activity(world):
    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        publicity_days=7,
        valid_from=dt.date(2026, 1, 1),
    )
    return services.activity_create(
        title="楼道清扫",
        kind=ActivityKind.SERVICE,
        organiser=world.team_a,
        actor=world.users.staff_a,
        date=DAY,
    )


@pytest.fixture
def volunteers(world):
    """A team of 250 volunteers in community A: more than any select or checkbox list may hold."""
    people = [
        make_partner(name=f"志愿者{i}", kind=PartnerKind.TEAM, community=world.a)
        for i in range(250)
    ]
    TeamMembership.objects.bulk_create(
        TeamMembership(team=world.team_a, partner=p, joined_on=DAY) for p in people
    )
    return people


def _zh(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_batch_records_everyone_or_nobody(world, activity):
    records = services.service_records_add_batch(
        activity=activity,
        participants=[world.p_neighbour, world.p_team, world.p_neighbour],
        minutes=90,
        actor=world.users.staff_a,
        confirm=True,
    )
    assert [r.partner for r in records] == [world.p_neighbour, world.p_team]
    assert all(r.status == RecordStatus.CONFIRMED for r in records)
    assert PointsClaim.objects.filter(record__activity=activity).count() == 2

    with translation.override("zh-hans"), pytest.raises(VolunteeringError) as error:
        services.service_records_add_batch(
            activity=activity,
            participants=[world.p_construction, world.p_b],  # 吴刚 is of community B
            minutes=60,
            actor=world.users.staff_a,
        )
    assert "吴刚" in error.value.message
    assert not ServiceRecord.objects.filter(partner=world.p_construction).exists()


def test_batch_refuses_nobody(world, activity):
    with pytest.raises(VolunteeringError) as error:
        services.service_records_add_batch(
            activity=activity, participants=[], minutes=60, actor=world.users.staff_a
        )
    assert error.value.code == "participants_required"


def test_page_records_a_whole_team_with_the_picker(client, world, activity, volunteers):
    _zh(client, world.users.staff_a)
    page = client.get(f"/volunteering/{activity.pk}/").content.decode()
    assert_no_walls(page)
    assert 'data-name="volunteers"' in page
    assert "志愿者17" not in page  # candidates come from the search, not the page
    response = client.post(
        f"/volunteering/{activity.pk}/records/",
        {"volunteers": [f"team_members:{world.team_a.pk}"], "hours": "2", "confirm": "1"},
        follow=True,
    )
    assert response.status_code == 200
    assert ServiceRecord.objects.filter(activity=activity, status="confirmed").count() == 251
    page = client.get(f"/volunteering/{activity.pk}/").content.decode()
    assert_no_walls(page)


def test_page_batch_with_one_bad_volunteer_writes_nothing(client, world, activity):
    _zh(client, world.users.staff_a)
    response = client.post(
        f"/volunteering/{activity.pk}/records/",
        {
            "volunteers": [f"partner:{world.p_neighbour.pk}", f"partner:{world.p_b.pk}"],
            "hours": "2",
        },
        follow=True,
    )
    message = str(list(response.context["messages"])[0])
    assert _chinese(message) and "partner" not in message
    assert not ServiceRecord.objects.filter(activity=activity).exists()


def test_api_batch_records(client, world, activity):
    client.force_login(world.users.staff_a)
    url = f"/api/v1/volunteering/activities/{activity.pk}/records/batch"
    ok = client.post(
        url,
        {"participants": [f"partner:{world.p_neighbour.pk}", f"partner:{world.p_team.pk}"],
         "minutes": 60, "confirm": True},
        content_type="application/json",
    )  # fmt: skip
    assert ok.status_code == 201
    assert {r["person"] for r in ok.json()} == {"王建国", "陈下沉"}
    again = client.post(
        url,
        {"participants": [f"partner:{world.p_construction.pk}", f"partner:{world.p_team.pk}"],
         "minutes": 60},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )  # fmt: skip
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_participant"
    assert not ServiceRecord.objects.filter(partner=world.p_construction).exists()
    outside = client.post(
        url,
        {"participants": [f"partner:{world.p_b.pk}"], "minutes": 60},
        content_type="application/json",
    )
    assert outside.status_code == 400
    assert outside.json()["code"] == "invalid_participant"


def _claims(world, activity, people):
    services.service_records_add_batch(
        activity=activity, participants=people, minutes=60, actor=world.users.staff_a, confirm=True
    )
    return list(PointsClaim.objects.filter(record__activity=activity).order_by("pk"))


def test_approve_many_claims_at_once(world, activity):
    claims = _claims(world, activity, [world.p_neighbour, world.p_team])
    services.points_claims_approve_batch(claims=claims, actor=world.users.staff_a)
    assert set(PointsClaim.objects.values_list("status", flat=True)) == {ClaimStatus.PUBLICISED}


def test_batch_approval_is_all_or_nothing_and_names_the_claim(world, activity):
    first, second = _claims(world, activity, [world.p_neighbour, world.p_team])
    services.points_claim_approve(claim=second, actor=world.users.staff_a)
    with translation.override("zh-hans"), pytest.raises(VolunteeringError) as error:
        services.points_claims_approve_batch(claims=[first, second], actor=world.users.staff_a)
    assert f"第 {second.pk} 号" in error.value.message and "陈下沉" in error.value.message
    first.refresh_from_db()
    assert first.status == ClaimStatus.APPLIED


def test_claims_page_batch_approve(client, world, activity, volunteers):
    _claims(world, activity, volunteers[:30])
    _zh(client, world.users.staff_a)
    page = client.get("/volunteering/claims/").content.decode()
    assert_no_walls(page)
    assert page.count('name="claim"') == 20  # one page
    ids = list(PointsClaim.objects.order_by("pk").values_list("pk", flat=True)[:3])
    client.post("/volunteering/claims/approve/", {"claim": ids})
    assert PointsClaim.objects.filter(status=ClaimStatus.PUBLICISED).count() == 3
    # Another community's staff cannot approve them, and nothing changes.
    other = PointsClaim.objects.filter(status=ClaimStatus.APPLIED).first()
    _zh(client, world.users.staff_b)
    response = client.post("/volunteering/claims/approve/", {"claim": [other.pk]}, follow=True)
    assert _chinese(str(list(response.context["messages"])[0]))
    other.refresh_from_db()
    assert other.status == ClaimStatus.APPLIED


def test_claims_page_has_no_batch_for_volunteers(client, world, activity):
    _claims(world, activity, [world.p_neighbour])
    page = _zh(client, world.users.partner_a).get("/volunteering/claims/").content.decode()
    assert "claims-batch" not in page


def test_api_batch_approve(client, world, activity):
    first, second = _claims(world, activity, [world.p_neighbour, world.p_team])
    client.force_login(world.users.staff_a)
    bad = client.post(
        "/api/v1/volunteering/claims/approve",
        {"ids": [first.pk, 999999]},
        content_type="application/json",
    )
    assert bad.status_code == 404
    first.refresh_from_db()
    assert first.status == ClaimStatus.APPLIED
    ok = client.post(
        "/api/v1/volunteering/claims/approve",
        {"ids": [first.pk, second.pk]},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert [c["status"] for c in ok.json()] == ["publicised", "publicised"]
