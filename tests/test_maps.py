"""The map: GeoJSON import (all or nothing), geometry checks, the figures per place, scope."""

import copy
import datetime as dt
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from gongzhi.maps.demo import demo_geojson, seed_maps
from gongzhi.maps.geojson import GeometryError, check_geometry
from gongzhi.maps.models import CommunityMap, Crs, Shape, Spot
from gongzhi.maps.selectors import SCALE
from gongzhi.maps.services import MapImportError, map_import, parse_geojson
from gongzhi.matters.models import Matter, Status
from tests.conftest import login
from tests.factories_matters import make_matter
from tests.helpers import collection_a, feature, rect


def matter(building, *, status=Status.RECEIVED, due_at=None, overdue=False):
    """A matter at ``building``; ``due_at`` and ``overdue`` replace the policy's deadline."""
    made = make_matter(building=building, status=status)
    if due_at is not None or overdue:
        Matter.objects.filter(pk=made.pk).update(due_at=due_at or made.due_at, overdue=overdue)
    return made


# ---- import ----------------------------------------------------------------------------------


def test_import_writes_every_place_and_replaces_on_reimport(world):
    result = map_import(community=world.a, collection=collection_a(), user=world.users.staff_a)
    assert (result.compounds, result.grids, result.buildings, result.spots) == (2, 2, 3, 2)
    assert Shape.objects.filter(community=world.a).count() == 9
    assert Shape.objects.get(building=world.y2).min_x == 60
    gate = Spot.objects.get(name="渔家苑南门")
    assert (gate.kind, gate.compound) == ("gate", world.yujia)
    assert CommunityMap.objects.get(community=world.a).crs == Crs.LOCAL

    smaller = collection_a()
    smaller["features"] = smaller["features"][:3]
    map_import(community=world.a, collection=smaller)
    assert Shape.objects.filter(community=world.a).count() == 3
    assert not Spot.objects.filter(community=world.a).exists()


def test_bad_file_changes_nothing_and_every_error_names_its_feature(world):
    map_import(community=world.a, collection=collection_a())
    before = list(Shape.objects.order_by("pk").values_list("pk", "geometry"))
    bad = collection_a()
    bad["features"][4]["properties"]["name"] = "9栋"  # unknown building
    bad["features"][5]["geometry"]["coordinates"][0].pop()  # ring no longer closed
    bad["features"][0]["properties"]["name"] = "不存在小区"
    with pytest.raises(MapImportError) as caught:
        map_import(community=world.a, collection=bad)
    errors = caught.value.errors
    assert len(errors) == 3
    assert errors[1].startswith("第 5 个要素（楼栋 渔家苑 9栋）") and "没有楼栋" in errors[1]
    assert list(Shape.objects.order_by("pk").values_list("pk", "geometry")) == before


def test_buildings_of_another_community_are_unknown(world):
    bad = collection_a()
    bad["features"].append(
        feature(rect(0, 0, 5, 5), level="building", compound="江南小区", name="1栋")
    )
    with pytest.raises(MapImportError, match="江南小区"):
        map_import(community=world.a, collection=bad)
    assert not Shape.objects.exists()


def test_the_same_place_twice_is_refused(world):
    bad = collection_a()
    bad["features"].append(copy.deepcopy(bad["features"][4]))
    with pytest.raises(MapImportError, match="与第 5 个要素是同一处"):
        map_import(community=world.a, collection=bad)


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"type": "FeatureCollection", "features": []}', b"\xff\xfe"],
)
def test_malformed_geojson_is_refused(world, content):
    with pytest.raises(MapImportError):
        map_import(community=world.a, collection=parse_geojson(content))
    assert not Shape.objects.exists()


# ---- geometry checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "至少需要四个"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "未闭合"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}, "面积为零"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [4, 4], [4, 0], [0, 2], [0, 0]]]},
            "自相交",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], ["1", 0], [1, 1], [0, 0]]]}, "必须是数字"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [True, 0], [1, 1], [0, 0]]]}, "必须是数字"),
        ({"type": "Polygon", "coordinates": []}, "至少需要一个边界环"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "应为"),
        ({"type": "Point", "coordinates": [0]}, "两个数字"),
        (None, "没有几何图形"),
    ],
)
def test_broken_geometry_is_refused(geometry, reason):
    with pytest.raises(GeometryError, match=reason):
        check_geometry(geometry, allowed=("Point", "Polygon", "MultiPolygon"), crs=Crs.LOCAL)


def test_coordinates_must_be_in_range_of_their_system():
    lonlat = rect(114.25, 30.55, 114.26, 30.56)
    assert check_geometry(lonlat, allowed=("Polygon",), crs=Crs.WGS84) == (
        114.25,
        30.55,
        114.26,
        30.56,
    )
    with pytest.raises(GeometryError, match="经纬度"):
        check_geometry(rect(0, 0, 200, 10), allowed=("Polygon",), crs=Crs.WGS84)
    with pytest.raises(GeometryError, match="50 公里"):
        check_geometry(rect(0, 0, 3_500_000, 10), allowed=("Polygon",), crs=Crs.LOCAL)


def test_unknown_coordinate_system_is_refused(world):
    bad = collection_a()
    bad["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    with pytest.raises(MapImportError, match="EPSG:3857"):
        map_import(community=world.a, collection=bad)


# ---- figures and the API ---------------------------------------------------------------------


def _by_name(payload):
    return {f["properties"]["name"]: f["properties"] for f in payload["features"]}


def test_api_gives_each_place_its_open_matters_and_the_list_behind_it(client, world):
    map_import(community=world.a, collection=collection_a())
    matter(world.y1)
    matter(world.y1, status=Status.IN_PROGRESS)
    matter(world.y2)
    matter(world.j1, status=Status.CLOSED)
    login(client, world.users.staff_a)
    payload = client.get(f"/api/v1/maps/{world.a.pk}").json()
    places = _by_name(payload)
    assert payload["crs"] == "local"
    assert places[f"building:{world.y1.pk}"]["value"] == 2
    assert places[f"building:{world.y2.pk}"]["value"] == 1
    assert places[f"building:{world.j1.pk}"]["value"] == 0
    # Colours by bucket: 0, 1, 2–3 …
    assert [places[f"building:{b.pk}"]["colour"] for b in (world.j1, world.y2, world.y1)] == [
        SCALE[0],
        SCALE[1],
        SCALE[2],
    ]
    assert places[f"grid:{world.grid_a1.pk}"]["value"] == 2
    assert places[f"grid:{world.grid_a2.pk}"]["value"] == 1
    assert places[f"compound:{world.yujia.pk}"]["value"] == 3
    assert places[f"grid:{world.grid_a1.pk}"]["link"] == (
        f"/matters/?place=grid%3A{world.grid_a1.pk}&status=open"
    )
    gate = next(p for p in places.values() if p["title"] == "渔家苑南门")
    assert gate["value"] is None and f"compound%3A{world.yujia.pk}" in gate["link"]
    # The link really opens that list.
    listed = client.get(places[f"building:{world.y1.pk}"]["link"])
    assert listed.status_code == 200


def test_overdue_layer_counts_only_late_matters(client, world):
    map_import(community=world.a, collection=collection_a())
    past = timezone.now() - dt.timedelta(days=1)
    matter(world.y1, due_at=past)
    matter(world.y1, due_at=timezone.now() + dt.timedelta(days=2))
    matter(world.y2, overdue=True)
    login(client, world.users.official)
    places = _by_name(client.get(f"/api/v1/maps/{world.a.pk}?layer=overdue").json())
    assert places[f"building:{world.y1.pk}"]["value"] == 1
    assert places[f"building:{world.y2.pk}"]["value"] == 1
    assert places[f"compound:{world.yujia.pk}"]["value"] == 2
    assert "overdue=1" in places[f"building:{world.y1.pk}"]["link"]


def test_coverage_layer_is_the_share_of_households_visited_in_90_days(client, world):
    from gongzhi.visits.models import Visit

    map_import(community=world.a, collection=collection_a())
    now = timezone.now()
    # 渔家苑 1栋 has two households: one visited last week, one only half a year ago.
    for household, days in ((world.h_y1, 7), (world.h_y1b, 180), (world.h_y2, 30)):
        Visit.objects.create(
            household=household,
            visitor=world.users.grid_a1,
            kind="routine",
            found="一切正常",
            visited_at=now - dt.timedelta(days=days),
        )
    login(client, world.users.staff_a)
    places = _by_name(client.get(f"/api/v1/maps/{world.a.pk}?layer=coverage").json())
    assert places[f"building:{world.y1.pk}"]["value"] == 0.5
    assert places[f"building:{world.y1.pk}"]["figure"] == "50%"
    assert places[f"building:{world.y2.pk}"]["value"] == 1
    assert places[f"building:{world.j1.pk}"]["value"] == 0
    assert places[f"grid:{world.grid_a2.pk}"]["value"] == 0.5  # y2 visited, j1 not
    assert places[f"compound:{world.yujia.pk}"]["value"] == round(2 / 3, 3)
    assert places[f"grid:{world.grid_a1.pk}"]["link"] == (
        f"/visits/coverage/?place=grid%3A{world.grid_a1.pk}"
    )


def test_care_layer_counts_visits_due_today_or_overdue(client, world):
    from gongzhi.visits.models import CareSubject

    map_import(community=world.a, collection=collection_a())
    today = timezone.localdate()
    for resident, due in (
        (world.res_a, today - dt.timedelta(days=3)),
        (world.res_a_spouse, today),
        (world.res_y2, today + dt.timedelta(days=5)),
        (world.res_j1, today - dt.timedelta(days=1)),
    ):
        CareSubject.objects.create(
            resident=resident,
            reason="alone",
            frequency_days=7,
            registered_on=today - dt.timedelta(days=30),
            next_due_on=due,
        )
    login(client, world.users.staff_a)
    places = _by_name(client.get(f"/api/v1/maps/{world.a.pk}?layer=care_due").json())
    assert places[f"building:{world.y1.pk}"]["value"] == 2
    assert places[f"building:{world.y2.pk}"]["value"] == 0
    assert places[f"grid:{world.grid_a2.pk}"]["value"] == 1
    assert places[f"building:{world.y1.pk}"]["link"].startswith("/visits/care/?place=building")


def test_unknown_layer_is_a_clear_error(client, world):
    map_import(community=world.a, collection=collection_a())
    login(client, world.users.staff_a)
    response = client.get(f"/api/v1/maps/{world.a.pk}?layer=weather")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_layer"
    assert client.get("/maps/?layer=weather").status_code == 400


def test_staff_of_another_community_see_nothing(client, world):
    map_import(community=world.a, collection=collection_a())
    login(client, world.users.staff_b)
    assert client.get(f"/api/v1/maps/{world.a.pk}").status_code == 404
    page = client.get("/maps/")
    assert page.status_code == 200
    assert "渔家苑" not in page.content.decode()
    assert client.get(f"/maps/?community={world.a.pk}").status_code == 404


@pytest.mark.parametrize("persona", ["resident_a", "partner_a"])
def test_residents_and_partners_have_no_map(client, world, persona):
    map_import(community=world.a, collection=collection_a())
    login(client, getattr(world.users, persona))
    assert client.get("/maps/").status_code == 403
    assert client.get(f"/api/v1/maps/{world.a.pk}").status_code == 403
    assert client.get("/maps/import/").status_code == 403


def test_grid_worker_sees_their_grid_and_its_surroundings_only(client, world):
    map_import(community=world.a, collection=collection_a())
    matter(world.y2)
    login(client, world.users.grid_a1)
    places = _by_name(client.get(f"/api/v1/maps/{world.a.pk}").json())
    assert set(places) == {
        f"compound:{world.yujia.pk}",
        f"grid:{world.grid_a1.pk}",
        f"building:{world.y1.pk}",
        "spot:" + str(Spot.objects.get(name="渔家苑南门").pk),
    }
    # The matter in grid A2 is not theirs to count.
    assert places[f"compound:{world.yujia.pk}"]["value"] == 0


@pytest.mark.parametrize(
    ("layer", "queries"), [("open", 7), ("overdue", 7), ("coverage", 8), ("care_due", 7)]
)
def test_each_layer_is_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, layer, queries
):
    map_import(community=world.a, collection=collection_a())
    for building in (world.y1, world.y2, world.j1):
        matter(building)
    login(client, world.users.staff_a)
    url = f"/api/v1/maps/{world.a.pk}?layer={layer}"
    client.get(url)
    # session, user, profile; the community, its map, the shapes; the figures (coverage: two)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_map_page_is_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    map_import(community=world.a, collection=collection_a())
    login(client, world.users.official)
    client.get("/maps/")
    # session, user, profile; the communities with a map, the map, the shapes, the figures;
    # the navigation's unread messages
    with django_assert_num_queries(8):
        assert client.get("/maps/").status_code == 200


# ---- pages and the command -------------------------------------------------------------------


def test_map_page_draws_the_communitys_geometry(client, world):
    map_import(community=world.a, collection=collection_a())
    matter(world.y1)
    login(client, world.users.official)
    page = client.get("/maps/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="map-payload"' in html and "echarts.min.js" in html
    assert f"/matters/?place=grid%3A{world.grid_a1.pk}&amp;status=open" in html


def test_staff_upload_all_or_nothing(client, world):
    login(client, world.users.staff_a)
    bad = collection_a()
    bad["features"][6]["properties"]["compound"] = "无名小区"
    upload = SimpleUploadedFile("x.geojson", json.dumps(bad).encode(), "application/geo+json")
    response = client.post("/maps/import/", {"community": world.a.pk, "file": upload})
    assert response.status_code == 400
    assert "无名小区" in response.content.decode()
    assert not Shape.objects.exists()
    good = SimpleUploadedFile(
        "x.geojson", json.dumps(collection_a()).encode(), "application/geo+json"
    )
    response = client.post("/maps/import/", {"community": world.a.pk, "file": good})
    assert response.status_code == 302
    assert Shape.objects.filter(community=world.a).count() == 9


def test_staff_cannot_import_into_another_community(client, world):
    login(client, world.users.staff_b)
    upload = SimpleUploadedFile("x.geojson", json.dumps(collection_a()).encode())
    response = client.post("/maps/import/", {"community": world.a.pk, "file": upload})
    assert response.status_code == 400
    assert not Shape.objects.exists()


def test_import_command(world, tmp_path):
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps(collection_a()), encoding="utf-8")
    call_command("import_geometry", str(path), "--community", "X社区")
    assert Shape.objects.filter(community=world.a).count() == 9
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="无法按 JSON 读取"):
        call_command("import_geometry", str(path), "--community", "X社区")
    assert Shape.objects.filter(community=world.a).count() == 9


# ---- the demo layout -------------------------------------------------------------------------


def test_demo_layout_covers_every_place_and_is_deterministic(world):
    started = time.monotonic()
    seed_maps(world.a)
    assert time.monotonic() - started < 2
    assert Shape.objects.filter(community=world.a, level="building").count() == 3
    assert Shape.objects.filter(community=world.a, level="grid").count() == 2
    assert demo_geojson(world.a) == demo_geojson(world.a)
    # Every building lies inside its grid and its compound.
    shapes = {
        (s.level, getattr(s, f"{s.level}_id")): s for s in Shape.objects.filter(community=world.a)
    }
    for building in (world.y1, world.y2, world.j1):
        box = shapes[("building", building.pk)]
        for outer in (
            shapes[("grid", building.grid_id)],
            shapes[("compound", building.compound_id)],
        ):
            assert outer.min_x <= box.min_x and box.max_x <= outer.max_x
            assert outer.min_y <= box.min_y and box.max_y <= outer.max_y
