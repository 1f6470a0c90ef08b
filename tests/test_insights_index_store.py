"""The stored index (``IndexMonth``): the rollup step is idempotent, the index page reads it
and shows the same numbers as ``index_for``, with far fewer queries."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.core.places import Place
from gongzhi.insights.index import index_for, months_until
from gongzhi.insights.index_store import FIELDS, stored_indexes, stored_scopes
from gongzhi.insights.models import IndexMonth
from gongzhi.insights.rollup import rollup
from gongzhi.matters.models import Matter
from tests.factories_matters import make_matter

INDEX = "/insights/index/"


def _matters(world, n, building, days_ago=0):
    for i in range(n):
        made = make_matter(
            building=building,
            created_at=timezone.now() - dt.timedelta(days=days_ago, hours=2 + i),
        )
        Matter.objects.filter(pk=made.pk).update(bounce_count=i % 2)


def test_step_is_idempotent(world):
    _matters(world, 3, world.y1)
    first = rollup()
    scopes = len(stored_scopes())
    # Twelve months and the year to date, which in January is the current month itself
    # (tests/test_any_day.py pins those days).
    today = timezone.localdate()
    periods = 12 if today.month == 1 else 13
    assert first["index_rows"] == IndexMonth.objects.count() == scopes * periods
    again = rollup()
    assert again["index_rows"] == 0
    # A row that differs from what the index computes is rewritten, and only that row.
    current = months_until(today, 1)[0]
    IndexMonth.objects.filter(scope="", since=current.since, until=current.until).update(score=-1)
    assert rollup()["index_rows"] == 1
    assert IndexMonth.objects.get(scope="", since=current.since, until=current.until).score != -1


def test_missing_month_is_filled_and_old_months_are_kept(world):
    rollup()
    today = timezone.localdate()
    oldest = months_until(today, 12)[0]
    # In December the oldest month and the year to date both start on 1 January: the row
    # is named by its whole period, or the year to date would be deleted with it.
    oldest_row = IndexMonth.objects.filter(since=oldest.since, until=oldest.until, scope="")
    assert oldest_row.delete()[0] == 1
    counts = rollup()
    assert counts["index_rows"] == 1
    assert oldest_row.exists()


def test_stored_row_equals_index_for(world):
    _matters(world, 4, world.y1, days_ago=40)
    _matters(world, 2, world.y1)
    rollup()
    today = timezone.localdate()
    place = Place("community", world.a.pk)
    months = months_until(today, 12)
    with CaptureQueriesContext(connection) as queries:
        stored = stored_indexes([place], months, today)
    assert len(queries) == 1
    for month in months:
        computed = index_for(place, month, today=today)
        assert stored[(str(place), month)] == {name: computed[name] for name in FIELDS}


def test_missing_row_falls_back_to_computing(world):
    _matters(world, 2, world.y1)
    today = timezone.localdate()
    place = Place("community", world.a.pk)
    month = months_until(today, 1)[0]
    stored = stored_indexes([place], [month], today)
    computed = index_for(place, month, today=today)
    assert stored[(str(place), month)] == {name: computed[name] for name in FIELDS}


def test_page_reads_stored_rows(client, world, django_assert_max_num_queries):
    _matters(world, 3, world.y1)
    rollup()
    client.force_login(world.users.staff_a)
    with django_assert_max_num_queries(25):
        response = client.get(INDEX)
    assert response.status_code == 200
    today = timezone.localdate()
    place = Place("community", world.a.pk)
    trend = response.context["charts"][2]["rows"]
    for row, month in zip(trend, months_until(today, 12), strict=True):
        assert row["label"] == month.since.strftime("%Y-%m")
        assert row["score"] == index_for(place, month, today=today)["score"]
    assert (
        response.context["result"]["indicators"]
        == index_for(place, response.context["period"], today=today)["indicators"]
    )
