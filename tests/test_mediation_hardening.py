"""Mediation hardened (issues 12 and 13): ids bounded in the API (a huge id is a 422, never a
500), the mediators endpoint checks the case and the permission before it looks at partners,
control characters never reach a case, and a case's history is append-only in the database."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from gongzhi.mediation import services
from gongzhi.mediation.models import CaseEvent, MediationCase
from tests.helpers import T0

HUGE = 99999999999999999999


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def _mediators(med):
    return sorted(med.case.mediators.values_list("pk", flat=True))


# ---- the mediators endpoint (issue 12, defect 5) ----------------------------------------------


@pytest.mark.parametrize("ids", [[HUGE], [2**63], [0], [-1], ["x"]])
def test_mediators_with_out_of_range_ids_is_a_422(client, med, ids):
    client.force_login(med.world.users.staff_a)
    before = _mediators(med)
    response = _post(
        client, f"/api/v1/mediation/cases/{med.case.pk}/mediators", {"partner_ids": ids}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert _mediators(med) == before


@pytest.mark.parametrize("field", ["resident_ids", "organisation_ids", "mediator_ids", "matter_id"])
def test_open_with_a_huge_id_is_a_422(client, med, field):
    client.force_login(med.world.users.staff_a)
    body = {
        "kind": "family",
        "description": "婆媳矛盾",
        "place": f"compound:{med.world.yujia.pk}",
        "party_names": ["张某"],
        field: HUGE if field == "matter_id" else [HUGE],
    }
    response = _post(client, "/api/v1/mediation/cases", body)
    assert response.status_code == 422
    assert MediationCase.objects.count() == 1


def test_authorise_with_a_huge_user_id_is_a_422(client, med):
    client.force_login(med.world.users.staff_a)
    url = f"/api/v1/mediation/cases/{med.case.pk}/authorised-staff"
    assert _post(client, url, {"user_id": HUGE}).status_code == 422


def test_mediators_of_another_communitys_case_is_a_404_whatever_the_partners(client, med):
    client.force_login(med.world.users.staff_b)
    url = f"/api/v1/mediation/cases/{med.case.pk}/mediators"
    answers = [
        _post(client, url, {"partner_ids": ids})
        for ids in ([med.senior.pk], [med.world.p_b.pk], [10**12])
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert _mediators(med) == [med.world.p_construction.pk]


def test_mediators_without_the_right_to_manage_is_a_403_whatever_the_partners(client, med):
    # staff_a2 sees the case exists (summary) but is not authorised for it: the answer is the
    # same for a qualified partner, an invisible one and an id that does not exist.
    client.force_login(med.staff_a2)
    url = f"/api/v1/mediation/cases/{med.case.pk}/mediators"
    answers = [
        _post(client, url, {"partner_ids": ids})
        for ids in ([med.senior.pk], [med.world.p_b.pk], [10**12])
    ]
    assert {r.status_code for r in answers} == {403}
    assert {r.json()["code"] for r in answers} == {"forbidden"}
    assert len({r.content for r in answers}) == 1
    assert _mediators(med) == [med.world.p_construction.pk]


def test_a_partner_who_exists_but_is_not_visible_reads_as_unknown(client, med):
    # 吴刚 is a partner of community B: to staff_a he is the same as an id that does not exist.
    client.force_login(med.world.users.staff_a)
    url = f"/api/v1/mediation/cases/{med.case.pk}/mediators"
    hidden = _post(client, url, {"partner_ids": [med.world.p_b.pk]})
    missing = _post(client, url, {"partner_ids": [10**12]})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert hidden.json()["code"] == "invalid_reference"
    assert _mediators(med) == [med.world.p_construction.pk]
    ok = _post(client, url, {"partner_ids": [med.senior.pk]})
    assert ok.status_code == 200, ok.content
    assert _mediators(med) == [med.senior.pk]


# ---- control characters -----------------------------------------------------------------------


def test_control_characters_are_cleaned_from_api_page_and_service(client, med):
    client.force_login(med.mediator)
    url = f"/api/v1/mediation/cases/{med.case.pk}/sessions"
    assert _post(client, url, {"notes": "第一次\x07调解\x1b"}).status_code == 200
    client.post(f"/mediation/{med.case.pk}/session/", {"notes": "第二次\x00调解\x7f"})
    services.case_add_session(actor=med.mediator, case=med.case, notes="第三次\x08调解")
    assert list(med.case.sessions.values_list("notes", flat=True)) == [
        "第一次调解",
        "第二次调解",
        "第三次调解",
    ]
    client.force_login(med.world.users.staff_a)
    response = client.post(
        "/mediation/new/",
        {
            "kind": "family",
            "place": f"compound:{med.world.yujia.pk}",
            "description": "婆媳\x07矛盾",
            "parties": "张某\x1b\n李某",
        },
    )
    assert response.status_code == 302
    case = MediationCase.objects.get(description="婆媳矛盾")
    assert [p.name for p in case.parties.all()] == ["张某", "李某"]


# ---- history ----------------------------------------------------------------------------------


def _refused(write) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        write()


def test_case_history_is_append_only(med):
    event = med.case.events.get(action="open")
    _refused(lambda: CaseEvent.objects.filter(pk=event.pk).update(action="close"))
    _refused(lambda: CaseEvent.objects.filter(pk=event.pk).update(note="rewritten"))
    _refused(lambda: CaseEvent.objects.filter(pk=event.pk).delete())
    _refused(lambda: MediationCase.objects.filter(pk=med.case.pk).delete())
    event.refresh_from_db()
    assert (event.action, event.to_status, event.note) == ("open", "open", "")


def test_history_carries_the_moment_given(med):
    later = T0 + dt.timedelta(hours=3)
    services.case_set_mediators(
        actor=med.world.users.staff_a, case=med.case, mediators=[med.senior], now=later
    )
    event = med.case.events.get(action="mediators")
    assert event.at == later
    assert event.actor == med.world.users.staff_a
    assert event.data == {"partners": [med.senior.pk]}
