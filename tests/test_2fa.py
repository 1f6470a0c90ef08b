"""The second factor (issue 12): staff, officials and superusers need a TOTP code when
GONGZHI_REQUIRE_2FA is on; codes are good once; recovery codes work once; a superuser resets."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import AccountEvent
from gongzhi.accounts.secondfactor import second_factor_confirm, second_factor_verify
from gongzhi.accounts.services import AccountError
from gongzhi.audit.models import AuditRecord
from tests.conftest import login

STAFF_PAGE = "/people/"


@pytest.fixture(autouse=True)
def required(settings):
    settings.GONGZHI_REQUIRE_2FA = True
    # No waiting between tries: django-otp's growing delay is tested on its own below.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code_of(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():06d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return second_factor_confirm(user=user, code=code_of(device))


def password_login(client, user, **extra):
    return client.post(
        "/accounts/login/",
        {"username": user.username, "password": f"pw-{user.username}", **extra},
        REMOTE_ADDR="10.0.0.1",
    )


def staff_page_opens(client) -> bool:
    response = client.get(STAFF_PAGE)
    return response.status_code == 200


def test_staff_page_resolves(client, world, settings):
    settings.GONGZHI_REQUIRE_2FA = False
    login(client, world.users.staff_a)
    assert staff_page_opens(client)


@pytest.mark.parametrize("persona", ["staff_a", "official", "admin"])
def test_password_alone_does_not_open_staff_pages(client, world, persona):
    user = getattr(world.users, persona)
    response = password_login(client, user)
    assert response.status_code == 302
    page = client.get(STAFF_PAGE)
    assert page.status_code == 302 and page["Location"].startswith("/accounts/2fa/")
    api = client.get("/api/v1/residents")
    assert api.status_code == 403 and api.json()["code"] == "second_factor_required"
    assert "两步验证" in api.json()["message"]


def test_residents_and_grid_workers_are_not_asked(client, world):
    password_login(client, world.users.grid_a1)
    assert client.get("/").status_code == 200


def test_enrolment_shows_a_qr_code_then_recovery_codes_once(client, world):
    user = world.users.staff_a
    password_login(client, user)
    page = client.get("/accounts/2fa/")
    html = page.content.decode()
    assert page.status_code == 200 and '<div class="qr"><svg' in html and "两步验证" in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.get("/accounts/2fa/")
    assert TOTPDevice.objects.filter(user=user).count() == 1  # the same secret on a reload
    wrong = client.post(
        "/accounts/2fa/", {"code": "000000" if code_of(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    assert not staff_page_opens(client)
    done = client.post("/accounts/2fa/", {"code": code_of(device)})
    assert done.status_code == 200
    codes = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in done.content.decode() for code in codes)
    assert staff_page_opens(client)
    assert AccountEvent.objects.filter(user=user, action="2fa_enrolled").count() == 1
    status = client.get("/accounts/2fa/").content.decode()
    assert not any(code in status for code in codes)
    assert "还剩 10 个恢复码" in status


def test_login_asks_for_the_code_after_the_password(client, world):
    user = world.users.staff_a
    device, _codes = enrol(user)
    response = password_login(client, user, next=STAFF_PAGE)
    assert response["Location"] == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session
    assert not staff_page_opens(client)
    done = client.post("/accounts/login/code/", {"code": code_of(device, steps_ahead=1)})
    assert done.status_code == 302 and done["Location"] == STAFF_PAGE
    assert staff_page_opens(client)


def test_a_wrong_code_is_refused_in_chinese(client, world):
    user = world.users.staff_a
    device, _codes = enrol(user)
    password_login(client, user)
    right = code_of(device, steps_ahead=1)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/login/code/", {"code": wrong})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_used_code_is_refused_the_second_time(world):
    user = world.users.staff_a
    device, _codes = enrol(user)
    code = code_of(device, steps_ahead=1)
    assert second_factor_verify(user=user, code=code).pk == device.pk
    with pytest.raises(AccountError) as refused:
        second_factor_verify(user=user, code=code)
    assert refused.value.code == "otp_used"
    assert "已经用过" in refused.value.message


def test_the_code_used_at_enrolment_cannot_log_in(client, world):
    user = world.users.staff_a
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    first = code_of(device)
    second_factor_confirm(user=user, code=first)
    password_login(client, user)
    response = client.post("/accounts/login/code/", {"code": first})
    assert response.status_code == 400 and "已经用过" in response.content.decode()


def test_a_recovery_code_works_once(client, world):
    user = world.users.staff_a
    _device, codes = enrol(user)
    password_login(client, user)
    response = client.post("/accounts/login/code/", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert staff_page_opens(client)
    client.post("/accounts/logout/")
    password_login(client, user)
    again = client.post("/accounts/login/code/", {"code": codes[0]})
    assert again.status_code == 400 and "只能用一次" in again.content.decode()
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_wrong_codes_make_the_next_try_wait(world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 10
    user = world.users.staff_a
    device, _codes = enrol(user)
    right = code_of(device, steps_ahead=1)
    with pytest.raises(AccountError):
        second_factor_verify(user=user, code=f"{(int(right) + 1) % 1_000_000:06d}")
    with pytest.raises(AccountError) as waiting:
        second_factor_verify(user=user, code=right)
    assert waiting.value.code == "otp_throttled" and waiting.value.status == 429
    assert "秒后再试" in waiting.value.message


def test_a_session_without_the_code_is_asked_for_it(client, world):
    """A session that passed only the password (e.g. from before 2FA was required) must give
    the code before anything else opens."""
    user = world.users.staff_a
    device, _codes = enrol(user)
    login(client, user)
    page = client.get(STAFF_PAGE)
    assert page["Location"].startswith("/accounts/2fa/")
    form = client.get(page["Location"])
    assert "恢复码" in form.content.decode()
    done = client.post(
        page["Location"], {"code": code_of(device, steps_ahead=1), "next": STAFF_PAGE}
    )
    assert done["Location"] == STAFF_PAGE
    assert staff_page_opens(client)


def test_renewing_recovery_codes_needs_a_code_and_ends_the_old_ones(client, world):
    user = world.users.staff_a
    device, old = enrol(user)
    password_login(client, user)
    client.post("/accounts/login/code/", {"code": code_of(device, steps_ahead=1)})
    refused = client.post("/accounts/2fa/", {"action": "renew", "code": "12345x"})
    assert refused.status_code == 400
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)
    renewed = client.post("/accounts/2fa/", {"action": "renew", "code": code_of(device, 2)})
    assert renewed.status_code == 200
    new = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)


def test_a_superuser_resets_a_second_factor_with_a_record(client, world):
    staff = world.users.staff_a
    enrol(staff)
    admin = world.users.admin
    device, _codes = enrol(admin)
    password_login(client, admin)
    client.post("/accounts/login/code/", {"code": code_of(device, steps_ahead=1)})
    page = client.get("/accounts/2fa/reset/")
    assert page.status_code == 200 and "staff_a" in page.content.decode()
    response = client.post("/accounts/2fa/reset/", {"user": staff.pk})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticToken.objects.filter(device__user=staff).exists()
    event = AccountEvent.objects.get(user=staff, action="2fa_reset")
    assert event.actor == admin
    audit = AuditRecord.objects.get(action="reset_2fa")
    assert (audit.actor, audit.subject) == (admin, f"user:{staff.pk}")


def test_only_superusers_reset(client, world):
    enrol(world.users.official)
    device, _codes = enrol(world.users.staff_a)
    password_login(client, world.users.staff_a)
    client.post("/accounts/login/code/", {"code": code_of(device, steps_ahead=1)})
    assert client.get("/accounts/2fa/reset/").status_code == 403
    response = client.post("/accounts/2fa/reset/", {"user": world.users.official.pk})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=world.users.official, confirmed=True).exists()


def test_reset_command(world):
    enrol(world.users.staff_a)
    out = StringIO()
    call_command("reset_2fa", "staff_a", stdout=out)
    assert not TOTPDevice.objects.filter(user=world.users.staff_a).exists()
    assert AccountEvent.objects.filter(user=world.users.staff_a, action="2fa_reset").exists()
    assert AuditRecord.objects.get(action="reset_2fa").actor_username == "system"
    with pytest.raises(CommandError, match="nobody"):
        call_command("reset_2fa", "nobody", stdout=StringIO())


def test_bearer_tokens_skip_the_second_factor(client, world):
    from gongzhi.accounts.models import ApiToken

    _token, raw = ApiToken.issue(user=world.users.staff_a, name="integration")
    response = client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


def test_not_required_when_switched_off(client, world, settings):
    settings.GONGZHI_REQUIRE_2FA = False
    password_login(client, world.users.staff_a)
    assert staff_page_opens(client)


def test_the_secret_is_offered_for_typing(client, world):
    password_login(client, world.users.staff_a)
    html = client.get("/accounts/2fa/").content.decode()
    assert re.search(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", html)


@pytest.mark.parametrize("step", ["enrol", "login_code", "enrolled"])
def test_the_pages_speak_chinese_only(client, world, step):
    """Staff read 动态验证码, not "TOTP": no English word on the page but the typed secret."""
    user = world.users.staff_a
    page = "/accounts/2fa/"
    if step != "enrol":
        device, _codes = enrol(user)
    password_login(client, user)
    if step == "login_code":
        page = "/accounts/login/code/"
    if step == "enrolled":
        client.post("/accounts/login/code/", {"code": code_of(device, steps_ahead=1)})
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    body = html[html.index('<div class="getin">') : html.index("</main>")]
    body = re.sub(r'<span class="secret">[^<]*</span>', "", body)
    body = re.sub(r"<svg.*?</svg>", "", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    assert re.findall(r"[A-Za-z]{2,}", text) == []
    if step == "enrol":
        assert "动态验证码" in text


@pytest.mark.parametrize(("debug", "required"), [("false", "True"), ("true", "False")])
def test_required_by_default_when_debug_is_off(tmp_path, debug, required):
    """The issue's default: GONGZHI_REQUIRE_2FA unset means on in production, off in debug."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "GONGZHI_REQUIRE_2FA"}
    env.update(GONGZHI_DEBUG=debug, GONGZHI_DATA_DIR=str(tmp_path), DATABASE_URL="")
    done = subprocess.run(  # noqa: S603 - our own settings module
        [sys.executable, "-c", "import gongzhi.settings as s; print(s.GONGZHI_REQUIRE_2FA)"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == required, done.stderr
