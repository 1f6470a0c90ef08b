"""Honours pages and API by persona: who sees what, voting on the page and over the API."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.core.places import Place
from gongzhi.honours import services
from gongzhi.honours.models import Ballot, Participation
from gongzhi.honours.selectors import honours_section
from tests.conftest import login


@pytest.fixture
def election(world):
    staff = world.users.staff_a
    today = timezone.localdate()
    election = services.election_create(
        community=world.a,
        title="身边好人评选",
        max_choices=1,
        seats=1,
        vote_from=today - dt.timedelta(days=1),
        vote_to=today + dt.timedelta(days=1),
        actor=staff,
    )
    for name in ("张三", "李四"):
        services.candidate_nominate(
            election=election, name=name, category="helping", deeds="助人为乐", actor=staff
        )
    services.election_start_screening(election=election, actor=staff)
    for candidate in election.candidates.all():
        services.candidate_screen(candidate=candidate, accepted=True, actor=staff)
    services.election_open_voting(election=election, actor=staff)
    election.refresh_from_db()
    return election


def test_resident_votes_on_the_page_once(client, world, election):
    services.resident_verify(resident=world.res_a, method="committee", actor=world.users.staff_a)
    login(client, world.users.resident_a)
    page = client.get(reverse("honours:election", args=[election.pk]))
    assert page.status_code == 200
    assert "Cast my secret ballot" in page.text or "投" in page.text
    zhang = election.candidates.get(name="张三")
    url = reverse("honours:vote", args=[election.pk])
    client.post(url, {"choice": [zhang.pk]})
    client.post(url, {"choice": [zhang.pk]})
    assert Participation.objects.count() == Ballot.objects.count() == 1
    # Results stay hidden from residents until publication.
    page = client.get(reverse("honours:election", args=[election.pk]))
    assert page.context["results"] is None


def test_unverified_resident_sees_why_and_cannot_vote(client, world, election):
    login(client, world.users.resident_a)
    zhang = election.candidates.get(name="张三")
    client.post(reverse("honours:vote", args=[election.pk]), {"choice": [zhang.pk]})
    assert not Ballot.objects.exists()


def test_other_community_sees_nothing(client, world, election):
    login(client, world.users.staff_b)
    assert client.get(reverse("honours:election", args=[election.pk])).status_code == 404
    response = client.post(reverse("honours:election_action", args=[election.pk, "close_voting"]))
    assert response.status_code == 404
    assert client.get(reverse("honours:election_new")).status_code == 200


def test_staff_pages(client, world, election):
    login(client, world.users.staff_a)
    for name in ("honours:home", "honours:verify", "honours:rolls", "honours:talent"):
        assert client.get(reverse(name)).status_code == 200, name
    page = client.get(reverse("honours:verify"), {"q": "王"})
    assert world.res_a in list(page.context["found"])
    client.post(reverse("honours:verify"), {"resident": world.res_a.pk, "method": "id_card"})
    assert world.res_a.verification.method == "id_card"


def test_talent_pool_is_for_staff_like_users(client, world):
    services.talent_add(
        community=world.a, partner=world.p_team, field="法律咨询", actor=world.users.staff_a
    )
    login(client, world.users.partner_a)
    assert client.get(reverse("honours:talent")).status_code == 403
    login(client, world.users.grid_a1)
    assert len(client.get(reverse("honours:talent")).context["page"]) == 1
    login(client, world.users.staff_b)
    assert len(client.get(reverse("honours:talent")).context["page"]) == 0


def test_residents_see_published_rolls_only(client, world):
    rule = services.rule_create(
        community=world.a,
        name="月度之星",
        period="month",
        metric="hours",
        top_n=10,
        minimum=1,
        actor=world.users.staff_a,
    )
    from tests.helpers import serve

    serve(world, dt.date(2026, 10, 5), 120, resident=world.res_y1b)
    roll = services.roll_build(rule=rule, day=dt.date(2026, 10, 5), actor=world.users.staff_a)
    login(client, world.users.resident_a)
    assert client.get(reverse("honours:roll", args=[roll.pk])).status_code == 404
    services.roll_publish(roll=roll, actor=world.users.staff_a)
    poster = client.get(reverse("honours:poster", args=[roll.pk]))
    assert poster.status_code == 200
    assert "光荣榜" in poster.text and "赵敏" in poster.text
    response = client.get("/api/v1/honours/rolls")
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["rows"][0] == {"rank": 1, "name": "赵敏", "value": 2.0}
    assert honours_section(Place("community", world.a.pk))["honours"]["rolls_published"] == 1


def test_api_vote_and_results(client, world, election):
    services.resident_verify(resident=world.res_a, method="committee", actor=world.users.staff_a)
    login(client, world.users.resident_a)
    zhang = election.candidates.get(name="张三")
    url = f"/api/v1/honours/elections/{election.pk}"
    assert client.get(url).json()["has_voted"] is False
    bad = client.post(url + "/vote", {"choices": []}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_choices"
    ok = client.post(url + "/vote", {"choices": [zhang.pk]}, content_type="application/json")
    assert ok.status_code == 201
    assert Ballot.objects.filter(pk=ok.json()["receipt"]).exists()
    again = client.post(url + "/vote", {"choices": [zhang.pk]}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    assert client.get(url + "/results").status_code == 403
    login(client, world.users.staff_b)
    assert client.get(url).status_code == 404
    login(client, world.users.partner_a)
    refused = client.post(url + "/vote", {"choices": [zhang.pk]}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_voter"
