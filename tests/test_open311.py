"""Open311 GeoReport v2 at /open311/v2/: every endpoint in JSON and XML checked against the
specification's field lists, POST with and without a valid key, filters, date windows and the
spec's error list; keys from the staff page, the API and the command."""

import datetime as dt
import json
from io import StringIO
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongzhi.matters.models import Category, Matter, MatterOwner, Status
from gongzhi.open311 import selectors, services
from gongzhi.open311.models import CommunityArea, Open311Call, Open311Key, Open311Request
from tests.conftest import login
from tests.factories_matters import make_matter

BASE = "/open311/v2/"

# The specification's fields (wiki.open311.org/GeoReport_v2): required ones must be present,
# and nothing outside required + optional may appear.
SPEC = {
    "discovery": (
        {"changeset", "contact", "key_service", "endpoints"},
        set(),
    ),
    "endpoint": ({"specification", "url", "changeset", "type", "formats"}, set()),
    "service": (
        {"service_code", "service_name", "metadata", "type"},
        {"description", "keywords", "group"},
    ),
    "service_definition": ({"service_code", "attributes"}, set()),
    "request": (
        {"service_request_id", "status", "service_code", "requested_datetime"},
        {
            "status_notes",
            "service_name",
            "description",
            "agency_responsible",
            "service_notice",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
        },
    ),
    "post_answer": (set(), {"service_request_id", "token", "service_notice", "account_id"}),
    "token": ({"service_request_id", "token"}, set()),
    "error": ({"code", "description"}, set()),
}


def check_fields(kind: str, row: dict) -> None:
    required, optional = SPEC[kind]
    assert required <= set(row), f"{kind} lacks {required - set(row)}"
    assert set(row) <= required | optional, f"{kind} has extra {set(row) - required - optional}"
    if kind == "request":
        assert row["status"] in {"open", "closed"}
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if row.get(name):
                parsed = dt.datetime.fromisoformat(str(row[name]))
                assert parsed.tzinfo is not None  # w3c with an offset
    if kind == "service":
        assert row["type"] in {"realtime", "batch", "blackbox"}
        assert str(row["metadata"]).lower() in {"true", "false"}
    if kind == "post_answer":
        assert row.get("service_request_id") or row.get("token")


def xml_rows(body: bytes, root: str, item: str) -> list[dict]:
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    tree = ET.fromstring(body)  # noqa: S314 (our own answers)
    assert tree.tag == root
    return [{child.tag: child.text for child in element} for element in tree.findall(item)]


def get_both(client, path: str, root: str, item: str, **params) -> list[dict]:
    """The same call in JSON and XML; the XML rows equal the JSON rows as text."""
    as_json = client.get(f"{BASE}{path}.json", params)
    as_xml = client.get(f"{BASE}{path}.xml", params)
    assert as_json.status_code == as_xml.status_code == 200, as_json.content
    assert as_json["Content-Type"].startswith("application/json")
    assert as_xml["Content-Type"].startswith("text/xml")
    rows = as_json.json()
    xml = xml_rows(as_xml.content, root, item)
    assert len(rows) == len(xml)
    for row, xrow in zip(rows, xml, strict=True):
        assert set(row) == set(xrow)
    return rows


def errors_both(client, method: str, path: str, status: int, params=None, **more) -> str:
    """The spec's error list in both formats with the HTTP status; the description."""
    params = {**(params or {}), **more}
    call = client.post if method == "POST" else client.get
    as_json = call(f"{BASE}{path}.json", params)
    as_xml = call(f"{BASE}{path}.xml", params)
    assert as_json.status_code == as_xml.status_code == status, as_json.content
    [error] = as_json.json()
    check_fields("error", error)
    assert error["code"] == status
    [xerror] = xml_rows(as_xml.content, "errors", "error")
    assert xerror == {"code": str(status), "description": error["description"]}
    return error["description"]


@pytest.fixture
def key(world):
    key, raw = services.open311_key_create(
        actor=world.users.staff_a, community=world.a, name="随手拍"
    )
    key.raw = raw
    return key


# ---- reading ------------------------------------------------------------------------------


def test_discovery_in_both_formats(client, world):
    answer = client.get(f"{BASE}discovery.json").json()
    check_fields("discovery", answer)
    [endpoint] = answer["endpoints"]
    check_fields("endpoint", endpoint)
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    tree = ET.fromstring(client.get(f"{BASE}discovery.xml").content)  # noqa: S314 (our own answers)
    assert tree.tag == "discovery"
    formats = [f.text for f in tree.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]


def test_services_one_per_category_in_chinese(client, world):
    rows = get_both(client, "services", "services", "service")
    assert [row["service_code"] for row in rows] == Category.values
    for row in rows:
        check_fields("service", row)
    parking = rows[0]
    assert parking["service_name"] == "停车管理"
    assert parking["metadata"] is False and parking["type"] == "realtime"
    assert "车位" in parking["keywords"]
    assert not any(c.isascii() and c.isalpha() for c in parking["description"] + parking["group"])


def test_service_definition_known_and_unknown(client, world):
    [definition] = [client.get(f"{BASE}services/parking.json").json()]
    check_fields("service_definition", definition)
    assert definition == {"service_code": "parking", "attributes": []}
    tree = ET.fromstring(client.get(f"{BASE}services/parking.xml").content)  # noqa: S314 (our own answers)
    assert tree.tag == "service_definition" and tree.find("service_code").text == "parking"
    assert "potholes" in errors_both(client, "GET", "services/potholes", 404)


def test_requests_public_fields_without_personal_data(client, world):
    matter = make_matter(
        building=world.y1, reporter=world.res_a, text="王建国家门口的灯坏了 13987654321"
    )
    matter.household = world.h_y1
    matter.due_at = timezone.now() + dt.timedelta(days=3)
    matter.save()
    MatterOwner.objects.create(matter=matter, organisation=world.org_a, assigned_at=timezone.now())
    [row] = get_both(client, "requests", "service_requests", "request")
    check_fields("request", row)
    assert row["service_request_id"] == str(matter.pk)
    assert row["status"] == "open" and row["status_notes"] == "已受理"
    assert row["service_name"] == "设施维修"
    assert row["address"] == "X社区 渔家苑 1栋" and row["address_id"] == str(world.y1.pk)
    assert row["agency_responsible"] == "X社区居委会"
    assert row["expected_datetime"].endswith("+08:00")
    body = client.get(f"{BASE}requests.json").content.decode() + client.get(
        f"{BASE}requests.xml"
    ).content.decode("utf-8")
    for private in ("王建国", "13987654321", "单元", "description"):
        assert private not in body


def test_requests_filters(client, world):
    now = timezone.now()
    old = make_matter(
        building=world.y1, category="parking", created_at=now - dt.timedelta(days=100)
    )
    open_a = make_matter(
        building=world.y1, category="parking", created_at=now - dt.timedelta(days=1)
    )
    closed_a = make_matter(building=world.y2, category="sanitation", status=Status.CLOSED)
    merged_b = make_matter(building=world.n1, category="parking", status=Status.REFERRED)

    def ids(**params):
        return {
            int(r["service_request_id"])
            for r in get_both(client, "requests", "service_requests", "request", **params)
        }

    assert ids() == {open_a.pk, closed_a.pk, merged_b.pk}  # the last 90 days, every community
    assert ids(jurisdiction_id="X社区") == {open_a.pk, closed_a.pk}
    assert ids(jurisdiction_id=str(world.b.pk)) == {merged_b.pk}
    assert ids(status="open") == {open_a.pk}
    assert ids(status="closed") == {closed_a.pk, merged_b.pk}
    assert ids(status="open,closed") == {open_a.pk, closed_a.pk, merged_b.pk}
    assert ids(service_code="parking") == {open_a.pk, merged_b.pk}
    assert ids(service_code="parking,sanitation", jurisdiction_id="X社区") == {
        open_a.pk,
        closed_a.pk,
    }
    start = (now - dt.timedelta(days=120)).isoformat()
    end = (now - dt.timedelta(days=60)).isoformat()
    assert ids(start_date=start, end_date=end) == {old.pk}
    assert ids(end_date=end) == {old.pk}
    # ids win over every other filter, as the spec says; unseen ids are simply absent
    assert ids(service_request_id=f"{old.pk},{closed_a.pk},999999", status="open") == {
        old.pk,
        closed_a.pk,
    }
    assert ids(service_request_id=str(merged_b.pk), jurisdiction_id="X社区") == set()


def test_request_detail_and_token(client, world, key):
    matter = make_matter(building=world.j1, category="greening")
    [row] = get_both(client, f"requests/{matter.pk}", "service_requests", "request")
    check_fields("request", row)
    assert row["service_code"] == "greening"
    errors_both(client, "GET", f"requests/{matter.pk}", 404, jurisdiction_id="Y社区")
    errors_both(client, "GET", "requests/999999", 404)
    errors_both(client, "GET", "requests/99999999999999999999", 404)  # never a database error
    answer = client.post(
        f"{BASE}requests.json",
        {
            "api_key": key.raw,
            "jurisdiction_id": "X社区",
            "service_code": "sanitation",
            "address_id": str(world.y2.pk),
            "description": "2栋门口垃圾堆了三天",
        },
    ).json()
    [by_token] = get_both(client, f"tokens/{answer[0]['token']}", "service_requests", "request")
    check_fields("token", by_token)
    assert by_token == {
        "service_request_id": answer[0]["service_request_id"],
        "token": answer[0]["token"],
    }
    errors_both(client, "GET", "tokens/nosuchtoken", 404)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"start_date": "yesterday"}, 400, "start_date"),
        ({"end_date": "2024-13-01T00:00:00Z"}, 400, "end_date"),
        (
            {"start_date": "2024-01-01T00:00:00+08:00", "end_date": "2024-05-01T00:00:00+08:00"},
            400,
            "90",
        ),
        (
            {"start_date": "2024-05-01T00:00:00Z", "end_date": "2024-04-01T00:00:00Z"},
            400,
            "end_date",
        ),
        ({"status": "pending"}, 400, "status"),
        ({"service_code": "potholes"}, 404, "potholes"),
        ({"service_request_id": "1,abc"}, 400, "service_request_id"),
        ({"jurisdiction_id": "Z社区"}, 404, "Z社区"),
        ({"jurisdiction_id": "99999999999999999999"}, 404, "9999"),
        ({"service_request_id": "99999999999999999999"}, 400, "service_request_id"),
    ],
)
def test_requests_bad_filters_refused_in_spec_format(client, world, params, status, words):
    assert words in errors_both(client, "GET", "requests", status, params)


def test_requests_query_count_does_not_grow(client, world, django_assert_num_queries):
    for building in (world.y1, world.y2, world.j1, world.n1):
        matter = make_matter(building=building)
        MatterOwner.objects.create(
            matter=matter, organisation=world.org_a, assigned_at=timezone.now()
        )
    # communities (jurisdiction), matters with place, owners' organisations
    with django_assert_num_queries(2):
        assert len(client.get(f"{BASE}requests.json").json()) == 4


# ---- filing -------------------------------------------------------------------------------


def post(client, fmt="json", **params):
    return client.post(f"{BASE}requests.{fmt}", params)


def test_post_with_valid_key_files_a_matter_through_the_same_service(client, world, key):
    response = post(
        client,
        api_key=key.raw,
        jurisdiction_id="X社区",
        service_code="facilities",
        address_string="渔家苑 2号楼3单元",
        description="2栋3单元楼道灯不亮",
        first_name="芳",
        last_name="周",
        phone="139 1234 5678",
        email="zf@example.com",
    )
    assert response.status_code == 200, response.content
    [answer] = response.json()
    check_fields("post_answer", answer)
    matter = Matter.objects.get(pk=int(answer["service_request_id"]))
    assert (matter.community, matter.compound, matter.building) == (world.a, world.yujia, world.y2)
    assert matter.category == "facilities" and matter.channel == "online_web"
    assert matter.reporter_name == "周芳" and matter.reporter_contact == "13912345678"
    assert matter.events.filter(action="submit").count() == 1
    assert "X社区" in answer["service_notice"]
    filed = Open311Request.objects.get(matter=matter)
    assert filed.key == key and filed.token == answer["token"]
    call = Open311Call.objects.get()
    assert (call.key, call.status_code, call.matter) == (key, 200, matter)
    # the public answer now shows the words the client sent, never the name or phone
    [row] = client.get(f"{BASE}requests/{matter.pk}.json").json()
    assert row["description"] == "2栋3单元楼道灯不亮"
    assert "13912345678" not in json.dumps(row, ensure_ascii=False)


def test_post_xml_answer_and_address_id(client, world, key):
    response = post(
        client,
        "xml",
        api_key=key.raw,
        jurisdiction_id=str(world.a.pk),
        service_code="parking",
        address_id=str(world.j1.pk),
        description="锦绣园1栋消防通道停满了车",
    )
    [answer] = xml_rows(response.content, "service_requests", "request")
    check_fields("post_answer", answer)
    assert Matter.objects.get(pk=int(answer["service_request_id"])).building == world.j1


def test_post_by_coordinates_inside_the_community_area(client, world, key):
    services.community_area_set(
        actor=world.users.staff_a,
        community=world.a,
        south=30.55,
        north=30.57,
        west=114.25,
        east=114.27,
    )
    services.community_area_set(
        actor=world.users.staff_b,
        community=world.b,
        south=30.60,
        north=30.62,
        west=114.25,
        east=114.27,
    )
    response = post(
        client,
        api_key=key.raw,
        jurisdiction_id="X社区",
        service_code="greening",
        lat="30.56",
        long="114.26",
        description="小区中心花园的树枝断了",
    )
    assert response.status_code == 200, response.content
    matter = Matter.objects.get(pk=int(response.json()[0]["service_request_id"]))
    assert matter.community == world.a and matter.building is None
    [row] = client.get(f"{BASE}requests/{matter.pk}.json").json()
    assert (row["lat"], row["long"]) == (30.56, 114.26)
    outside = errors_both(
        client,
        "POST",
        "requests",
        400,
        api_key=key.raw,
        jurisdiction_id="X社区",
        service_code="greening",
        lat="31.0",
        long="114.26",
        description="树倒了",
    )
    assert "outside every community" in outside or "所有社区范围之外" in outside
    assert "X社区" in errors_both(
        client,
        "POST",
        "requests",
        400,
        api_key=key.raw,
        jurisdiction_id="X社区",
        service_code="greening",
        lat="30.61",
        long="114.26",
        description="树倒了",
    )
    assert Matter.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 403),  # no key
        ({"api_key": "o311_not-a-key"}, 403),
        ({"service_code": ""}, 400),
        ({"service_code": "potholes"}, 404),
        ({"jurisdiction_id": "Y社区"}, 403),  # the key is X社区's
        ({"jurisdiction_id": ""}, 400),  # two communities on this server
        ({"address_id": "", "address_string": ""}, 400),
        ({"address_id": "999999"}, 400),
        ({"address_id": "99999999999999999999"}, 400),
        ({"address_id": "", "address_string": "江南小区1栋"}, 400),  # Y社区's building
        ({"address_id": "", "address_string": "", "lat": "abc", "long": "114"}, 400),
        ({"description": "   "}, 400),
        ({"phone": "12345"}, 400),
    ],
)
def test_post_refused_changes_nothing(client, world, key, params, status):
    data = {
        "api_key": key.raw,
        "jurisdiction_id": "X社区",
        "service_code": "pets",
        "address_id": str(world.y1.pk),
        "description": "楼下有狗没拴绳",
    }
    data.update(params)
    data = {name: value for name, value in data.items() if name != "api_key" or "api_key" in data}
    if params == {}:
        del data["api_key"]
    errors_both(client, "POST", "requests", status, **data)
    assert not Matter.objects.exists() and not Open311Request.objects.exists()


def test_revoked_key_refused_and_recorded(client, world, key):
    services.open311_key_revoke(actor=world.users.staff_a, key=key)
    description = errors_both(
        client,
        "POST",
        "requests",
        403,
        api_key=key.raw,
        jurisdiction_id="X社区",
        service_code="pets",
        address_id=str(world.y1.pk),
        description="狗",
    )
    assert "revoked" in description or "吊销" in description
    assert not Matter.objects.exists()
    assert list(Open311Call.objects.values_list("key", "status_code")) == [(key.pk, 403)] * 2


def test_a_key_is_rate_limited(client, world, key, monkeypatch):
    monkeypatch.setattr(selectors, "RATE_PER_MINUTE", 2)
    data = {
        "api_key": key.raw,
        "jurisdiction_id": "X社区",
        "service_code": "pets",
        "address_id": str(world.y1.pk),
        "description": "楼下有狗没拴绳",
    }
    assert post(client, **data).status_code == 200
    assert post(client, **data).status_code == 200
    assert post(client, **data).status_code == 429
    assert Matter.objects.count() == 2
    assert Open311Call.objects.filter(key=key).count() == 3


def test_post_without_jurisdiction_accepted_on_a_one_community_server(client, db):
    from gongzhi.places.models import Building, Community, Compound, Subdistrict

    community = Community.objects.create(
        subdistrict=Subdistrict.objects.create(name="街道"), name="X社区"
    )
    building = Building.objects.create(
        compound=Compound.objects.create(community=community, name="渔家苑"), name="3栋"
    )
    _key, raw = services.open311_key_create(actor=None, community=community, name="客户端")
    response = post(
        client,
        api_key=raw,
        service_code="other",
        address_string="渔家苑3栋",
        description="建议增设座椅",
    )
    assert response.status_code == 200, response.content
    assert Matter.objects.get().building == building


# ---- keys ----------------------------------------------------------------------------------


def test_staff_page_creates_shows_once_and_revokes(client, world):
    login(client, world.users.staff_a)
    page = client.post("/open311/keys/", {"create": "1", "name": "城市随手拍"})
    assert page.status_code == 200
    key = Open311Key.objects.get()
    raw = page.context["new_key"]
    assert key.community == world.a and key.digest == Open311Key.hash(raw) and raw not in key.digest
    assert raw in page.content.decode()
    again = client.get("/open311/keys/").content.decode()
    assert raw not in again and "城市随手拍" in again and "Open311" in again
    client.post(f"/open311/keys/{key.pk}/revoke/", follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == world.users.staff_a
    # another community's staff neither sees nor revokes it
    login(client, world.users.staff_b)
    assert "城市随手拍" not in client.get("/open311/keys/").content.decode()
    assert client.post(f"/open311/keys/{key.pk}/revoke/").status_code == 404
    for user in (world.users.resident_a, world.users.grid_a1, world.users.official):
        login(client, user)
        assert client.get("/open311/keys/").status_code == 403


def test_staff_page_sets_area_and_refuses_a_bad_box(client, world):
    login(client, world.users.staff_a)
    client.post(
        "/open311/keys/",
        {"area": "1", "south": "30.5", "north": "30.6", "west": "114.2", "east": "114.3"},
    )
    assert CommunityArea.objects.get(community=world.a).north == 30.6
    page = client.post(
        "/open311/keys/",
        {"area": "1", "south": "30.7", "north": "30.6", "west": "114.2", "east": "114.3"},
        follow=True,
    )
    assert CommunityArea.objects.get(community=world.a).south == 30.5
    assert "南" in page.content.decode()


def test_keys_api(client, world):
    login(client, world.users.staff_a)
    created = client.post(
        "/api/v1/open311/keys", {"name": "随手拍"}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["community"] == "X社区" and body["key"].startswith("o311_")
    assert "key" not in client.get("/api/v1/open311/keys").json()[0]
    assert client.post(f"/api/v1/open311/keys/{body['id']}/revoke").json()["revoked_at"]
    again = client.post(f"/api/v1/open311/keys/{body['id']}/revoke")
    assert again.status_code == 400 and again.json()["code"] == "already_revoked"
    login(client, world.users.staff_b)
    assert client.get("/api/v1/open311/keys").json() == []
    assert client.post(f"/api/v1/open311/keys/{body['id']}/revoke").status_code == 404
    login(client, world.users.resident_a)
    refused = client.post("/api/v1/open311/keys", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    login(client, world.users.staff_a)
    blank = client.post("/api/v1/open311/keys", {"name": "  "}, content_type="application/json")
    assert blank.status_code == 400 and blank.json()["code"] == "name_required"


def test_create_open311_key_command_prints_the_key_last(world):
    out = StringIO()
    call_command(
        "create_open311_key", "随手拍", "--community", "X社区", stdout=out, stderr=StringIO()
    )
    raw = out.getvalue().strip().splitlines()[-1]
    key = Open311Key.objects.get()
    assert key.digest == Open311Key.hash(raw) and key.community == world.a
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "create_open311_key", "随手拍", "--community", "Z社区", stdout=out, stderr=StringIO()
        )
