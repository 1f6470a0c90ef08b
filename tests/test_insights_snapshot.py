"""Stored dashboard figures (``insights.snapshot``): the largest scopes over the year to date
are read from the row the latest ``gongzhi rollup`` wrote, equal to computing them now, in the
viewer's language; any other scope or period, a row from an older run or no row at all means
computing them now."""

import datetime as dt
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation

from gongzhi.core.places import Place
from gongzhi.insights.dashboard import Period, figures, shared_figures
from gongzhi.insights.models import FiguresSnapshot, RollupState
from gongzhi.insights.rollup import rollup
from tests.factories_matters import make_matter

pytestmark = pytest.mark.django_db


def this_year():
    today = timezone.localdate()
    return Period(today.replace(month=1, day=1), today)


def plain(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


@pytest.fixture
def rolled(world):
    for i in range(3):
        make_matter(building=world.y1, created_at=timezone.now() - dt.timedelta(hours=i + 1))
    counts = rollup()
    return world, counts


def sub_of(world):
    return Place("subdistrict", world.a.subdistrict_id)


def test_rollup_stores_all_data_and_each_subdistrict_in_every_language(rolled):
    world, counts = rolled
    assert counts["figures_snapshots"] == 4  # (all data + 1 subdistrict) × 2 languages
    assert set(FiguresSnapshot.objects.values_list("scope", "language")) == {
        ("", "zh-hans"),
        ("", "en"),
        (str(sub_of(world)), "zh-hans"),
        (str(sub_of(world)), "en"),
    }
    # A second run rewrites the same rows, stamped with its own time.
    rollup()
    assert FiguresSnapshot.objects.count() == 4


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_stored_figures_equal_computing_them_now(rolled, language):
    world, _counts = rolled
    with translation.override(language):
        result = figures(world.users.official, sub_of(world), this_year())
        live = shared_figures(sub_of(world), this_year())
    ran_at = RollupState.objects.get(name="matters").ran_at
    assert result["as_of"] == ran_at
    assert result["overview"] == plain(live["overview"])
    assert result["sections"][:-1] == plain(live["sections"])
    assert result["sections"][-1]["key"] == "overdue"  # always read now, per user
    titles = [s["title"] for s in result["sections"][:-1]]
    assert titles == [str(s["title"]) for s in live["sections"]]


def test_other_scopes_periods_and_older_runs_are_computed_now(rolled):
    world, _counts = rolled
    official = world.users.official
    assert figures(official, Place("community", world.a.pk), this_year())["as_of"] is None
    last_year = Period(
        this_year().since.replace(year=this_year().since.year - 1), this_year().since
    )
    assert figures(official, sub_of(world), last_year)["as_of"] is None
    assert figures(official, sub_of(world), this_year())["as_of"] is not None
    # A later run that did not get as far as the figures: the stored ones are not shown.
    RollupState.objects.filter(name="matters").update(ran_at=timezone.now())
    assert figures(official, sub_of(world), this_year())["as_of"] is None


def test_the_page_says_as_of_when_it_shows_stored_figures(client, rolled):
    world, _counts = rolled
    client.force_login(world.users.official)
    page = client.get("/dashboard/", {"place": str(sub_of(world))}).content.decode()
    assert "data-as-of" in page
    page = client.get("/dashboard/", {"place": f"community:{world.a.pk}"}).content.decode()
    assert "data-as-of" not in page


def test_export_and_annual_report_render_the_stored_figures(client, rolled):
    world, _counts = rolled
    client.force_login(world.users.official)
    place = str(sub_of(world))
    year = timezone.localdate().year
    export = client.get("/dashboard/", {"place": place, "format": "xlsx"})
    assert export.status_code == 200 and export.content[:2] == b"PK"
    for fmt in ("docx", "xlsx"):
        report = client.get("/dashboard/report/", {"place": place, "year": year, "format": fmt})
        assert report.status_code == 200 and report.content[:2] == b"PK"
