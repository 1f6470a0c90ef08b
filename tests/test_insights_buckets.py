"""Medians from the rollup's hour buckets (``insights.buckets``, ``MatterPlaceDay``).

The subdistrict's matters dashboard reads its median times from the buckets the rollup
stores per compound and day. These tests hold the bucket median to the true median (as
``statistics.median``) within the width of the bucket(s) the middle durations fall in — on
many random sets of durations, and through the rollup and the page on SQLite and PostgreSQL
— and check that the rollup's place rows are ``MatterDay``'s sums and count each valid
matter's time in the bucket it falls in.
"""

import datetime as dt
import random
import statistics

import pytest
from django.db.models import Sum
from django.utils import timezone

from gongzhi.insights.buckets import bucket_bounds, bucket_of, median_from_buckets
from gongzhi.insights.models import TIME_BUCKET_EDGES, MatterDay, MatterPlaceDay
from gongzhi.insights.rollup import rollup
from gongzhi.matters.models import Matter
from gongzhi.matters.rates import valid_q
from tests.factories_matters import make_matter

BUCKETS = len(TIME_BUCKET_EDGES) + 1


def counts_of(hours: list[float]) -> list[int]:
    counts = [0] * BUCKETS
    for h in hours:
        counts[bucket_of(h)] += 1
    return counts


def tolerance(hours: list[float]) -> float:
    ordered = sorted(hours)
    middle = {ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]}
    return max(bucket_bounds(bucket_of(h))[1] - bucket_bounds(bucket_of(h))[0] for h in middle)


def test_bucket_of_follows_the_edges():
    assert bucket_of(0) == 0
    assert bucket_of(1) == 0  # upper edges are inclusive, as the rollup counts
    assert bucket_of(1.0001) == 1
    assert bucket_of(24) == TIME_BUCKET_EDGES.index(24)
    assert bucket_of(720) == BUCKETS - 2
    assert bucket_of(721) == BUCKETS - 1
    assert bucket_bounds(0) == (0.0, 1.0)
    assert bucket_bounds(BUCKETS - 1) == (720.0, 720.0)


def test_edge_cases():
    assert median_from_buckets([0] * BUCKETS) is None
    assert median_from_buckets(counts_of([5.0])) == 5.0  # the middle of (4, 6]
    assert median_from_buckets(counts_of([1000.0, 2000.0, 900.0])) == 720.0  # a lower bound
    with pytest.raises(ValueError):
        median_from_buckets([1, 2, 3])


@pytest.mark.parametrize("seed", range(40))
def test_bucket_median_is_within_the_bucket_width_of_the_true_median(seed):
    rng = random.Random(seed)
    n = rng.choice([1, 2, 3, 4, 7, 10, 51, 200, 1001])
    scale = rng.choice([0.5, 3, 20, 100, 300])
    hours = [rng.lognormvariate(0, 1.2) * scale for _ in range(n)]
    hours = [min(h, 719.0) for h in hours]  # the open bucket has no width to promise
    true = statistics.median(hours)
    assert abs(median_from_buckets(counts_of(hours)) - true) <= tolerance(hours) + 0.05


def test_the_median_is_exact_when_durations_are_spread_evenly_in_a_bucket():
    # 4 durations evenly inside (24, 36] at the k - ½ quarters: 25.5, 28.5, 31.5, 34.5.
    hours = [24 + 12 * (k - 0.5) / 4 for k in range(1, 5)]
    assert median_from_buckets(counts_of(hours)) == round(statistics.median(hours), 1)


@pytest.fixture
def spread(world):
    """Sixty matters over the last weeks, acknowledged and closed after random times."""
    rng = random.Random(7)
    now = timezone.now()
    for i in range(60):
        created = now - dt.timedelta(days=rng.randrange(0, 40), hours=1 + rng.random())
        building = rng.choice([world.y1, world.y2, world.j1, world.n1])
        status = rng.choice(["closed", "closed", "done", "withdrawn", "received"])
        matter = make_matter(building=building, created_at=created, status=status)
        fields = {}
        if status != "received":
            fields["acknowledged_at"] = created + dt.timedelta(hours=rng.lognormvariate(0, 1.5))
        if status == "closed":
            fields["closed_at"] = created + dt.timedelta(hours=rng.lognormvariate(3, 1.2))
        if i % 3 == 0:
            fields["satisfaction"] = rng.choice(["satisfied", "basic", "dissatisfied"])
        Matter.objects.filter(pk=matter.pk).update(**fields)
    rollup()
    return world


def test_place_rows_are_the_sums_of_matter_rows_and_bucket_every_valid_time(spread):
    rows = MatterPlaceDay.objects.all()
    assert rows.exists()
    keys = ("day", "community", "compound")
    fields = ("submitted", "valid", "ack_due", "resolved", "closed", "rated", "ack_h2")
    place = {
        tuple(row[:3]): row[3:]
        for row in rows.values_list(*keys).annotate(*(Sum(f) for f in fields))
    }
    matter = {
        tuple(row[:3]): row[3:]
        for row in MatterDay.objects.order_by()
        .values_list(*keys)
        .annotate(*(Sum(f) for f in fields))
    }
    assert place == matter
    valid = Matter.objects.filter(valid_q())
    for measure, end in (("ack", "acknowledged_at"), ("close", "closed_at")):
        expected = counts_of(
            [
                (b - a).total_seconds() / 3600
                for a, b in valid.exclude(**{end: None}).values_list("created_at", end)
            ]
        )
        stored = rows.aggregate(*(Sum(f"{measure}_b{i}") for i in range(BUCKETS)))
        assert [stored[f"{measure}_b{i}__sum"] for i in range(BUCKETS)] == expected
    statuses = dict(Matter.objects.order_by().values_list("status").annotate(n=Sum(1)))
    for status, n in statuses.items():
        assert rows.aggregate(n=Sum(f"status_{status}"))["n"] == n
    assert rollup()["place_days"] == 0  # a second run changes nothing


def test_the_subdistrict_page_reads_medians_near_the_true_ones(client, spread):
    client.force_login(spread.users.official)
    response = client.get("/matters/dashboard/", {"period": "year"})
    assert response.status_code == 200
    context = response.context
    assert context["as_of"] is not None
    valid = Matter.objects.filter(valid_q(), created_at__date__gte=context["period"].since)
    for shown, end in zip(context["times"], ("acknowledged_at", "closed_at"), strict=True):
        pairs = valid.exclude(**{end: None}).values_list("created_at", end)
        hours = [(b - a).total_seconds() / 3600 for a, b in pairs]
        assert hours
        assert abs(shown["value"] - statistics.median(hours)) <= tolerance(hours) + 0.1
