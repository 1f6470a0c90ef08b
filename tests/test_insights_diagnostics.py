"""Diagnostics' low-participation finding: the right compounds, from the same few queries
however many compounds there are."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.core.places import Place
from gongzhi.insights.diagnostics import low_participation
from gongzhi.insights.index import Period
from gongzhi.insights.rollup import rollup
from gongzhi.places.models import Building, Compound
from tests.factories import make_household
from tests.factories_matters import make_matter

TODAY = dt.date(2026, 6, 30)
PERIOD = Period(dt.date(2026, 1, 1), TODAY)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def _compound(world, name: str, households: int) -> Compound:
    compound = Compound.objects.create(community=world.a, name=name)
    building = Building.objects.create(compound=compound, name="1栋", number=1)
    for n in range(households):
        make_household(building, f"{101 + n}")
    return compound


def _subjects(place: Place) -> list[str]:
    return [finding["subject"] for finding in low_participation(place, PERIOD)]


def _queries(place: Place) -> int:
    with CaptureQueriesContext(connection) as queries:
        low_participation(place, PERIOD)
    return len(queries)


def test_low_participation_lists_compounds_under_the_threshold(world):
    a = Place("community", world.a.pk)
    # 渔家苑 has three households, 锦绣园 one; 王建国 (渔家苑) reports: 1 of 3 is over 20%.
    make_matter(building=world.y1, reporter=world.res_a, created_at=at(dt.date(2026, 2, 1)))
    rollup(now=at(TODAY))
    assert _subjects(a) == ["锦绣园"]
    # A compound of six households where nobody took part is listed; its link filters it.
    quiet = _compound(world, "静园", 6)
    findings = low_participation(a, PERIOD)
    assert sorted(f["subject"] for f in findings) == ["锦绣园", "静园"]
    (found,) = [f for f in findings if f["subject"] == "静园"]
    assert f"place=compound%3A{quiet.pk}" in found["link"]
    assert "0.0%" in found["detail"] and "（6 户中 0 户）" in found["detail"]
    # Another community's compounds are not looked at.
    assert _subjects(Place("community", world.b.pk)) == ["江南小区"]


def test_low_participation_costs_the_same_queries_for_many_compounds(world):
    a = Place("community", world.a.pk)
    rollup(now=at(TODAY))
    few = _queries(a)
    for n in range(8):
        _compound(world, f"新园{n}", 2)
    assert len(_subjects(a)) == 10
    # One query for the households per compound, one for every way of taking part together
    # (``index.participating_counts_by``), one for the compounds' names: none per compound.
    assert _queries(a) == few == 3
