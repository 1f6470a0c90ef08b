"""Community settings over the API: staff of X configure X only, every change is logged, bad
input is refused in Chinese with nothing changed, and the matters API still answers."""

import io

import pytest
from PIL import Image

from gongzhi.configuration.models import ConfigChange, TeamJoinRequest
from gongzhi.matters.models import DeadlinePolicy, Matter, MatterEvent, ResponsibilityRule
from gongzhi.meetings.models import PublicHoliday
from gongzhi.partners.models import Team, TeamMembership
from gongzhi.points.models import ShopItem
from gongzhi.volunteering.models import EarningRule
from tests.conftest import login

RULES = "/api/v1/matters/rules"
POLICIES = "/api/v1/matters/deadline-policies"


def call(client, user, method, url, data=None):
    login(client, user)
    return getattr(client, method)(url, data or {}, content_type="application/json")


def assert_chinese_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    if code:
        assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body["message"]


# ---- responsibility rules --------------------------------------------------------------------


def test_staff_add_a_rule_and_the_next_submitted_matter_follows_it(client, world):
    response = call(
        client,
        world.users.staff_a,
        "post",
        RULES,
        {
            "tier": "small",
            "category": "facilities",
            "working_mode": "joint",
            "auto_assign": True,
            "whistle_organisation_ids": [world.org_dept.pk],
        },
    )
    assert response.status_code == 201, response.content
    rule = ResponsibilityRule.objects.get(pk=response.json()["id"])
    assert rule.community == world.a and rule.working_mode == "joint"
    change = ConfigChange.objects.get(entity="responsibility_rule", object_id=rule.pk)
    assert change.actor == world.users.staff_a and change.community == world.a
    assert change.action == "create" and change.after["working_mode"] == "joint"

    matter = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/matters",
        {
            "text": "1栋电梯坏了",
            "channel": "grid_visit",
            "place": f"building:{world.y1.pk}",
            "category": "facilities",
            "tier": "small",
        },
    )
    assert matter.status_code == 201, matter.content
    submitted = Matter.objects.get(pk=matter.json()["id"])
    assert submitted.working_mode == "joint"
    route = MatterEvent.objects.get(matter=submitted, action="route")
    assert route.data["rule"] == rule.pk
    assert submitted.owners.filter(organisation=world.org_dept, active=True).exists()


def test_staff_change_a_rule_with_patch_and_it_is_logged_before_and_after(client, world):
    rule = ResponsibilityRule.objects.create(
        community=world.a, tier="big", working_mode="deliberate"
    )
    response = call(
        client,
        world.users.staff_a,
        "patch",
        f"{RULES}/{rule.pk}",
        {"working_mode": "cooperate", "partner_kinds": ["neighbour"]},
    )
    assert response.status_code == 200, response.content
    rule.refresh_from_db()
    assert rule.working_mode == "cooperate" and rule.partner_kinds == ["neighbour"]
    change = ConfigChange.objects.get(entity="responsibility_rule", action="update")
    assert change.before["working_mode"] == "deliberate"
    assert change.after["working_mode"] == "cooperate"


def test_an_unknown_category_is_refused_in_chinese_and_nothing_changes(client, world):
    response = call(
        client, world.users.staff_a, "post", RULES, {"tier": "small", "category": "spaceships"}
    )
    assert_chinese_error(response, 400, "invalid")
    assert "spaceships" in response.json()["message"]
    assert not ResponsibilityRule.objects.exists() and not ConfigChange.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"tier": "small", "partner_kinds": ["wizard"]},
        {"tier": "small", "team_kinds": ["blue"]},
        {"tier": "small", "organisation_kinds": ["guild"]},
        {"tier": "small", "role_codes": ["no_such_role"]},
        {"tier": "giant"},
    ],
)
def test_unknown_kinds_are_refused(client, world, payload):
    response = call(client, world.users.staff_a, "post", RULES, payload)
    assert_chinese_error(response, 400)
    assert not ResponsibilityRule.objects.exists()


def test_whistle_to_another_communitys_organisation_is_refused(client, world):
    response = call(
        client,
        world.users.staff_a,
        "post",
        RULES,
        {"tier": "hard", "whistle_organisation_ids": [world.org_b.pk]},
    )
    assert_chinese_error(response, 400)
    assert not ResponsibilityRule.objects.exists()


def test_a_second_rule_for_the_same_tier_and_category_is_a_conflict(client, world):
    ResponsibilityRule.objects.create(community=world.a, tier="small", working_mode="cooperate")
    response = call(client, world.users.staff_a, "post", RULES, {"tier": "small"})
    assert_chinese_error(response, 409, "duplicate")
    assert ResponsibilityRule.objects.count() == 1 and not ConfigChange.objects.exists()


def test_staff_of_y_cannot_see_or_touch_xs_rules(client, world):
    rule = ResponsibilityRule.objects.create(
        community=world.a, tier="small", working_mode="cooperate"
    )
    listed = call(client, world.users.staff_b, "get", RULES)
    assert listed.status_code == 200 and listed.json()["count"] == 0
    assert (
        call(
            client, world.users.staff_b, "patch", f"{RULES}/{rule.pk}", {"working_mode": "joint"}
        ).status_code
        == 404
    )
    assert call(client, world.users.staff_b, "delete", f"{RULES}/{rule.pk}").status_code == 404
    rule.refresh_from_db()
    assert rule.working_mode == "cooperate" and not ConfigChange.objects.exists()


def test_officials_see_but_cannot_change_a_communitys_rules(client, world):
    rule = ResponsibilityRule.objects.create(
        community=world.a, tier="small", working_mode="cooperate"
    )
    assert call(client, world.users.official, "get", RULES).json()["count"] == 1
    response = call(client, world.users.official, "delete", f"{RULES}/{rule.pk}")
    assert_chinese_error(response, 403, "forbidden")
    assert ResponsibilityRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("who", ["resident_a", "grid_a1", "partner_a"])
@pytest.mark.parametrize(
    "method,url",
    [
        ("get", RULES),
        ("post", RULES),
        ("post", POLICIES),
        ("post", "/api/v1/points/earning-rules"),
        ("post", "/api/v1/points/shop-items"),
        ("post", "/api/v1/teams"),
        ("get", "/api/v1/settings/changes"),
    ],
)
def test_residents_partners_and_grid_workers_configure_nothing(client, world, who, method, url):
    response = call(
        client,
        getattr(world.users, who),
        method,
        url,
        {"tier": "small", "name": "新队", "kind": "volunteer", "resolve_days": 3},
    )
    assert_chinese_error(response, 403, "forbidden")
    assert not ConfigChange.objects.exists()
    assert not ResponsibilityRule.objects.exists() and not DeadlinePolicy.objects.exists()
    assert Team.objects.count() == 2


def test_the_matters_api_still_answers_beside_the_rules(client, world):
    assert call(client, world.users.staff_a, "get", "/api/v1/matters").status_code == 200
    assert call(client, world.users.staff_a, "get", "/api/v1/matters/999999").status_code == 404
    assert call(client, world.users.staff_a, "get", RULES).status_code == 200
    assert call(client, world.users.staff_a, "get", POLICIES).status_code == 200


# ---- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [-3, 0])
def test_a_negative_or_zero_deadline_is_refused(client, world, days):
    response = call(
        client, world.users.staff_a, "post", POLICIES, {"tier": "small", "resolve_days": days}
    )
    assert_chinese_error(response, 400, "invalid")
    assert not DeadlinePolicy.objects.exists() and not ConfigChange.objects.exists()


def test_a_new_deadline_applies_to_the_next_matter_only(client, world):
    def submit():
        response = call(
            client,
            world.users.staff_a,
            "post",
            "/api/v1/matters",
            {
                "text": "2栋门口垃圾没人清",
                "channel": "grid_visit",
                "place": f"building:{world.y1.pk}",
                "category": "sanitation",
                "tier": "small",
            },
        )
        assert response.status_code == 201, response.content
        return Matter.objects.get(pk=response.json()["id"])

    first = submit()
    due_before = first.due_at
    assert (first.due_at - first.created_at).days == 3
    response = call(
        client,
        world.users.staff_a,
        "post",
        POLICIES,
        {"tier": "small", "category": "sanitation", "resolve_days": 1},
    )
    assert response.status_code == 201, response.content
    second = submit()
    first.refresh_from_db()
    assert first.due_at == due_before
    assert (second.due_at - second.created_at).days == 1
    policy = DeadlinePolicy.objects.get()
    response = call(
        client, world.users.staff_a, "patch", f"{POLICIES}/{policy.pk}", {"resolve_days": -1}
    )
    assert_chinese_error(response, 400)
    policy.refresh_from_db()
    assert policy.resolve_days == 1
    assert ConfigChange.objects.filter(entity="deadline_policy").count() == 1


# ---- earning rules and star schemes ----------------------------------------------------------


def test_earning_rules_and_star_levels_are_configured_and_logged(client, world):
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/points/earning-rules",
        {"kind": "service", "unit": "hour", "points": 10, "valid_from": "2024-01-01"},
    )
    assert response.status_code == 201, response.content
    rule = EarningRule.objects.get()
    response = call(
        client,
        world.users.staff_a,
        "patch",
        f"/api/v1/points/earning-rules/{rule.pk}",
        {"points": 0},
    )
    assert_chinese_error(response, 400)
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/points/star-schemes",
        {"thresholds": [300, 100]},
    )
    assert_chinese_error(response, 400)
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/points/star-schemes",
        {"thresholds": [100, 300]},
    )
    assert response.status_code == 201, response.content
    assert set(ConfigChange.objects.values_list("entity", flat=True)) == {
        "earning_rule",
        "star_scheme",
    }


# ---- teams -----------------------------------------------------------------------------------


def test_staff_create_a_team_add_and_remove_members(client, world):
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/teams",
        {"name": "锦绣园红色先锋队", "kind": "red", "compound_id": world.jinxiu.pk},
    )
    assert response.status_code == 201, response.content
    team_id = response.json()["id"]
    assert response.json()["member_count"] == 0
    response = call(
        client,
        world.users.staff_a,
        "post",
        f"/api/v1/teams/{team_id}/members",
        {"partner_id": world.p_team.pk},
    )
    assert response.status_code == 201, response.content
    members = call(client, world.users.staff_a, "get", f"/api/v1/teams/{team_id}/members")
    assert [m["id"] for m in members.json()] == [world.p_team.pk]
    detail = call(client, world.users.staff_a, "get", f"/api/v1/teams/{team_id}")
    assert detail.json()["members"][0]["id"] == world.p_team.pk
    response = call(
        client, world.users.staff_a, "delete", f"/api/v1/teams/{team_id}/members/{world.p_team.pk}"
    )
    assert response.status_code == 204
    assert not TeamMembership.objects.filter(team_id=team_id).exists()
    assert list(ConfigChange.objects.order_by("id").values_list("entity", "action")) == [
        ("team", "create"),
        ("team_membership", "create"),
        ("team_membership", "delete"),
    ]
    assert (
        call(client, world.users.staff_a, "delete", f"/api/v1/teams/{team_id}").status_code == 204
    )
    assert not Team.objects.filter(pk=team_id).exists()


def test_a_member_from_another_community_is_refused(client, world):
    response = call(
        client,
        world.users.staff_a,
        "post",
        f"/api/v1/teams/{world.team_a.pk}/members",
        {"partner_id": world.p_b.pk},
    )
    assert_chinese_error(response, 400, "other_community")
    assert list(world.team_a.members.all()) == [world.p_neighbour]
    assert not ConfigChange.objects.exists()


def test_staff_of_y_cannot_change_xs_team(client, world):
    response = call(
        client,
        world.users.staff_b,
        "post",
        f"/api/v1/teams/{world.team_a.pk}/members",
        {"partner_id": world.p_b.pk},
    )
    assert response.status_code == 404
    response = call(
        client, world.users.staff_b, "patch", f"/api/v1/teams/{world.team_a.pk}", {"name": "改名"}
    )
    assert response.status_code == 404
    world.team_a.refresh_from_db()
    assert world.team_a.name == "渔家苑志愿服务队"


def test_a_partner_asks_to_join_and_staff_accept(client, world):
    team = Team.objects.create(name="锦绣园志愿服务队", kind="volunteer", community=world.a)
    response = call(
        client,
        world.users.partner_a,
        "post",
        f"/api/v1/teams/{team.pk}/join-requests",
        {"note": "我会修水电"},
    )
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    again = call(client, world.users.partner_a, "post", f"/api/v1/teams/{team.pk}/join-requests")
    assert_chinese_error(again, 409)
    # A partner cannot accept their own request.
    response = call(
        client,
        world.users.partner_a,
        "post",
        f"/api/v1/teams/{team.pk}/join-requests/{request_id}/accept",
    )
    assert_chinese_error(response, 403)
    response = call(
        client,
        world.users.staff_a,
        "post",
        f"/api/v1/teams/{team.pk}/join-requests/{request_id}/accept",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert team.members.filter(pk=world.p_neighbour.pk).exists()
    assert ConfigChange.objects.filter(entity="team_membership", action="create").count() == 1
    response = call(
        client,
        world.users.staff_a,
        "post",
        f"/api/v1/teams/{team.pk}/join-requests/{request_id}/decline",
    )
    assert_chinese_error(response, 409)


def test_a_partner_cannot_ask_to_join_another_communitys_team(client, world):
    response = call(
        client, world.users.partner_a, "post", f"/api/v1/teams/{world.team_b.pk}/join-requests"
    )
    assert response.status_code == 404
    assert not TeamJoinRequest.objects.exists()


# ---- shop items ------------------------------------------------------------------------------


def png_bytes(size=(4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_shop_item_with_photo_stock_and_limit(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/points/shop-items",
        {"name": "环保袋", "price": 50, "stock": 20, "per_person_limit": 2},
    )
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]
    upload = io.BytesIO(png_bytes())
    upload.name = "bag.png"
    response = client.post(f"/api/v1/points/shop-items/{item_id}/photo", {"photo": upload})
    assert response.status_code == 200, response.content
    assert response.json()["has_photo"] is True
    item = ShopItem.objects.get(pk=item_id)
    assert item.photo.name.startswith("shop/") and item.photo.name.endswith(".png")


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not an image at all", b"\x89PNG\r\n\x1a\n" + b"broken" * 10],
)
def test_a_photo_that_is_not_an_image_is_refused(client, world, settings, tmp_path, content):
    settings.MEDIA_ROOT = tmp_path
    item = ShopItem.objects.create(community=world.a, name="毛巾", price=20)
    upload = io.BytesIO(content)
    upload.name = "towel.png"
    login(client, world.users.staff_a)
    response = client.post(f"/api/v1/points/shop-items/{item.pk}/photo", {"photo": upload})
    assert_chinese_error(response, 400, "invalid_photo")
    item.refresh_from_db()
    assert not item.photo and not ConfigChange.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_an_oversized_photo_is_refused(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = ShopItem.objects.create(community=world.a, name="毛巾", price=20)
    upload = io.BytesIO(png_bytes() + b"\0" * (2 * 1024 * 1024))
    upload.name = "towel.png"
    login(client, world.users.staff_a)
    response = client.post(f"/api/v1/points/shop-items/{item.pk}/photo", {"photo": upload})
    assert_chinese_error(response, 400, "invalid_photo")
    item.refresh_from_db()
    assert not item.photo and not ConfigChange.objects.exists()


# ---- venues, holidays, the log ---------------------------------------------------------------


def test_holidays_are_kept_by_officials_not_community_staff(client, world):
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/settings/holidays",
        {"date": "2030-10-01", "name": "国庆节"},
    )
    assert_chinese_error(response, 403)
    response = call(
        client,
        world.users.official,
        "post",
        "/api/v1/settings/holidays",
        {"date": "2030-10-01", "name": "国庆节"},
    )
    assert response.status_code == 201, response.content
    response = call(
        client,
        world.users.official,
        "post",
        "/api/v1/settings/holidays",
        {"date": "2030-09-28", "name": "国庆调休", "is_workday": True},
    )
    assert response.status_code == 201
    assert PublicHoliday.objects.get(date="2030-09-28").is_workday
    log = call(client, world.users.staff_a, "get", "/api/v1/settings/changes").json()
    assert log["count"] == 2 and log["results"][0]["community"] is None


def test_venues_and_the_change_log_are_scoped(client, world):
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/settings/venues",
        {"name": "渔家苑议事厅", "compound_id": world.yujia.pk, "capacity": 30},
    )
    assert response.status_code == 201, response.content
    response = call(
        client,
        world.users.staff_a,
        "post",
        "/api/v1/settings/venues",
        {"name": "错的", "compound_id": world.jiangnan.pk},
    )
    assert_chinese_error(response, 400)
    assert call(client, world.users.staff_a, "get", "/api/v1/settings/changes").json()["count"] == 1
    assert call(client, world.users.staff_b, "get", "/api/v1/settings/changes").json()["count"] == 0
    assert (
        call(client, world.users.official, "get", "/api/v1/settings/changes").json()["count"] == 1
    )
