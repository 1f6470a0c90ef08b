"""Pickers in mediation: mediators and authorised staff chosen by type-ahead, no walls on the
case page with hundreds of partners, referral targets in Chinese, a pinned query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.accounts.models import UserRole
from gongzhi.mediation import services
from gongzhi.mediation.models import CaseStatus
from gongzhi.partners.models import PartnerKind, Role, Skill
from gongzhi.pickers.selectors import search
from tests.factories import make_partner, make_user
from tests.pickers_assert import assert_no_walls

T0 = timezone.make_aware(dt.datetime(2024, 5, 6, 9, 0))


@pytest.fixture
def case(world):
    world.p_construction.skills.add(Skill.objects.get(name="矛盾调解"))
    return services.case_open(
        actor=world.users.staff_a,
        kind="neighbour",
        description="楼道堆物争执",
        place=world.y1,
        residents=[world.res_a, world.res_y1b],
        mediators=[world.p_construction],
        now=T0,
    )


def _zh(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def _senior(world, name="老李"):
    partner = make_partner(name=name, kind=PartnerKind.TEAM, community=world.a)
    partner.roles.add(Role.objects.get(code="senior_party_member"))
    return partner


def test_mediators_are_chosen_with_the_picker(client, world, case):
    senior = _senior(world)
    _zh(client, world.users.staff_a)
    url = f"/mediation/{case.pk}/mediators/"
    client.post(url, {"mediators": [f"partner:{world.p_construction.pk}", f"partner:{senior.pk}"]})
    assert set(case.mediators.all()) == {world.p_construction, senior}


@pytest.mark.parametrize("who", ["unqualified", "other_community", "garbage"])
def test_bad_mediator_changes_nothing(client, world, case, who):
    value = {
        "unqualified": f"partner:{world.p_team.pk}",
        "other_community": f"partner:{world.p_b.pk}",
        "garbage": "partner:x",
    }[who]
    _zh(client, world.users.staff_a)
    response = client.post(f"/mediation/{case.pk}/mediators/", {"mediators": [value]}, follow=True)
    assert list(case.mediators.all()) == [world.p_construction]
    message = str(list(response.context["messages"])[0])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert "partner" not in message


def test_mediator_search_offers_only_qualified_partners_of_the_case(world, case):
    senior = _senior(world, name="王老师")
    found = search(world.users.staff_a, "王", ["partner"], community=world.a.pk, only="mediators")
    assert [o.value for o in found] == [f"partner:{senior.pk}"]  # not 王建国 (no skill)
    assert search(world.users.staff_b, "王", ["partner"], only="mediators") == []


def test_staff_is_authorised_with_the_user_picker(client, world, case):
    staff_a2 = make_user("staff_a2", role=UserRole.COMMUNITY_STAFF, community=world.a)
    _zh(client, world.users.staff_a)
    url = f"/mediation/{case.pk}/authorise/"
    response = client.post(url, {"user": [f"user:{world.users.grid_a1.pk}"]}, follow=True)
    assert "工作人员" in str(list(response.context["messages"])[0])
    assert not case.authorised_staff.filter(pk=world.users.grid_a1.pk).exists()
    client.post(url, {"user": [f"user:{world.users.staff_b.pk}"]})  # community B: out of reach
    assert not case.authorised_staff.filter(pk=world.users.staff_b.pk).exists()
    client.post(url, {"user": [f"user:{staff_a2.pk}"]})
    assert case.authorised_staff.filter(pk=staff_a2.pk).exists()


def test_case_page_has_no_walls_with_hundreds_of_mediators(client, world, case):
    role = Role.objects.get(code="senior_party_member")
    for i in range(260):
        _senior(world, name=f"调解员{i}").roles.add(role)
    _zh(client, world.users.staff_a)
    response = client.get(f"/mediation/{case.pk}/")
    html = response.content.decode()
    assert_no_walls(html)
    assert 'name="mediators" value="partner:' in html  # the current mediator as a chip
    assert "调解员17" not in html  # candidates come from the search, not the page


def test_referral_target_shown_in_chinese(client, world, case):
    services.case_add_session(actor=world.users.staff_a, case=case, notes="第一次", now=T0)
    services.case_record_outcome(
        actor=world.users.staff_a,
        case=case,
        outcome="failed",
        referred_to="department",
        now=T0 + dt.timedelta(days=1),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED
    html = _zh(client, world.users.staff_a).get(f"/mediation/{case.pk}/").content.decode()
    assert "政府部门" in html
    assert "department" not in html
    api = client.get(f"/api/v1/mediation/cases/{case.pk}").json()
    assert api["referred_to"] == "department"
    assert api["referred_to_label"] == "政府部门"


def test_case_detail_query_count_does_not_grow_with_mediators(client, world, case):
    _zh(client, world.users.staff_a)
    url = f"/mediation/{case.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    case.mediators.add(*[_senior(world, name=f"调解员{i}") for i in range(30)])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(one)
    # The case itself: session, user, profile, visibility, case with details (6), access,
    # chips (5): the rest is the navigation's badges.
    assert len(many) <= 30
