"""Experience library: who writes, search by text and tag, place filter, export, isolation."""

import pytest

from gongzhi.experiences import selectors, services
from gongzhi.experiences.models import Experience
from gongzhi.experiences.services import ExperienceError
from tests.conftest import login


@pytest.fixture
def entries(world):
    staff = world.users.staff_a
    a = services.experience_create(
        actor=staff, title="桶边督导", body="党员守桶教分类", tags="垃圾分类，党员带头",
        compound=world.yujia,
    )  # fmt: skip
    b = services.experience_create(
        actor=world.users.partner_a, title="楼栋公约", body="居民自己议定公约", tags=["楼栋自治"],
        community=world.a,
    )  # fmt: skip
    c = services.experience_create(
        actor=world.users.staff_b, title="江南停车", body="错时停车", tags="停车", community=world.b
    )
    return a, b, c


def test_search_by_text_tag_and_place(world, entries):
    a, b, c = entries
    user = world.users.staff_a
    assert list(selectors.experience_list(user, q="公约")) == [b]
    assert list(selectors.experience_list(user, q="党员 分类")) == [a]
    assert list(selectors.experience_list(user, q="垃圾分类")) == [a]  # a tag matches
    assert list(selectors.experience_list(user, tag="楼栋自治")) == [b]
    from gongzhi.core.places import Place

    assert list(selectors.experience_list(user, place=Place("compound", world.yujia.pk))) == [a]
    assert c not in selectors.experience_list(user)
    assert set(selectors.experience_list(world.users.official)) == {a, b, c}


def test_who_may_write_and_bad_input(world):
    kw = dict(title="t", body="b", community=world.a)
    for user in (world.users.resident_a, world.users.staff_b):
        with pytest.raises(ExperienceError) as info:
            services.experience_create(actor=user, **kw)
        assert info.value.code == "forbidden"
    for bad in (dict(title=""), dict(body=" "), dict(tags="a,b,c,d,e,f,g,h,i")):
        with pytest.raises(ExperienceError):
            services.experience_create(actor=world.users.staff_a, **{**kw, **bad})
    assert Experience.objects.count() == 0


def test_pages_export_and_api(client, world, entries):
    login(client, world.users.resident_a)
    page = client.get("/experiences/?q=公约").content.decode()
    assert "楼栋公约" in page and "桶边督导" not in page
    assert client.get("/experiences/?format=xlsx").status_code == 403  # residents never export
    assert client.get(f"/experiences/{entries[2].pk}/").status_code == 404
    assert client.get("/experiences/new/").status_code == 404
    data = client.get("/api/v1/experiences/?tag=垃圾分类").json()
    assert data["count"] == 1 and set(data["results"][0]["tags"]) == {"垃圾分类", "党员带头"}
    login(client, world.users.staff_a)
    r = client.post(
        "/api/v1/experiences/",
        {"title": "新经验", "body": "内容", "tags": ["议事"], "community_id": world.a.pk},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = client.post(
        "/api/v1/experiences/",
        {"title": "", "body": "内容", "community_id": world.a.pk},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_title"


def test_control_characters_never_reach_the_library_or_its_export(client, world):
    """Text the export writes arrives cleaned: from the page, the API and the service."""
    import io

    import openpyxl

    login(client, world.users.staff_a)
    r = client.post(
        "/experiences/new/",
        {"title": "议\x00事\x1b", "body": "先\x07议\x0b后定\n第二行", "tags": "楼\x01栋"},
    )
    assert r.status_code == 302
    entry = Experience.objects.get()
    assert (entry.title, entry.body) == ("议事", "先议后定\n第二行")
    assert [t.name for t in entry.tags.all()] == ["楼栋"]
    r = client.post(
        "/api/v1/experiences/",
        {
            "title": "新\x08经验",
            "body": "内\x7f容",
            "tags": ["议\x1f事"],
            "community_id": world.a.pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    assert (r.json()["title"], r.json()["body"], r.json()["tags"]) == ("新经验", "内容", ["议事"])
    book = openpyxl.load_workbook(io.BytesIO(client.get("/experiences/?format=xlsx").content))
    cells = [str(c.value) for row in book.active.iter_rows() for c in row if c.value]
    assert "议事" in cells and "新经验" in cells
    assert not any(ch in cell for cell in cells for ch in "\x00\x01\x07\x08\x0b\x1b\x1f\x7f")
