"""双报到: units and in-service members register with the community, claim posts and wishes,
and each quarter the community sends every unit its members' participation (docs/party.md)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from gongzhi.accounts.models import UserRole
from gongzhi.partners.models import Organisation
from gongzhi.party import selectors
from gongzhi.party.models import Claim, InServiceMember, ReportingUnit
from gongzhi.party.services import (
    PartyError,
    in_service_register,
    member_wish_claim,
    post_claim,
    post_create,
    reporting_unit_register,
)
from gongzhi.projects.models import WishStatus
from gongzhi.projects.services import wish_post
from gongzhi.volunteering import services as volunteering
from tests.conftest import login
from tests.factories import make_user


@pytest.fixture
def unit(world):
    tax = Organisation.objects.create(name="区税务局", kind="department", subdistrict=world.sub)
    return reporting_unit_register(actor=world.users.staff_a, organisation=tax, community=world.a)


def _hours(world, participant, minutes, *, confirm=True):
    staff = world.users.staff_a
    activity = volunteering.activity_create(
        title=f"报到服务 {minutes}",
        kind="service",
        organiser=world.team_a,
        actor=staff,
        date=timezone.localdate(),
        community=world.a,
    )
    record = volunteering.service_record_add(
        activity=activity, participant=participant, minutes=minutes, actor=staff
    )
    if confirm:
        volunteering.service_record_confirm(record=record, actor=staff)


def test_unit_of_another_subdistrict_community_is_refused(world):
    with pytest.raises(PartyError) as exc:
        reporting_unit_register(
            actor=world.users.staff_a, organisation=world.org_b, community=world.a
        )
    assert exc.value.code == "other_community"
    assert not ReportingUnit.objects.exists()


def test_unit_registers_once(world, unit):
    with pytest.raises(PartyError) as exc:
        reporting_unit_register(
            actor=world.users.staff_a, organisation=unit.organisation, community=world.a
        )
    assert exc.value.code == "already_registered"


def test_member_from_another_community_is_refused(world, unit):
    with pytest.raises(PartyError) as exc:
        in_service_register(actor=world.users.staff_a, unit=unit, person=world.res_b)
    assert exc.value.code == "other_community"
    assert "吴刚" in exc.value.message
    assert not InServiceMember.objects.exists()


def test_member_registers_with_their_own_account_but_not_someone_else(world, unit):
    member = in_service_register(actor=world.users.resident_a, unit=unit, person=world.res_a)
    assert member.registered_by == world.users.resident_a
    with pytest.raises(PartyError) as exc:
        in_service_register(actor=world.users.resident_a, unit=unit, person=world.res_y2)
    assert exc.value.code == "forbidden"
    with pytest.raises(PartyError) as exc:
        in_service_register(actor=world.users.staff_b, unit=unit, person=world.res_y2)
    assert exc.value.code == "forbidden"


def test_registration_by_partner_record_is_the_same_person(world, unit):
    in_service_register(actor=world.users.staff_a, unit=unit, person=world.res_a)
    with pytest.raises(PartyError) as exc:
        in_service_register(actor=world.users.staff_a, unit=unit, person=world.p_neighbour)
    assert exc.value.code == "already_registered"


def test_member_claims_a_post_and_a_wish_through_the_wish_board(world, unit):
    member = in_service_register(actor=world.users.staff_a, unit=unit, person=world.p_neighbour)
    post = post_create(actor=world.users.staff_a, community=world.a, title="楼栋政策宣传员")
    post_claim(actor=world.users.partner_a, member=member, post=post)
    with pytest.raises(PartyError) as exc:
        post_claim(actor=world.users.partner_a, member=member, post=post)
    assert exc.value.code == "already_claimed"

    neighbour = make_user(
        "resident_y2", role=UserRole.RESIDENT, community=world.a, resident=world.res_y2
    )
    wish = wish_post(actor=neighbour, text="想请人帮忙修一下自行车", category="other")
    # staff cannot claim a wish for the member: the wish board lets only partners claim
    with pytest.raises(PartyError):
        member_wish_claim(actor=world.users.staff_a, member=member, wish=wish)
    claim = member_wish_claim(actor=world.users.partner_a, member=member, wish=wish)
    wish.refresh_from_db()
    assert (wish.status, wish.claimed_by) == (WishStatus.CLAIMED, world.p_neighbour)
    assert claim.wish == wish
    # a second claim of the same wish is refused by the wish board's own rule
    with pytest.raises(PartyError) as exc:
        member_wish_claim(actor=world.users.partner_a, member=member, wish=wish)
    assert exc.value.code == "bad_stage"
    assert Claim.objects.filter(member=member).count() == 2


def test_members_hours_appear_in_their_units_feedback_export(world, unit, tmp_path):
    in_service_register(actor=world.users.staff_a, unit=unit, person=world.res_a)
    in_service_register(actor=world.users.staff_a, unit=unit, person=world.res_y2)
    _hours(world, world.res_a, 150)
    _hours(world, world.res_a, 30)
    _hours(world, world.res_y2, 600, confirm=False)  # not confirmed: not reported
    quarter = selectors.quarter_of(timezone.localdate())

    xlsx = tmp_path / "f.xlsx"
    call_command("unit_feedback", community="X社区", quarter=quarter, output=str(xlsx))
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("报到单位", "姓名", "报到日期", "服务时长（小时）")
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["王建国"][0] == "区税务局"
    assert by_name["王建国"][3] == 3
    assert by_name["孙立"][3] == 0

    docx = tmp_path / "f.docx"
    call_command("unit_feedback", community="X社区", quarter=quarter, output=str(docx))
    document = Document(str(docx))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "区税务局" in text and "累计服务3小时" in text
    hours = {row.cells[0].text: row.cells[2].text for row in document.tables[0].rows[1:]}
    assert hours == {"王建国": "3", "孙立": "0"}


def test_hours_outside_the_quarter_are_not_counted(world, unit):
    in_service_register(actor=world.users.staff_a, unit=unit, person=world.res_a)
    _hours(world, world.res_a, 120)
    start, end = selectors.parse_quarter("2020Q1")
    (feedback,) = selectors.unit_feedback(
        world.users.staff_a, community_id=world.a.pk, start=start, end=end
    )
    assert feedback.lines[0].hours == 0


def test_bad_quarter_and_output_are_clear_errors(world, tmp_path):
    with pytest.raises(CommandError, match="2026Q4"):
        call_command(
            "unit_feedback", community="X社区", quarter="2026-4", output=str(tmp_path / "f.xlsx")
        )
    with pytest.raises(CommandError):
        call_command(
            "unit_feedback", community="X社区", quarter="2026Q4", output=str(tmp_path / "f.pdf")
        )


def test_feedback_page_and_download_button(world, unit, client):
    in_service_register(actor=world.users.staff_a, unit=unit, person=world.res_a)
    _hours(world, world.res_a, 90)
    quarter = selectors.quarter_of(timezone.localdate())
    login(client, world.users.staff_a)
    page = client.get("/party/units/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "区税务局" in page and "王建国" in page and "feedback.docx" in page
    answer = client.get(f"/party/units/feedback.xlsx?community={world.a.pk}&quarter={quarter}")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == [1.5]
    # staff of Y see nothing of X; residents nothing at all
    login(client, world.users.staff_b)
    assert "王建国" not in client.get("/party/units/").content.decode()
    assert (
        client.get(
            f"/party/units/feedback.docx?community={world.a.pk}&quarter={quarter}"
        ).status_code
        == 404
    )
    assert client.get("/api/v1/party/units").json() == []
    login(client, world.users.resident_a)
    assert client.get("/party/units/").status_code == 403
    assert client.get("/api/v1/party/units").status_code == 403


def test_api_registers_a_member_and_refuses_another_community_in_chinese(world, unit, client):
    login(client, world.users.staff_a)
    answer = client.post(
        f"/api/v1/party/units/{unit.pk}/members",
        {"resident_id": world.res_b.pk},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "other_community"
    assert "社区" in answer.json()["message"]
    answer = client.post(
        f"/api/v1/party/units/{unit.pk}/members",
        {"resident_id": world.res_a.pk},
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert client.get("/api/v1/party/units").json()[0]["members"] == 1


def test_staff_register_a_unit_and_a_member_on_the_page(world, client):
    world.p_neighbour.is_party_member = True
    world.p_neighbour.save(update_fields=["is_party_member"])
    login(client, world.users.staff_a)
    page = client.get("/party/units/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "区房管局" in page  # a department of the subdistrict, not yet registered
    client.post("/party/units/", {"organisation": world.org_dept.pk})
    unit = ReportingUnit.objects.get()
    assert (unit.organisation, unit.community) == (world.org_dept, world.a)
    page = client.get("/party/units/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "王建国" in page  # a party-member partner offered for registration
    client.post("/party/units/", {"unit": unit.pk, "partner": world.p_neighbour.pk})
    member = InServiceMember.objects.get()
    assert (member.resident, member.partner) == (world.res_a, world.p_neighbour)
    answer = client.post(
        "/party/units/",
        {"unit": unit.pk, "partner": world.p_b.pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    assert "吴刚不住在本社区" in answer.content.decode()
    assert InServiceMember.objects.count() == 1
