"""The API fuzzed against its own OpenAPI schema (schemathesis), as a staff member and as a
resident: no answer is a 5xx, and every answer conforms to the schema (documented status code,
content type and body). Bounded: a few examples per operation and role, no shrinking, so the
run takes about a minute on two cores. ``GONGZHI_FUZZ_EXAMPLES`` raises the bound for a
deeper run (docs/testing.md).

Requests go through the WSGI application in this process, so they see the test's database
(the ``world`` personas, rolled back after each operation).
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongzhi.accounts.models import ApiToken

EXAMPLES = int(os.environ.get("GONGZHI_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture(autouse=True)
def _one_connection():
    """Requests go through the WSGI handler, whose request signals close the database
    connection after each request; that would end the test's transaction (PostgreSQL). Django's
    test client disconnects the same handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world):
    return {
        role: ApiToken.issue(user=getattr(world.users, username), name="fuzz")[1]
        for role, username in (("staff", "staff_a"), ("resident", "resident_a"))
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, tokens):
    for token in tokens.values():
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=CHECKS)


def test_every_schema_has_its_own_name():
    """Two schemas with one name share one entry in the OpenAPI components, so one of them is
    documented wrongly (agenda items were once documented as shop items)."""
    from ninja import Schema

    import gongzhi.api  # noqa: F401  (every router and its schemas imported)

    seen: dict[str, type] = {}
    clashes = []

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    for schema in walk(Schema):
        if not schema.__module__.startswith("gongzhi.") or "Generic" in schema.__name__:
            continue
        if "[" in schema.__name__:
            continue
        other = seen.setdefault(schema.__name__, schema)
        if other is not schema:
            clashes.append(f"{schema.__name__}: {other.__module__} and {schema.__module__}")
    assert clashes == []


def test_a_malformed_id_in_an_api_path_is_a_json_404(client, world):
    client.force_login(world.users.staff_a)
    response = client.get("/api/v1/places/buildings/abc/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get("/no-such-page/").status_code == 404


def test_a_time_with_a_timezone_is_refused_not_a_500(client, world):
    client.force_login(world.users.resident_a)
    response = client.put(
        "/api/v1/me/notification-preferences",
        {"channel": "none", "quiet_start": "00:00:00Z", "quiet_end": "07:00"},
        content_type="application/json",
    )
    assert response.status_code == 422
