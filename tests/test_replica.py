"""``DATABASE_REPLICA_URL``: a ``replica`` alias and a router that sends the reads of blocks and
views marked ``reading_from_replica`` to it; writes always go to ``default``."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test.utils import CaptureQueriesContext

from gongzhi.core.replica import ReplicaRouter, reading_from_replica
from gongzhi.ops.config import replica_database
from gongzhi.places.models import Community, Subdistrict

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/a.sqlite3"}
PG = {"ENGINE": "django.db.backends.postgresql", "NAME": "gongzhi", "HOST": "primary"}


def test_replica_url_adds_an_alias_that_mirrors_default_in_tests():
    assert replica_database(PG, None) == {"default": PG}
    databases = replica_database(PG, {**PG, "HOST": "replica"})
    assert databases["replica"]["HOST"] == "replica"
    assert databases["replica"]["TEST"] == {"MIRROR": "default"}
    with pytest.raises(ImproperlyConfigured):
        replica_database(PG, SQLITE)


@pytest.fixture
def replica(transactional_db, settings):
    """A ``replica`` alias on the test database itself (as ``TEST: {"MIRROR": "default"}``
    does): a second connection, so the queries it runs can be told apart."""
    config = dict(connections["default"].settings_dict)
    connections.settings["replica"] = config
    settings.DATABASES = {**settings.DATABASES, "replica": config}
    replica = connections["replica"]
    # Connected here, as the test case only lets aliases it knew at its start connect lazily.
    replica.connect()
    yield replica
    connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]


def test_without_a_replica_everything_reads_from_default(db):
    with reading_from_replica():
        assert Community.objects.all().db == "default"
    assert ReplicaRouter().db_for_read(Community) is None


def test_reads_inside_the_block_go_to_the_replica_and_writes_to_default(replica):
    sub = Subdistrict.objects.create(name="琴台街道")
    Community.objects.create(subdistrict=sub, name="X社区")
    assert Community.objects.all().db == "default"
    with CaptureQueriesContext(replica) as on_replica, reading_from_replica():
        assert Community.objects.all().db == "replica"
        assert list(Community.objects.values_list("name", flat=True)) == ["X社区"]
        created = Community.objects.create(subdistrict=sub, name="Y社区")
        assert created._state.db == "default"
    assert len(on_replica) == 1
    assert "places_community" in on_replica[0]["sql"]
    assert Community.objects.all().db == "default"


def test_a_decorated_function_reads_from_the_replica(replica):
    @reading_from_replica()
    def names():
        return Community.objects.all().db

    assert names() == "replica"
    assert Community.objects.all().db == "default"


def test_an_object_read_from_the_replica_is_saved_to_default(replica):
    sub = Subdistrict.objects.create(name="琴台街道")
    with reading_from_replica():
        read = Subdistrict.objects.get(pk=sub.pk)
    assert read._state.db == "replica"
    read.name = "新名字"
    read.save()
    assert Subdistrict.objects.get(pk=sub.pk).name == "新名字"


def test_replica_is_never_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate("replica", "places") is False
    assert router.allow_migrate("default", "places") is None


def _tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


def test_a_list_export_reads_its_rows_from_the_replica(replica, client, world):
    from tests.factories_matters import make_matter

    make_matter(building=world.y1, reporter=world.res_a)
    client.force_login(world.users.staff_a)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get("/matters/?format=xlsx")
    assert response.status_code == 200
    assert "matters_matter" in _tables(on_replica)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get("/matters/").status_code == 200
    assert len(on_replica) == 0  # the list page itself reads from the primary


def test_the_network_page_reads_from_the_replica(replica, client, world):
    client.force_login(world.users.staff_a)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get("/network/").status_code == 200
    assert len(on_replica) > 0


def test_the_dashboards_read_from_the_replica(replica, client, world):
    client.force_login(world.users.staff_a)
    for url in ("/dashboard/", "/matters/dashboard/"):
        with CaptureQueriesContext(replica) as on_replica:
            assert client.get(url).status_code == 200, url
        assert len(on_replica) > 0, url
