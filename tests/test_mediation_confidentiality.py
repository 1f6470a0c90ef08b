"""Mediation is confidential: for every persona of the world, what the services, the pages,
the export and the API show of one case (between 王建国 = resident_a and 赵敏 at 渔家苑 1栋,
opened by staff_a, mediated by 孙立 whose account is ``mediator``)."""

import io

import pytest
from openpyxl import load_workbook

from gongzhi.mediation import rules, selectors, services
from gongzhi.mediation.models import MediationCase
from tests.helpers import agreed_case

SECRET = "楼道堆物"
PARTY = "赵敏"
AGREEMENT = "三日内清理"

# persona -> access: full, party, summary or None (the case is not even listed).
EXPECTED = {
    "admin": rules.FULL,
    "staff_a": rules.FULL,  # opened it, so authorised
    "mediator": rules.FULL,
    "staff_a2": rules.SUMMARY,  # staff of the community, not authorised
    "official": rules.SUMMARY,
    "grid_a1": rules.SUMMARY,  # the case's building is in grid A1
    "resident_a": rules.PARTY,  # 王建国 is a party
    "partner_a": None,  # a partner who does not mediate this case
    "staff_b": None,  # another community
}


def persona(med, name):
    return {"mediator": med.mediator, "staff_a2": med.staff_a2}.get(name) or getattr(
        med.world.users, name
    )


@pytest.mark.parametrize(("name", "level"), EXPECTED.items())
def test_access_level_per_persona(med, name, level):
    user = persona(med, name)
    assert rules.access(user, med.case) == level
    listed = selectors.case_list(user).filter(pk=med.case.pk).exists()
    assert listed == (level is not None)


def test_authorising_staff_opens_the_details(med):
    services.case_authorise_staff(actor=med.world.users.staff_a, case=med.case, user=med.staff_a2)
    assert rules.access(med.staff_a2, med.case) == rules.FULL


def test_case_view_redacts_for_summary_and_party(med):
    agreed_case(med)
    case = MediationCase.objects.get(pk=med.case.pk)
    summary = selectors.case_view(case, rules.SUMMARY, with_records=True)
    assert summary.description is None and summary.parties is None and summary.sessions is None
    assert summary.agreement_text is None and summary.mediators is None
    assert all(f["notes"] is None and f["held"] is None for f in summary.follow_ups)
    party = selectors.case_view(case, rules.PARTY, with_records=True)
    assert AGREEMENT in party.agreement_text and party.status == "following_up"
    assert party.description is None and party.parties is None and party.sessions is None
    full = selectors.case_view(case, rules.FULL, with_records=True)
    assert SECRET in full.description and PARTY in full.parties and full.sessions


# ---- web ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "level"), EXPECTED.items())
def test_case_page_per_persona(client, med, name, level):
    agreed_case(med)
    client.force_login(persona(med, name))
    response = client.get(f"/mediation/{med.case.pk}/")
    if level is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert ("双方到场" in html) == (level == rules.FULL)  # session notes
    assert (SECRET in html) == (level == rules.FULL)
    assert (PARTY in html) == (level == rules.FULL)
    assert (AGREEMENT in html) == (level in (rules.FULL, rules.PARTY))


@pytest.mark.parametrize(("name", "level"), EXPECTED.items())
def test_list_and_export_per_persona(client, med, name, level):
    client.force_login(persona(med, name))
    html = client.get("/mediation/").content.decode()
    assert (f"#{med.case.pk}</a>" in html) == (level is not None)
    assert (PARTY in html) == (level == rules.FULL)
    response = client.get("/mediation/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == (0 if level is None else 1)
    text = " ".join(str(v) for row in rows for v in row)
    assert (SECRET in text) == (level == rules.FULL)
    assert (PARTY in text) == (level == rules.FULL)


def test_actions_on_the_page_refused_without_details(client, med):
    client.force_login(med.world.users.official)
    response = client.post(f"/mediation/{med.case.pk}/session/", {"notes": "偷看"}, follow=True)
    assert response.status_code == 200
    assert not med.case.sessions.exists()
    client.force_login(med.world.users.staff_b)
    assert client.post(f"/mediation/{med.case.pk}/session/", {"notes": "x"}).status_code == 404


def test_page_flow_session_outcome_follow_up(client, med):
    client.force_login(med.mediator)
    url = f"/mediation/{med.case.pk}/"
    client.post(url + "session/", {"notes": "第一次调解"}, follow=True)
    response = client.post(
        url + "outcome/", {"outcome": "agreed", "agreement_text": ""}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    med.case.refresh_from_db()
    assert med.case.status == "mediating"
    client.post(url + "outcome/", {"outcome": "agreed", "agreement_text": "互相谅解"})
    med.case.refresh_from_db()
    assert med.case.status == "following_up"
    for visit in med.case.follow_ups.all():
        client.post(url + "follow-up/", {"follow_up": visit.pk, "held": "yes"})
    med.case.refresh_from_db()
    assert med.case.status == "closed"


def test_open_button_on_a_dispute_matter(client, med):
    from tests.factories_matters import make_matter

    matter = make_matter(text="邻居噪音纠纷", building=med.world.y1, category="disputes")
    client.force_login(med.world.users.staff_a)
    response = client.post(f"/mediation/from-matter/{matter.pk}/", {"kind": "neighbour"})
    case = MediationCase.objects.get(matter=matter)
    assert response.status_code == 302 and response["Location"] == f"/mediation/{case.pk}/"
    client.force_login(med.world.users.staff_b)
    assert client.post(f"/mediation/from-matter/{matter.pk}/").status_code == 404


def test_new_case_form(client, med):
    client.force_login(med.world.users.staff_a)
    response = client.post(
        "/mediation/new/",
        {
            "kind": "family",
            "place": f"compound:{med.world.yujia.pk}",
            "description": "婆媳矛盾",
            "parties": "张某\n李某",
        },
    )
    assert response.status_code == 302
    case = MediationCase.objects.get(description="婆媳矛盾")
    assert [p.name for p in case.parties.all()] == ["张某", "李某"]
    client.force_login(med.world.users.official)
    assert client.get("/mediation/new/").status_code == 403


# ---- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "level"), EXPECTED.items())
def test_api_per_persona(client, med, name, level):
    agreed_case(med)
    client.force_login(persona(med, name))
    listing = client.get("/api/v1/mediation/cases").json()
    detail = client.get(f"/api/v1/mediation/cases/{med.case.pk}")
    if level is None:
        assert listing["count"] == 0
        assert detail.status_code == 404 and detail.json()["code"] == "not_found"
        return
    assert listing["count"] == 1 and listing["results"][0]["access"] == level
    body = detail.json()
    assert body["access"] == level and body["status"] == "following_up"
    assert (body["description"] is not None) == (level == rules.FULL)
    assert (body["parties"] is not None) == (level == rules.FULL)
    assert (body["sessions"] is not None) == (level == rules.FULL)
    assert (body["agreement_text"] is not None) == (level in (rules.FULL, rules.PARTY))
    assert PARTY not in str(listing) or level == rules.FULL
    assert SECRET not in str(body) or level == rules.FULL


def test_api_create_and_transitions(client, med):
    world = med.world
    client.force_login(world.users.staff_a)
    response = client.post(
        "/api/v1/mediation/cases",
        {
            "kind": "owners_property",
            "description": "业委会与物业就公共收益分配发生争议",
            "place": f"compound:{world.yujia.pk}",
            "organisation_ids": [world.org_a.pk],
            "party_names": ["某物业公司"],
            "mediator_ids": [world.p_neighbour.pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "not_mediator"
    assert MediationCase.objects.count() == 1
    response = client.post(
        "/api/v1/mediation/cases",
        {
            "kind": "owners_property",
            "description": "业委会与物业就公共收益分配发生争议",
            "place": f"compound:{world.yujia.pk}",
            "organisation_ids": [world.org_a.pk],
            "party_names": ["某物业公司"],
            "mediator_ids": [med.senior.pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    base = f"/api/v1/mediation/cases/{case_id}"
    outcome = client.post(
        base + "/outcome",
        {"outcome": "agreed", "agreement_text": "x"},
        content_type="application/json",
    )
    assert outcome.status_code == 409 and outcome.json()["code"] == "bad_state"
    assert (
        client.post(
            base + "/sessions", {"notes": "双方协商"}, content_type="application/json"
        ).status_code
        == 200
    )
    bad = client.post(
        base + "/outcome",
        {"outcome": "agreed", "agreement_text": ""},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "agreement_required"
    ok = client.post(
        base + "/outcome",
        {"outcome": "partly", "agreement_text": "收益按季度公示"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "following_up"
    visits = ok.json()["follow_ups"]
    assert [v["after_days"] for v in visits] == [7, 30]
    for visit in visits:
        r = client.post(
            f"{base}/follow-ups/{visit['id']}", {"held": True}, content_type="application/json"
        )
        assert r.status_code == 200
    assert r.json()["status"] == "closed"
    # Someone without the details cannot act.
    client.force_login(world.users.official)
    r = client.post(base + "/sessions", {"notes": "x"}, content_type="application/json")
    assert r.status_code in (403, 409)


def test_api_in_the_openapi_schema(client, med):
    client.force_login(med.world.users.staff_a)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/mediation/cases" in paths
    assert "/api/v1/mediation/cases/{case_id}/outcome" in paths
    assert "/api/v1/mediation/cases/{case_id}/follow-ups/{follow_up_id}" in paths


def test_matter_button_only_for_dispute_matters_and_staff(rf, med):
    from django.template.loader import render_to_string

    from gongzhi.matters.views import allowed_actions
    from tests.factories_matters import make_matter

    world = med.world
    dispute = make_matter(text="邻里纠纷", building=world.y1, category="disputes")
    other = make_matter(text="路灯坏了", building=world.y1, category="facilities")

    def shown(user, matter):
        request = rf.get("/")
        request.user = user
        html = render_to_string(
            "mediation/_matter_button.html",
            {
                "matter": matter,
                "allowed": allowed_actions(user, matter),
                "user": user,
                "profile": getattr(user, "profile", None),
            },
            request=request,
        )
        return f"/mediation/from-matter/{matter.pk}/" in html

    assert shown(world.users.staff_a, dispute)
    assert shown(world.users.admin, dispute)
    assert not shown(world.users.staff_a, other)
    assert not shown(world.users.official, dispute)
    assert not shown(world.users.resident_a, dispute)
