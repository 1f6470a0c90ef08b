"""Residents sign up by themselves with an SMS code, verified against the registry."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gongzhi.accounts import services
from gongzhi.accounts.models import (
    AccountEvent,
    PhoneCode,
    Profile,
    SignUp,
    SignUpStatus,
    UserPhone,
    UserRole,
)
from gongzhi.notifications.models import Outbox
from tests.conftest import login
from tests.helpers import NEW_PHONE, PASSWORD, SPOUSE_PHONE, request_code, sent_code


def sign_up(client, **body):
    return client.post("/api/v1/auth/sign-up", body, content_type="application/json")


def accounts_count() -> int:
    return get_user_model().objects.count()


def test_sign_up_matching_the_registry_links_the_resident_at_once(world, client):
    assert request_code(client, SPOUSE_PHONE).status_code == 202
    outbox = Outbox.objects.get(kind="signup_code")
    assert outbox.urgent and outbox.channel == "sms" and outbox.to == SPOUSE_PHONE
    response = sign_up(
        client, phone=SPOUSE_PHONE, code=sent_code(SPOUSE_PHONE), name="李秀英", password=PASSWORD
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "linked"
    user = get_user_model().objects.get(pk=response.json()["id"])
    profile = user.profile
    assert profile.role == UserRole.RESIDENT
    assert profile.resident == world.res_a_spouse
    assert profile.community == world.a
    assert user.first_name == "李秀英" and SPOUSE_PHONE not in user.username
    # The number signs in, the code is spent.
    assert client.login(username=SPOUSE_PHONE, password=PASSWORD)
    assert PhoneCode.objects.get().used_at is not None
    assert list(AccountEvent.objects.filter(user=user).values_list("action", flat=True)) == [
        "signed_up",
        "linked",
    ]


def test_the_code_is_stored_only_as_a_hash(world, client):
    request_code(client, SPOUSE_PHONE)
    code = sent_code(SPOUSE_PHONE)
    row = PhoneCode.objects.get()
    assert code not in row.code_hash and SPOUSE_PHONE not in row.phone_digest
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)


def test_unmatched_sign_up_waits_for_staff_who_confirm_it(world, client):
    request_code(client, NEW_PHONE)
    response = sign_up(
        client,
        phone=NEW_PHONE,
        code=sent_code(NEW_PHONE),
        name="赵敏",  # in the registry, but with another number
        password=PASSWORD,
        community=world.a.pk,
    )
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    signup = SignUp.objects.get()
    assert not Profile.objects.filter(user=signup.user).exists()

    # Staff of Y see nothing of it; staff of X see it and link it.
    login(client, world.users.staff_b)
    assert "赵敏" not in client.get("/accounts/pending/").content.decode()
    assert client.get(f"/accounts/pending/{signup.pk}/").status_code == 404
    login(client, world.users.staff_a)
    page = client.get("/accounts/pending/").content.decode()
    assert "赵敏" in page and NEW_PHONE not in page
    detail = client.get(f"/accounts/pending/{signup.pk}/").content.decode()
    assert "渔家苑 1栋1单元102" in detail
    client.post(f"/accounts/pending/{signup.pk}/", {"resident": world.res_y1b.pk})
    signup.refresh_from_db()
    assert signup.status == SignUpStatus.LINKED
    assert signup.decided_by == world.users.staff_a
    assert signup.user.profile.resident == world.res_y1b
    event = AccountEvent.objects.get(user=signup.user, action="linked")
    assert event.actor == world.users.staff_a


def test_staff_cannot_link_a_resident_outside_their_community(world):
    user = get_user_model().objects.create_user("x1", first_name="吴刚")
    signup = SignUp.objects.create(user=user, name="吴刚", community=world.a)
    with pytest.raises(services.AccountError):
        services.signup_confirm(actor=world.users.staff_a, signup=signup, resident=world.res_b)
    with pytest.raises(services.AccountError):
        services.signup_confirm(actor=world.users.staff_b, signup=signup, resident=world.res_b)
    assert not Profile.objects.filter(user=user).exists()


def test_staff_reject_frees_the_number(world, client):
    request_code(client, NEW_PHONE)
    sign_up(
        client,
        phone=NEW_PHONE,
        code=sent_code(NEW_PHONE),
        name="陌生人",
        password=PASSWORD,
        community=world.a.pk,
    )
    signup = SignUp.objects.get()
    login(client, world.users.staff_a)
    client.post(f"/accounts/pending/{signup.pk}/", {"reject": "1", "note": "查无此人"})
    signup.refresh_from_db()
    assert signup.status == SignUpStatus.REJECTED and not signup.user.is_active
    assert not UserPhone.objects.exists()


@pytest.mark.parametrize(
    "change, code",
    [
        ({"code": "WRONG"}, "bad_code"),
        ({"phone": "13500002222"}, "bad_code"),  # the code of another number
        ({"phone": "1350000"}, "bad_phone"),
        ({"name": ""}, "bad_name"),
        ({"password": "12345678"}, "bad_password"),
        ({"community": None}, "community_required"),
        ({"community": 999999}, "bad_community"),
    ],
)
def test_bad_sign_up_is_refused_in_chinese_and_creates_nothing(world, client, change, code):
    request_code(client, NEW_PHONE)
    body = {
        "phone": NEW_PHONE,
        "code": sent_code(NEW_PHONE),
        "name": "新住户",
        "password": PASSWORD,
        "community": world.a.pk,
    }
    body.update(change)
    if body["code"] == "WRONG":
        body["code"] = f"{(int(sent_code(NEW_PHONE)) + 1) % 1_000_000:06d}"
    before = accounts_count()
    response = sign_up(client, **body)
    assert response.status_code in (400, 422), response.content
    assert response.json()["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", response.json()["message"])
    assert accounts_count() == before and not SignUp.objects.exists()


def test_a_code_works_once(world, client):
    request_code(client, NEW_PHONE)
    code = sent_code(NEW_PHONE)
    body = {"phone": NEW_PHONE, "code": code, "name": "新住户", "password": PASSWORD}
    assert sign_up(client, **body, community=world.a.pk).status_code == 201
    UserPhone.objects.all().delete()  # even with the number free again, the code is spent
    again = sign_up(client, **body, community=world.a.pk)
    assert again.status_code == 400 and again.json()["code"] == "bad_code"


def test_an_expired_code_is_refused(world, client):
    request_code(client, NEW_PHONE)
    code = sent_code(NEW_PHONE)
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = sign_up(
        client, phone=NEW_PHONE, code=code, name="新住户", password=PASSWORD, community=world.a.pk
    )
    assert response.status_code == 400 and response.json()["code"] == "bad_code"
    assert not SignUp.objects.exists()


def test_five_wrong_tries_end_the_code(world, client):
    request_code(client, NEW_PHONE)
    code = sent_code(NEW_PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    body = {"phone": NEW_PHONE, "name": "新住户", "password": PASSWORD, "community": world.a.pk}
    for _ in range(5):
        assert sign_up(client, **body, code=wrong).json()["code"] == "bad_code"
    assert PhoneCode.objects.get().attempts == 5
    response = sign_up(client, **body, code=code)
    assert response.status_code == 400 and "次数" in response.json()["message"]
    assert not SignUp.objects.exists()


def test_a_number_already_in_use_is_refused(world, client):
    UserPhone.objects.create(
        user=world.users.resident_a, phone=NEW_PHONE, digest=services.crypto.digest(NEW_PHONE)
    )
    response = request_code(client, NEW_PHONE)
    assert response.status_code == 400 and response.json()["code"] == "phone_in_use"
    assert not Outbox.objects.exists()


def test_codes_are_rate_limited_per_number_and_per_address(world, client):
    assert request_code(client, NEW_PHONE).status_code == 202
    again = request_code(client, NEW_PHONE)
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    assert re.search(r"[\u4e00-\u9fff]", again.json()["message"])
    # Five an hour per number, a minute apart.
    PhoneCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    for _ in range(4):
        assert request_code(client, NEW_PHONE).status_code == 202
        PhoneCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    assert request_code(client, NEW_PHONE).status_code == 429
    # Twenty an hour per address, whatever the numbers.
    for i in range(15):
        assert request_code(client, f"1360000{i:04d}").status_code == 202
    assert request_code(client, "13700009999").status_code == 429
    assert request_code(client, "13700009999", address="10.0.0.2").status_code == 202
    assert Outbox.objects.count() == 21


def test_no_code_or_phone_in_logs(world, client, caplog):
    caplog.set_level("DEBUG")
    request_code(client, NEW_PHONE)
    code = sent_code(NEW_PHONE)
    body = {"phone": NEW_PHONE, "name": "新住户", "password": PASSWORD, "community": world.a.pk}
    sign_up(client, **body, code=f"{(int(code) + 1) % 1_000_000:06d}")
    sign_up(client, **body, code=code)
    client.post("/accounts/login/", {"username": NEW_PHONE, "password": PASSWORD})
    assert NEW_PHONE not in caplog.text and code not in caplog.text


def test_the_sign_up_page_works_on_a_phone(world, client):
    page = client.get(f"/accounts/sign-up/?community={world.a.pk}")
    assert page.status_code == 200
    assert "注册" in page.content.decode() and "获取验证码" in page.content.decode()
    sent = client.post("/accounts/sign-up/", {"phone": SPOUSE_PHONE, "send_code": "1"})
    assert sent.status_code == 200
    response = client.post(
        "/accounts/sign-up/",
        {
            "phone": SPOUSE_PHONE,
            "code": sent_code(SPOUSE_PHONE),
            "name": "李秀英",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    assert user.profile.resident == world.res_a_spouse


def test_the_sign_up_page_shows_errors_in_chinese(world, client):
    response = client.post("/accounts/sign-up/", {"phone": "123", "send_code": "1"})
    assert response.status_code == 400
    assert "11 位手机号" in response.content.decode()
