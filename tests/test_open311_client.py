"""A third-party Open311 client reads a running Gongzhi: ``georeport`` (PyPI, Apache-2.0, not
written here) talks GeoReport v2 over HTTP to pytest-django's live server, in JSON and in XML.
No shim: the client is used exactly as its documentation shows."""

import pytest
from georeport import GeoReport

from gongzhi.open311 import services
from tests.factories_matters import make_matter


@pytest.fixture
def filed(world):
    """One matter reported in person and one filed through Open311 with coordinates."""
    services.community_area_set(
        actor=None, community=world.a, south=30.55, north=30.57, west=114.25, east=114.27
    )
    key, raw = services.open311_key_create(actor=None, community=world.a, name="随手拍")
    in_person = make_matter(building=world.y1, category="parking", text="消防通道停了车")
    by_client = services.open311_request_submit(
        key=key,
        data={
            "jurisdiction_id": "X社区",
            "service_code": "greening",
            "lat": "30.56",
            "long": "114.26",
            "description": "花园里的树枝断了",
        },
    )
    return in_person, by_client.matter


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_reads_services_and_requests(live_server, world, filed, output_format):
    in_person, by_client = filed
    client = GeoReport(
        f"{live_server.url}/open311/v2/", jurisdiction="X社区", output_format=output_format
    )

    services_list = client.get_service_list()
    codes = [s["service_code"] for s in services_list]
    assert "parking" in codes and "greening" in codes
    assert {s["service_name"] for s in services_list} >= {"停车管理"}

    definition = client.get_service_definition("greening")
    assert definition["service_code"] == "greening"

    requests = client.get_service_requests(status="open")
    assert {r["service_request_id"] for r in requests} == {str(in_person.pk), str(by_client.pk)}

    one = client.get_service_request(str(by_client.pk))
    assert one["service_code"] == "greening" and one["status"] == "open"
    assert one["description"] == "花园里的树枝断了"
    assert float(one["lat"]) == 30.56 and float(one["long"]) == 114.26

    only_parking = client.get_service_requests(service_code="parking")
    # xmltodict gives one request as a dict, several as a list: a single row here either way
    row = only_parking[0] if isinstance(only_parking, list) else only_parking
    assert row["service_request_id"] == str(in_person.pk)
