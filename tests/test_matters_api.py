"""The matters API (/api/v1/matters): idempotent submit, scope, every transition allowed and
refused with its code, feedback, classify, chat paste, photos and the OpenAPI document. The API
is mounted alone so these tests do not depend on the web pages."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone

from gongzhi.accounts.models import Profile
from gongzhi.api import api
from gongzhi.matters import services
from gongzhi.matters.models import Matter, MatterEvent, MatterOwner, SubmitKey
from tests.factories_matters import make_matter
from tests.helpers import refused_key_inserts

urlpatterns = [path("api/v1/", api.urls)]
pytestmark = pytest.mark.urls(__name__)

URL = "/api/v1/matters"
LIST_QUERIES = 5


def post(client, user, url, data=None, **headers):
    client.force_login(user)
    return client.post(url, data or {}, content_type="application/json", headers=headers)


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def error_code(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["message"]
    return body["code"]


def submission(world, **fields):
    return {
        "text": "3栋楼道灯坏了，晚上看不见",
        "channel": "grid_visit",
        "place": f"building:{world.y1.pk}",
        "reporter_id": world.res_a.pk,
        **fields,
    }


# ---- submit ---------------------------------------------------------------------------------


def test_submit_creates_a_matter_with_the_classifiers_guess(client, world):
    response = post(client, world.users.staff_a, URL, submission(world))
    assert response.status_code == 201, response.content
    body = response.json()
    matter = Matter.objects.get()
    assert body["id"] == matter.pk and body["status"] == "received"
    assert body["place"] == {"level": "building", "id": world.y1.pk, "label": str(world.y1)}
    assert matter.reporter == world.res_a and matter.entered_by == world.users.staff_a
    assert body["category"] == matter.suggested_category and body["reporters_count"] == 1
    assert [e["action"] for e in body["events"]] == ["submit", "route"]


def test_retried_submit_with_the_same_key_returns_the_same_matter(client, world):
    staff = world.users.staff_a
    first = post(client, staff, URL, submission(world), **{"Idempotency-Key": "k-1"})
    retry = post(client, staff, URL, submission(world), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["id"] == retry.json()["id"]
    assert Matter.objects.count() == 1 and SubmitKey.objects.count() == 1
    other = post(client, staff, URL, submission(world), **{"Idempotency-Key": "k-2"})
    assert other.status_code == 201 and Matter.objects.count() == 2


def test_the_same_key_of_two_users_makes_two_matters(client, world):
    post(client, world.users.staff_a, URL, submission(world), **{"Idempotency-Key": "same"})
    second = post(
        client, world.users.grid_a1, URL, submission(world), **{"Idempotency-Key": "same"}
    )
    assert second.status_code == 201 and Matter.objects.count() == 2


def test_retry_racing_the_first_attempt_returns_the_first_matter(client, world, monkeypatch):
    """A retry looks nothing up before its insert, so it takes the path of a retry racing the
    first attempt: the key's unique index refuses its key, everything it wrote rolls back, and
    it ends with the first attempt's matter and leaves no second one."""
    staff = world.users.staff_a
    first = post(client, staff, URL, submission(world), **{"Idempotency-Key": "race"})
    refused = refused_key_inserts(monkeypatch)
    retry = post(client, staff, URL, submission(world), **{"Idempotency-Key": "race"})
    assert refused == ["race"], "the retry's key was not refused by the unique index"
    assert retry.status_code == 200, retry.content
    assert retry.json()["id"] == first.json()["id"]
    assert Matter.objects.count() == 1 and SubmitKey.objects.count() == 1
    assert MatterEvent.objects.count() == 2


def test_a_retry_answers_with_its_matter_even_if_the_submit_would_now_be_refused(client, world):
    """The grid worker moved to another grid after the submit: the same submit without its key
    is refused now, but its retry still answers with the matter the first attempt created."""
    worker = world.users.grid_a1
    payload = submission(world, reporter_id=None)
    first = post(client, worker, URL, payload, **{"Idempotency-Key": "moved"})
    assert first.status_code == 201, first.content
    Profile.objects.filter(user=worker).update(grid=world.grid_a2)
    worker.refresh_from_db()
    refused = post(client, worker, URL, payload)
    assert error_code(refused, 403) == "not_in_scope"
    retry = post(client, worker, URL, payload, **{"Idempotency-Key": "moved"})
    assert retry.status_code == 200, retry.content
    assert retry.json()["id"] == first.json()["id"]
    assert Matter.objects.count() == 1


def test_idempotency_key_longer_than_80_characters_is_refused(client, world):
    response = post(
        client, world.users.staff_a, URL, submission(world), **{"Idempotency-Key": "k" * 81}
    )
    assert error_code(response, 400) == "invalid_idempotency_key"
    assert not Matter.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "漏" * 20_000])
def test_empty_or_oversized_text_is_refused(client, world, text):
    response = post(client, world.users.staff_a, URL, submission(world, text=text))
    assert error_code(response, 400) == "invalid_text"
    assert not Matter.objects.exists()


@pytest.mark.parametrize(
    ("place", "code"),
    [
        ("building:999999", "unknown_place"),
        ("household:999999", "unknown_place"),
        ("grid:1", "unknown_place"),
        ("mars:1", "bad_place"),
        ("building:x", "bad_place"),
        ("", "unknown_place"),
    ],
)
def test_unknown_or_malformed_place_is_refused(client, world, place, code):
    response = post(client, world.users.staff_a, URL, submission(world, place=place))
    assert error_code(response, 400) == code
    assert not Matter.objects.exists()


def test_staff_cannot_submit_in_another_community(client, world):
    response = post(
        client,
        world.users.staff_b,
        URL,
        submission(world, reporter_id=None, place=f"building:{world.y1.pk}"),
    )
    assert error_code(response, 400) == "unknown_place"
    assert not Matter.objects.exists()


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"channel": "carrier_pigeon"}, 400, "invalid_channel"),
        ({"category": "weather"}, 400, "invalid_classification"),
        ({"tier": "huge"}, 400, "invalid_classification"),
        ({"reporter_id": 999999}, 400, "unknown_reporter"),
        ({"reporter_contact": "12345"}, 400, "invalid_contact"),
        ({"priority": "whenever"}, 422, "invalid"),
    ],
)
def test_bad_fields_are_refused_with_their_code(client, world, fields, status, code):
    response = post(client, world.users.staff_a, URL, submission(world, **fields))
    assert error_code(response, status) == code
    assert not Matter.objects.exists()


@pytest.mark.parametrize(
    ("building", "code"),
    # The place and the reporter are read in one statement; an unknown place is still refused
    # first, whatever the reporter.
    [("n1", "unknown_reporter"), ("y1", "unknown_place")],
)
def test_staff_of_b_cannot_name_a_resident_of_a_as_reporter(client, world, building, code):
    response = post(
        client,
        world.users.staff_b,
        URL,
        submission(
            world,
            place=f"building:{getattr(world, building).pk}",
            reporter_id=world.res_a.pk,
        ),
    )
    assert error_code(response, 400) == code
    assert not Matter.objects.exists()


def test_resident_submits_for_themselves_at_their_household(client, world):
    response = post(
        client,
        world.users.resident_a,
        URL,
        submission(
            world, place=f"household:{world.h_y1.pk}", reporter_id=None, channel="online_web"
        ),
    )
    assert response.status_code == 201, response.content
    matter = Matter.objects.get()
    assert matter.reporter == world.res_a and matter.household == world.h_y1


def test_anonymous_caller_gets_401(client, world):
    response = client.post(URL, submission(world), content_type="application/json")
    assert error_code(response, 401) == "unauthenticated"


# ---- list and detail ------------------------------------------------------------------------


@pytest.fixture
def matters(world):
    return {
        "y1": make_matter(building=world.y1, reporter=world.res_a),
        "y2": make_matter(building=world.y2, category="parking", text="2栋门口乱停车"),
        "n1": make_matter(building=world.n1, reporter=world.res_b, text="江南小区路灯不亮"),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def test_each_persona_lists_only_matters_in_reach(client, world, matters):
    a = sorted([matters["y1"].pk, matters["y2"].pk])
    assert ids(get(client, world.users.staff_a, URL)) == a
    assert ids(get(client, world.users.staff_b, URL)) == [matters["n1"].pk]
    assert ids(get(client, world.users.grid_a1, URL)) == [matters["y1"].pk]
    assert ids(get(client, world.users.resident_a, URL)) == [matters["y1"].pk]
    assert ids(get(client, world.users.partner_a, URL)) == []
    assert len(ids(get(client, world.users.official, URL))) == 3


def test_staff_of_b_cannot_reach_a_matter_of_a(client, world, matters):
    y1 = matters["y1"].pk
    assert (
        get(client, world.users.staff_b, URL, place=f"community:{world.a.pk}").json()["count"] == 0
    )
    assert error_code(get(client, world.users.staff_b, f"{URL}/{y1}"), 404) == "not_found"
    refused = post(client, world.users.staff_b, f"{URL}/{y1}/acknowledge")
    assert error_code(refused, 404) == "not_found"
    assert Matter.objects.get(pk=y1).status == "received"


def test_filters(client, world, matters):
    staff = world.users.staff_a
    assert ids(get(client, staff, URL, category="parking")) == [matters["y2"].pk]
    assert ids(get(client, staff, URL, place=f"building:{world.y1.pk}")) == [matters["y1"].pk]
    assert ids(get(client, staff, URL, q="乱停车")) == [matters["y2"].pk]
    assert ids(get(client, staff, URL, q=f"#{matters['y1'].pk}")) == [matters["y1"].pk]
    assert len(ids(get(client, staff, URL, status="open"))) == 2
    assert ids(get(client, staff, URL, status="closed")) == []
    today = timezone.localdate()
    assert len(ids(get(client, staff, URL, since=today.isoformat()))) == 2
    assert ids(get(client, staff, URL, until=(today - dt.timedelta(days=1)).isoformat())) == []
    Matter.objects.filter(pk=matters["y2"].pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert ids(get(client, staff, URL, overdue="true")) == [matters["y2"].pk]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"status": "lost"}, 400, "bad_filter"),
        ({"place": "planet:3"}, 400, "bad_place"),
        ({"category": "weather"}, 422, "invalid"),
        ({"since": "yesterday"}, 422, "invalid"),
    ],
)
def test_bad_filters_are_refused(client, world, matters, params, status, code):
    assert error_code(get(client, world.users.staff_a, URL, **params), status) == code


def test_list_query_count_is_pinned_and_does_not_grow(client, world, matters):
    client.force_login(world.users.staff_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).json()["count"] == 2
    for _ in range(5):
        make_matter(building=world.y2, text="更多的事项")
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).json()["count"] == 7
    # session, user, profile, count, page
    assert len(few) == len(many) == LIST_QUERIES


def test_detail_shows_owners_deadlines_and_history_with_actor_names(client, world, matters):
    matter = matters["y1"]
    services.matter_assign(actor=world.users.staff_a, matter=matter, owners=[world.p_neighbour])
    body = get(client, world.users.staff_a, f"{URL}/{matter.pk}").json()
    assert body["status"] == "assigned" and body["reporters_count"] == 1
    assert body["ack_due_at"] and body["due_at"]
    assert body["owners"] == [
        {
            "kind": "partner",
            "id": world.p_neighbour.pk,
            "name": world.p_neighbour.name,
            "is_whistle": False,
            "respond_by": None,
            "assigned_at": body["owners"][0]["assigned_at"],
        }
    ]
    assert [e["action"] for e in body["events"]] == ["assign"]
    assert body["events"][0]["actor"] == "您"  # "you" in the default language
    as_official = get(client, world.users.official, f"{URL}/{matter.pk}").json()
    # People by name, never by username: staff_a has no name, so the role stands for it.
    assert as_official["events"][0]["actor"] == "社区工作人员"
    assert as_official["events"][0]["action_label"] == "已分派"
    as_resident = get(client, world.users.resident_a, f"{URL}/{matter.pk}").json()
    assert "staff_a" not in as_resident["events"][0]["actor"]  # residents see roles only
    assert as_resident["reporter_contact_masked"] == ""


# ---- transitions ----------------------------------------------------------------------------


def setup(world, status, *, tier="small", done_days_ago=None):
    matter = make_matter(building=world.y1, reporter=world.res_a, tier=tier, status=status)
    if status in ("assigned", "in_progress", "done"):
        MatterOwner.objects.create(
            matter=matter, partner=world.p_neighbour, assigned_at=timezone.now()
        )
    if done_days_ago is not None:
        Matter.objects.filter(pk=matter.pk).update(
            done_at=timezone.now() - dt.timedelta(days=done_days_ago)
        )
    return matter


def act(client, user, matter, action, data=None):
    return post(client, user, f"{URL}/{matter.pk}/{action}", data)


# (action, payload, persona allowed, from state, to state)
ALLOWED = [
    ("acknowledge", {}, "grid_a1", "received", "acknowledged"),
    ("classify", {"category": "safety", "tier": "big"}, "staff_a", "received", "received"),
    ("assign", "owners", "staff_a", "acknowledged", "assigned"),
    ("deliberate", {"note": "上议事会"}, "staff_a", "assigned", "deliberating"),
    ("start", {}, "partner_a", "assigned", "in_progress"),
    ("complete", {"note": "已修好"}, "staff_a", "in_progress", "done"),
    ("merge", "into", "staff_a", "received", "merged"),
    ("refer", {"to": "区水务局", "reason": "市政管网"}, "staff_a", "received", "referred"),
    ("reject", {"reason": "不属于社区事务"}, "staff_a", "acknowledged", "rejected"),
    ("withdraw", {"reason": "已自行解决"}, "resident_a", "received", "withdrawn"),
    ("close-unrated", {}, "staff_a", "done", "closed"),
    ("feedback", {"satisfaction": "satisfied"}, "resident_a", "done", "closed"),
]


def payload_for(world, data):
    if data == "owners":
        return {"partner_ids": [world.p_neighbour.pk], "team_ids": [world.team_a.pk]}
    if data == "into":
        return {"into": make_matter(building=world.y1).pk}
    return data


@pytest.mark.parametrize(("action", "data", "persona", "source", "target"), ALLOWED)
def test_transition_allowed(client, world, action, data, persona, source, target):
    matter = setup(world, source, tier="big", done_days_ago=8)
    response = act(client, getattr(world.users, persona), matter, action, payload_for(world, data))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == target
    matter.refresh_from_db()
    assert matter.status == target
    assert MatterEvent.objects.filter(matter=matter).exists()


# (action, payload, persona, a state the action cannot start from)
WRONG_STATE = [
    ("acknowledge", {}, "staff_a", "done"),
    ("classify", {"category": "safety", "tier": "big"}, "staff_a", "closed"),
    ("assign", "owners", "staff_a", "done"),
    ("deliberate", {}, "staff_a", "received"),
    ("start", {}, "staff_a", "received"),
    ("complete", {}, "staff_a", "assigned"),
    ("merge", "into", "staff_a", "in_progress"),
    ("refer", {"to": "区水务局", "reason": "市政"}, "staff_a", "done"),
    ("reject", {"reason": "重复"}, "staff_a", "assigned"),
    ("withdraw", {}, "resident_a", "closed"),
    ("close-unrated", {}, "staff_a", "in_progress"),
    ("feedback", {"satisfaction": "satisfied"}, "resident_a", "in_progress"),
]


@pytest.mark.parametrize(("action", "data", "persona", "source"), WRONG_STATE)
def test_transition_from_the_wrong_state_is_a_conflict(
    client, world, action, data, persona, source
):
    matter = setup(world, source, tier="big")
    before = MatterEvent.objects.count()
    response = act(client, getattr(world.users, persona), matter, action, payload_for(world, data))
    assert error_code(response, 409) == "bad_state"
    matter.refresh_from_db()
    assert matter.status == source and MatterEvent.objects.count() == before


# (action, payload, persona who sees the matter but may not act, state)
FORBIDDEN = [
    ("acknowledge", {}, "resident_a", "received"),
    ("classify", {"category": "safety", "tier": "big"}, "grid_a1", "received"),
    ("assign", "owners", "grid_a1", "received"),
    ("deliberate", {}, "partner_a", "assigned"),
    ("start", {}, "resident_a", "assigned"),
    ("complete", {}, "grid_a1", "in_progress"),
    ("merge", "into", "grid_a1", "received"),
    ("refer", {"to": "区水务局", "reason": "市政"}, "resident_a", "received"),
    ("reject", {"reason": "重复"}, "grid_a1", "received"),
    ("withdraw", {}, "grid_a1", "received"),
    ("close-unrated", {}, "partner_a", "done"),
]


@pytest.mark.parametrize(("action", "data", "persona", "source"), FORBIDDEN)
def test_transition_by_the_wrong_persona_is_forbidden(client, world, action, data, persona, source):
    matter = setup(world, source, tier="big", done_days_ago=8)
    response = act(client, getattr(world.users, persona), matter, action, payload_for(world, data))
    assert error_code(response, 403) == "forbidden"
    matter.refresh_from_db()
    assert matter.status == source


def test_feedback_by_someone_who_is_not_a_reporter_is_refused(client, world):
    matter = setup(world, "done")
    response = act(client, world.users.staff_a, matter, "feedback", {"satisfaction": "satisfied"})
    assert error_code(response, 403) == "not_reporter"
    matter.refresh_from_db()
    assert matter.status == "done" and matter.satisfaction == ""


def test_dissatisfied_feedback_reopens(client, world):
    matter = setup(world, "done")
    response = act(
        client, world.users.resident_a, matter, "feedback", {"satisfaction": "dissatisfied"}
    )
    assert response.json()["status"] == "in_progress" and response.json()["reopen_count"] == 1


def test_closing_unrated_before_the_window_is_too_early(client, world):
    matter = setup(world, "done", done_days_ago=1)
    assert error_code(act(client, world.users.staff_a, matter, "close-unrated"), 409) == "too_early"


@pytest.mark.parametrize(
    ("action", "data", "source", "code"),
    [
        ("deliberate", {}, "assigned", "small_matter"),
        ("refer", {"to": "区水务局", "reason": " "}, "received", "reason_required"),
        ("assign", {}, "received", "invalid_owner"),
        ("assign", {"partner_ids": [999999]}, "received", "invalid_owner"),
        ("merge", {"into": 999999}, "received", "invalid_target"),
    ],
)
def test_bad_transition_input_is_refused(client, world, action, data, source, code):
    matter = setup(world, source)
    assert error_code(act(client, world.users.staff_a, matter, action, data), 400) == code
    matter.refresh_from_db()
    assert matter.status == source


def test_assigning_a_partner_of_another_community_is_refused(client, world):
    matter = setup(world, "received")
    response = act(client, world.users.staff_a, matter, "assign", {"partner_ids": [world.p_b.pk]})
    assert error_code(response, 400) == "invalid_owner"
    assert not MatterOwner.objects.filter(matter=matter).exists()


# ---- photos ---------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def upload(client, user, matter, content, name):
    client.force_login(user)
    photo = io.BytesIO(content)
    photo.name = name
    return client.post(f"{URL}/{matter.pk}/photos", {"photo": photo})


def test_reporter_adds_a_photo(client, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    matter = setup(world, "received")
    response = upload(client, world.users.resident_a, matter, PNG, "灯.png")
    assert response.status_code == 201, response.content
    assert response.json()["size"] == len(PNG) and matter.photos.count() == 1


def test_a_file_that_is_not_a_picture_is_refused(client, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    matter = setup(world, "received")
    response = upload(client, world.users.staff_a, matter, b"MZ\x90\x00 not a picture", "a.png")
    assert error_code(response, 400) == "invalid_photo"
    assert matter.photos.count() == 0


# ---- classifier and chat paste --------------------------------------------------------------


def test_classify_one_text(client, world):
    response = post(
        client, world.users.resident_a, f"{URL}/classify", {"text": "楼下有人遛狗不拴绳"}
    )
    body = response.json()
    assert set(body) == {"category", "tier", "confidence", "alternatives"}
    assert body == services.suggest("楼下有人遛狗不拴绳").as_dict()


def test_classify_several_texts(client, world):
    texts = ["楼下有人遛狗不拴绳", "小区门口乱停车"]
    response = post(client, world.users.staff_a, f"{URL}/classify", {"texts": texts})
    assert [row["category"] for row in response.json()] == [
        services.suggest(t).category for t in texts
    ]


@pytest.mark.parametrize(
    "data",
    [{}, {"text": ""}, {"texts": []}, {"text": "a", "texts": ["b"]}, {"texts": ["漏"] * 101}],
)
def test_classify_refuses_bad_input(client, world, data):
    assert (
        error_code(post(client, world.users.staff_a, f"{URL}/classify", data), 400)
        == "invalid_text"
    )


def test_chat_paste_returns_drafts_and_set_aside_messages(client, world):
    chat = "张阿姨：3栋楼道灯坏了\n李四：收到\n王五：[图片]"
    body = post(client, world.users.staff_a, f"{URL}/chat-paste", {"text": chat}).json()
    assert body["format"] == "colon"
    [draft] = body["drafts"]
    assert draft["nickname"] == "张阿姨" and draft["text"] == "3栋楼道灯坏了"
    assert set(draft["suggestion"]) == {"category", "tier", "confidence", "alternatives"}
    assert draft["key"].startswith("paste:")
    assert [(s["nickname"], s["reason"]) for s in body["set_aside"]] == [
        ("李四", "chitchat"),
        ("王五", "media"),
    ]
    assert not Matter.objects.exists()


def test_chat_paste_refuses_a_malformed_paste_and_residents(client, world):
    bad = post(client, world.users.staff_a, f"{URL}/chat-paste", {"text": "随便一段话"})
    assert error_code(bad, 400) == "invalid_paste"
    huge = post(client, world.users.staff_a, f"{URL}/chat-paste", {"text": "张：灯坏了\n" * 10_000})
    assert error_code(huge, 400) == "paste_too_long"
    resident = post(client, world.users.resident_a, f"{URL}/chat-paste", {"text": "张：灯坏了"})
    assert error_code(resident, 403) == "forbidden"


# ---- the OpenAPI document -------------------------------------------------------------------


def test_openapi_lists_the_matters_paths(client, world):
    paths = get(client, world.users.staff_a, "/api/v1/openapi.json").json()["paths"]
    expected = {
        "/api/v1/matters",
        "/api/v1/matters/{matter_id}",
        "/api/v1/matters/classify",
        "/api/v1/matters/chat-paste",
        "/api/v1/matters/{matter_id}/photos",
        *(f"/api/v1/matters/{{matter_id}}/{action}" for action, *_rest in ALLOWED),
    }
    assert expected <= set(paths)
    assert "Idempotency-Key" in str(paths["/api/v1/matters"]["post"]["parameters"])
