"""The settings pages (/settings/): staff configure their community, others get 403, and a
refused change shows a Chinese message with nothing changed."""

import io

import pytest
from PIL import Image

from gongzhi.configuration.models import ConfigChange
from gongzhi.matters.models import DeadlinePolicy, ResponsibilityRule
from gongzhi.points.models import ShopItem
from tests.conftest import login


def test_staff_see_the_settings_in_chinese(client, world):
    login(client, world.users.staff_a)
    for url in [
        "/settings/",
        "/settings/rules/",
        "/settings/teams/",
        "/settings/shop/",
        "/settings/deadlines/",
        "/settings/earning/",
        "/settings/stars/",
        "/settings/venues/",
        "/settings/holidays/",
        "/settings/log/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/settings/").content.decode()
    assert "社区设置" in page and "责任清单" in page and "修改记录" in page
    # The keys for other systems are reached from here, and open for staff.
    assert "对外接口" in page
    for url in ("/hotline/credentials/", "/open311/keys/"):
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["resident_a", "grid_a1", "partner_a"])
def test_residents_grid_workers_and_partners_get_403(client, world, who):
    login(client, getattr(world.users, who))
    assert client.get("/settings/").status_code == 403
    response = client.post(
        "/settings/rules/",
        {"tier": "small", "working_mode": "cooperate", "whistle_response_hours": 72},
    )
    assert response.status_code == 403
    assert not ResponsibilityRule.objects.exists()


def test_staff_add_a_rule_on_the_page(client, world):
    login(client, world.users.staff_a)
    response = client.post(
        "/settings/rules/",
        {
            "tier": "big",
            "category": "parking",
            "working_mode": "deliberate",
            "partner_kinds": ["construction"],
            "whistle_response_hours": 48,
        },
        follow=True,
    )
    assert response.status_code == 200
    rule = ResponsibilityRule.objects.get()
    assert (rule.community, rule.tier, rule.category) == (world.a, "big", "parking")
    assert rule.whistle_response_hours == 48
    assert ConfigChange.objects.get().actor == world.users.staff_a
    assert "已保存" in response.content.decode()


def test_a_negative_deadline_on_the_page_shows_a_chinese_error(client, world):
    login(client, world.users.staff_a)
    response = client.post(
        "/settings/deadlines/", {"tier": "small", "acknowledge_hours": 24, "resolve_days": -2}
    )
    assert response.status_code == 200
    assert "办结时限必须是至少 1 天的整数" in response.content.decode()
    assert not DeadlinePolicy.objects.exists() and not ConfigChange.objects.exists()


def test_staff_of_y_cannot_open_or_change_xs_rule(client, world):
    rule = ResponsibilityRule.objects.create(
        community=world.a, tier="small", working_mode="cooperate"
    )
    login(client, world.users.staff_b)
    assert client.get(f"/settings/rules/{rule.pk}/").status_code == 404
    assert client.post(f"/settings/rules/{rule.pk}/delete/").status_code == 404
    assert ResponsibilityRule.objects.filter(pk=rule.pk).exists()


def test_officials_see_a_rule_but_may_not_change_it(client, world):
    rule = ResponsibilityRule.objects.create(
        community=world.a, tier="small", working_mode="cooperate"
    )
    login(client, world.users.official)
    assert client.get(f"/settings/rules/{rule.pk}/").status_code == 200
    response = client.post(f"/settings/rules/{rule.pk}/", {"tier": "big"})
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.tier == "small"


def _image(fmt="PNG") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format=fmt)
    buffer.seek(0)
    buffer.name = "item.png"
    return buffer


def test_a_shop_item_with_a_photo_and_a_refused_non_image(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(client, world.users.staff_a)
    fields = {
        "name": "雨伞",
        "price": 80,
        "stock": 5,
        "per_person_limit": 1,
        "pickup_days": 7,
        "active": "on",
    }
    bad = io.BytesIO(b"GIF89a but not really")
    bad.name = "umbrella.png"
    response = client.post("/settings/shop/", {**fields, "photo": bad})
    assert "JPEG、PNG 或 WebP" in response.content.decode()
    assert not ShopItem.objects.exists()
    response = client.post("/settings/shop/", {**fields, "photo": _image()})
    assert response.status_code == 302
    item = ShopItem.objects.get()
    assert item.photo and item.per_person_limit == 1
    assert client.get(f"/settings/shop-photos/{item.pk}/").status_code == 200


def test_staff_add_a_team_member_with_the_picker(client, world):
    login(client, world.users.staff_a)
    url = f"/settings/teams/{world.team_a.pk}/members/"
    client.post(url, {"partner": f"partner:{world.p_construction.pk}"})
    assert world.team_a.members.filter(pk=world.p_construction.pk).exists()
    response = client.post(url, {"partner": f"partner:{world.p_b.pk}"}, follow=True)
    assert not world.team_a.members.filter(pk=world.p_b.pk).exists()
    assert response.status_code == 200
    assert ConfigChange.objects.filter(entity="team_membership").count() == 1
