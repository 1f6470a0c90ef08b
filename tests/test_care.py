"""The care register (关爱对象): bad input, due and overdue visits, the escalation of a missed
visit (once), and who sees whom and which reasons."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongzhi.audit.models import AuditRecord
from gongzhi.core.overview import overview
from gongzhi.matters.sweep import STEPS, sweep
from gongzhi.notifications.models import Notification
from gongzhi.todo.selectors import todo_for
from gongzhi.visits import selectors
from gongzhi.visits.models import CareReason, CareSubject
from gongzhi.visits.services import (
    VisitError,
    care_subject_create,
    care_subject_update,
    visit_record,
)
from gongzhi.visits.sweep import escalate_missed_care
from tests.conftest import login

TODAY = timezone.localdate()


def register(world, resident, visitors, *, days_ago=0, frequency=7, reason=CareReason.ALONE):
    subject = care_subject_create(
        actor=world.users.staff_a,
        resident=resident,
        reason=reason,
        frequency_days=frequency,
        visitors=visitors,
        today=TODAY - dt.timedelta(days=days_ago),
    )
    return subject


@pytest.mark.parametrize(
    ("frequency", "reason", "code"),
    [
        (0, CareReason.ALONE, "invalid_frequency"),
        (-7, CareReason.ALONE, "invalid_frequency"),
        ("weekly", CareReason.ALONE, "invalid_frequency"),
        (7, "rich", "invalid_reason"),
    ],
)
def test_bad_frequency_or_reason_is_refused(world, frequency, reason, code):
    with pytest.raises(VisitError) as exc:
        register(world, world.res_y1b, [world.users.grid_a1], frequency=frequency, reason=reason)
    assert exc.value.code == code
    assert CareSubject.objects.count() == 0


def test_the_api_refuses_a_zero_frequency_in_chinese(world, client):
    login(client, world.users.staff_a)
    payload = {
        "resident_id": world.res_y1b.pk,
        "reason": "alone",
        "frequency_days": 0,
        "visitor_ids": [world.users.grid_a1.pk],
    }
    response = client.post(
        "/api/v1/care/subjects",
        json.dumps(payload),
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_frequency",
        "message": "走访频率须在 1 到 366 天之间。",
    }
    assert CareSubject.objects.count() == 0


def test_only_community_staff_of_the_place_register(world):
    for who in ("grid_a1", "partner_a", "resident_a", "staff_b"):
        with pytest.raises(VisitError) as exc:
            care_subject_create(
                actor=getattr(world.users, who),
                resident=world.res_y1b,
                reason=CareReason.ALONE,
                frequency_days=7,
                visitors=[world.users.grid_a1],
            )
        assert exc.value.code == "forbidden", who


def test_a_visitor_must_visit_the_households_area(world):
    with pytest.raises(VisitError) as exc:
        register(world, world.res_y2, [world.users.partner_a])  # partner_a's building is 1栋
    assert exc.value.code == "invalid_visitors"
    with pytest.raises(VisitError):
        register(world, world.res_y2, [world.users.grid_a1])  # 2栋 is grid A2


def test_due_overdue_and_a_care_visit(world):
    subject = register(world, world.res_y1b, [world.users.grid_a1], days_ago=10)
    assert subject.next_due_on == TODAY - dt.timedelta(days=10)
    assert overview(community=world.a)["care"] == {
        "registered": 1,
        "visits_due": 1,
        "visits_overdue": 1,
    }
    visit_record(actor=world.users.grid_a1, household=world.h_y1b, kind="care", found="身体还好")
    subject.refresh_from_db()
    assert subject.last_visited_on == TODAY
    assert subject.next_due_on == TODAY + dt.timedelta(days=7)
    assert overview(community=world.a)["care"]["visits_due"] == 0
    care_subject_update(actor=world.users.staff_a, subject=subject, frequency_days=3)
    subject.refresh_from_db()
    assert subject.next_due_on == TODAY + dt.timedelta(days=3)


def test_a_routine_visit_does_not_count_as_a_care_visit(world):
    subject = register(world, world.res_y1b, [world.users.grid_a1], days_ago=1)
    visit_record(actor=world.users.grid_a1, household=world.h_y1b, kind="routine", found="x")
    subject.refresh_from_db()
    assert subject.last_visited_on is None


def test_visits_due_appear_in_the_visitors_to_do(world):
    register(world, world.res_y1b, [world.users.grid_a1], days_ago=3)
    register(world, world.res_a, [world.users.partner_a, world.users.grid_a1])
    grid = todo_for(world.users.grid_a1)
    assert grid["counts"]["care_overdue"] == 1
    assert grid["counts"]["care_due"] == 1
    kinds = [item["kind"] for item in grid["items"] if item["kind"].startswith("care")]
    assert kinds == ["care_overdue", "care_due"]
    assert todo_for(world.users.partner_a)["counts"]["care_due"] == 1


def test_a_missed_visit_escalates_to_staff_once(world):
    subject = register(world, world.res_y1b, [world.users.grid_a1], days_ago=4)
    assert escalate_missed_care(timezone.now()) == {"care_visits_missed": 1}
    assert sweep()["care_visits_missed"] == 0
    out = io.StringIO()
    call_command("care_sweep", stdout=out)
    assert json.loads(out.getvalue()) == {"care_visits_missed": 0}
    told = Notification.objects.filter(kind="care_missed")
    assert [n.user for n in told] == [world.users.staff_a]
    assert "独居" not in told[0].title  # the reason never travels in a message
    assert todo_for(world.users.staff_a)["counts"]["care_missed"] == 1
    # Visited, then missed again: a new due day, a new report.
    visit_record(actor=world.users.grid_a1, household=world.h_y1b, kind="care", found="x")
    assert todo_for(world.users.staff_a)["counts"]["care_missed"] == 0
    subject.refresh_from_db()
    later = timezone.now() + dt.timedelta(days=11)
    assert escalate_missed_care(later) == {"care_visits_missed": 1}
    assert escalate_missed_care(later) == {"care_visits_missed": 0}


def test_three_days_late_is_not_yet_missed(world):
    register(world, world.res_y1b, [world.users.grid_a1], days_ago=3)
    assert escalate_missed_care(timezone.now()) == {"care_visits_missed": 0}


def test_the_step_is_registered_once():
    assert STEPS.count(escalate_missed_care) == 1


# ---- scope and sensitivity -----------------------------------------------------------------


@pytest.fixture
def registered(world):
    from tests.factories import make_user

    world.users.grid_a2 = make_user("grid_a2", role="grid_worker", grid=world.grid_a2)
    a = register(world, world.res_a, [world.users.partner_a])
    b = register(world, world.res_y1b, [world.users.staff_a], reason=CareReason.SUBSISTENCE)
    c = register(world, world.res_y2, [world.users.grid_a2], reason=CareReason.DISABLED)
    return world, a, b, c


def seen(user):
    return {s.resident.name: s.reason_visible for s in selectors.care_list(user)}


def test_who_sees_whom_and_which_reason(registered):
    world, a, b, c = registered
    assert seen(world.users.staff_a) == {"王建国": True, "赵敏": True, "孙立": True}
    assert seen(world.users.official) == {"王建国": True, "赵敏": True, "孙立": True}
    # Their grid's people, but no reason: they are not assigned to them.
    assert seen(world.users.grid_a1) == {"王建国": False, "赵敏": False}
    assert seen(world.users.grid_a2) == {"孙立": True}
    # A partner: only the people they are assigned to visit.
    assert seen(world.users.partner_a) == {"王建国": True}
    assert seen(world.users.resident_a) == {}
    assert seen(world.users.staff_b) == {}


def test_the_api_blanks_reasons_the_caller_may_not_see(registered, client):
    world, a, b, c = registered
    login(client, world.users.grid_a1)
    body = client.get("/api/v1/care/subjects").json()
    assert body["count"] == 2
    assert {r["reason"] for r in body["results"]} == {None}
    assert "alone" not in json.dumps(body) and "subsistence" not in json.dumps(body)
    login(client, world.users.partner_a)
    body = client.get("/api/v1/care/subjects").json()
    assert [(r["name"], r["reason"]) for r in body["results"]] == [("王建国", "alone")]
    login(client, world.users.resident_a)
    assert client.get("/api/v1/care/subjects").json()["count"] == 0
    assert client.get(f"/api/v1/care/subjects/{a.pk}").status_code == 404


def test_the_care_page_hides_reasons(registered, client):
    world, a, b, c = registered
    login(client, world.users.grid_a1)
    html = client.get("/visits/care/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "赵敏" in html
    assert "低保" not in html and "独居" not in html
    login(client, world.users.resident_a)
    assert client.get("/visits/care/").status_code == 403


def test_every_read_of_the_register_is_audited_with_the_reasons_it_showed(registered, client):
    world, *_ = registered
    login(client, world.users.grid_a1)
    client.get("/visits/care/")
    login(client, world.users.staff_a)
    client.get(f"/api/v1/care/subjects?place=community:{world.a.pk}")
    rows = AuditRecord.objects.filter(subject="care_subjects").order_by("id")
    assert [(r.actor_username, r.action, r.detail["reasons_shown"]) for r in rows] == [
        ("grid_a1", "view", 0),
        ("staff_a", "view", 3),
    ]
    assert rows[1].detail["filters"] == {"place": f"community:{world.a.pk}"}
    assert "alone" not in json.dumps([r.detail for r in rows])


def test_only_staff_edit_the_register_over_the_api(registered, client):
    world, a, b, c = registered
    login(client, world.users.grid_a2)
    url = f"/api/v1/care/subjects/{c.pk}"
    response = client.patch(url, json.dumps({"frequency_days": 3}), "application/json")
    assert response.status_code == 403
    login(client, world.users.staff_a)
    response = client.patch(url, json.dumps({"frequency_days": -1}), "application/json")
    assert response.json()["code"] == "invalid_frequency"
    assert client.delete(url).json()["active"] is False
    c.refresh_from_db()
    assert c.frequency_days == 7 and not c.active


def test_the_coverage_export_carries_no_reasons(registered, client):
    import openpyxl

    world, *_ = registered
    login(client, world.users.staff_a)
    content = client.get("/visits/coverage/?format=xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert "alone" not in cells and "王建国" not in cells


def test_the_care_list_and_day_list_query_counts_are_fixed(
    registered, client, django_assert_num_queries
):
    world, *_ = registered
    login(client, world.users.staff_a)
    # session, user, profile, count, page, visitors; the audit record (savepoint, the
    # reader's community, insert, release)
    with django_assert_num_queries(10):
        client.get("/api/v1/care/subjects")
    login(client, world.users.grid_a2)
    # session, user, profile (+ its grid), care due, households not visited longest
    with django_assert_num_queries(5):
        client.get("/api/v1/visits/today")
    register(world, world.res_j1, [world.users.grid_a2], days_ago=2)
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/visits/today").json()) == 2


def test_staff_register_a_person_on_the_page(world, client):
    login(client, world.users.staff_a)
    assert client.get("/visits/care/new/").status_code == 200
    form = {
        "resident": f"resident:{world.res_a.pk}",
        "reason": "oldest",
        "frequency_days": "0",
        "visitors": [f"partner:{world.p_neighbour.pk}", f"user:{world.users.grid_a1.pk}"],
    }
    refused = client.post("/visits/care/new/", form, headers={"Accept-Language": "zh-hans"})
    assert refused.status_code == 400
    assert "走访频率须在 1 到 366 天之间。" in refused.content.decode()
    assert CareSubject.objects.count() == 0
    form["frequency_days"] = "14"
    assert client.post("/visits/care/new/", form).status_code == 302
    subject = CareSubject.objects.get()
    assert (subject.resident, subject.reason, subject.frequency_days) == (world.res_a, "oldest", 14)
    # The partner picked is their own account.
    assert set(subject.visitors.all()) == {world.users.partner_a, world.users.grid_a1}
    login(client, world.users.grid_a1)
    assert client.get("/visits/care/new/").status_code == 403
