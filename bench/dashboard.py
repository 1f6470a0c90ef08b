"""The matters dashboard and the matters API list at X-community scale, for the demo's staff.

    .venv/bin/python bench/dashboard.py [--requests 30]
        [--postgres postgres://postgres@127.0.0.1:5432/postgres]   ('' to skip PostgreSQL)

For each database (a fresh temporary SQLite file, then a throw-away PostgreSQL database if the
server is reachable), in its own process: migrate, ``seed_demo`` (X社区 with its year of about
3,500 matters), then, through Django's test client logged in as the demo's community staff
(``staff``): ``GET /matters/dashboard/`` (default period), the whole demo year
(``?period=custom&since=2025-11-01&until=2026-11-01``)
and ``GET /api/v1/matters`` (first page), each ``--requests`` times after one warm-up request.
Prints the median and p95 in milliseconds and the number of SQL queries of one request.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
PAGES = (
    ("dashboard", "/matters/dashboard/", {}),
    (
        "dashboard_demo_year",
        "/matters/dashboard/",
        {"period": "custom", "since": "2025-11-01", "until": "2026-11-01"},
    ),
    ("api_list", "/api/v1/matters", {}),
)


def child(requests: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from gongzhi.demo.seed import seed_demo
    from gongzhi.matters.models import Matter

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    seed_demo()
    seed_s = time.perf_counter() - started
    client = Client()
    client.force_login(get_user_model().objects.get(username="staff"))
    result = {
        "vendor": connection.vendor,
        "seed_s": round(seed_s, 2),
        "matters": Matter.objects.count(),
    }
    for name, path, params in PAGES:
        queries: list[str] = []

        def count(execute, sql, *args, queries=queries):
            queries.append(sql)
            return execute(sql, *args)

        # Not CaptureQueriesContext: the request_started signal empties its log.
        with connection.execute_wrapper(count):
            response = client.get(path, params)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
        times = []
        for _n in range(requests):
            began = time.perf_counter()
            client.get(path, params)
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        result[name] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "queries": len(queries),
            "bytes": len(response.content),
        }
    print(json.dumps(result))


def measure(env: dict, requests: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--requests", str(requests)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgres_database(url: str):
    import psycopg

    name = f"bench_dash_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipped")
        return None
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return url.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL ('' to skip)")
    args = parser.parse_args()
    if args.child:
        child(args.requests)
        return

    from cryptography.fernet import Fernet

    base = os.environ.copy()
    base.pop("DATABASE_URL", None)
    base.update(
        GONGZHI_DEBUG="false",
        GONGZHI_SECURE_COOKIES="false",
        GONGZHI_REQUIRE_2FA="false",  # pages, not the second factor (a forced login: 302)
        ALLOWED_HOSTS="testserver",
        SECRET_KEY="bench-" + uuid.uuid4().hex,
        GONGZHI_FIELD_KEY=Fernet.generate_key().decode(),
    )
    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        results.append(measure(base | {"GONGZHI_DATA_DIR": data_dir}, args.requests))
    if args.postgres:
        created = postgres_database(args.postgres)
        if created:
            url, drop = created
            try:
                with tempfile.TemporaryDirectory() as data_dir:
                    env = base | {"GONGZHI_DATA_DIR": data_dir, "DATABASE_URL": url}
                    results.append(measure(env, args.requests))
            finally:
                drop()
    print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for r in results:
        print(f"{r['vendor']:<10} seed_demo {r['seed_s']} s, {r['matters']} matters")
        for name, _path, _params in PAGES:
            x = r[name]
            print(
                f"{r['vendor']:<10} {name:<15} median {x['median_ms']} ms  p95 {x['p95_ms']} ms"
                f"  {x['queries']} queries  {x['bytes']} bytes"
            )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
