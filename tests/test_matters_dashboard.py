"""The matters dashboard: who may open it, what each persona sees, the three rates equal
``three_rates`` over the same matters, every number links to the list, and the query count is
pinned and does not grow with the number of matters."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone

from gongzhi import urls as site_urls
from gongzhi.core.places import Place
from gongzhi.insights import views_matters as views_dashboard
from gongzhi.matters.models import Matter
from gongzhi.matters.rates import three_rates
from gongzhi.matters.selectors import matter_list
from tests.factories_matters import make_matter

# The dashboard in front of the whole site (whose templates link to other pages).
urlpatterns = [path("matters/dashboard/", views_dashboard.dashboard), *site_urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)

URL = "/matters/dashboard/"


def make(world, *, building=None, hours_ago=2, **fields):
    """A matter submitted ``hours_ago`` with workflow columns set directly."""
    created = timezone.now() - dt.timedelta(hours=hours_ago)
    matter = make_matter(
        building=building or world.y1,
        created_at=created,
        category=fields.pop("category", "facilities"),
        tier=fields.pop("tier", "small"),
        status=fields.pop("status", "received"),
    )
    if fields:
        Matter.objects.filter(pk=matter.pk).update(**fields)
    return matter


@pytest.fixture
def mix(world):
    """Matters of this month in community A in every interesting state, and one of B."""
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    make(world, hours_ago=1)  # not yet due to be acknowledged
    make(world, hours_ago=1, status="acknowledged", acknowledged_at=now - hour / 2)
    make(
        world,
        building=world.y2,
        hours_ago=3,
        status="closed",
        category="parking",
        acknowledged_at=now - 2 * hour,
        done_at=now - hour,
        closed_at=now - hour / 2,
        satisfaction="satisfied",
    )
    make(
        world,
        building=world.j1,
        hours_ago=3,
        status="closed",
        tier="big",
        acknowledged_at=now - 2 * hour,
        closed_at=now - hour,
        satisfaction="basic",
    )
    make(world, hours_ago=2, status="withdrawn", closed_at=now - hour)
    make(world, building=world.n1, hours_ago=2, status="done", acknowledged_at=now - hour)


def dashboard(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def shown(response) -> dict:
    assert response.status_code == 200, response.content
    return {rate["label"]: rate["value"] for rate in response.context["rates"]}


def percent(rate):
    return "—" if rate is None else f"{rate * 100:.1f}%"


def test_staff_see_the_three_rates_of_their_community(client, world, mix):
    response = dashboard(client, world.users.staff_a)
    today = timezone.localdate()
    expected = three_rates(
        matter_list(world.users.staff_a, since=today.replace(day=1), until=today)
    )
    assert list(shown(response).values()) == [
        percent(expected["response"]),
        percent(expected["resolution"]),
        percent(expected["satisfaction"]),
        percent(expected["composite"]),
    ]
    # 5 matters of A: 4 valid (one withdrawn); resolved 2 of 4; satisfied + 0.9 × basic of 2.
    assert expected["counts"]["valid"] == 4 and expected["resolution"] == 0.5
    assert expected["satisfaction"] == 0.95
    assert response.context["total"]["count"] == 5
    page = response.content.decode()
    assert "echarts.min.js" in page and "charts.js" in page
    assert 'data-chart="chart-category-option"' in page


def test_rates_follow_the_place_filter(client, world, mix):
    place = f"compound:{world.jinxiu.pk}"
    response = dashboard(client, world.users.staff_a, place=place)
    today = timezone.localdate()
    expected = three_rates(
        matter_list(
            world.users.staff_a,
            place=Place.parse(place),
            since=today.replace(day=1),
            until=today,
        )
    )
    assert expected["counts"]["valid"] == 1
    assert list(shown(response).values())[1] == percent(expected["resolution"]) == "100.0%"


def test_staff_of_b_see_nothing_of_a(client, world, mix):
    response = dashboard(client, world.users.staff_b)
    assert response.context["total"]["count"] == 1  # B's own matter only
    page = response.content.decode()
    assert "渔家苑" not in page and "锦绣园" not in page
    asked_for_a = dashboard(client, world.users.staff_b, place=f"community:{world.a.pk}")
    assert asked_for_a.context["total"]["count"] == 0


def test_grid_worker_sees_only_own_grid(client, world, mix):
    response = dashboard(client, world.users.grid_a1)
    assert response.context["total"]["count"] == 3  # the matters of 渔家苑 1栋


def test_official_sees_the_whole_subdistrict(client, world, mix):
    assert dashboard(client, world.users.official).context["total"]["count"] == 6


@pytest.mark.parametrize("persona", ["resident_a", "partner_a"])
def test_residents_and_partners_may_not_open_it(client, world, persona):
    assert dashboard(client, getattr(world.users, persona)).status_code == 403


def test_every_number_links_to_the_filtered_list(client, world, mix):
    response = dashboard(client, world.users.staff_a, place=f"compound:{world.yujia.pk}")
    today = timezone.localdate()
    base = f"/matters/?since={today.replace(day=1).isoformat()}&amp;until={today.isoformat()}"
    base += f"&amp;place=compound%3A{world.yujia.pk}"
    page = response.content.decode()
    assert f'href="{base}&amp;status=received"' in page
    assert f'href="{base}&amp;status=resolved"' in page
    assert f'href="{base}&amp;category=parking"' in page
    option = json.loads(
        page.split('id="chart-category-option" type="application/json">')[1].split("</script>")[0]
    )
    links = {str(i): point["link"] for i, point in enumerate(option["series"][0]["data"])}
    assert sorted(url.rsplit("&", 1)[1] for url in links.values()) == [
        "category=facilities",
        "category=parking",
    ]
    assert all(url.startswith("/matters/?since=") for url in links.values())


def test_periods(client, world):
    make(world, hours_ago=24 * 40)  # forty days ago
    today = timezone.localdate()
    assert dashboard(client, world.users.staff_a, period="30d").context["total"]["count"] == 0
    year = dashboard(client, world.users.staff_a, period="year").context["total"]["count"]
    forty_days_ago = today - dt.timedelta(days=40)
    assert year == (1 if forty_days_ago.year == today.year else 0)
    custom = dashboard(
        client,
        world.users.staff_a,
        period="custom",
        since=(today - dt.timedelta(days=45)).isoformat(),
        until=(today - dt.timedelta(days=35)).isoformat(),
    )
    assert custom.context["total"]["count"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"period": "decade"},
        {"period": "custom", "since": "2024-05-01"},
        {"period": "custom", "since": "2024-05-09", "until": "2024-05-01"},
        {"place": "moon:1"},
    ],
)
def test_bad_filters_get_a_clear_400(client, world, params):
    assert dashboard(client, world.users.staff_a, **params).status_code == 400


def test_trend_counts_submitted_and_closed_per_month(client, world):
    now = timezone.now()
    make(world, hours_ago=1, status="closed", closed_at=now)
    response = dashboard(client, world.users.staff_a)
    trend = next(c for c in response.context["charts"] if c["id"] == "chart-trend")
    this_month = trend["rows"][-1]
    assert this_month["label"] == timezone.localdate().strftime("%Y-%m")
    assert (this_month["submitted"], this_month["closed"]) == (1, 1)
    assert len(trend["rows"]) == 12


def test_query_count_is_pinned_and_does_not_grow_with_matters(client, world, mix):
    client.force_login(world.users.staff_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for _ in range(4):
        make(world, building=world.y2, status="closed", closed_at=timezone.now())
        make(world, building=world.j1, category="parking")
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).context["total"]["count"] == 13
    assert len(few) == len(many) == DASHBOARD_QUERIES


# session, user, profile; the rates (3); 4 breakdowns; 4 place options; the trend (1: submitted
# per month and how many of them are closed); the rates per compound (1 grouped query) and the
# compounds (1), however many compounds; the satisfaction sources (1 grouped query).
DASHBOARD_QUERIES = 19  # includes the nav's unread-notifications badge
