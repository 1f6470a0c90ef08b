"""Getting into the API: session (with CSRF on unsafe methods), bearer tokens, the token command,
JSON errors, and the offline docs page."""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import path
from ninja import NinjaAPI

from gongzhi import urls as site_urls
from gongzhi.accounts.models import ApiToken
from gongzhi.api import BearerToken, BrowserSession
from gongzhi.core.apischema import ApiError

# An unsafe operation behind the same authentication as the real API, to prove CSRF handling
# (the registry endpoints are all reads).
echo_api = NinjaAPI(auth=[BearerToken(), BrowserSession()], urls_namespace="echo", docs_url=None)


@echo_api.post("/echo")
def echo(request):
    return {"user": request.auth.username}


# The site's own URLs too: a refused CSRF check renders the site's "page expired" page, whose
# layout links to the rest of the site.
urlpatterns = [path("echo/", echo_api.urls), *site_urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)

CSRF_SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The personas' passwords are hashed on every test; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def issue_token(username: str, name: str = "integration") -> str:
    out = StringIO()
    call_command("create_api_token", username, "--name", name, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_anonymous_gets_json_401(client, world):
    for url in ("/api/v1/residents", "/api/v1/places/tree", f"/api/v1/teams/{world.team_a.id}"):
        response = client.get(url)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "unauthenticated"
        assert response.json()["message"]


def test_create_api_token_prints_a_working_token_once(client, world):
    raw = issue_token("staff_a", "报表系统")
    token = ApiToken.objects.get(user=world.users.staff_a)
    assert token.name == "报表系统"
    assert raw.startswith("gz_")
    assert token.digest == ApiToken.hash(raw)
    assert raw not in token.digest
    response = client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["count"] == 5
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_carries_its_users_scope(client, world):
    raw = issue_token("staff_b")
    response = client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [row["name"] for row in response.json()["results"]] == ["吴刚"]


def test_wrong_token_is_401_even_with_a_session(client, world):
    issue_token("staff_a")
    response = client.get("/api/v1/residents", HTTP_AUTHORIZATION="Bearer gz_not-a-real-token")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    client.force_login(world.users.staff_a)
    response = client.get("/api/v1/residents", HTTP_AUTHORIZATION="Bearer gz_not-a-real-token")
    assert response.status_code == 401


def test_token_of_inactive_user_is_refused(client, world):
    raw = issue_token("staff_a")
    world.users.staff_a.is_active = False
    world.users.staff_a.save()
    response = client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--name", "x"], "nobody"),
        (["staff_a", "--name", "  "], "--name"),
        (["staff_a", "--name", "x" * 61], "太长"),
    ],
)
def test_create_api_token_refuses_bad_input(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", *args, stdout=StringIO(), stderr=StringIO())
    assert ApiToken.objects.count() == 0


def test_session_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff_a)
    assert client.post("/echo/echo").status_code == 403
    request = RequestFactory().post("/api/v1/anything")
    request.user = world.users.staff_a
    with pytest.raises(ApiError) as refused:
        BrowserSession()(request)
    assert (refused.value.status_code, refused.value.code) == (403, "csrf_failed")


def test_session_post_with_csrf_token_passes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff_a)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    response = client.post("/echo/echo", HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 200
    assert response.json() == {"user": "staff_a"}


def test_token_post_needs_no_csrf_token(world):
    raw = issue_token("staff_b")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/echo/echo", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json() == {"user": "staff_b"}


def test_session_get_needs_no_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff_a)
    assert client.get("/api/v1/residents").status_code == 200


def test_unknown_api_object_is_json_404(client, world):
    client.force_login(world.users.admin)
    response = client.get("/api/v1/residents/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "找不到该居民"}


def test_error_messages_follow_the_request_language(client, world):
    client.force_login(world.users.admin)
    response = client.get("/api/v1/residents", {"place": "nowhere"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"].startswith("Unknown place nowhere")


def test_openapi_schema_documents_both_ways_in(client):
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["BrowserSession"]["in"] == "cookie"


def test_docs_page_works_offline(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL) or asset.startswith("/" + settings.STATIC_URL)
        relative = asset.split(settings.STATIC_URL, 1)[1]
        assert finders.find(relative), asset
    assert "/api/v1/openapi.json" in html


def test_a_token_of_an_account_without_a_profile_sees_nothing_and_never_fails(client, world):
    """The token, its user and the user's profile come in one statement with an outer join
    (``core.rawsql``): an account without a profile authenticates, reads as profile-less
    (``user.profile`` raises, as with ``select_related``) and sees nothing of the registry."""
    from django.contrib.auth import get_user_model

    from gongzhi.accounts.services import token_user
    from gongzhi.core.scope import profile_of

    user = get_user_model().objects.create(username="no-profile")
    _token, raw = ApiToken.issue(user=user, name="t")
    found = token_user(raw)
    assert found == user and profile_of(found) is None
    response = client.get("/api/v1/residents", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["count"] == 0
    staff = token_user(ApiToken.issue(user=world.users.staff_a, name="t")[1])
    assert staff.profile.community_id == world.a.pk
