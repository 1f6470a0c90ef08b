"""What the benches over the seeded demo share: Django set up on the demo's database, a test
client logged in without writing anything, the machine line, and a query counter.

    from _demo import count_queries, demo_client

    client, user, header = demo_client(data="", username="staff")

Reads the database that ``gongzhi seed_demo`` wrote (``./data`` unless ``data`` or
``DATABASE_URL`` says otherwise). Read-only: the session lives in a signed cookie and the login
does not stamp ``last_login``; the test client's host is allowed.
"""

import contextlib
import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def demo_client(*, data: str = "", username: str = "staff"):
    """(client logged in as ``username``, that user, the machine line to print first)."""
    sys.path.insert(0, str(ROOT))
    if data:
        os.environ["GONGZHI_DATA_DIR"] = data
    os.environ.setdefault("GONGZHI_DEBUG", "true")
    # The benches measure pages, not the second factor: with debug off it is required by
    # default and a forced login would be sent to its set-up page (302).
    os.environ.setdefault("GONGZHI_REQUIRE_2FA", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django
    from django.conf import settings

    django.setup()
    from django.contrib.auth import get_user_model, user_logged_in
    from django.contrib.auth.models import update_last_login
    from django.db import connection
    from django.test import Client

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    header = (
        f"{platform.node()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} cores · load {os.getloadavg()[0]:.1f} · {connection.vendor} · "
        f"user {username}"
    )
    return client, user, header


@contextlib.contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL run inside the block (not CaptureQueriesContext: the request_started signal
    empties its log)."""
    from django.db import connection

    queries: list[str] = []

    def count(execute, sql, *params):
        queries.append(sql)
        return execute(sql, *params)

    with connection.execute_wrapper(count):
        yield queries
