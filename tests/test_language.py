"""Chinese by default, whatever the browser says; English when the user chooses it."""

from django.urls import reverse


def test_chinese_even_for_an_english_browser(client, db):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.status_code == 200
    assert "登录" in page.content.decode()
    assert page["Content-Language"] == "zh-hans"


def test_english_when_chosen_in_the_footer(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("accounts:login"))
    assert "Log in" in page.content.decode()
    assert page["Content-Language"] == "en"


def test_unknown_language_cookie_falls_back_to_chinese(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    page = client.get(reverse("accounts:login"))
    assert page["Content-Language"] == "zh-hans"


def test_the_api_follows_the_clients_accept_language(client, db):
    response = client.get("/api/v1/residents", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
    assert client.get("/api/v1/residents")["Content-Language"] == "zh-hans"
