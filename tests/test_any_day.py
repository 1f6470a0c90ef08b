"""Code that was wrong on particular days, pinned to those days (``now=``/``today=``), so the
suite checks them whatever day it runs on. ``bench/any_day.sh`` runs the whole suite with the
clock moved to such days (docs/testing.md)."""

import datetime as dt
import zoneinfo

import pytest

from gongzhi.core.places import Place
from gongzhi.insights.index import Period, index_for, months_until
from gongzhi.insights.index_store import FIELDS, stored_indexes, stored_scopes
from gongzhi.insights.models import IndexMonth
from gongzhi.insights.rollup import rollup
from tests.factories_matters import make_matter

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "now",
    [
        # 23:30 UTC on 31 December is already 07:30 on 1 January in Shanghai.
        dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 20, 18, tzinfo=SHANGHAI),
    ],
)
def test_rollup_in_january_stores_the_month_that_is_the_year_to_date_once(world, now):
    # In January the current month and the year to date are both 1 January to today, and
    # (scope, since, until) is unique. The rollup used to insert that row twice and fail
    # with an IntegrityError all month, so no index row was updated.
    today = now.astimezone(SHANGHAI).date()
    make_matter(building=world.y1, created_at=now - dt.timedelta(hours=1))
    make_matter(building=world.y1, created_at=dt.datetime(2026, 12, 20, 9, tzinfo=SHANGHAI))
    first = rollup(now=now)
    months = months_until(today, 12)
    assert months[-1] == Period(dt.date(today.year, 1, 1), today)
    assert first["index_rows"] == IndexMonth.objects.count() == len(stored_scopes()) * 12
    assert rollup(now=now)["index_rows"] == 0
    place = Place("community", world.a.pk)
    stored = stored_indexes([place], months, today)
    for month in (months[-1], months[-2]):
        computed = index_for(place, month, today=today)
        assert stored[(str(place), month)] == {name: computed[name] for name in FIELDS}


def test_rollup_on_the_last_of_december_stores_thirteen_periods(world):
    # 31 December (still, in Shanghai, at 15:59 UTC): the year to date is its own period.
    rollup(now=dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC))
    assert IndexMonth.objects.count() == len(stored_scopes()) * 13
    assert IndexMonth.objects.filter(since=dt.date(2026, 1, 1), until=dt.date(2026, 12, 31))
