"""The matters dashboard of a whole subdistrict reads its figures from the rollup
(``MatterPlaceDay``).

For an official (or a superuser) over a whole subdistrict, the rates, the counts by category,
tier, channel and status, the satisfaction sources, the monthly trend and the rates per
compound are sums of ``MatterPlaceDay`` rows as of the last ``gongzhi rollup``; these tests
compare every one of them with the computation over the matters themselves (``three_rates``,
``count_by``, ``satisfaction_sources``, ``rates_by_compound``) on a small world, on SQLite and
PostgreSQL alike. The median times there are read from the rollup's hour buckets: within the
width of the bucket(s) of the middle durations of the true median. For smaller places the
median times (PostgreSQL's ``percentile_cont``, elsewhere ``statistics.median``) equal the
median of the durations read one by one.
"""

import datetime as dt
import statistics

import pytest
from django.urls import path
from django.utils import timezone

from gongzhi import urls as site_urls
from gongzhi.core.places import Place
from gongzhi.hotline.selectors import satisfaction_sources
from gongzhi.insights import views_matters as views_dashboard
from gongzhi.insights.buckets import bucket_bounds, bucket_of
from gongzhi.insights.models import RollupState
from gongzhi.insights.rollup import rollup
from gongzhi.matters import selectors
from gongzhi.matters.models import Matter
from gongzhi.matters.rates import median_hours, three_rates, valid_q
from gongzhi.places.models import Compound
from tests.factories_matters import make_matter

urlpatterns = [path("matters/dashboard/", views_dashboard.dashboard), *site_urls.urlpatterns]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

URL = "/matters/dashboard/"


def make(world, *, days_ago=0, hours_ago=2, building=None, **fields):
    created = timezone.now() - dt.timedelta(days=days_ago, hours=hours_ago)
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
def year(world):
    """Matters over the last months in both communities, in many states; then a rollup."""
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    for days in (0, 3, 40, 75, 200):
        created = now - dt.timedelta(days=days, hours=5)
        make(world, days_ago=days, hours_ago=5)
        make(
            world,
            days_ago=days,
            hours_ago=5,
            building=world.y2,
            category="parking",
            status="closed",
            acknowledged_at=created + hour * (days % 7 + 1),
            done_at=created + hour * 30,
            closed_at=created + hour * (days + 31),
            satisfaction="satisfied",
        )
        make(
            world,
            days_ago=days,
            hours_ago=5,
            building=world.j1,
            tier="big",
            status="closed",
            acknowledged_at=created + hour / 2,
            closed_at=created + hour * 50,
            satisfaction="basic",
        )
        make(world, days_ago=days, hours_ago=5, building=world.n1, status="withdrawn")
        make(
            world,
            days_ago=days,
            hours_ago=5,
            building=world.n1,
            status="done",
            category="sanitation",
            acknowledged_at=created + hour * 3,
            done_at=created + hour * 9,
        )
    rollup()
    return world


def get(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response


def charts(response) -> dict:
    return {chart["id"]: chart for chart in response.context["charts"]}


def live_trend(matters, months):
    """Submitted per month, and how many of them are closed now, read matter by matter."""
    counts = {month: [0, 0] for month in months}
    for created, status in matters.values_list("created_at", "status"):
        month = timezone.localtime(created).date().replace(day=1)
        if month in counts:
            counts[month][0] += 1
            counts[month][1] += status == "closed"
    return [tuple(counts[month]) for month in months]


@pytest.mark.parametrize("period", ["month", "30d", "year"])
@pytest.mark.parametrize("persona", ["official", "admin"])
def test_rolled_figures_equal_the_computation_over_the_matters(client, year, period, persona):
    user = getattr(year.users, persona)
    response = get(client, user, period=period)
    context = response.context
    assert context["as_of"] == RollupState.objects.get(name="matters").ran_at
    assert "data-as-of" in response.content.decode()
    chosen = context["period"]
    matters = selectors.matter_list(user, since=chosen.since, until=chosen.until)
    old = three_rates(matters)
    percent = views_dashboard._percent
    assert [rate["value"] for rate in context["rates"]] == [
        percent(old["response"]),
        percent(old["resolution"]),
        percent(old["satisfaction"]),
        percent(old["composite"]),
    ]
    for shown_time, end in zip(context["times"], ("acknowledged_at", "closed_at"), strict=True):
        assert_near_median(shown_time["value"], durations(matters, end))
    shown = charts(response)
    for field in ("category", "tier", "channel", "status"):
        counts = {row["value"]: row["count"] for row in shown[f"chart-{field}"]["rows"]}
        assert counts == {k: v for k, v in selectors.count_by(matters, field).items() if v}
    months = views_dashboard._months(chosen.until)
    trend = [(row["submitted"], row["closed"]) for row in shown["chart-trend"]["rows"]]
    assert trend == live_trend(selectors.matter_list(user, until=chosen.until), months)
    per_compound = selectors.rates_by_compound(matters, Compound.objects.all())
    assert [row["label"] for row in shown["chart-compounds"]["rows"]] == [
        compound.name for compound, _rates in per_compound
    ]
    assert [row["composite"] for row in shown["chart-compounds"]["rows"]] == [
        percent(rates["composite"]) for _compound, rates in per_compound
    ]
    assert [row["count"] for row in shown["chart-compounds"]["rows"]] == [
        rates["counts"]["valid"] for _compound, rates in per_compound
    ]
    sources = satisfaction_sources(matters)
    assert [[n for _label, n in row["counts"]] for row in context["satisfaction_sources"]] == [
        list(sources["resident"].values()),
        list(sources["hotline"].values()),
    ]
    assert context["total"]["count"] == matters.count()


def durations(matters, end: str) -> list[float]:
    """Hours from submission to ``end`` of the valid matters that have it, one by one."""
    pairs = matters.filter(valid_q()).exclude(**{end: None}).values_list("created_at", end)
    return [(b - a).total_seconds() / 3600 for a, b in pairs]


def assert_near_median(shown: float | None, hours: list[float]) -> None:
    """``shown`` is the median of ``hours`` to within the widths of the buckets the middle
    durations fall in (and the rounding to 0.1 on both sides)."""
    if not hours:
        assert shown is None
        return
    ordered = sorted(hours)
    middle = {ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]}
    width = max((lambda low, high: high - low)(*bucket_bounds(bucket_of(h))) for h in middle)
    assert abs(shown - statistics.median(hours)) <= width + 0.1, (shown, sorted(hours))


def test_the_trend_has_matters_of_earlier_months(client, year):
    trend = charts(get(client, year.users.official, period="year"))["chart-trend"]["rows"]
    assert len(trend) == 12
    assert sum(row["submitted"] for row in trend) >= 20  # 40, 75 and 200 days ago count too


def test_community_staff_and_smaller_places_are_computed_now(client, year):
    assert get(client, year.users.staff_a).context["as_of"] is None
    place = f"community:{year.a.pk}"
    assert get(client, year.users.official, place=place).context["as_of"] is None


def test_no_rollup_yet_means_computing_now(client, world):
    make(world)
    response = get(client, world.users.official)
    assert response.context["as_of"] is None
    assert "data-as-of" not in response.content.decode()


def test_rolled_counts_stay_as_of_the_rollup(client, year):
    before = get(client, year.users.official).context
    make(year, hours_ago=1, category="pets")
    after = get(client, year.users.official).context
    assert after["total"]["count"] == before["total"]["count"]  # by status: as of the rollup
    category = {row["value"] for row in charts_of(after)["chart-category"]["rows"]}
    assert "pets" not in category  # as of the rollup
    rollup(full=True)  # the factory writes no events, which the incremental rollup follows
    again = get(client, year.users.official).context
    assert "pets" in {row["value"] for row in charts_of(again)["chart-category"]["rows"]}
    assert again["total"]["count"] == before["total"]["count"] + 1


@pytest.mark.parametrize("period", ["month", "year"])
def test_a_community_keeps_the_exact_medians(client, year, period):
    place = f"community:{year.a.pk}"
    context = get(client, year.users.official, place=place, period=period).context
    assert context["as_of"] is None
    chosen = context["period"]
    matters = selectors.matter_list(
        year.users.official, place=Place.parse(place), since=chosen.since, until=chosen.until
    )
    old = three_rates(matters)
    assert [t["value"] for t in context["times"]] == [
        old["median_hours_to_acknowledge"],
        old["median_hours_to_close"],
    ]
    for shown, end in zip(context["times"], ("acknowledged_at", "closed_at"), strict=True):
        hours = durations(matters, end)
        assert shown["value"] == (round(statistics.median(hours), 1) if hours else None)


def charts_of(context) -> dict:
    return {chart["id"]: chart for chart in context["charts"]}


@pytest.mark.parametrize("count", [1, 2, 5, 6])
def test_median_hours_equal_the_median_of_the_durations(world, count):
    now = timezone.now()
    for i in range(count):
        created = now - dt.timedelta(days=i + 1)
        make(
            world,
            days_ago=i + 1,
            hours_ago=0,
            status="closed",
            acknowledged_at=created + dt.timedelta(minutes=17 * i + 5),
            closed_at=created + dt.timedelta(hours=7 * i + 1, minutes=13),
        )
    make(world)  # neither acknowledged nor closed: not counted
    matters = Matter.objects.all()
    for end in ("acknowledged_at", "closed_at"):
        hours = [
            (b - a).total_seconds() / 3600
            for a, b in matters.exclude(**{f"{end}": None}).values_list("created_at", end)
        ]
        assert median_hours(matters, "created_at", end) == round(statistics.median(hours), 1)
    assert median_hours(matters.none(), "created_at", "closed_at") is None


def test_the_overview_of_large_scopes_reads_the_rollup_rows_and_equals_the_matters(year):
    """The overview's matters section of all data and of a subdistrict (``overview_for``) is
    summed from ``MatterPlaceDay``; right after a rollup it equals counting the matters."""
    from gongzhi.insights.dashboard import overview_for, rolled_matters_section
    from gongzhi.matters.overview import matters_section

    assert Matter.objects.values("status").distinct().count() >= 4
    for place in (None, Place("subdistrict", year.a.subdistrict_id)):
        live = matters_section(place)
        assert rolled_matters_section(place) == live
        assert overview_for(place)["matters"] == live["matters"]
        assert live["matters"]["total"] == Matter.objects.count()
    # As of the rollup: a new matter shows after the next run.
    make(year, hours_ago=1)
    assert overview_for(None)["matters"]["total"] == Matter.objects.count() - 1
    rollup(full=True)
    assert overview_for(None)["matters"] == matters_section(None)["matters"]


def test_the_overview_counts_the_matters_themselves_before_any_rollup(world):
    from gongzhi.insights.dashboard import overview_for

    make(world)
    assert overview_for(None)["matters"]["total"] == 1
