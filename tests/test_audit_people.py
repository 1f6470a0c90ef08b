"""Every kind of access to residents and households leaves one audit record: a page or API view,
a list request (one per request, with its filters), an export, an import, a change, a full
number shown. Sensitive tags reach only the roles that need them."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from gongzhi.audit.models import AuditRecord
from gongzhi.people.excel import RESIDENT_HEADERS
from gongzhi.people.models import Resident, Tag
from tests.helpers import resident_row, xlsx


def records(**filters):
    return list(AuditRecord.objects.filter(**filters).order_by("id"))


def only(**filters) -> AuditRecord:
    [row] = records(**filters)
    return row


# --- views --------------------------------------------------------------------------------------


def test_resident_page_is_a_view_with_user_place_and_address(world, client):
    client.force_login(world.users.staff_a)
    response = client.get(
        reverse("people:resident", args=[world.res_a.pk]), REMOTE_ADDR="192.0.2.10"
    )
    assert response.status_code == 200
    row = only(action="view")
    assert (row.actor, row.subject, row.address) == (
        world.users.staff_a,
        f"resident:{world.res_a.pk}",
        "192.0.2.10",
    )
    assert (row.subdistrict_id, row.community_id) == (world.sub.pk, world.a.pk)
    assert "no-store" in response["Cache-Control"]


def test_a_resident_out_of_reach_is_a_404_and_no_record(world, client):
    client.force_login(world.users.staff_b)
    assert client.get(reverse("people:resident", args=[world.res_a.pk])).status_code == 404
    assert records() == []


def test_api_record_is_a_view(world, client):
    client.force_login(world.users.grid_a1)
    response = client.get(f"/api/v1/residents/{world.res_a.pk}")
    assert response.status_code == 200
    row = only(action="view")
    assert (row.actor_username, row.subject, row.community_id) == (
        "grid_a1",
        f"resident:{world.res_a.pk}",
        world.a.pk,
    )


def test_household_page_and_api_are_views(world, client):
    client.force_login(world.users.staff_a)
    client.get(reverse("people:household", args=[world.h_y1.pk]))
    client.get(f"/api/v1/households/{world.h_y1.pk}")
    assert [r.subject for r in records(action="view")] == [f"household:{world.h_y1.pk}"] * 2


def test_a_list_is_one_view_with_its_filters_and_no_searched_name(world, client):
    client.force_login(world.users.staff_a)
    place = f"compound:{world.yujia.pk}"
    response = client.get(reverse("people:residents"), {"place": place, "q": "王建国"})
    assert response.status_code == 200
    row = only(action="view")
    assert row.subject == "residents"
    assert row.detail == {"filters": {"place": place, "q": "*"}}
    assert "王建国" not in str(row.detail)

    client.get("/api/v1/residents", {"gender": "F"})
    assert records(action="view")[-1].detail["filters"] == {"gender": "F"}
    client.get(reverse("people:households"))
    client.get("/api/v1/households")
    assert [r.subject for r in records(action="view")] == [
        "residents",
        "residents",
        "households",
        "households",
    ]


# --- exports, import, changes, full numbers ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "subject"),
    [
        ("people:residents", "export:people:residents"),
        ("people:households", "export:people:households"),
    ],
)
def test_every_list_export_is_recorded_with_filters_and_row_count(world, client, url, subject):
    client.force_login(world.users.staff_a)
    response = client.get(reverse(url), {"format": "xlsx", "place": f"building:{world.y1.pk}"})
    assert response.status_code == 200
    row = only(action="export")
    assert row.subject == subject and row.community_id == world.a.pk
    assert row.detail["filters"] == {"place": f"building:{world.y1.pk}"}
    assert row.detail["rows"] >= 1
    assert not records(action="view")  # the export is not also a list view


def test_other_apps_exports_are_recorded_too(world, client):
    client.force_login(world.users.staff_a)
    response = client.get(reverse("partners:partners"), {"format": "xlsx"})
    assert response.status_code == 200
    assert only(action="export").subject == "export:partners:partners"


def test_refused_export_is_not_recorded(world, client):
    client.force_login(world.users.partner_a)
    assert client.get(reverse("people:residents"), {"format": "xlsx"}).status_code == 403
    assert not records(action="export")


def test_command_exports_record_the_export_and_the_full_numbers(world, tmp_path):
    out = tmp_path / "r.xlsx"
    call_command("export_registry", "residents", "--output", str(out), stdout=io.StringIO())
    call_command(
        "export_registry", "residents", "--output", str(out), "--personal", stdout=io.StringIO()
    )
    assert [(r.action, r.actor_username, r.detail.get("personal")) for r in records()] == [
        ("export", "system", False),
        ("export", "system", True),
        ("decrypt", "system", None),
    ]


def test_import_page_records_one_import_with_the_count(world, client):
    client.force_login(world.users.staff_a)
    content = xlsx(
        RESIDENT_HEADERS,
        [
            resident_row(门牌号="301"),
            resident_row(
                门牌号="302", 身份证号="", 性别="女", 出生日期="1990-01-02", 与户主关系="户主"
            ),
        ],
    )
    upload = SimpleUploadedFile("r.xlsx", content)
    response = client.post(reverse("people:import"), {"file": upload}, REMOTE_ADDR="192.0.2.5")
    assert response.status_code == 302
    row = only(action="import")
    assert (row.actor_username, row.subject, row.address) == (
        "staff_a",
        "import:residents",
        "192.0.2.5",
    )
    assert row.detail == {"created": 2} and row.community_id == world.a.pk


def test_failed_import_records_nothing(world, client):
    client.force_login(world.users.staff_a)
    content = xlsx(RESIDENT_HEADERS, [resident_row(小区="不存在小区")])
    response = client.post(
        reverse("people:import"), {"file": SimpleUploadedFile("r.xlsx", content)}
    )
    assert response.status_code == 400
    assert not records(action="import")


def test_import_command_records_as_system(world, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx(RESIDENT_HEADERS, [resident_row()]))
    call_command("import_residents", str(path), "--community", "X社区", stdout=io.StringIO())
    row = only(action="import")
    assert (row.actor_username, row.address, row.detail) == ("system", "", {"created": 1})


def test_admin_change_and_delete_are_changes_and_the_form_is_a_decrypt(world, client):
    client.force_login(world.users.admin)
    url = reverse("admin:people_resident_change", args=[world.res_y1b.pk])
    assert client.get(url).status_code == 200
    decrypt = only(action="decrypt")
    assert decrypt.subject == f"resident:{world.res_y1b.pk}" and decrypt.actor_username == "admin"

    resident = world.res_y1b
    form = {
        "household": resident.household_id,
        "name": "赵敏敏",
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat(),
        "id_number": resident.id_number,
        "phone": resident.phone,
        "relation": resident.relation,
    }
    assert client.post(url, form).status_code == 302
    change = only(action="change")
    assert change.detail == {"op": "update", "fields": ["name"]}
    assert "赵敏敏" not in str(change.detail)

    delete_url = reverse("admin:people_resident_delete", args=[resident.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Resident.objects.filter(pk=resident.pk).exists()
    assert records(action="change")[-1].detail == {"op": "delete"}


def test_staff_see_full_numbers_on_request_and_it_is_a_decrypt(world, client):
    client.force_login(world.users.staff_a)
    page = client.get(reverse("people:resident", args=[world.res_a.pk])).content.decode()
    assert world.res_a.id_number not in page and "13812345678" not in page
    response = client.post(reverse("people:resident_full", args=[world.res_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.res_a.id_number in body and "13812345678" in body
    assert "no-store" in response["Cache-Control"]
    row = only(action="decrypt")
    assert row.subject == f"resident:{world.res_a.pk}" and row.actor_username == "staff_a"


@pytest.mark.parametrize("persona", ["official", "grid_a1"])
def test_full_numbers_are_for_registry_managers_only(world, client, persona):
    client.force_login(getattr(world.users, persona))
    url = reverse("people:resident_full", args=[world.res_a.pk])
    assert client.post(url).status_code == 403
    assert not records(action="decrypt")
    assert client.get(url).status_code == 405


# --- sensitive tags --------------------------------------------------------------------------


@pytest.fixture
def tagged(world):
    world.res_a.tags.set(Tag.objects.filter(name__in=["高龄", "残疾", "低保"]))
    return world


def tag_names_on_page(client, url) -> str:
    return client.get(url).content.decode()


def test_the_default_sensitive_tags(db):
    assert set(Tag.objects.filter(sensitive=True).values_list("name", flat=True)) == {
        "残疾",
        "低保",
        "留守儿童",
        "重病",
        "困难家庭",
    }


@pytest.mark.parametrize("persona", ["staff_a", "official", "grid_a1", "admin"])
def test_staff_officials_and_grid_workers_see_sensitive_tags(tagged, client, persona):
    client.force_login(getattr(tagged.users, persona))
    page = tag_names_on_page(client, reverse("people:resident", args=[tagged.res_a.pk]))
    assert "残疾" in page and "低保" in page and "高龄" in page
    api = client.get(f"/api/v1/residents/{tagged.res_a.pk}").json()
    assert set(api["tags"]) == {"高龄", "残疾", "低保"}


def test_a_resident_sees_no_sensitive_tag_in_the_api(tagged, client):
    client.force_login(tagged.users.resident_a)
    api = client.get(f"/api/v1/residents/{tagged.res_a.pk}").json()
    assert api["tags"] == ["高龄"]
    rows = client.get("/api/v1/residents").json()["results"]
    assert all(set(row["tags"]) <= {"高龄"} for row in rows)
    household = client.get(f"/api/v1/households/{tagged.h_y1.pk}").json()
    assert all(not {"残疾", "低保"} & set(r["tags"]) for r in household["residents"])


def test_filtering_by_a_sensitive_tag_reveals_nothing_to_a_resident(tagged, client):
    client.force_login(tagged.users.resident_a)
    assert client.get("/api/v1/residents", {"tag": "低保"}).json()["count"] == 0
    assert client.get("/api/v1/residents", {"tag": "高龄"}).json()["count"] == 1
    client.force_login(tagged.users.staff_a)
    assert client.get("/api/v1/residents", {"tag": "低保"}).json()["count"] == 1


def test_resident_page_of_a_resident_shows_no_sensitive_tag(tagged, client):
    client.force_login(tagged.users.resident_a)
    page = tag_names_on_page(client, reverse("people:household", args=[tagged.h_y1.pk]))
    assert "高龄" in page and "残疾" not in page and "低保" not in page


def export_tags(content: bytes) -> set[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("标签")
    return {tag for row in rows[1:] for tag in (row[column] or "").split("、") if tag}


def test_export_carries_sensitive_tags_only_for_those_who_may_see_them(tagged, client):
    from gongzhi.core.excel import workbook_content
    from gongzhi.people.excel import residents_export
    from gongzhi.people.selectors import resident_list

    client.force_login(tagged.users.staff_a)
    response = client.get(reverse("people:residents"), {"format": "xlsx"})
    assert export_tags(b"".join(response.streaming_content)) == {"高龄", "残疾", "低保"}
    qs = resident_list(tagged.users.admin)
    assert export_tags(workbook_content(residents_export(qs, personal=False))) == {"高龄"}


def test_the_mediation_cases_export_is_recorded(world, client):
    client.force_login(world.users.staff_a)
    response = client.get(reverse("mediation:list"), {"format": "xlsx"})
    assert response.status_code == 200
    row = only(action="export")
    assert row.subject == "export:mediation:list" and row.detail["rows"] == 0
