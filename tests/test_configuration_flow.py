"""The one settings flow keeps each kind's own rule when reached through the pages and the API
(not only through the named services): an earning rule that claims use gets a successor, an
ordered shop item goes off sale, venues with meetings and teams with a history stay, the
holiday calendar is national; and the generated API operations keep their names and paths."""

import datetime as dt

from django.utils import timezone

from gongzhi.configuration.models import Action, ConfigChange, Entity
from gongzhi.meetings.models import PublicHoliday, Venue
from gongzhi.partners.models import Team
from gongzhi.points.models import ShopItem
from gongzhi.points.services import points_earn, redemption_order
from gongzhi.volunteering.models import EarningRule
from tests.conftest import login
from tests.factories_meetings import make_meeting, make_venue


def call(client, user, method, url, data=None):
    login(client, user)
    return getattr(client, method)(url, data or {}, content_type="application/json")


def actions(entity):
    return list(ConfigChange.objects.filter(entity=entity).order_by("pk").values_list("action"))


def test_patching_an_earning_rule_that_claims_use_returns_its_successor(client, world, claim):  # noqa: F811
    old = claim.rule
    response = call(
        client,
        world.users.staff_a,
        "patch",
        f"/api/v1/points/earning-rules/{old.pk}",
        {"points": 3},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] != old.pk and body["points"] == 3
    assert body["valid_from"] == timezone.localdate().isoformat()
    old.refresh_from_db()
    assert old.points == 2 and old.valid_to == timezone.localdate() - dt.timedelta(days=1)
    claim.refresh_from_db()
    assert claim.rule_id == old.pk
    assert actions(Entity.EARNING_RULE) == [(Action.RETIRE,), (Action.CREATE,)]


def test_editing_an_earning_rule_that_claims_use_on_the_page_starts_a_new_one(client, world, claim):  # noqa: F811
    old = claim.rule
    login(client, world.users.staff_a)
    response = client.post(
        f"/settings/earning/{old.pk}/",
        {
            "kind": old.kind,
            "unit": old.unit,
            "points": 5,
            "publicity_days": 7,
            "valid_from": old.valid_from.isoformat(),
        },
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.points == 2 and old.valid_to is not None
    successor = EarningRule.objects.exclude(pk=old.pk).get(community=world.a, kind=old.kind)
    assert successor.points == 5 and successor.valid_from == timezone.localdate()


def test_deleting_an_ordered_shop_item_over_the_api_takes_it_off_sale(client, world):
    item = ShopItem.objects.create(community=world.a, name="毛巾", price=8, stock=3)
    points_earn(holder=world.res_a, amount=10, reason="志愿服务", source="t", idempotency_key="e")
    redemption_order(holder=world.res_a, item=item, actor=None, idempotency_key="o")
    response = call(client, world.users.staff_a, "delete", f"/api/v1/points/shop-items/{item.pk}")
    assert response.status_code == 204
    item.refresh_from_db()
    assert item.active is False
    change = ConfigChange.objects.get(entity=Entity.SHOP_ITEM)
    assert change.action == Action.RETIRE and change.after["active"] is False


def test_a_venue_with_meetings_is_kept_and_the_refusal_is_chinese(client, world):
    venue = make_venue(world)
    make_meeting(world, venue=venue)
    response = call(client, world.users.staff_a, "delete", f"/api/v1/settings/venues/{venue.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert "会议" in response.json()["message"]
    assert Venue.objects.filter(pk=venue.pk).exists()
    assert not ConfigChange.objects.exists()


def test_a_team_with_a_work_history_is_not_dissolved_on_the_page(client, world, claim):  # noqa: F811
    # The claim's activity was organised by team A: that record names the team.
    login(client, world.users.staff_a)
    response = client.post(f"/settings/teams/{world.team_a.pk}/delete/", follow=True)
    assert "不能解散" in response.content.decode()
    assert Team.objects.filter(pk=world.team_a.pk).exists()
    assert not ConfigChange.objects.filter(entity=Entity.TEAM).exists()


def test_an_official_adds_a_holiday_on_the_page_for_the_whole_country(client, world):
    login(client, world.users.official)
    response = client.post("/settings/holidays/", {"date": "2031-10-01", "name": "国庆节"})
    assert response.status_code == 302
    assert PublicHoliday.objects.filter(date="2031-10-01", is_workday=False).exists()
    change = ConfigChange.objects.get(entity=Entity.PUBLIC_HOLIDAY)
    assert change.community_id is None and change.action == Action.CREATE


def test_staff_cannot_add_a_holiday_on_the_page(client, world):
    login(client, world.users.staff_a)
    response = client.post("/settings/holidays/", {"date": "2031-10-01", "name": "国庆节"})
    assert response.status_code == 403
    assert not PublicHoliday.objects.filter(date="2031-10-01").exists()


def test_generated_operations_keep_their_names_and_path_parameters(client, world):
    login(client, world.users.staff_a)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    expected = {
        ("/api/v1/matters/rules", "get"): "rules_list",
        ("/api/v1/matters/rules/{rule_id}", "patch"): "rules_update",
        ("/api/v1/matters/deadline-policies/{policy_id}", "delete"): "policies_delete",
        ("/api/v1/points/earning-rules", "post"): "earning_create",
        ("/api/v1/points/star-schemes/{scheme_id}", "patch"): "stars_update",
        ("/api/v1/points/shop-items/{item_id}", "delete"): "items_delete",
        ("/api/v1/settings/venues/{venue_id}", "patch"): "venues_update",
        ("/api/v1/settings/holidays", "post"): "holidays_create",
        ("/api/v1/teams", "post"): "team_create",
        ("/api/v1/teams/{team_id}", "delete"): "team_dissolve",
    }
    for (path, method), name in expected.items():
        operation = paths[path][method]
        assert operation["operationId"] == f"gongzhi_configuration_api_{name}"
    patch = paths["/api/v1/matters/rules/{rule_id}"]["patch"]
    assert [p["name"] for p in patch["parameters"]] == ["rule_id"]
    assert patch["summary"] == "Change"
    assert "RuleIn" in str(patch["requestBody"])
