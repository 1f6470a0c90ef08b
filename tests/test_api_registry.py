"""The registry API (/api/v1/): what each persona sees, masking, filters, pagination, errors and
query counts. The API is mounted alone so these tests do not depend on the web views."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path

from gongzhi.api import api
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident, Tag
from tests.factories import make_household, make_resident

urlpatterns = [path("api/v1/", api.urls)]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The personas' passwords are hashed on every test; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def names(response):
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


# --- residents: scope per persona -------------------------------------------------------------


def test_staff_of_community_a_lists_only_a_residents(client, world):
    assert names(get(client, world.users.staff_a, "/api/v1/residents")) == sorted(
        ["王建国", "李秀英", "赵敏", "孙立", "周芳"]
    )


def test_staff_of_community_b_sees_nothing_of_a(client, world):
    assert names(get(client, world.users.staff_b, "/api/v1/residents")) == ["吴刚"]
    asked_for_a = get(
        client, world.users.staff_b, "/api/v1/residents", place=f"community:{world.a.id}"
    )
    assert asked_for_a.json()["count"] == 0
    detail = get(client, world.users.staff_b, f"/api/v1/residents/{world.res_a.id}")
    assert detail.status_code == 404
    assert detail.json()["code"] == "not_found"
    assert "王建国" not in detail.content.decode()


def test_grid_worker_sees_only_own_grid(client, world):
    assert names(get(client, world.users.grid_a1, "/api/v1/residents")) == sorted(
        ["王建国", "李秀英", "赵敏"]
    )
    assert (
        get(client, world.users.grid_a1, f"/api/v1/residents/{world.res_y2.id}").status_code == 404
    )
    households = get(client, world.users.grid_a1, "/api/v1/households").json()
    assert sorted(row["room"] for row in households["results"]) == ["101", "102"]


def test_resident_sees_only_own_household(client, world):
    assert names(get(client, world.users.resident_a, "/api/v1/residents")) == ["李秀英", "王建国"]
    households = get(client, world.users.resident_a, "/api/v1/households").json()
    assert [row["id"] for row in households["results"]] == [world.h_y1.id]
    neighbour = get(client, world.users.resident_a, f"/api/v1/households/{world.h_y1b.id}")
    assert neighbour.status_code == 404


def test_partner_sees_no_residents_or_households(client, world):
    assert get(client, world.users.partner_a, "/api/v1/residents").json()["count"] == 0
    assert get(client, world.users.partner_a, "/api/v1/households").json()["count"] == 0
    own_home = get(client, world.users.partner_a, f"/api/v1/residents/{world.res_a.id}")
    assert own_home.status_code == 404


def test_unknown_or_absurd_ids_are_json_404(client, world):
    for url in (
        "/api/v1/residents/0",
        f"/api/v1/households/{10**20}",
        "/api/v1/places/buildings/0",
    ):
        response = get(client, world.users.admin, url)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url


def test_official_sees_whole_subdistrict(client, world):
    assert get(client, world.users.official, "/api/v1/residents").json()["count"] == 6


# --- residents: shape, masking, filters, pagination -------------------------------------------


def test_resident_detail_has_masked_personal_data(client, world):
    body = get(client, world.users.staff_a, f"/api/v1/residents/{world.res_a_spouse.id}").json()
    assert body["name"] == "李秀英"
    assert body["household"] == {"id": world.h_y1.id, "label": "渔家苑 1栋1单元101"}
    assert body["relation"] == "spouse"
    assert body["gender"] == "F"
    assert body["birth_date"] == "1960-05-17"
    assert body["phone_masked"] == "139****4321"
    clear = world.res_a_spouse.id_number
    assert body["id_number_masked"] == clear[:4] + "*" * 10 + clear[-4:]
    assert "id_number" not in body
    assert "phone" not in body


ALL_URLS = [
    "/api/v1/residents",
    "/api/v1/households",
    "/api/v1/partners",
    "/api/v1/teams",
    "/api/v1/organisations",
    "/api/v1/places/tree",
]


def test_clear_id_numbers_and_phones_never_leave_the_api(client, world):
    secrets = set()
    for resident in Resident.objects.all():
        secrets |= {resident.id_number, resident.phone}
    secrets |= {partner.phone for partner in Partner.objects.all() if partner.phone}
    secrets.add(world.org_a.contact_phone)
    detail_urls = [
        *(f"/api/v1/residents/{r.id}" for r in Resident.objects.all()),
        *(f"/api/v1/households/{h.id}" for h in (world.h_y1, world.h_n1)),
        f"/api/v1/partners/{world.p_neighbour.id}",
        f"/api/v1/teams/{world.team_a.id}",
        f"/api/v1/organisations/{world.org_a.id}",
        f"/api/v1/places/buildings/{world.y1.id}",
    ]
    checked = 0
    for user in (world.users.admin, world.users.official):
        for url in ALL_URLS + detail_urls:
            response = get(client, user, url, page_size=100)
            body = response.content.decode()
            assert response.status_code == 200, url
            assert not any(secret in body for secret in secrets), url
            checked += 1
    assert checked == 2 * (len(ALL_URLS) + len(detail_urls))


def test_residents_filter_by_place_tag_gender_and_name(client, world):
    staff = world.users.staff_a
    url = "/api/v1/residents"
    assert names(get(client, staff, url, place=f"building:{world.y1.id}")) == sorted(
        ["王建国", "李秀英", "赵敏"]
    )
    assert names(get(client, staff, url, place=f"grid:{world.grid_a2.id}")) == ["周芳", "孙立"]
    assert names(get(client, staff, url, place=f"household:{world.h_y1b.id}")) == ["赵敏"]
    assert names(get(client, staff, url, place=f"compound:{world.jinxiu.id}")) == ["周芳"]
    assert names(get(client, staff, url, gender="F")) == sorted(["李秀英", "赵敏", "周芳"])
    assert names(get(client, staff, url, q="建")) == ["王建国"]
    alone, _created = Tag.objects.get_or_create(name="独居老人")
    world.res_y1b.tags.add(alone)
    rows = get(client, staff, url, tag="独居老人").json()["results"]
    assert [(row["name"], row["tags"]) for row in rows] == [("赵敏", ["独居老人"])]


def test_residents_are_paginated(client, world):
    staff = world.users.staff_a
    first = get(client, staff, "/api/v1/residents", page_size=2).json()
    second = get(client, staff, "/api/v1/residents", page=2, page_size=2).json()
    last = get(client, staff, "/api/v1/residents", page=3, page_size=2).json()
    assert (first["count"], first["page"], first["page_size"]) == (5, 1, 2)
    assert len(first["results"]) == len(second["results"]) == 2
    assert len(last["results"]) == 1
    seen = [row["id"] for page in (first, second, last) for row in page["results"]]
    assert len(set(seen)) == 5
    beyond = get(client, staff, "/api/v1/residents", page=9, page_size=2).json()
    assert beyond["count"] == 5
    assert beyond["results"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 101},
        {"page_size": 0},
        {"page": 0},
        {"page": 10**20},
        {"gender": "X"},
        {"page": "two"},
    ],
)
def test_bad_paging_or_filter_is_a_json_422(client, world, params):
    response = get(client, world.users.staff_a, "/api/v1/residents", **params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["message"]


@pytest.mark.parametrize("place", ["compound", "street:1", "compound:x", "building:-1"])
def test_bad_place_is_a_json_400(client, world, place):
    for url in ALL_URLS[:5]:
        response = get(client, world.users.staff_a, url, place=place)
        assert response.status_code == 400, url
        body = response.json()
        assert body["code"] == "bad_place"
        assert place in body["message"]


# --- households -------------------------------------------------------------------------------


def test_household_list_and_detail(client, world):
    staff = world.users.staff_a
    listed = get(client, staff, "/api/v1/households", place=f"building:{world.y1.id}").json()
    assert [(row["room"], row["resident_count"]) for row in listed["results"]] == [
        ("101", 2),
        ("102", 1),
    ]
    row = listed["results"][0]
    assert row["label"] == "渔家苑 1栋1单元101"
    assert row["compound"] == {"id": world.yujia.id, "name": "渔家苑"}
    detail = get(client, staff, f"/api/v1/households/{world.h_y1.id}").json()
    assert sorted(r["name"] for r in detail["residents"]) == ["李秀英", "王建国"]
    assert get(client, staff, f"/api/v1/households/{world.h_n1.id}").status_code == 404


# --- places -----------------------------------------------------------------------------------


def counts(node):
    return (node["building_count"], node["household_count"], node["resident_count"])


def test_staff_tree_shows_own_community_with_counts(client, world):
    tree = get(client, world.users.staff_a, "/api/v1/places/tree").json()
    assert [s["name"] for s in tree] == ["琴台街道"]
    [community] = tree[0]["communities"]
    assert community["name"] == "X社区"
    assert counts(community) == (3, 4, 5)
    compounds = {c["name"]: c for c in community["compounds"]}
    assert counts(compounds["渔家苑"]) == (2, 3, 4)
    assert counts(compounds["锦绣园"]) == (1, 1, 1)
    y1 = compounds["渔家苑"]["buildings"][0]
    assert (y1["name"], counts(y1)) == ("1栋", (1, 2, 3))
    assert y1["grid"] == {"id": world.grid_a1.id, "name": "第一网格"}


def test_tree_per_persona(client, world):
    def communities(user):
        tree = get(client, user, "/api/v1/places/tree").json()
        return sorted(c["name"] for s in tree for c in s["communities"])

    assert communities(world.users.staff_b) == ["Y社区"]
    assert communities(world.users.grid_a1) == ["X社区"]
    assert communities(world.users.partner_a) == ["X社区"]
    assert communities(world.users.official) == ["X社区", "Y社区"]
    tree = get(client, world.users.official, "/api/v1/places/tree").json()
    assert counts(tree[0]) == (4, 5, 6)


def test_tree_counts_follow_the_registry_reach(client, world):
    def community_counts(user):
        [subdistrict] = get(client, user, "/api/v1/places/tree").json()
        [community] = subdistrict["communities"]
        return counts(community)

    # All of community A's buildings are places everyone there sees; the households and
    # residents counted are only those the user may see.
    assert community_counts(world.users.staff_a) == (3, 4, 5)
    assert community_counts(world.users.grid_a1) == (3, 2, 3)
    assert community_counts(world.users.resident_a) == (3, 1, 2)
    assert community_counts(world.users.partner_a) == (3, 0, 0)


def test_building_detail_lists_units_and_visible_households(client, world):
    body = get(client, world.users.staff_a, f"/api/v1/places/buildings/{world.y1.id}").json()
    assert body["compound"]["name"] == "渔家苑"
    assert body["community"]["name"] == "X社区"
    [unit] = body["units"]
    assert unit["name"] == "1单元"
    assert [h["room"] for h in unit["households"]] == ["101", "102"]
    # A partner sees the building (a place) but not the households (personal data).
    body = get(client, world.users.partner_a, f"/api/v1/places/buildings/{world.y1.id}").json()
    assert [u["households"] for u in body["units"]] == [[]]
    hidden = get(client, world.users.staff_b, f"/api/v1/places/buildings/{world.y1.id}")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")


# --- partners, teams, organisations -----------------------------------------------------------


def test_partners_scope_filters_and_masking(client, world):
    url = "/api/v1/partners"
    assert names(get(client, world.users.staff_b, url)) == ["吴刚"]
    assert names(get(client, world.users.staff_a, url)) == sorted(["王建国", "孙立", "陈下沉"])
    assert names(get(client, world.users.staff_a, url, kind="construction")) == ["孙立"]
    assert names(get(client, world.users.staff_a, url, place=f"building:{world.y1.id}")) == [
        "王建国"
    ]
    assert names(get(client, world.users.staff_a, url, status="left")) == []
    assert get(client, world.users.staff_a, url, kind="nobody").status_code == 422
    detail = get(client, world.users.staff_a, f"{url}/{world.p_neighbour.id}").json()
    assert detail["phone_masked"] == "139****1111"
    assert detail["building"] == {"id": world.y1.id, "name": "1栋"}
    assert detail["teams"] == [{"id": world.team_a.id, "name": "渔家苑志愿服务队"}]
    assert get(client, world.users.staff_b, f"{url}/{world.p_neighbour.id}").status_code == 404


def test_teams_with_members(client, world):
    assert names(get(client, world.users.staff_b, "/api/v1/teams")) == ["江南志愿服务队"]
    listed = get(client, world.users.staff_a, "/api/v1/teams").json()["results"]
    assert [(t["name"], t["member_count"], t["leader"]["name"]) for t in listed] == [
        ("渔家苑志愿服务队", 1, "王建国")
    ]
    detail = get(client, world.users.staff_a, f"/api/v1/teams/{world.team_a.id}").json()
    assert detail["members"] == [
        {
            "id": world.p_neighbour.id,
            "name": "王建国",
            "kind": "neighbour",
            "joined_on": "2023-03-01",
        }
    ]
    assert get(client, world.users.staff_a, f"/api/v1/teams/{world.team_b.id}").status_code == 404


def test_organisations_mask_contact_phone(client, world):
    assert names(get(client, world.users.staff_a, "/api/v1/organisations")) == ["X社区居委会"]
    assert names(get(client, world.users.official, "/api/v1/organisations")) == sorted(
        ["X社区居委会", "Y社区居委会", "区房管局"]
    )
    body = get(client, world.users.staff_a, f"/api/v1/organisations/{world.org_a.id}").json()
    assert body["contact_phone_masked"] == "137****1234"
    assert body["community"] == {"id": world.a.id, "name": "X社区"}
    assert (
        get(client, world.users.staff_a, f"/api/v1/organisations/{world.org_b.id}").status_code
        == 404
    )


# --- query counts -----------------------------------------------------------------------------

# Session lookup, user, profile (and a resident's household) come on top of the list's own
# COUNT, page and prefetches; none of it may grow with the page size.
MAX_QUERIES = {
    # + 4 for the audit record of the list (savepoint, its place, insert, release)
    "/api/v1/residents": 10,
    "/api/v1/households": 9,
    "/api/v1/partners": 7,
    "/api/v1/teams": 5,
    "/api/v1/organisations": 5,
    "/api/v1/places/tree": 7,
}


@pytest.mark.parametrize("url", list(MAX_QUERIES))
def test_list_query_count_is_pinned_and_independent_of_page_size(
    client, world, django_assert_max_num_queries, url
):
    client.force_login(world.users.staff_a)
    with django_assert_max_num_queries(MAX_QUERIES[url]):
        client.get(url, {"page_size": 100})
    used = []
    for page_size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": page_size})
        assert response.status_code == 200
        used.append(len(queries))
    assert used[0] == used[1]


def test_building_detail_query_count_does_not_grow_with_households(
    client, world, django_assert_num_queries
):
    client.force_login(world.users.staff_a)
    url = f"/api/v1/places/buildings/{world.y1.id}"
    sizes = []
    for more in (0, 8):
        for number in range(more):
            unit = f"{1 + number % 2}单元"  # the second unit is new: units grow too
            household = make_household(world.y1, f"{5 + len(sizes)}{number:02d}", unit)
            make_resident(household, f"住户{len(sizes)}{number}")
        # the same 6 queries with 2 households in one unit and with 10 in two units
        with django_assert_num_queries(6):
            response = client.get(url)
        assert response.status_code == 200
        sizes.append(sum(len(unit["households"]) for unit in response.json()["units"]))
    assert sizes == [2, 10]


# --- schema -----------------------------------------------------------------------------------


def test_openapi_schema_lists_every_registry_path(client, world):
    client.force_login(world.users.staff_a)
    schema = client.get("/api/v1/openapi.json").json()
    expected = {
        "/api/v1/places/tree",
        "/api/v1/places/buildings/{building_id}",
        "/api/v1/residents",
        "/api/v1/residents/{resident_id}",
        "/api/v1/households",
        "/api/v1/households/{household_id}",
        "/api/v1/partners",
        "/api/v1/partners/{partner_id}",
        "/api/v1/teams",
        "/api/v1/teams/{team_id}",
        "/api/v1/organisations",
        "/api/v1/organisations/{organisation_id}",
    }
    assert expected <= set(schema["paths"])
    resident = schema["components"]["schemas"]["ResidentOut"]["properties"]
    assert "id_number_masked" in resident
    assert "id_number" not in resident
    assert "phone" not in resident
