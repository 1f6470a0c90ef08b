"""Visits (走访): recording one that raises a matter in the same step, the visiting reach,
coverage on a hand-built world, the day list, the API and the overview keys."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongzhi.core.overview import overview
from gongzhi.matters.models import Channel, Matter
from gongzhi.visits import selectors
from gongzhi.visits.models import CareReason, CareSubject, Visit, VisitKind
from gongzhi.visits.services import VisitError, visit_record
from tests.conftest import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def at_days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def visit(household, user, days_ago: int, kind=VisitKind.ROUTINE) -> Visit:
    return Visit.objects.create(
        household=household,
        visitor=user,
        kind=kind,
        found="一切正常",
        visited_at=at_days_ago(days_ago),
    )


def test_grid_worker_records_a_visit_that_raises_a_matter(world):
    v = visit_record(
        actor=world.users.grid_a1,
        household=world.h_y1,
        kind=VisitKind.CHECK,
        found="楼道堆放杂物",
        raise_matter=True,
        matter_text="1单元楼道堆放纸箱，堵塞消防通道",
    )
    v.refresh_from_db()
    matter = v.matter
    assert matter is not None
    assert matter.channel == Channel.GRID_VISIT
    assert matter.household_id == world.h_y1.pk
    assert matter.building_id == world.y1.pk
    assert list(matter.visits.all()) == [v]


def test_building_leader_raises_a_building_visit_matter(world):
    v = visit_record(
        actor=world.users.partner_a,
        household=world.h_y1b,
        kind=VisitKind.ROUTINE,
        found="老人说水管漏水",
        raise_matter=True,
        matter_text="102 厨房水管漏水",
    )
    assert v.matter.channel == Channel.BUILDING_VISIT


def test_a_refused_matter_leaves_no_visit(world):
    with pytest.raises(VisitError) as exc:
        visit_record(
            actor=world.users.grid_a1,
            household=world.h_y1,
            kind=VisitKind.ROUTINE,
            found="楼道灯坏了",
            raise_matter=True,
            matter_text="   ",
        )
    assert exc.value.code == "invalid_text"
    assert Visit.objects.count() == 0
    assert Matter.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "household", "code"),
    [
        ("grid_a1", "h_y2", "outside_reach"),  # grid A2
        ("grid_a1", "h_n1", "outside_reach"),  # another community
        ("partner_a", "h_y2", "outside_reach"),  # not the partner's building
        ("resident_a", "h_y1", "forbidden"),
        ("staff_b", "h_y1", "outside_reach"),
    ],
)
def test_a_visit_outside_the_visitors_reach_is_refused(world, who, household, code):
    with pytest.raises(VisitError) as exc:
        visit_record(
            actor=getattr(world.users, who),
            household=getattr(world, household),
            kind=VisitKind.ROUTINE,
            found="敲门",
        )
    assert exc.value.code == code
    assert Visit.objects.count() == 0


def test_unknown_kind_and_empty_text_are_refused(world):
    for kind, found, code in (
        ("party", "x", "invalid_kind"),
        (VisitKind.CARE, " ", "invalid_found"),
    ):
        with pytest.raises(VisitError) as exc:
            visit_record(actor=world.users.grid_a1, household=world.h_y1, kind=kind, found=found)
        assert exc.value.code == code
    assert Visit.objects.count() == 0


def test_a_photo_that_is_not_an_image_is_refused(world):
    fake = SimpleUploadedFile("a.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(VisitError) as exc:
        visit_record(
            actor=world.users.grid_a1, household=world.h_y1, kind="routine", found="x", photo=fake
        )
    assert exc.value.code == "invalid_photo"
    assert Visit.objects.count() == 0


def test_a_photo_is_kept(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    v = visit_record(
        actor=world.users.grid_a1, household=world.h_y1, kind="routine", found="x", photo=photo
    )
    assert v.photo.name.startswith("visits/")


def test_a_resent_form_records_the_visit_once(world):
    kwargs = dict(actor=world.users.grid_a1, household=world.h_y1, kind="routine", found="x")
    first = visit_record(client_key="k1", **kwargs)
    again = visit_record(client_key="k1", **kwargs)
    assert first.pk == again.pk
    assert Visit.objects.count() == 1


# ---- coverage -------------------------------------------------------------------------------


@pytest.fixture
def visited(world):
    """h_y1 visited 5 days ago and 200 days ago, h_y2 60 days ago, h_j1 100 days ago; h_y1b
    never (grid A1 = h_y1, h_y1b; grid A2 = h_y2, h_j1)."""
    grid = world.users.grid_a1
    visit(world.h_y1, grid, 5)
    visit(world.h_y1, grid, 200)
    visit(world.h_y2, world.users.staff_a, 60)
    visit(world.h_j1, world.users.staff_a, 100)
    return world


def rows(data, level):
    return {r.label: (r.households, r.visited_30, r.visited_90, r.never) for r in data[level]}


def test_coverage_per_grid_and_building_for_staff(visited):
    data = selectors.coverage(visited.users.staff_a)
    assert rows(data, "grids") == {"第一网格": (2, 1, 1, 1), "第二网格": (2, 0, 1, 0)}
    assert rows(data, "buildings") == {
        "渔家苑 1栋": (2, 1, 1, 1),
        "渔家苑 2栋": (1, 0, 1, 0),
        "锦绣园 1栋": (1, 0, 0, 0),
    }
    total = data["total"]
    assert (total.households, total.visited_30, total.visited_90, total.never) == (4, 1, 2, 1)
    assert total.rate_90 == 0.5


def test_coverage_of_a_grid_worker_is_their_grid(visited):
    data = selectors.coverage(visited.users.grid_a1)
    assert rows(data, "grids") == {"第一网格": (2, 1, 1, 1)}


def test_the_90_day_window_includes_today_and_89_days_back(world):
    visit(world.h_y2, world.users.staff_a, 89)
    visit(world.h_j1, world.users.staff_a, 91)
    data = selectors.coverage(world.users.staff_a)
    assert rows(data, "grids")["第二网格"] == (2, 0, 1, 0)


def test_coverage_api_and_who_may_see_it(visited, client):
    login(client, visited.users.staff_a)
    body = client.get(f"/api/v1/visits/coverage?place=grid:{visited.grid_a2.pk}").json()
    assert body["total"]["households"] == 2
    assert body["total"]["visited_90_days"] == 1
    assert body["total"]["coverage_90d"] == 0.5
    for who in ("partner_a", "resident_a"):
        login(client, getattr(visited.users, who))
        response = client.get("/api/v1/visits/coverage")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


def test_coverage_export_for_staff_only(visited, client):
    login(client, visited.users.grid_a1)
    assert client.get("/visits/coverage/").status_code == 200
    assert client.get("/visits/coverage/?format=xlsx").status_code == 403
    login(client, visited.users.staff_a)
    response = client.get("/visits/coverage/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# ---- the day list ---------------------------------------------------------------------------


def test_the_day_list_puts_care_first_then_the_longest_unvisited(visited):
    today = timezone.localdate()
    subject = CareSubject.objects.create(
        resident=visited.res_y1b,
        reason=CareReason.ALONE,
        frequency_days=7,
        registered_on=today - dt.timedelta(days=30),
        next_due_on=today - dt.timedelta(days=2),
    )
    subject.visitors.add(visited.users.grid_a1)
    items = selectors.day_list(visited.users.grid_a1)
    assert [(i.household, i.care) for i in items] == [
        (visited.h_y1b, subject),
        (visited.h_y1, None),
    ]
    assert items[0].overdue_days == 2


def test_the_day_list_of_a_staff_member_is_bounded_and_never_visited_first(visited):
    items = selectors.day_list(visited.users.staff_a, limit=3)
    assert [i.household for i in items] == [visited.h_y1b, visited.h_j1, visited.h_y2]


# ---- API, pages and scope ------------------------------------------------------------------


def test_api_records_a_visit_and_its_matter(world, client):
    login(client, world.users.grid_a1)
    payload = {
        "household_id": world.h_y1.pk,
        "kind": "routine",
        "found": "电动车在楼道充电",
        "raise_matter": True,
        "matter_text": "1栋1单元楼道电动车充电，存在火灾隐患",
    }
    response = client.post("/api/v1/visits", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Matter.objects.get(pk=response.json()["matter_id"]).channel == "grid_visit"
    payload["household_id"] = world.h_y2.pk
    refused = client.post("/api/v1/visits", json.dumps(payload), content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "outside_reach"
    assert Visit.objects.count() == 1
    assert Matter.objects.count() == 1


def test_the_refusal_speaks_chinese(world, client):
    login(client, world.users.grid_a1)
    payload = {"household_id": world.h_y2.pk, "kind": "routine", "found": "x"}
    response = client.post(
        "/api/v1/visits",
        json.dumps(payload),
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.json()["message"] == "这户不在您走访的范围内。"


def test_who_sees_which_visits(visited, client):
    own = visit(visited.h_y1b, visited.users.partner_a, 1)
    expected = {
        "staff_a": 5,
        "grid_a1": 3,  # grid A1: h_y1 twice and the partner's visit to h_y1b
        "partner_a": 1,  # only their own visit
        "resident_a": 0,
        "staff_b": 0,
    }
    for who, n in expected.items():
        login(client, getattr(visited.users, who))
        body = client.get("/api/v1/visits").json()
        assert body["count"] == n, who
    login(client, visited.users.partner_a)
    assert client.get("/api/v1/visits").json()["results"][0]["id"] == own.pk


def test_the_visit_list_api_query_count_is_fixed(visited, client, django_assert_num_queries):
    login(client, visited.users.staff_a)
    client.get("/api/v1/visits")
    visit(visited.h_y2, visited.users.staff_a, 2)
    with django_assert_num_queries(5):
        client.get("/api/v1/visits")


def test_a_grid_worker_records_a_visit_on_the_phone_page(world, client):
    login(client, world.users.grid_a1)
    page = client.get("/visits/")
    assert page.status_code == 200
    assert "渔家苑 1栋1单元101" in page.content.decode()
    response = client.post(
        "/visits/new/",
        {
            "household": world.h_y1.pk,
            "kind": "routine",
            "found": "楼道灯不亮",
            "raise_matter": "1",
            "matter_text": "1单元3楼楼道灯不亮",
            "client_key": "abc",
        },
    )
    assert response.status_code == 302
    assert Visit.objects.get().matter.text == "1单元3楼楼道灯不亮"


def test_the_phone_page_shows_the_error_and_keeps_the_text(world, client):
    login(client, world.users.grid_a1)
    response = client.post(
        "/visits/new/",
        {"household": world.h_y2.pk, "kind": "routine", "found": "楼道灯不亮"},
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    assert "楼道灯不亮" in response.content.decode()
    assert Visit.objects.count() == 0


def test_household_type_ahead_stays_in_reach(world, client):
    login(client, world.users.grid_a1)
    body = client.get("/visits/households/", {"q": "1栋10"}).content.decode()
    assert "101" in body and "102" in body
    assert "锦绣园" not in body  # 锦绣园 1栋 is grid A2
    login(client, world.users.resident_a)
    assert client.get("/visits/households/", {"q": "1栋"}).status_code == 403


def test_overview_has_the_visits_keys(visited):
    data = overview(community=visited.a)
    assert data["visits"] == {
        "total": 4,
        "last_30_days": 1,
        "households_covered_90d": 2,
        "coverage_90d": 0.5,
    }
    assert data["care"] == {"registered": 0, "visits_due": 0, "visits_overdue": 0}
