"""Visits at a building or a public spot (issue 15), not only at a household: the reach per kind
of place, exactly one place per visit (service, API and database), the matter raised at the
building or the spot's compound, coverage still counting households only."""

import json

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from gongzhi.core.places import Place
from gongzhi.maps.models import Shape, Spot, SpotKind
from gongzhi.maps.services import MapImportError, map_import
from gongzhi.matters.models import Matter
from gongzhi.visits import selectors
from gongzhi.visits.models import Visit, VisitKind
from gongzhi.visits.services import VisitError, visit_record
from tests.conftest import login


@pytest.fixture
def spots(world):
    """A bike shed in 渔家苑 (a compound grid A1 covers), a fire lane in 锦绣园 (grid A2 only)
    and a riverside square of X社区 between compounds."""
    return {
        "shed": Spot.objects.create(
            community=world.a, compound=world.yujia, name="自行车棚", kind=SpotKind.PARKING
        ),
        "lane": Spot.objects.create(
            community=world.a, compound=world.jinxiu, name="消防通道", kind=SpotKind.OTHER
        ),
        "square": Spot.objects.create(community=world.a, name="滨河广场", kind=SpotKind.SQUARE),
    }


def record(actor, **place):
    return visit_record(actor=actor, kind=VisitKind.CHECK, found="楼道堆放杂物", **place)


def test_each_kind_of_place_is_recorded(world, spots):
    at_home = record(world.users.grid_a1, household=world.h_y1)
    at_building = record(world.users.grid_a1, building=world.y1)
    at_spot = record(world.users.grid_a1, spot=spots["shed"])
    assert (at_home.target, at_building.target, at_spot.target) == ("household", "building", "spot")
    assert at_building.building == world.y1 and at_building.household is None
    assert at_building.target_label == "渔家苑 1栋"
    assert at_spot.spot == spots["shed"] and at_spot.target_label == "渔家苑 自行车棚"
    # The partner visits their own building; staff any spot of their community, also one
    # between compounds.
    assert record(world.users.partner_a, building=world.y1).building == world.y1
    assert record(world.users.staff_a, spot=spots["square"]).target_label == "滨河广场"
    assert Visit.objects.count() == 5


@pytest.mark.parametrize(
    ("who", "place"),
    [
        ("grid_a1", "y2"),  # grid A2's building
        ("grid_a1", "n1"),  # another community
        ("grid_a1", "lane"),  # a spot of 锦绣园, which grid A1 does not cover
        ("grid_a1", "square"),  # between compounds: no grid covers it
        ("partner_a", "y2"),  # not the partner's building
        ("partner_a", "shed"),  # partners visit no public spots
        ("staff_b", "y1"),
        ("staff_b", "shed"),
        ("resident_a", "y1"),
    ],
)
def test_a_place_out_of_reach_is_refused_and_nothing_written(world, spots, who, place):
    target = {"spot": spots[place]} if place in spots else {"building": getattr(world, place)}
    with pytest.raises(VisitError) as refused:
        visit_record(
            actor=getattr(world.users, who),
            kind=VisitKind.CHECK,
            found="x",
            raise_matter=True,
            matter_text="消防通道被占用",
            **target,
        )
    assert refused.value.code in ("outside_reach", "forbidden")
    assert Visit.objects.count() == 0
    assert Matter.objects.count() == 0


def test_exactly_one_place(world, spots):
    with pytest.raises(VisitError) as two:
        record(world.users.grid_a1, household=world.h_y1, building=world.y1)
    assert two.value.code == "invalid_target"
    with pytest.raises(VisitError) as none:
        record(world.users.grid_a1)
    assert none.value.code == "outside_reach"
    assert Visit.objects.count() == 0
    # The database refuses it too, whoever writes.
    for places in ({"household": world.h_y1, "spot": spots["shed"]}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Visit.objects.create(
                visitor=world.users.grid_a1,
                kind=VisitKind.CHECK,
                found="x",
                visited_at=timezone.now(),
                **places,
            )


def test_a_spot_visit_raises_a_matter_at_its_compound(world, spots):
    v = visit_record(
        actor=world.users.grid_a1,
        spot=spots["shed"],
        kind=VisitKind.CHECK,
        found="车棚里有人给电动车充电",
        raise_matter=True,
        matter_text="渔家苑自行车棚私拉电线给电动车充电，存在火灾隐患",
    )
    matter = Matter.objects.get(pk=v.matter_id)
    assert (matter.community, matter.compound) == (world.a, world.yujia)
    assert matter.building is None and matter.household is None
    assert list(matter.visits.all()) == [v]
    b = record(world.users.partner_a, building=world.y1)
    assert b.matter is None
    raised = visit_record(
        actor=world.users.partner_a,
        building=world.y1,
        kind=VisitKind.CHECK,
        found="楼道灯坏了",
        raise_matter=True,
        matter_text="1栋楼道灯坏了三层",
    )
    assert raised.matter.building == world.y1 and raised.matter.channel == "building_visit"


def test_a_refused_matter_leaves_no_building_visit(world):
    with pytest.raises(VisitError):
        visit_record(
            actor=world.users.grid_a1,
            building=world.y1,
            kind=VisitKind.CHECK,
            found="x",
            raise_matter=True,
            matter_text="",
        )
    assert Visit.objects.count() == 0


def test_coverage_counts_households_only_the_log_shows_every_place(world, spots):
    record(world.users.grid_a1, building=world.y1)
    record(world.users.grid_a1, spot=spots["shed"])
    total = selectors.coverage(world.users.staff_a)["total"]
    assert (total.visited_90, total.never) == (0, total.households)
    assert selectors.visit_list(world.users.grid_a1).count() == 2
    assert selectors.visit_list(world.users.staff_b).count() == 0
    # A grid covers the spots of every compound it has a building in: 渔家苑 has 2栋 in grid
    # A2, so its bike shed is grid A2's too, but 1栋 (grid A1) is not.
    in_grid_a2 = selectors.visit_list(world.users.staff_a, place=Place("grid", world.grid_a2.pk))
    assert [v.target for v in in_grid_a2] == ["spot"]
    assert (
        selectors.visit_list(world.users.staff_a, place=Place("building", world.y1.pk)).count() == 1
    )
    assert (
        selectors.visit_list(world.users.staff_a, place=Place("compound", world.yujia.pk)).count()
        == 2
    )


def post(client, payload):
    return client.post(
        "/api/v1/visits",
        json.dumps(payload),
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )


def test_api_takes_a_building_or_a_spot(world, spots, client):
    login(client, world.users.grid_a1)
    base = {"kind": "check", "found": "消防通道畅通"}
    made = post(client, {**base, "spot_id": spots["shed"].pk})
    assert made.status_code == 201, made.content
    assert made.json()["target"] == "spot" and made.json()["household_id"] is None
    assert made.json()["place"] == "渔家苑 自行车棚"
    assert post(client, {**base, "building_id": world.y1.pk}).status_code == 201
    for wrong in (
        {},
        {"building_id": world.y1.pk, "spot_id": spots["shed"].pk},
        {"household_id": world.h_y1.pk, "building_id": world.y1.pk},
    ):
        refused = post(client, {**base, **wrong})
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_target"
        assert refused.json()["message"] == "请只选择一处走访地点：一户、一栋楼或一处公共区域。"
    for far in ({"building_id": world.y2.pk}, {"spot_id": spots["lane"].pk}, {"spot_id": 99999}):
        refused = post(client, {**base, **far})
        assert refused.status_code == 400 and refused.json()["code"] == "outside_reach"
        assert "范围" in refused.json()["message"]
    assert Visit.objects.count() == 2
    listed = client.get("/api/v1/visits").json()["results"]
    assert {row["target"] for row in listed} == {"building", "spot"}


def test_record_page_offers_the_three_kinds_and_searches_each(world, spots, client):
    login(client, world.users.grid_a1)
    page = client.get("/visits/new/", headers={"Accept-Language": "zh-hans"}).content.decode()
    for word in ("住户", "楼栋", "公共区域"):
        assert word in page
    found = client.get("/visits/households/", {"q": "车棚", "target": "spot"}).content.decode()
    assert f'name="spot" value="{spots["shed"].pk}"' in found
    assert (
        "消防通道"
        not in client.get("/visits/households/", {"q": "通道", "target": "spot"}).content.decode()
    )
    found = client.get(
        "/visits/households/", {"q": "渔家苑", "target": "building"}
    ).content.decode()
    assert f'name="building" value="{world.y1.pk}"' in found
    assert f'value="{world.y2.pk}"' not in found
    response = client.post(
        "/visits/new/",
        {"spot": spots["shed"].pk, "kind": "check", "found": "车棚整洁", "client_key": "k1"},
    )
    assert response.status_code == 302
    refused = client.post(
        "/visits/new/",
        {"building": world.y2.pk, "kind": "check", "found": "x", "client_key": "k2"},
        headers={"Accept-Language": "zh-hans"},
    )
    assert refused.status_code == 400
    assert "这栋楼不在您走访的范围内。" in refused.content.decode()
    assert Visit.objects.get().spot == spots["shed"]
    log = client.get("/visits/log/").content.decode()
    assert "渔家苑 自行车棚" in log


def test_a_map_reimport_keeps_the_spots_visited(world):
    """A spot is a place of its own: drawing the map again keeps it (by name) with its visits;
    a new drawing that drops a visited spot is refused, naming it, and nothing changes."""
    from tests.helpers import collection_a

    map_import(community=world.a, collection=collection_a())
    spot = (
        Spot.objects.filter(community=world.a, compound=world.yujia).first() or Spot.objects.first()
    )
    visit_record(actor=world.users.staff_a, spot=spot, kind=VisitKind.CHECK, found="正常")
    map_import(community=world.a, collection=collection_a())
    assert Visit.objects.get().spot == spot
    assert Spot.objects.filter(pk=spot.pk).exists()
    shapes = Shape.objects.filter(community=world.a).count()
    without = collection_a()
    without["features"] = [
        f for f in without["features"] if f["properties"].get("name") != spot.name
    ]
    with translation.override("zh-hans"), pytest.raises(MapImportError) as refused:
        map_import(community=world.a, collection=without)
    assert refused.value.errors == [f"{spot.name}已有走访记录：请在文件中保留它（按名称）。"]
    assert Visit.objects.get().spot == spot
    assert Shape.objects.filter(community=world.a).count() == shapes
