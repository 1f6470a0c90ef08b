"""Steps shared by several browser test modules (a test module never imports another)."""

from django.urls import reverse
from playwright.sync_api import expect


def log_in(page, username: str) -> None:
    page.goto(reverse("accounts:login"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("pw-" + username)
    page.locator("button[type=submit]").click()
    expect(page.locator("header .who")).to_contain_text(username)


def enter(page, username: str) -> None:
    page.goto(reverse("accounts:login"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("pw-" + username)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: url.rstrip("/").count("/") == 2)
