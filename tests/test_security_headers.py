"""Defect 8 of issue 12 and idle sessions: a Content-Security-Policy without inline script (and
no template that needs one), no-store on pages with personal data, HSTS and the HTTPS redirect
as options, the SQLite database private, sessions that end when left idle."""

import re
import sqlite3
import stat
import time
from pathlib import Path

from django.conf import settings as django_settings
from django.test import Client, override_settings

from gongzhi.accounts.middleware import LIMIT_KEY, SEEN_KEY
from gongzhi.core.private import private_dir, private_sqlite_file
from tests.conftest import login

PACKAGE = Path(django_settings.PACKAGE_DIR)
# Inline event handlers (onclick=, onchange= …), javascript: URLs, <script> without src.
INLINE_HANDLER = re.compile(r"\son(?!ly\b)[a-z]+\s*=\s*[\"'{]", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def test_no_template_has_inline_script():
    found = []
    for template in PACKAGE.glob("*/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_HANDLER, INLINE_SCRIPT, re.compile("javascript:", re.I)):
            found += [
                f"{template.relative_to(PACKAGE)}: {m.group(0)}" for m in pattern.finditer(text)
            ]
    assert not found, "inline script is blocked by the CSP; use behaviours.js: " + "; ".join(found)


def test_the_grep_finds_what_it_must():
    assert INLINE_HANDLER.search('<select name="x" onchange="this.form.submit()">')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert not INLINE_HANDLER.search('{% include "p.html" with only="mediators" %}')


def test_every_page_has_a_csp_without_inline_script(client, world):
    for response in (client.get("/accounts/login/"), login(client, world.users.staff_a).get("/")):
        policy = response["Content-Security-Policy"]
        script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
        assert script.split() == ["script-src", "'self'"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_pages_of_a_logged_in_user_are_not_stored(client, world):
    anonymous = client.get("/accounts/login/")
    assert "no-store" not in anonymous.get("Cache-Control", "")
    login(client, world.users.staff_a)
    for url in ("/", "/people/", f"/people/{world.res_a.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_api_answers_are_not_stored(client, world):
    assert "no-store" in client.get("/api/v1/residents")["Cache-Control"]
    login(client, world.users.staff_a)
    response = client.get("/api/v1/residents")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_hsts_and_https_redirect_are_options(client, world):
    plain = client.get("/accounts/login/")
    assert "Strict-Transport-Security" not in plain
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000):
        client = Client()  # SecurityMiddleware reads its settings when it is built
        redirected = client.get("/accounts/login/")
        assert redirected.status_code == 301
        assert redirected["Location"].startswith("https://")
        secure = client.get("/accounts/login/", secure=True)
        assert secure["Strict-Transport-Security"] == "max-age=31536000"


def test_the_sqlite_database_and_its_folder_are_private(tmp_path):
    folder = tmp_path / "data"
    name = folder / "gongzhi.sqlite3"
    private_sqlite_file(str(name))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(name.stat().st_mode) == 0o600
    connection = sqlite3.connect(name)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    for suffix in ("-wal", "-shm"):
        side = Path(f"{name}{suffix}")
        assert side.exists() and stat.S_IMODE(side.stat().st_mode) == 0o600, suffix
    connection.close()


def test_the_settings_create_the_database_private(tmp_path):
    from gongzhi.settings import _database

    db = _database(f"sqlite:///{tmp_path / 'other' / 'db.sqlite3'}")
    assert stat.S_IMODE(Path(db["NAME"]).stat().st_mode) == 0o600
    private_dir(tmp_path / "other")  # an existing folder is left alone
    assert _database("sqlite://:memory:")["NAME"] == ":memory:"


# ---- idle sessions --------------------------------------------------------------------------


def age_session(client, seconds: int) -> None:
    session = client.session
    session[SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_a_staff_session_ends_after_the_idle_minutes(client, world, settings):
    settings.GONGZHI_SESSION_IDLE_MINUTES = 30
    login(client, world.users.staff_a)
    assert client.session[LIMIT_KEY] == 30 * 60
    age_session(client, 29 * 60)
    assert client.get("/people/").status_code == 200
    age_session(client, 31 * 60)
    response = client.get("/people/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "长时间未操作" in page


def test_activity_keeps_the_session(client, world, settings):
    settings.GONGZHI_SESSION_IDLE_MINUTES = 30
    login(client, world.users.staff_a)
    age_session(client, 20 * 60)
    client.get("/")
    assert time.time() - client.session[SEEN_KEY] < 60
    age_session(client, 20 * 60)
    assert client.get("/people/").status_code == 200


def test_residents_have_their_own_longer_limit(client, world, settings):
    settings.GONGZHI_SESSION_IDLE_MINUTES = 30
    settings.GONGZHI_RESIDENT_SESSION_IDLE_MINUTES = 240
    login(client, world.users.resident_a)
    age_session(client, 60 * 60)
    assert client.get("/").status_code == 200
    age_session(client, 241 * 60)
    assert client.get("/").status_code == 302


def test_an_idle_session_on_the_api_answers_401(client, world, settings):
    settings.GONGZHI_SESSION_IDLE_MINUTES = 30
    login(client, world.users.staff_a)
    age_session(client, 31 * 60)
    assert client.get("/api/v1/residents").status_code == 401
