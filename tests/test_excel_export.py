"""Exporting registry lists to .xlsx: round trip, masking, and the export command."""

import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from gongzhi.core.excel import workbook_bytes, workbook_content, xlsx_response
from gongzhi.core.places import Place
from gongzhi.partners.excel import (
    PARTNER_HEADERS,
    organisations_export,
    partners_export,
    teams_export,
)
from gongzhi.partners.selectors import organisation_list, partner_list, team_list
from gongzhi.people.excel import (
    HOUSEHOLD_HEADERS,
    households_export,
    import_residents,
    residents_export,
)
from gongzhi.people.models import Resident, Tag
from gongzhi.people.selectors import household_list, resident_list
from gongzhi.places.models import Building, Community, Compound, Household, Unit
from tests.factories import make_id_number
from tests.helpers import xlsx


def sheet_rows(content: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def body(response) -> bytes:
    """A download's bytes, whether it was sent whole or streamed from a temporary file."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def all_xml(content: bytes) -> str:
    """Every part of the workbook as text: nothing can hide in a part openpyxl skips."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def snapshot(residents) -> set[tuple]:
    return {
        (
            r.household.label,
            r.name,
            r.gender,
            r.birth_date,
            r.id_number,
            r.phone,
            r.relation,
            frozenset(tag.name for tag in r.tags.all()),
        )
        for r in residents
    }


def test_residents_export_round_trips_through_import(world):
    # A fresh community with the same compound and building names as community A, filled from
    # an export of A's residents with new ID numbers (ID numbers are unique registry-wide).
    fresh = Community.objects.create(subdistrict=world.sub, name="Z社区")
    yujia = Compound.objects.create(community=fresh, name="渔家苑")
    jinxiu = Compound.objects.create(community=fresh, name="锦绣园")
    for compound, name in [(yujia, "1栋"), (yujia, "2栋"), (jinxiu, "1栋")]:
        Building.objects.create(compound=compound, name=name)
    world.res_a.tags.set(Tag.objects.filter(name__in=["独居老人", "高龄"]))
    world.res_j1.tags.set(Tag.objects.filter(name="低保"))
    seed = sheet_rows(
        workbook_content(
            residents_export(resident_list(world.users.staff_a), personal=True, sensitive_tags=True)
        )
    )
    for row in seed[1:]:
        row[7] = make_id_number(row[6].date(), male=row[5] == "男")
    assert import_residents(xlsx(seed[0], seed[1:]), user=world.users.admin, community=fresh).ok
    in_fresh = resident_list(world.users.admin, place=Place("community", fresh.pk))
    before = snapshot(in_fresh)

    content = workbook_content(residents_export(in_fresh, personal=True, sensitive_tags=True))
    Resident.objects.filter(household__unit__building__compound__community=fresh).delete()
    Household.objects.filter(unit__building__compound__community=fresh).delete()
    Unit.objects.filter(building__compound__community=fresh).delete()
    assert not in_fresh.all().exists()
    result = import_residents(content, user=world.users.admin, community=fresh)

    assert result.ok, result.errors
    assert result.created == len(before) == 5
    assert snapshot(in_fresh.all()) == before
    assert {frozenset(tags) for *_, tags in before} >= {
        frozenset({"独居老人", "高龄"}),
        frozenset({"低保"}),
    }
    assert sheet_rows(
        workbook_content(residents_export(in_fresh.all(), personal=True, sensitive_tags=True))
    ) == sheet_rows(content)


def test_reimporting_an_export_over_itself_reports_every_duplicate(world):
    staff = world.users.staff_a
    content = workbook_content(residents_export(resident_list(staff), personal=True))

    result = import_residents(content, user=staff)

    assert {(e.row, e.column) for e in result.errors if e.column == "身份证号"} == {
        (row, "身份证号") for row in range(2, 7)
    }
    assert Resident.objects.count() == 6


def test_masked_residents_export_holds_no_clear_personal_data(world):
    residents = list(resident_list(world.users.staff_a))
    content = workbook_content(residents_export(resident_list(world.users.staff_a), personal=False))

    text = all_xml(content)
    for resident in residents:
        assert resident.id_number not in text
        assert resident.phone not in text
        assert resident.id_number_masked in text
    assert "139****4321" in text
    assert world.res_b.name not in text  # community B is out of staff_a's reach


def test_masked_export_cannot_be_imported_as_real_data(world):
    content = workbook_content(residents_export(resident_list(world.users.staff_a), personal=False))

    result = import_residents(content, user=world.users.staff_a)

    assert not result.ok
    assert {"身份证号", "联系电话"} <= {error.column for error in result.errors}


def test_residents_export_follows_filters_and_keeps_queries_flat(
    world, django_assert_max_num_queries
):
    qs = resident_list(world.users.staff_a, place=Place("building", world.y1.pk))

    with django_assert_max_num_queries(3):
        content = workbook_content(residents_export(qs, personal=False))

    names = {row[4] for row in sheet_rows(content)[1:]}
    assert names == {"王建国", "李秀英", "赵敏"}


def test_households_export_counts_residents_and_names_heads(world):
    content = workbook_content(households_export(household_list(world.users.staff_a)))

    rows = sheet_rows(content)
    assert rows[0] == HOUSEHOLD_HEADERS
    by_address = {row[0]: row for row in rows[1:]}
    assert set(by_address) == {
        "渔家苑 1栋1单元101",
        "渔家苑 1栋1单元102",
        "渔家苑 2栋1单元201",
        "锦绣园 1栋1单元301",
    }
    assert by_address["渔家苑 1栋1单元101"][1:] == ["渔家苑", "1栋", "1单元", "101", 2, "王建国"]


def test_partner_team_and_organisation_exports_mask_phones(world):
    staff = world.users.staff_a

    partners = partners_export(partner_list(staff))
    teams = teams_export(team_list(staff))
    organisations = organisations_export(organisation_list(staff))

    partner_rows = sheet_rows(partners)
    assert partner_rows[0] == PARTNER_HEADERS
    neighbour = next(row for row in partner_rows if row[0] == "王建国")
    assert neighbour[1:4] == ["睦邻合伙人", "渔家苑", "1栋"]
    assert neighbour[4] == world.res_a.id_number_masked
    assert neighbour[5] == "139****1111"
    assert "吴刚" not in {row[0] for row in partner_rows}
    for content in (partners, teams, organisations):
        text = all_xml(content)
        assert "13900001111" not in text and "13700001234" not in text
        assert world.res_a.id_number not in text
    team = next(row for row in sheet_rows(teams) if row[0] == "渔家苑志愿服务队")
    assert team[1:8] == ["志愿服务队", "X社区", "渔家苑", None, "王建国", "139****1111", 1]
    committee = next(row for row in sheet_rows(organisations) if row[0] == "X社区居委会")
    assert committee[1] == "社区居委会" and committee[6] == "137****1234"


def test_export_registry_command(world, tmp_path):
    out = tmp_path / "residents.xlsx"

    call_command(
        "export_registry",
        "residents",
        "--output",
        str(out),
        "--place",
        f"compound:{world.jinxiu.pk}",
    )
    masked = sheet_rows(out.read_bytes())
    call_command(
        "export_registry",
        "residents",
        "--output",
        str(out),
        "--place",
        f"compound:{world.jinxiu.pk}",
        "--personal",
    )
    personal = sheet_rows(out.read_bytes())

    assert [row[4] for row in masked[1:]] == ["周芳"]
    assert masked[1][7] == world.res_j1.id_number_masked
    assert personal[1][7] == world.res_j1.id_number


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("partners", {"吴刚"}),
        ("teams", {"江南志愿服务队"}),
        ("organisations", {"Y社区居委会"}),
        ("households", {"江南小区 1栋1单元401"}),
    ],
)
def test_export_registry_command_by_community(world, tmp_path, kind, expected):
    out = tmp_path / f"{kind}.xlsx"

    call_command("export_registry", kind, "--output", str(out), "--community", "Y社区")

    assert {row[0] for row in sheet_rows(out.read_bytes())[1:]} == expected


def test_export_registry_command_refuses_bad_arguments(world, tmp_path):
    out = str(tmp_path / "x.xlsx")

    with pytest.raises(CommandError):
        call_command("export_registry", "residents", "--output", out, "--place", "moon:1")
    with pytest.raises(CommandError):
        call_command("export_registry", "partners", "--output", out, "--personal")
    with pytest.raises(CommandError):
        call_command("export_registry", "teams", "--output", out, "--community", "无此社区")


def test_workbook_has_bold_frozen_header_and_no_formulas():
    content = workbook_bytes("表", ["姓名", "备注"], [['=HYPERLINK("http://x")', "正常"]])

    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]

    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == '=HYPERLINK("http://x")'
    assert sheet.column_dimensions["A"].width > 10


def test_xlsx_response_names_chinese_files_per_rfc_5987():
    response = xlsx_response("居民 名单.xlsx", b"PK")

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="export.xlsx"')
    assert "filename*=UTF-8''%E5%B1%85%E6%B0%91%20%E5%90%8D%E5%8D%95.xlsx" in disposition
    assert xlsx_response("residents.xlsx", b"")["Content-Disposition"].startswith(
        'attachment; filename="residents.xlsx"'
    )


def test_stored_control_characters_never_break_an_export(client, world):
    # Rows stored before the door cleaned text (issue 12, defect 1): one BEL in a matter or an
    # experience made every export of that list answer 500 (openpyxl IllegalCharacterError).
    from gongzhi.experiences import services as experiences
    from gongzhi.experiences.models import Experience
    from gongzhi.matters.models import Matter
    from tests.factories_matters import make_matter

    matter = make_matter(building=world.y1)
    Matter.objects.filter(pk=matter.pk).update(text="楼道灯坏了\u0007")
    entry = experiences.experience_create(
        actor=world.users.staff_a, title="楼道灯", body="及时报修", tags="照明", community=world.a
    )
    Experience.objects.filter(pk=entry.pk).update(title="楼道\u0007灯", body="及时\x1b报修\x08")
    client.force_login(world.users.staff_a)
    for url, expected in (
        ("/matters/?format=xlsx", "楼道灯坏了"),
        ("/experiences/?format=xlsx", "楼道灯"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        cells = [value for row in sheet_rows(body(response)) for value in row]
        assert expected in cells, url
        assert not any(ch in str(cell) for cell in cells for ch in "\x07\x08\x1b"), url


def test_every_stored_character_openpyxl_refuses_is_dropped():
    refused = "".join(chr(n) for n in range(32) if chr(n) not in "\t\n\r")
    content = workbook_bytes("表", ["备注"], [[f"前{refused}\u007f\u0085后"], ["=1+1"]])

    assert sheet_rows(content) == [["备注"], ["前后"], ["=1+1"]]
    assert "<f>" not in all_xml(content)
