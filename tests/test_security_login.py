"""Defect 3 of issue 12: the login throttle slows an attacker without locking others out, and
the client address is taken from X-Forwarded-For only behind a trusted proxy."""

import datetime as dt
import ipaddress

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts.models import KnownAddress, LoginFailure
from gongzhi.core.addresses import client_address

LOGIN = "/accounts/login/"


def attempt(client, username, password, address="10.0.0.1", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail(client, username, times, address="10.0.0.1"):
    for _ in range(times):
        assert attempt(client, username, "wrong-password", address).status_code == 401


def test_wrong_password_is_refused_in_chinese(client, world):
    response = attempt(client, "staff_a", "nope")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.content.decode()
    assert LoginFailure.objects.filter(username="staff_a", address="10.0.0.1").count() == 1


def test_failures_block_only_that_username_from_that_address(client, world, settings):
    settings.GONGZHI_LOGIN_MAX_FAILURES = 5
    fail(client, "staff_a", 5, "10.0.0.9")
    blocked = attempt(client, "staff_a", "pw-staff_a", "10.0.0.9")
    assert blocked.status_code == 429
    assert "分钟后再试" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # The same user from another address gets in with the right password ...
    assert attempt(client, "staff_a", "pw-staff_a", "10.0.0.10").status_code == 302
    client.logout()
    # ... and so does another user from the attacker's address.
    assert attempt(client, "staff_b", "pw-staff_b", "10.0.0.9").status_code == 302


def test_the_pair_block_ends_with_the_window(client, world, settings):
    settings.GONGZHI_LOGIN_MAX_FAILURES = 3
    fail(client, "staff_a", 3)
    assert attempt(client, "staff_a", "pw-staff_a").status_code == 429
    LoginFailure.objects.update(at=timezone.now() - dt.timedelta(minutes=16))
    assert attempt(client, "staff_a", "pw-staff_a").status_code == 302


def test_twenty_failures_from_one_address_lock_nobody_else_out(client, world, settings):
    """The old throttle locked every user of an address (behind a proxy: the site) after 20."""
    settings.GONGZHI_LOGIN_MAX_FAILURES = 5
    for name in ("a1", "a2", "a3", "a4", "a5"):
        fail(client, name, 4, "192.0.2.1")
    assert LoginFailure.objects.filter(address="192.0.2.1").count() == 20
    assert attempt(client, "staff_a", "pw-staff_a", "192.0.2.1").status_code == 302


def test_an_address_is_blocked_only_far_beyond(client, world, settings):
    settings.GONGZHI_LOGIN_ADDRESS_MAX_FAILURES = 30
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        LoginFailure(username=f"guess{i}", address="192.0.2.7") for i in range(30)
    )
    LoginFailure.objects.update(at=now)
    response = attempt(client, "staff_a", "pw-staff_a", "192.0.2.7")
    assert response.status_code == 429
    assert attempt(client, "staff_a", "pw-staff_a", "192.0.2.8").status_code == 302


def test_a_username_attacked_from_many_addresses(client, world, settings):
    """Failures of one username from everywhere: the right password from an address the user
    logged in from before still works; a new address must wait."""
    settings.GONGZHI_LOGIN_MAX_FAILURES = 5
    settings.GONGZHI_LOGIN_USER_MAX_FAILURES = 20
    assert attempt(client, "staff_a", "pw-staff_a", "10.1.1.1").status_code == 302
    assert KnownAddress.objects.filter(user=world.users.staff_a, address="10.1.1.1").exists()
    client.logout()
    for i in range(20):
        fail(client, "staff_a", 1, f"203.0.113.{i}")
    stranger = attempt(client, "staff_a", "pw-staff_a", "198.51.100.1")
    assert stranger.status_code == 429
    assert "常用" in stranger.content.decode()
    # Refused before the password is checked: a wrong one gets the same answer.
    assert attempt(client, "staff_a", "wrong", "198.51.100.1").status_code == 429
    assert attempt(client, "staff_a", "pw-staff_a", "10.1.1.1").status_code == 302
    client.logout()
    # Other users are not affected at all.
    assert attempt(client, "staff_b", "pw-staff_b", "198.51.100.1").status_code == 302


def test_success_forgets_only_the_pairs_failures(client, world):
    fail(client, "staff_a", 2, "10.0.0.1")
    fail(client, "staff_a", 2, "10.0.0.2")
    assert attempt(client, "staff_a", "pw-staff_a", "10.0.0.1").status_code == 302
    assert list(LoginFailure.objects.values_list("address", flat=True)) == ["10.0.0.2"] * 2


# ---- the client's address --------------------------------------------------------------------


def request(remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.fixture
def proxies(settings):
    settings.GONGZHI_TRUSTED_PROXIES = (
        ipaddress.ip_network("10.0.0.5/32"),
        ipaddress.ip_network("172.16.0.0/12"),
    )


def test_an_untrusted_clients_forwarded_for_is_ignored(proxies):
    assert client_address(request("198.51.100.7", "1.2.3.4")) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(proxies):
    # The client forged "1.2.3.4"; the proxy appended the address it saw.
    assert client_address(request("10.0.0.5", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    # Two trusted proxies in a row.
    assert client_address(request("10.0.0.5", "198.51.100.7, 172.16.3.4")) == "198.51.100.7"


def test_a_trusted_proxy_without_forwarded_for_is_the_client(proxies):
    assert client_address(request("10.0.0.5")) == "10.0.0.5"
    assert client_address(request("10.0.0.5", "garbage")) == "10.0.0.5"


def test_without_trusted_proxies_forwarded_for_is_never_read(settings):
    settings.GONGZHI_TRUSTED_PROXIES = ()
    assert client_address(request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


def test_throttle_counts_the_forwarded_client_behind_a_proxy(client, world, settings, proxies):
    settings.GONGZHI_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        attempt(client, "staff_a", "x", "10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert LoginFailure.objects.filter(address="198.51.100.1").count() == 2
    blocked = attempt(
        client, "staff_a", "pw-staff_a", "10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert blocked.status_code == 429
    other = attempt(
        client, "staff_a", "pw-staff_a", "10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.2"
    )
    assert other.status_code == 302
    assert reverse("core:home") in other["Location"]


def test_a_spoofed_forwarded_for_does_not_escape_the_throttle(client, world, settings, proxies):
    settings.GONGZHI_LOGIN_MAX_FAILURES = 2
    for fake in ("1.1.1.1", "2.2.2.2"):
        attempt(client, "staff_a", "x", "198.51.100.9", HTTP_X_FORWARDED_FOR=fake)
    blocked = attempt(
        client, "staff_a", "pw-staff_a", "198.51.100.9", HTTP_X_FORWARDED_FOR="3.3.3.3"
    )
    assert blocked.status_code == 429
