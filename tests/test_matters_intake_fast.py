"""The fast intake of ``POST /api/v1/matters`` (issue 14): the queries of one submit, pinned
per role; the lean answer (``Prefer: return=minimal``) equal to ``GET`` on the same matter; the
rule of a submit read as the database has it right now; idempotency as before, in both shapes.

Submits go in with a bearer token, as integrations send them (no session to load), after one
warm-up submit (the classifier is loaded once per process). The counts are the same on SQLite
and PostgreSQL but for the inserts (one statement on PostgreSQL): inside the test's transaction
the submit's own is a savepoint on both."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path

from gongzhi.accounts.models import ApiToken
from gongzhi.api import api
from gongzhi.matters import routing
from gongzhi.matters.models import (
    DeadlinePolicy,
    Matter,
    MatterEvent,
    ResponsibilityRule,
    SubmitKey,
)
from tests.helpers import refused_key_inserts

urlpatterns = [path("api/v1/", api.urls)]
pytestmark = pytest.mark.urls(__name__)

URL = "/api/v1/matters"
MINIMAL = {"Prefer": "return=minimal"}

# token (with the user's profile); place and reporter (each with the places above it, one
# statement); the rule with the deadline policy; savepoint; matter; reporter row; both events;
# key; release. No look-up of the key: its unique index decides a retry. On PostgreSQL the
# four inserts are one statement (``rawsql.Inserts.single``), three queries less.
INSERTS = 4 if connection.vendor == "sqlite" else 1
STAFF_QUERIES = 5 + INSERTS
# Like staff, with the grid read for the grid worker's area (``Profile.community_id_resolved``).
GRID_WORKER_QUERIES = STAFF_QUERIES + 1
# No reporter named by id, but the resident's own record, and their household with the places
# above it for the area check (the message to the community's staff waits for the commit).
RESIDENT_QUERIES = STAFF_QUERIES + 2


def bearer(user) -> dict:
    _token, raw = ApiToken.issue(user=user, name="intake")
    return {"Authorization": f"Bearer {raw}"}


def submit(client, auth: dict, payload: dict, **headers):
    return client.post(
        URL, json.dumps(payload), content_type="application/json", headers={**auth, **headers}
    )


def staff_payload(world, **fields) -> dict:
    return {
        "text": "3栋楼道灯坏了，晚上看不见",
        "channel": "grid_visit",
        "place": f"building:{world.y1.pk}",
        "reporter_id": world.res_a.pk,
        **fields,
    }


def resident_payload(world) -> dict:
    return {
        "text": "家门口楼道灯坏了",
        "channel": "online_web",
        "place": f"household:{world.h_y1.pk}",
    }


def count_submit(client, auth: dict, payload: dict, key: str, **headers) -> tuple[int, object]:
    submit(client, auth, payload, **{"Idempotency-Key": f"warm-{key}"}, **headers)
    with CaptureQueriesContext(connection) as queries:
        response = submit(client, auth, payload, **{"Idempotency-Key": key}, **headers)
    assert response.status_code == 201, response.content
    return len(queries.captured_queries), response


# ---- queries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("staff_a", STAFF_QUERIES), ("grid_a1", GRID_WORKER_QUERIES)],
)
def test_a_submit_of_staff_and_grid_workers_takes_a_fixed_number_of_queries(
    client, world, who, expected
):
    auth = bearer(getattr(world.users, who))
    count, _response = count_submit(client, auth, staff_payload(world), "q", **MINIMAL)
    assert count == expected


def test_a_residents_submit_takes_a_fixed_number_of_queries(
    client, world, django_capture_on_commit_callbacks
):
    auth = bearer(world.users.resident_a)
    with django_capture_on_commit_callbacks(execute=False):
        count, _response = count_submit(client, auth, resident_payload(world), "q", **MINIMAL)
    assert count == RESIDENT_QUERIES


def test_the_count_does_not_grow_with_the_matters_already_there(client, world):
    auth = bearer(world.users.staff_a)
    for n in range(5):
        submit(client, auth, staff_payload(world), **{"Idempotency-Key": f"before-{n}"})
    count, _response = count_submit(client, auth, staff_payload(world), "after", **MINIMAL)
    assert count == STAFF_QUERIES


def test_the_full_answer_costs_the_detail_reads_on_top(client, world):
    """Without ``Prefer`` the answer is the detail, read back as ``GET`` reads it: the matter
    with its places and reporters count, then owners, events and photos."""
    auth = bearer(world.users.staff_a)
    count, response = count_submit(client, auth, staff_payload(world), "full")
    assert count == STAFF_QUERIES + 4
    assert [e["action"] for e in response.json()["events"]] == ["submit", "route"]


# ---- the lean answer ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff_a", "grid_a1", "resident_a"])
def test_the_lean_answer_equals_get_on_the_same_matter(client, world, who):
    user = getattr(world.users, who)
    auth = bearer(user)
    payload = resident_payload(world) if who == "resident_a" else staff_payload(world)
    response = submit(client, auth, payload, **MINIMAL)
    assert response.status_code == 201, response.content
    assert response["Preference-Applied"] == "return=minimal"
    lean = response.json()
    matter = Matter.objects.get()
    assert lean["id"] == matter.pk and lean["link"] == f"/matters/{matter.pk}/"
    assert response["Location"] == f"{URL}/{matter.pk}"
    detail = client.get(f"{URL}/{matter.pk}", headers=auth).json()
    assert set(lean) - {"link"} <= set(detail)
    assert {key: detail[key] for key in lean if key != "link"} == {
        key: value for key, value in lean.items() if key != "link"
    }
    # The classification and the scalar keys of today's body are all there.
    for key in ("status", "category", "tier", "suggested_category", "suggestion_confidence"):
        assert key in lean
    assert not {"events", "owners", "photos", "reporters_count"} & set(lean)


def test_without_prefer_the_answer_is_the_full_detail_as_before(client, world):
    auth = bearer(world.users.staff_a)
    for headers in ({}, {"Prefer": "return=representation"}):
        response = submit(client, auth, staff_payload(world), **headers)
        assert response.status_code == 201
        assert "Preference-Applied" not in response
        body = response.json()
        assert body["reporters_count"] == 1 and [e["action"] for e in body["events"]] == [
            "submit",
            "route",
        ]


@pytest.mark.parametrize(
    "prefer", ["return=minimal", "respond-async, return=minimal", 'RETURN = "minimal"; x=1']
)
def test_prefer_minimal_is_read_among_other_preferences(client, world, prefer):
    auth = bearer(world.users.staff_a)
    response = submit(client, auth, staff_payload(world), Prefer=prefer)
    assert response.status_code == 201 and "events" not in response.json()


def test_the_submit_writes_the_same_rows_as_before(client, world):
    """Routing before the insert changes nothing recorded: the matter routed, one reporter,
    the submit then the route event at the submit's moment, the key."""
    routing.install_default_rules(world.a)
    auth = bearer(world.users.staff_a)
    response = submit(
        client, auth, staff_payload(world, tier="big"), **MINIMAL, **{"Idempotency-Key": "k"}
    )
    matter = Matter.objects.get(pk=response.json()["id"])
    rule = ResponsibilityRule.objects.get(community=world.a, tier="big", category="")
    assert matter.working_mode == "deliberate"
    events = list(matter.events.values_list("action", "from_status", "to_status", "data", "at"))
    assert [e[:3] for e in events] == [("submit", "", "received"), ("route", "", "received")]
    assert events[0][3] == {"channel": "grid_visit"}
    assert events[1][3] == {
        "rule": rule.pk,
        "working_mode": "deliberate",
        "propose_meeting": True,
        "auto_assign": False,
    }
    assert events[0][4] == events[1][4] == matter.created_at
    assert matter.reporters.get().resident == world.res_a
    assert SubmitKey.objects.get().matter == matter


# ---- routing follows a rule edit ------------------------------------------------------------


def test_a_submit_after_a_rule_edit_routes_by_the_new_rule(client, world):
    routing.install_default_rules(world.a)
    auth = bearer(world.users.staff_a)
    rule = ResponsibilityRule.objects.get(community=world.a, tier="small", category="")

    def routed() -> dict:
        response = submit(client, auth, staff_payload(world, tier="small"), **MINIMAL)
        assert response.status_code == 201, response.content
        matter = Matter.objects.get(pk=response.json()["id"])
        return {"mode": matter.working_mode, **matter.events.get(action="route").data}

    assert routed()["mode"] == "cooperate"
    # Edited through the ORM's save, then behind its back with update(): both are seen.
    rule.working_mode, rule.propose_meeting = "deliberate", True
    rule.save()
    first = routed()
    assert first["mode"] == "deliberate" and first["propose_meeting"] is True
    ResponsibilityRule.objects.filter(pk=rule.pk).update(working_mode="joint")
    assert routed()["mode"] == "joint"
    # A category rule added later beats the tier-wide one at once.
    parking = ResponsibilityRule.objects.create(
        community=world.a, tier="small", category="parking", working_mode="deliberate"
    )
    response = submit(
        client, auth, staff_payload(world, tier="small", category="parking"), **MINIMAL
    )
    matter = Matter.objects.get(pk=response.json()["id"])
    assert matter.events.get(action="route").data["rule"] == parking.pk
    # And a deleted rule leaves the tier's default.
    ResponsibilityRule.objects.filter(community=world.a, tier="small").delete()
    data = routed()
    assert data["rule"] is None and data["mode"] == "cooperate"


# ---- idempotency ----------------------------------------------------------------------------


def test_the_submit_takes_the_best_deadline_policy_with_its_rule(client, world):
    """The rule and the deadline policy come in one statement: the community's policy before
    the global one, the category's before the tier-wide one, another community's never, the
    tier's defaults without any; the rule beside it as ``routing.rule_for`` picks it."""
    routing.install_default_rules(world.a)
    rule = ResponsibilityRule.objects.get(community=world.a, tier="small", category="")
    auth = bearer(world.users.staff_a)
    policies = {
        (community, category): DeadlinePolicy.objects.create(
            community=community, tier="small", category=category, resolve_days=days
        )
        for community, category, days in [
            (None, "", 11),
            (None, "facilities", 12),
            (world.a, "", 13),
            (world.a, "facilities", 14),
        ]
    }
    DeadlinePolicy.objects.create(
        community=world.b, tier="small", category="facilities", resolve_days=2, acknowledge_hours=1
    )

    def submitted() -> tuple[int, float, object]:
        payload = staff_payload(world, tier="small", category="facilities")
        response = submit(client, auth, payload, **MINIMAL)
        assert response.status_code == 201, response.content
        matter = Matter.objects.get(pk=response.json()["id"])
        days = (matter.due_at - matter.created_at).days
        hours = (matter.ack_due_at - matter.created_at).total_seconds() / 3600
        return days, hours, matter.events.get(action="route").data["rule"]

    for key, days in [
        ((world.a, "facilities"), 14),
        ((world.a, ""), 13),
        ((None, "facilities"), 12),
        ((None, ""), 11),
    ]:
        assert submitted() == (days, 24, rule.pk)
        policies[key].delete()
    assert submitted() == (3, 24, rule.pk)  # the tier's defaults


def test_a_retry_answers_200_in_the_shape_it_asks_for(client, world):
    auth = bearer(world.users.staff_a)
    key = {"Idempotency-Key": "retry-1"}
    first = submit(client, auth, staff_payload(world), **MINIMAL, **key)
    retry = submit(client, auth, staff_payload(world), **MINIMAL, **key)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert retry["Preference-Applied"] == "return=minimal"
    full = submit(client, auth, staff_payload(world), **key)
    assert full.status_code == 200 and full.json()["id"] == first.json()["id"]
    assert "events" in full.json()
    assert Matter.objects.count() == 1 and SubmitKey.objects.count() == 1
    assert MatterEvent.objects.count() == 2


def test_a_retry_racing_the_first_attempt_gets_the_first_matter(client, world, monkeypatch):
    """No look-up of the key before the insert: the retry's insert of the key fails on its
    unique index, everything it wrote rolls back, and it answers with the first matter."""
    auth = bearer(world.users.staff_a)
    key = {"Idempotency-Key": "race"}
    first = submit(client, auth, staff_payload(world), **MINIMAL, **key)
    refused = refused_key_inserts(monkeypatch)
    retry = submit(client, auth, staff_payload(world), **MINIMAL, **key)
    assert refused == ["race"], "the retry's key was not refused by the unique index"
    assert retry.status_code == 200, retry.content
    assert retry.json() == first.json()
    assert Matter.objects.count() == 1 and MatterEvent.objects.count() == 2


def test_a_refused_submit_with_prefer_minimal_answers_the_error_as_before(client, world):
    auth = bearer(world.users.staff_a)
    response = submit(client, auth, staff_payload(world, place="building:999999"), **MINIMAL)
    assert response.status_code == 400 and response.json()["code"] == "unknown_place"
    assert not Matter.objects.exists()


# ---- the OpenAPI document -------------------------------------------------------------------


def test_openapi_documents_prefer_and_the_lean_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    post = schema["paths"][URL]["post"]
    assert "Prefer" in {p["name"] for p in post["parameters"]}
    shapes = post["responses"]["201"]["content"]["application/json"]["schema"]["oneOf"]
    assert shapes[0] == {"$ref": "#/components/schemas/MatterDetailOut"}
    assert shapes[1]["title"] == "MatterSubmittedOut"
    assert {"id", "status", "link", "category", "tier"} <= set(shapes[1]["properties"])
    assert json.dumps(shapes[1]).count("#/components/schemas/") == 2  # PlaceOut, Ref


@pytest.mark.parametrize("level", ["community", "compound", "building", "household"])
def test_the_lean_body_is_what_the_schema_gives(client, world, level):
    """``apischema.plain`` (the submit's lean body) equals ``MatterSubmittedOut.from_orm`` for
    matters at every level, anonymous or with a reporter, classified or not."""
    from gongzhi.core.apischema import plain
    from gongzhi.matters.api import MatterSubmittedOut

    place = {
        "community": world.a,
        "compound": world.yujia,
        "building": world.y1,
        "household": world.h_y1,
    }[level]
    auth = bearer(world.users.staff_a)
    for payload in (
        staff_payload(world, place=f"{level}:{place.pk}"),
        staff_payload(world, place=f"{level}:{place.pk}", reporter_id=None, category="safety"),
    ):
        assert submit(client, auth, payload, **MINIMAL).status_code == 201
    for matter in Matter.objects.select_related("community", "compound", "building", "household"):
        assert plain(MatterSubmittedOut, matter) == MatterSubmittedOut.from_orm(matter).dict()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_are_the_displays_in_the_language_in_use(world, language):
    """``label_of`` keeps the labels per language: each is what ``get_<field>_display`` says
    in the language in use, switching back and forth."""
    from django.utils import translation

    from gongzhi.core.apischema import label_of
    from gongzhi.matters.models import Category, Channel, Status, Tier
    from tests.factories_matters import make_matter

    matter = make_matter(building=world.y1, tier="big", category="parking")
    fields = {"status": Status, "category": Category, "tier": Tier, "channel": Channel}
    other = "en" if language == "zh-hans" else "zh-hans"
    for active in (language, other, language):
        with translation.override(active):
            for field, choices in fields.items():
                expected = getattr(matter, f"get_{field}_display")()
                assert label_of(choices, getattr(matter, field)) == expected
    with translation.override("en"):
        english = label_of(Status, "received")
    with translation.override("zh-hans"):
        assert label_of(Status, "received") != english
    assert label_of(Status, "no-such-status") == "no-such-status"


@pytest.mark.django_db(transaction=True)
def test_a_submit_outside_any_transaction_and_its_retry(client, world):
    """As a server runs it (no test transaction around the request): on PostgreSQL the rows go
    in as one statement with no BEGIN/COMMIT of their own; a retry's key is refused by its
    unique index all the same and the first matter answers. A submit whose rule assigns
    automatically writes more after the rows: it keeps its transaction."""
    auth = bearer(world.users.staff_a)
    key = {"Idempotency-Key": "outside"}
    with CaptureQueriesContext(connection) as queries:
        first = submit(client, auth, staff_payload(world), **MINIMAL, **key)
    assert first.status_code == 201, first.content
    statements = [q["sql"] or "" for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert not any(s.startswith(("BEGIN", "SAVEPOINT", "COMMIT")) for s in statements)
        # The token's first use is written; no savepoint and release around the rows.
        assert len(statements) == 1 + STAFF_QUERIES - 2
    retry = submit(client, auth, staff_payload(world), **MINIMAL, **key)
    assert retry.status_code == 200 and retry.json() == first.json()
    matter = Matter.objects.get()
    assert matter.reporters.get().resident == world.res_a
    assert [e.action for e in matter.events.order_by("pk")] == ["submit", "route"]
    assert SubmitKey.objects.get().matter == matter

    # Automatic assignment after the rows: one transaction for the rows and the assignment.
    routing.install_default_rules(world.a)
    ResponsibilityRule.objects.filter(community=world.a, tier="small").update(auto_assign=True)
    with CaptureQueriesContext(connection) as queries:
        assigned = submit(client, auth, staff_payload(world, tier="small"), **MINIMAL)
    assert assigned.status_code == 201, assigned.content
    assert assigned.json()["status"] == "assigned"
    if connection.vendor == "postgresql":
        statements = [q["sql"] or "" for q in queries.captured_queries]
        assert statements.count("BEGIN") == statements.count("COMMIT") == 1
