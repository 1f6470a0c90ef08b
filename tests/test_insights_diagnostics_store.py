"""Stored fragmentation diagnostics (``insights.diagnostics_store``): all data and each
subdistrict over the year to date are read from the rows the latest ``gongzhi rollup`` wrote,
equal to computing them now, in the viewer's language, and "as of" that run on the page, the
export and the API; a row of an older run, another scope or another period is computed now;
the bounced matters stay live for a user who does not see every matter of the scope; and the
overdue hot spots name their compound, or their community when the matter has no compound."""

import datetime as dt
import io
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.utils import timezone, translation
from openpyxl import load_workbook

from gongzhi.accounts.models import UserRole
from gongzhi.core.places import Place
from gongzhi.insights.diagnostics import diagnostics_for, overdue_hot_spots
from gongzhi.insights.diagnostics_store import diagnostics_view
from gongzhi.insights.index import Period
from gongzhi.insights.models import DiagnosticsSnapshot, RollupState
from gongzhi.insights.rollup import rollup
from gongzhi.matters.models import Category, Matter
from gongzhi.places.models import Community, Subdistrict
from tests.factories import make_user
from tests.factories_matters import make_matter

pytestmark = pytest.mark.django_db

URL = "/insights/diagnostics/"
API = "/api/v1/insights/diagnostics"


def ytd() -> Period:
    today = timezone.localdate()
    return Period(today.replace(month=1, day=1), today)


def plain(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def ran_at():
    return RollupState.objects.get(name="matters").ran_at


@pytest.fixture
def seeded(world):
    """Bounced and overdue matters: two in 渔家苑 1栋 (community A), one reported by 王建国 (so
    渔家苑 has 1 of 3 households taking part, not a low participation), one at Y社区 itself."""
    now = timezone.now()
    places = [
        {"building": world.y1, "reporter": world.res_a},
        {"building": world.y1},
        {"community": world.b},
    ]
    for i, where in enumerate(places):
        made = make_matter(created_at=now - dt.timedelta(hours=2 + i), **where)
        Matter.objects.filter(pk=made.pk).update(bounce_count=2 + i, overdue=True)
    counts = rollup()
    assert counts["diagnostics_snapshots"] == 4  # (all data + 1 subdistrict) × 2 languages
    return world


def sub_of(world) -> Place:
    return Place("subdistrict", world.sub.pk)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_stored_findings_equal_computing_them_now(seeded, language):
    world = seeded
    with translation.override(language):
        for user, place in [
            (world.users.official, sub_of(world)),
            (world.users.admin, sub_of(world)),
            (world.users.admin, None),
        ]:
            findings, as_of = diagnostics_view(user, place, ytd())
            assert as_of == ran_at()
            assert findings == plain(diagnostics_for(user, place, ytd()))
            kinds = {finding["kind"] for finding in findings}
            assert {"no_neighbour_partner", "isolated_team", "bounced", "overdue_hot_spot"} <= kinds
            low = [f["subject"] for f in findings if f["kind"] == "low_participation"]
            assert low == ["锦绣园", "江南小区"]
    titles = {f["kind"]: f["title"] for f in findings}
    assert titles["overdue_hot_spot"] == ("Overdue hot spots" if language == "en" else "逾期热点")


def test_a_row_of_an_older_run_another_scope_or_period_is_computed_now(seeded):
    world = seeded
    official = world.users.official
    # The stored row is what the page shows while it is the latest run's ...
    DiagnosticsSnapshot.objects.filter(scope=str(sub_of(world))).update(findings=[])
    assert diagnostics_view(official, sub_of(world), ytd()) == ([], ran_at())
    # ... and not once a later run has not written it (a stale row).
    RollupState.objects.filter(name="matters").update(ran_at=F("ran_at") + dt.timedelta(minutes=5))
    findings, as_of = diagnostics_view(official, sub_of(world), ytd())
    assert as_of is None and findings == diagnostics_for(official, sub_of(world), ytd())
    assert findings
    rollup()
    assert diagnostics_view(official, sub_of(world), ytd())[1] == ran_at()
    # A community, or another period, is computed now.
    assert diagnostics_view(official, Place("community", world.a.pk), ytd())[1] is None
    earlier = Period(ytd().since, ytd().until - dt.timedelta(days=1))
    if earlier.until >= earlier.since:
        assert diagnostics_view(official, sub_of(world), earlier)[1] is None


def test_page_export_and_api_say_as_of(client, seeded):
    world = seeded
    client.force_login(world.users.official)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["as_of"] == ran_at()
    text = response.content.decode()
    assert "data-as-of" in text and "汇总" in text
    export = client.get(URL, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(export.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("问题", "对象", "说明", "链接")
    assert len(rows) == 1 + response.context["count"]
    assert "最近一次汇总" in str(list(book.worksheets[1].iter_rows(values_only=True)))
    data = client.get(API).json()
    assert set(data) == {"place", "since", "until", "findings", "as_of"}
    assert data["place"] == str(sub_of(world))
    # The API writes milliseconds.
    assert abs(dt.datetime.fromisoformat(data["as_of"]) - ran_at()) < dt.timedelta(milliseconds=1)
    one = client.get(API, {"place": f"community:{world.a.pk}"}).json()
    assert one["as_of"] is None
    assert (
        "data-as-of" not in client.get(URL, {"place": f"community:{world.a.pk}"}).content.decode()
    )


def test_an_official_of_another_subdistrict_cannot_read_it(client, seeded):
    world = seeded
    other = Subdistrict.objects.create(name="汉阳街道")
    Community.objects.create(subdistrict=other, name="Z社区")
    stranger = make_user("official_z", role=UserRole.SUBDISTRICT_OFFICIAL, subdistrict=other)
    rollup()  # stores the new subdistrict too
    client.force_login(stranger)
    assert client.get(URL, {"place": str(sub_of(world))}).status_code == 400
    response = client.get(API, {"place": str(sub_of(world))})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    # Their own subdistrict's stored findings say nothing of the other one.
    response = client.get(URL)
    assert response.context["as_of"] == ran_at()
    assert "渔家苑" not in response.content.decode()
    assert "#" not in "".join(f["subject"] for f in client.get(API).json()["findings"])


def test_community_staff_asking_for_the_subdistrict_see_only_their_bounced_matters(client, seeded):
    world = seeded
    staff_b = world.users.staff_b
    findings, as_of = diagnostics_view(staff_b, sub_of(world), ytd())
    assert as_of == ran_at()
    assert findings == plain(diagnostics_for(staff_b, sub_of(world), ytd()))
    bounced = [f["subject"] for f in findings if f["kind"] == "bounced"]
    (theirs,) = Matter.objects.filter(community=world.b)
    assert bounced == [f"#{theirs.pk} {theirs.text[:30]}"]
    # The official sees all three, from the stored row.
    official = diagnostics_view(world.users.official, sub_of(world), ytd())[0]
    assert len([f for f in official if f["kind"] == "bounced"]) == 3
    client.force_login(staff_b)
    data = client.get(API, {"place": str(sub_of(world))}).json()
    assert [f["subject"] for f in data["findings"] if f["kind"] == "bounced"] == bounced


def test_hot_spots_name_their_compound_or_community(seeded):
    world = seeded
    label = dict(Category.choices)["facilities"]
    found = overdue_hot_spots(sub_of(world), ytd())
    assert [f["subject"] for f in found] == [f"渔家苑 · {label}", f"Y社区 · {label}"]
    assert f"place=compound%3A{world.yujia.pk}" in found[0]["link"]
    assert f"place=community%3A{world.b.pk}" in found[1]["link"]
    assert "overdue=1" in found[0]["link"] and "category=facilities" in found[0]["link"]
    assert [f["detail"] for f in found] == ["逾期事项 2 件。", "逾期事项 1 件。"]
    # One community's hot spots are its own.
    only_b = overdue_hot_spots(Place("community", world.b.pk), ytd())
    assert [f["subject"] for f in only_b] == [f"Y社区 · {label}"]


@pytest.mark.parametrize("windows", [None, (1, 2)])
def test_participation_counted_first_over_recent_days_equals_participation_by(
    world, monkeypatch, windows
):
    """The step counts recent days first (30, 60, 120 days with matters; here also 1 and 2)
    and only the compounds still under the threshold over the whole period: the same findings
    as ``participation_by``."""
    from gongzhi.accounts.scope import narrow
    from gongzhi.insights.diagnostics import (
        participation_data,
        participation_rows,
        participation_shares,
    )
    from gongzhi.places.models import Compound

    def at(day):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))

    period = Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    # 周芳 (锦绣园, its one household) in February only; 王建国 (渔家苑, 1 of 3) in June.
    make_matter(building=world.j1, reporter=world.res_j1, created_at=at(dt.date(2026, 2, 3)))
    make_matter(building=world.y1, reporter=world.res_a, created_at=at(dt.date(2026, 6, 20)))
    make_matter(building=world.y1, reporter=world.res_y1b, created_at=at(dt.date(2026, 4, 10)))
    rollup(now=at(period.until))
    if windows:
        # 渔家苑 is settled by the last day (June 20), 锦绣园 only by the whole period.
        monkeypatch.setattr("gongzhi.insights.diagnostics.RECENT_DAYS", windows)
    for place in [Place("subdistrict", world.sub.pk), Place("community", world.a.pk)]:
        compounds = list(narrow(Compound.objects.all(), place).values_list("pk", "name"))
        found = participation_rows(participation_shares(place, period), compounds)
        assert found == participation_data(place, period), place
    shares = participation_shares(None, period)
    compounds = list(Compound.objects.values_list("pk", "name"))
    live = participation_data(None, period)
    assert participation_rows(shares, compounds) == live
    assert [row[1] for row in live] == ["江南小区"]
    # 锦绣园 took part outside the recent days: counted over the whole period.
    assert shares[world.jinxiu.pk] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert shares[world.yujia.pk]["value"] >= 0.2
