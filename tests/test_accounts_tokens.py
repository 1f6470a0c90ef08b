"""API tokens (issue 12): a name, an expiry, a last-used time written at most once a minute,
revocation by the owner on 我的访问令牌; expired and revoked tokens answer 401 in Chinese."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gongzhi.accounts.models import AccountEvent, ApiToken
from tests.conftest import login

URL = "/api/v1/residents"


def bearer(client, raw):
    return client.get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_token_expires_after_the_configured_days(client, world, settings):
    settings.GONGZHI_TOKEN_DAYS = 7
    token, raw = ApiToken.issue(user=world.users.staff_a, name="报表")
    assert (
        dt.timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    )
    assert bearer(client, raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(client, raw)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "已于" in response.json()["message"] and "过期" in response.json()["message"]


def test_an_unknown_token_keeps_the_old_answer(client, world):
    response = bearer(client, "gz_nothing")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_last_use_is_written_at_most_once_a_minute(client, world):
    token, raw = ApiToken.issue(user=world.users.staff_a, name="sync")
    bearer(client, raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    bearer(client, raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    bearer(client, raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_the_owner_creates_a_token_shown_once_and_revokes_it(client, world):
    user = world.users.staff_a
    login(client, user)
    page = client.post("/accounts/tokens/", {"name": "门禁对接", "days": "30"})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=user)
    html = page.content.decode()
    raw = re.search(r"gz_[A-Za-z0-9_-]+", html).group(0)
    assert ApiToken.hash(raw) == token.digest
    assert raw not in client.get("/accounts/tokens/").content.decode()
    assert token.name == "门禁对接"
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    refused = bearer(client, raw)
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert "撤销" in refused.json()["message"]
    actions = list(AccountEvent.objects.filter(user=user).values_list("action", flat=True))
    assert actions == ["token_created", "token_revoked"]


def test_bad_token_input_is_refused_in_chinese_and_changes_nothing(client, world):
    login(client, world.users.staff_a)
    for data, words in (({"name": " "}, "名称"), ({"name": "x", "days": "0"}, "1 至")):
        response = client.post("/accounts/tokens/", data)
        assert response.status_code == 400
        assert words in response.content.decode()
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_users_token(client, world):
    token, _raw = ApiToken.issue(user=world.users.staff_b, name="b")
    login(client, world.users.staff_a)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    page = client.get("/accounts/tokens/").content.decode()
    assert "您还没有访问令牌" in page


def test_create_api_token_takes_days(world):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token", "staff_a", "--name", "x", "--days", "3", stdout=out, stderr=err
    )
    token = ApiToken.objects.get()
    assert token.digest == ApiToken.hash(out.getvalue().strip())
    assert dt.timedelta(days=2) < token.expires_at - timezone.now() <= dt.timedelta(days=3)
    assert "有效期至" in err.getvalue()
    with pytest.raises(CommandError, match="1 至"):
        call_command("create_api_token", "staff_a", "--name", "y", "--days", "0", stdout=out)
    assert ApiToken.objects.count() == 1
