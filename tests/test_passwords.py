"""Everyone changes their own password; a reset goes by SMS code; staff reset a resident's access."""

from gongzhi.accounts.models import AccountEvent, UserPhone
from gongzhi.core import crypto
from gongzhi.notifications.models import Outbox
from tests.conftest import login
from tests.helpers import NEW_PHONE, PASSWORD, request_code, sent_code


def give_phone(user, phone=NEW_PHONE):
    UserPhone.objects.create(user=user, phone=phone, digest=crypto.digest(phone))


def test_everyone_changes_their_password_in_chinese(world, client):
    login(client, world.users.grid_a1)
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    weak = client.post(
        "/accounts/password/",
        {"old_password": "pw-grid_a1", "new_password1": "123", "new_password2": "123"},
    )
    assert weak.status_code == 200 and "密码" in weak.content.decode()
    assert "This password" not in weak.content.decode()
    done = client.post(
        "/accounts/password/",
        {"old_password": "pw-grid_a1", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert done.status_code == 302
    world.users.grid_a1.refresh_from_db()
    assert world.users.grid_a1.check_password(PASSWORD)
    assert AccountEvent.objects.filter(user=world.users.grid_a1, action="password_changed").exists()


def test_reset_by_sms_code(world, client):
    give_phone(world.users.resident_a)
    assert request_code(client, NEW_PHONE, purpose="reset").status_code == 202
    code = sent_code(NEW_PHONE)
    response = client.post(
        "/api/v1/auth/password-reset",
        {"phone": NEW_PHONE, "code": code, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert client.login(username=NEW_PHONE, password=PASSWORD)
    reused = client.post(
        "/api/v1/auth/password-reset",
        {"phone": NEW_PHONE, "code": code, "password": PASSWORD + "x"},
        content_type="application/json",
    )
    assert reused.status_code == 400 and reused.json()["code"] == "bad_code"


def test_a_reset_code_for_an_unknown_number_is_not_sent(world, client):
    assert request_code(client, NEW_PHONE, purpose="reset").status_code == 202
    assert not Outbox.objects.exists()


def test_the_reset_page(world, client):
    give_phone(world.users.resident_a)
    client.post("/accounts/password/reset/", {"phone": NEW_PHONE, "send_code": "1"})
    response = client.post(
        "/accounts/password/reset/",
        {"phone": NEW_PHONE, "code": sent_code(NEW_PHONE), "password": PASSWORD},
    )
    assert response.status_code == 302
    world.users.resident_a.refresh_from_db()
    assert world.users.resident_a.check_password(PASSWORD)


def test_staff_reset_a_residents_access(world, client):
    give_phone(world.users.resident_a)
    login(client, world.users.staff_b)
    assert client.post(f"/accounts/residents/{world.res_a.pk}/access/").status_code == 403
    login(client, world.users.grid_a1)
    assert client.post(f"/accounts/residents/{world.res_a.pk}/access/").status_code == 403
    login(client, world.users.staff_a)
    assert client.get(f"/accounts/residents/{world.res_a.pk}/access/").status_code == 200
    client.post(f"/accounts/residents/{world.res_a.pk}/access/")
    world.users.resident_a.refresh_from_db()
    assert not world.users.resident_a.has_usable_password()
    event = AccountEvent.objects.get(user=world.users.resident_a, action="access_reset")
    assert event.actor == world.users.staff_a and event.at is not None
    assert Outbox.objects.get(kind="reset_code").to == NEW_PHONE
