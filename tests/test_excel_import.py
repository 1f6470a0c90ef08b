"""Importing residents and partners from .xlsx: all or nothing, every error by row and column."""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import override

from gongzhi.accounts.models import UserRole
from gongzhi.core import crypto
from gongzhi.core.excel import ExcelError, read_rows
from gongzhi.core.identity import id_check_digit
from gongzhi.partners.excel import PARTNER_HEADERS, import_partners, partners_template
from gongzhi.partners.models import Partner, PartnerKind, PartnerStatus
from gongzhi.people.excel import RESIDENT_HEADERS, import_residents, residents_template
from gongzhi.people.models import Relation, Resident
from gongzhi.places.models import Unit
from tests.factories import make_id_number, make_user
from tests.helpers import registry_counts, resident_row, xlsx


def pairs(result) -> set[tuple[int, str]]:
    return {(error.row, error.column) for error in result.errors}


# --- the happy path ---------------------------------------------------------------------------


def test_staff_imports_new_household_and_member_of_existing_household(world):
    head_id = make_id_number(dt.date(1985, 2, 3), male=True)
    spouse_id = make_id_number(dt.date(1987, 8, 9), male=False)
    child_id = make_id_number(dt.date(2010, 1, 1), male=False)
    content = xlsx(
        RESIDENT_HEADERS,
        [
            resident_row(姓名="钱多多", 身份证号=head_id, 标签="党员、退役军人"),
            resident_row(姓名="孙美丽", 身份证号=spouse_id, 与户主关系="配偶", 联系电话=""),
            # An existing household; unit and building written as bare numbers.
            resident_row(
                小区="锦绣园",
                楼栋="1",
                单元=1,
                门牌号=301,
                姓名="周小芳",
                身份证号=child_id,
                与户主关系="子女",
                标签="留守儿童",
            ),
        ],
    )
    residents, households, units = registry_counts()

    result = import_residents(content, user=world.users.staff_a)

    assert result.ok, result.errors
    assert result.created == 3
    assert registry_counts() == (residents + 3, households + 1, units + 1)
    head = Resident.objects.get(id_number_digest=crypto.digest(head_id))
    assert head.household.label == "渔家苑 2栋3单元301"
    assert head.relation == Relation.HEAD
    assert head.gender == "M" and head.birth_date == dt.date(1985, 2, 3)
    assert head.phone == "13611112222"
    assert sorted(tag.name for tag in head.tags.all()) == ["党员", "退役军人"]
    spouse = Resident.objects.get(name="孙美丽")
    assert spouse.household == head.household and spouse.gender == "F" and spouse.phone == ""
    child = Resident.objects.get(name="周小芳")
    assert child.household == world.h_j1
    assert child.id_number == child_id
    assert Unit.objects.get(building=world.y2, name="3单元").number == 3


def test_resident_without_id_number_needs_gender_and_birth_date(world):
    content = xlsx(
        RESIDENT_HEADERS,
        [
            resident_row(身份证号="", 性别="女", 出生日期="1990/3/4", 姓名="无证"),
            resident_row(身份证号="", 门牌号="302", 姓名="缺项"),
        ],
    )

    result = import_residents(content, user=world.users.staff_a)

    assert pairs(result) == {(3, "性别"), (3, "出生日期")}
    assert not Resident.objects.filter(name="无证").exists()


def test_template_is_importable_and_explains_each_column(world):
    content = residents_template()
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["居民", "填写说明"]
    assert [cell.value for cell in workbook["居民"][1]] == RESIDENT_HEADERS
    explained = {row[0] for row in workbook["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert set(RESIDENT_HEADERS) <= explained

    result = import_residents(content, user=world.users.staff_a)

    assert result.ok, result.errors
    assert Resident.objects.get(name="张三").household.label == "渔家苑 1栋1单元502"


# --- every error, by row and column ------------------------------------------------------------


def test_every_row_error_is_collected_with_row_column_and_reason(world):
    good_first17 = make_id_number()[:17]
    wrong_digit = "0" if id_check_digit(good_first17) != "0" else "1"
    rows = [
        resident_row(),  # row 2: fine
        resident_row(小区="不存在小区", 门牌号="1"),  # row 3
        resident_row(楼栋="9栋", 门牌号="2"),  # row 4
        resident_row(身份证号=good_first17 + wrong_digit, 门牌号="3"),  # row 5
        resident_row(联系电话="12345", 性别="男女", 门牌号="4", 身份证号=""),  # row 6
        resident_row(出生日期="明天", 标签="不存在的标签", 门牌号="5", 身份证号=""),  # row 7
        resident_row(姓名="", 与户主关系="邻居", 门牌号="6"),  # row 8
    ]
    before = registry_counts()

    with override("zh-hans"):
        result = import_residents(xlsx(RESIDENT_HEADERS, rows), user=world.users.staff_a)

    assert not result.ok and result.created == 0
    assert {
        (3, "小区"),
        (4, "楼栋"),
        (5, "身份证号"),
        (6, "联系电话"),
        (6, "性别"),
        (7, "出生日期"),
        (7, "标签"),
        (8, "姓名"),
        (8, "与户主关系"),
    } <= pairs(result)
    assert all(error.reason for error in result.errors)
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    assert registry_counts() == before


def test_three_good_rows_and_one_bad_row_import_nothing(world):
    rows = [resident_row(门牌号=str(room), 姓名=f"好人{room}") for room in (501, 502, 503)]
    rows.append(resident_row(楼栋="99栋", 门牌号="504"))
    before = registry_counts()

    result = import_residents(xlsx(RESIDENT_HEADERS, rows), user=world.users.staff_a)

    assert pairs(result) == {(5, "楼栋")}
    assert "99栋" in result.errors[0].reason
    assert registry_counts() == before
    assert not Resident.objects.filter(name__startswith="好人").exists()


def test_bad_id_checksum_is_refused(world):
    valid = make_id_number()
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")

    result = import_residents(
        xlsx(RESIDENT_HEADERS, [resident_row(身份证号=wrong)]), user=world.users.staff_a
    )

    assert pairs(result) == {(2, "身份证号")}
    assert "校验位" in result.errors[0].reason


def test_duplicate_id_numbers_in_file_and_in_registry(world):
    twice = make_id_number(dt.date(1970, 1, 1))
    rows = [
        resident_row(身份证号=twice, 门牌号="601"),
        resident_row(身份证号=twice, 门牌号="602"),
        resident_row(身份证号=world.res_a.id_number, 门牌号="603"),
    ]
    before = registry_counts()

    result = import_residents(xlsx(RESIDENT_HEADERS, rows), user=world.users.staff_a)

    assert pairs(result) == {(3, "身份证号"), (4, "身份证号")}
    assert "第 2 行" in result.errors[0].reason
    assert registry_counts() == before


def test_one_head_per_household_across_file_and_registry(world):
    rows = [
        resident_row(门牌号="701", 姓名="甲"),
        resident_row(门牌号="701", 姓名="乙", 身份证号=make_id_number(dt.date(1981, 1, 1))),
        # 渔家苑 1栋1单元101 already has 王建国 as head.
        resident_row(楼栋="1栋", 单元="1单元", 门牌号="101", 身份证号=make_id_number()),
    ]

    result = import_residents(xlsx(RESIDENT_HEADERS, rows), user=world.users.staff_a)

    assert pairs(result) == {(3, "与户主关系"), (4, "与户主关系")}


def test_gender_and_birth_date_must_match_id_number(world):
    id_number = make_id_number(dt.date(1985, 2, 3), male=True)
    row = resident_row(身份证号=id_number, 性别="女", 出生日期=dt.date(1985, 2, 4))

    result = import_residents(xlsx(RESIDENT_HEADERS, [row]), user=world.users.staff_a)

    assert pairs(result) == {(2, "性别"), (2, "出生日期")}


# --- whole-file problems -----------------------------------------------------------------------


def test_truncated_xlsx_is_refused_clearly(world):
    content = xlsx(RESIDENT_HEADERS, [resident_row()])
    before = registry_counts()

    with override("zh-hans"):
        result = import_residents(content[: len(content) // 2], user=world.users.staff_a)

    assert [(e.row, e.column) for e in result.errors] == [(0, "")]
    assert result.errors[0].reason
    assert registry_counts() == before


def test_zip_that_is_not_a_workbook_is_refused(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    result = import_residents(buffer.getvalue(), user=world.users.staff_a)

    assert [(e.row, e.column) for e in result.errors] == [(0, "")]


def test_text_file_renamed_xlsx_is_refused(world, tmp_path):
    path = tmp_path / "居民.xlsx"
    path.write_text("小区,楼栋,单元\n渔家苑,1栋,1单元\n", encoding="utf-8")

    result = import_residents(path, user=world.users.staff_a)

    assert [(e.row, e.column) for e in result.errors] == [(0, "")]
    assert ".xlsx" in result.errors[0].reason


def test_wrong_headers_are_named(world):
    headers = [" 小区 ", "楼栋", "单元", "门牌号", "籍贯"]  # 姓名 missing, 籍贯 unknown

    result = import_residents(
        xlsx(headers, [["渔家苑", "1栋", "1单元", "101", "湖北"]]), user=world.users.staff_a
    )

    assert pairs(result) == {(1, "籍贯"), (1, "姓名")}


def test_header_only_file_is_refused(world):
    result = import_residents(xlsx(RESIDENT_HEADERS, []), user=world.users.staff_a)

    assert [(e.row, e.column) for e in result.errors] == [(0, "")]


def test_upload_over_the_limit_is_refused(world, settings):
    content = xlsx(RESIDENT_HEADERS, [resident_row()])
    settings.GONGZHI_MAX_UPLOAD_BYTES = len(content) - 1
    upload = SimpleUploadedFile("居民.xlsx", content)

    result = import_residents(upload, user=world.users.staff_a)

    assert [(e.row, e.column) for e in result.errors] == [(0, "")]
    assert not Resident.objects.filter(name="钱多多").exists()


def test_upload_whose_size_lies_is_cut_at_the_limit(settings):
    content = xlsx(RESIDENT_HEADERS, [resident_row()])
    settings.GONGZHI_MAX_UPLOAD_BYTES = 100
    upload = SimpleUploadedFile("居民.xlsx", content)
    upload.size = 10

    with pytest.raises(ExcelError):
        read_rows(upload, headers=RESIDENT_HEADERS, required=set())


def test_fifty_megabytes_are_refused_before_parsing(tmp_path, monkeypatch):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed an oversized file")

    monkeypatch.setattr("gongzhi.core.xlsx_read.load_workbook", must_not_parse)
    fifty_mb = 50 * 1024 * 1024
    path = tmp_path / "big.xlsx"
    with path.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(fifty_mb)  # sparse: nothing is held in memory

    with pytest.raises(ExcelError) as from_path:
        read_rows(path, headers=RESIDENT_HEADERS, required=set())
    upload = TemporaryUploadedFile("big.xlsx", "application/octet-stream", fifty_mb, None)
    upload.file.truncate(fifty_mb)
    with pytest.raises(ExcelError) as from_upload:
        read_rows(upload, headers=RESIDENT_HEADERS, required=set())
    upload.close()

    assert from_path.value.errors[0].row == 0
    assert "MB" in from_upload.value.errors[0].reason


# --- who may import where ----------------------------------------------------------------------


def test_staff_of_b_may_not_import_into_a(world):
    content = xlsx(RESIDENT_HEADERS, [resident_row()])

    with pytest.raises(PermissionDenied):
        import_residents(content, user=world.users.staff_b, community=world.a)
    with pytest.raises(PermissionDenied):
        import_partners(partners_template(), user=world.users.staff_b, community=world.a)


def test_staff_of_b_cannot_reach_a_compound_by_name(world):
    result = import_residents(xlsx(RESIDENT_HEADERS, [resident_row()]), user=world.users.staff_b)

    assert pairs(result) == {(2, "小区")}


@pytest.mark.parametrize("persona", ["resident_a", "partner_a", "grid_a1", "official"])
def test_only_staff_may_import(world, persona):
    content = xlsx(RESIDENT_HEADERS, [resident_row()])

    with pytest.raises(PermissionDenied):
        import_residents(content, user=getattr(world.users, persona))
    with pytest.raises(PermissionDenied):
        import_partners(partners_template(), user=getattr(world.users, persona))


def test_superuser_imports_into_the_community_they_name(world):
    content = xlsx(RESIDENT_HEADERS, [resident_row()])

    with pytest.raises(ValueError, match="community"):
        import_residents(content, user=world.users.admin)
    result = import_residents(content, user=world.users.admin, community=world.a)

    assert result.created == 1


def test_compound_staff_may_not_import_into_another_compound(world):
    staff = make_user("staff_yujia", role=UserRole.COMMUNITY_STAFF, compound=world.yujia)
    rows = [resident_row(), resident_row(小区="锦绣园", 楼栋="1栋", 门牌号="309")]

    result = import_residents(xlsx(RESIDENT_HEADERS, rows), user=staff)

    assert pairs(result) == {(3, "楼栋")}


# --- partners ----------------------------------------------------------------------------------


def partner_row(**values) -> list:
    base = dict.fromkeys(PARTNER_HEADERS, "")
    base.update(values)
    return [base[header] for header in PARTNER_HEADERS]


def test_staff_imports_partners_of_all_three_kinds(world):
    rows = [
        partner_row(
            姓名="赵敏",
            类型="睦邻合伙人",
            小区="渔家苑",
            楼栋="1栋",
            身份证号=world.res_y1b.id_number,
            技能="水电维修、矛盾调解",
            角色="楼栋长",
            党员="是",
            加入日期="2024-01-02",
        ),
        partner_row(姓名="设计师", 类型="建设合伙人", 小区="锦绣园", 联系电话="027-84841234"),
        partner_row(姓名="快递小哥", 类型="团队合伙人", 角色="户外工作者", 状态="暂停"),
    ]
    before = Partner.objects.count()

    result = import_partners(xlsx(PARTNER_HEADERS, rows), user=world.users.staff_a)

    assert result.ok, result.errors
    assert result.created == 3 and Partner.objects.count() == before + 3
    neighbour = Partner.objects.get(name="赵敏")
    assert neighbour.resident == world.res_y1b
    assert neighbour.building == world.y1 and neighbour.compound == world.yujia
    assert neighbour.phone == world.res_y1b.phone
    assert neighbour.is_party_member and neighbour.joined_on == dt.date(2024, 1, 2)
    assert {s.name for s in neighbour.skills.all()} == {"矛盾调解", "水电维修"}
    assert [r.name for r in neighbour.roles.all()] == ["楼栋长"]
    builder = Partner.objects.get(name="设计师")
    assert builder.kind == PartnerKind.CONSTRUCTION and builder.building is None
    assert builder.compound == world.jinxiu
    courier = Partner.objects.get(name="快递小哥")
    assert courier.compound is None and courier.status == PartnerStatus.PAUSED
    assert courier.community == world.a


def test_partner_rows_are_checked_against_kind_place_and_resident(world):
    rows = [
        partner_row(姓名="无楼栋", 类型="睦邻合伙人", 小区="渔家苑"),  # 2
        partner_row(姓名="团队", 类型="团队合伙人", 小区="渔家苑"),  # 3
        partner_row(姓名="建设", 类型="建设合伙人", 小区="渔家苑", 楼栋="1栋"),  # 4
        partner_row(
            姓名="外社区", 类型="建设合伙人", 小区="渔家苑", 身份证号=world.res_b.id_number
        ),
        partner_row(姓名="冒名", 类型="建设合伙人", 小区="渔家苑", 身份证号=world.res_j1.id_number),
        partner_row(
            姓名="王建国",
            类型="睦邻合伙人",
            小区="渔家苑",
            楼栋="1栋",
            身份证号=world.res_a.id_number,
        ),  # 7: already a neighbour partner
        partner_row(姓名="未知", 类型="合伙人", 技能="飞行", 党员="也许", 加入日期="昨天"),  # 8
    ]
    before = Partner.objects.count()

    with override("zh-hans"):
        result = import_partners(xlsx(PARTNER_HEADERS, rows), user=world.users.staff_a)

    assert pairs(result) == {
        (2, "楼栋"),
        (3, "小区"),
        (4, "楼栋"),
        (5, "身份证号"),
        (6, "姓名"),
        (7, "身份证号"),
        (8, "类型"),
        (8, "技能"),
        (8, "党员"),
        (8, "加入日期"),
    }
    assert all(error.reason for error in result.errors)
    assert Partner.objects.count() == before


def test_partners_template_imports(world):
    result = import_partners(partners_template(), user=world.users.staff_a)

    assert result.ok, result.errors
    assert result.created == 2


# --- commands ----------------------------------------------------------------------------------


def test_import_residents_command(world, tmp_path, capsys):
    path = tmp_path / "居民.xlsx"
    path.write_bytes(xlsx(RESIDENT_HEADERS, [resident_row()]))

    with pytest.raises(CommandError, match="community"):
        call_command("import_residents", str(path))
    call_command("import_residents", str(path), "--community", "X社区")

    assert "1" in capsys.readouterr().out
    assert Resident.objects.filter(name="钱多多", household__unit__building=world.y2).exists()


def test_import_residents_command_reports_every_error(world, tmp_path, capsys):
    path = tmp_path / "居民.xlsx"
    rows = [resident_row(楼栋="9栋"), resident_row(身份证号="123", 门牌号="2")]
    path.write_bytes(xlsx(RESIDENT_HEADERS, rows))
    before = registry_counts()

    with pytest.raises(CommandError):
        call_command("import_residents", str(path), "--community", "X社区")

    err = capsys.readouterr().err
    assert "【楼栋】" in err and "【身份证号】" in err
    assert registry_counts() == before


def test_import_partners_command(world, tmp_path, capsys):
    path = tmp_path / "合伙人.xlsx"
    path.write_bytes(partners_template())
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not excel")

    call_command("import_partners", str(path), "--community", "X社区")
    with pytest.raises(CommandError):
        call_command("import_partners", str(bad), "--community", "X社区")
    with pytest.raises(CommandError, match="Z社区"):
        call_command("import_partners", str(path), "--community", "Z社区")

    assert Partner.objects.filter(name="张三", community=world.a).exists()


# --- the upload pages --------------------------------------------------------------------------


def upload(content: bytes, name: str = "居民.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_staff_sees_the_upload_form_with_a_template_link(world, client):
    client.force_login(world.users.staff_a)

    response = client.get(reverse("people:import"))

    assert response.status_code == 200
    assert reverse("people:import_template") in response.text
    assert 'name="community"' not in response.text


def test_upload_with_errors_shows_every_error_and_writes_nothing(world, client):
    client.force_login(world.users.staff_a)
    rows = [resident_row(), resident_row(楼栋="9栋", 门牌号="2", 身份证号="123")]
    before = registry_counts()

    response = client.post(reverse("people:import"), {"file": upload(xlsx(RESIDENT_HEADERS, rows))})

    assert response.status_code == 400
    errors = response.context["errors"]
    assert {(e.row, e.column) for e in errors} == {(3, "楼栋"), (3, "身份证号")}
    assert "<td>3</td><td>楼栋</td>" in response.text
    assert registry_counts() == before


def test_upload_of_a_renamed_text_file_is_a_400_not_a_500(world, client):
    client.force_login(world.users.staff_a)

    response = client.post(reverse("people:import"), {"file": upload(b"just text")})

    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["errors"]] == [(0, "")]


def test_upload_over_the_limit_is_a_400(world, client, settings):
    settings.GONGZHI_MAX_UPLOAD_BYTES = 1024
    client.force_login(world.users.staff_a)

    response = client.post(reverse("people:import"), {"file": upload(b"PK\x03\x04" * 1000)})

    assert response.status_code == 400
    assert "1.0" in response.context["errors"][0].reason


def test_good_upload_imports_and_returns_to_the_list(world, client):
    client.force_login(world.users.staff_a)

    response = client.post(
        reverse("people:import"), {"file": upload(xlsx(RESIDENT_HEADERS, [resident_row()]))}
    )

    assert response.status_code == 302
    assert response.url == reverse("people:residents")
    assert Resident.objects.filter(name="钱多多").exists()


def test_post_without_a_file_is_a_400(world, client):
    client.force_login(world.users.staff_a)

    response = client.post(reverse("partners:import"), {})

    assert response.status_code == 400


def test_superuser_chooses_the_community(world, client):
    client.force_login(world.users.admin)
    content = xlsx(PARTNER_HEADERS, [partner_row(姓名="新人", 类型="团队合伙人")])

    page = client.get(reverse("partners:import"))
    without = client.post(reverse("partners:import"), {"file": upload(content)})
    done = client.post(
        reverse("partners:import"), {"file": upload(content), "community": world.b.pk}
    )

    assert 'name="community"' in page.text
    assert without.status_code == 400
    assert done.status_code == 302 and done.url == reverse("partners:partners")
    assert Partner.objects.get(name="新人").community == world.b


@pytest.mark.parametrize("persona", ["resident_a", "partner_a", "grid_a1", "official"])
def test_import_pages_are_forbidden_without_the_right(world, client, persona):
    client.force_login(getattr(world.users, persona))

    assert client.get(reverse("people:import")).status_code == 403
    assert client.post(reverse("partners:import"), {}).status_code == 403


def test_import_pages_need_a_login(client, db):
    response = client.get(reverse("people:import"))

    assert response.status_code == 302 and "login" in response.url


@pytest.mark.parametrize("name", ["people:import_template", "partners:import_template"])
def test_templates_download_as_xlsx(world, client, name):
    client.force_login(world.users.staff_a)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames[1] == "填写说明"
