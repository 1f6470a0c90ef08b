"""Playwright against the live server, with Debian's chromium.

Without /usr/bin/chromium the browser tests are skipped on a developer machine; on CI
(``CI=true``) a missing browser is a failure, not a silent skip.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import append_only_lifted

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls (fixtures,
# assertions) are still plain synchronous code, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must run the browser tests")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def ledger_flushable(transactional_db):
    """The live-server test ends with a flush, which on SQLite DELETEs rows that the ledger's
    triggers protect (PostgreSQL TRUNCATEs, which they do not cover): flush here with the
    triggers lifted, then put them back for the tests that follow."""
    yield
    if connection.vendor == "sqlite":
        # Every append-only table's triggers (the ledger's, the history tables'), not only the
        # ledger's: a history row written during the test would refuse the flush too.
        with append_only_lifted(connection):
            call_command("flush", interactive=False, verbosity=0)
