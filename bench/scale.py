"""District scale and dashboards at X-community scale.

    .venv/bin/python bench/scale.py [--communities 100] [--matters-per-community 20000]
        [--workers 2] [--requests 20] [--postgres postgres://postgres@127.0.0.1:5432/postgres]
        [--keep] [--reuse] [--skip-demo] [--skip-district]

District run (PostgreSQL only): in a throw-away database ``gongzhi_bench_scale`` (dropped at
the end unless ``--keep``): migrate, ``generate_district`` with ``--workers`` processes (time,
rows/s), a first ``gongzhi rollup`` (each step timed), then one day of new matters
(``district.add_day``: the daily share of the year's volume in every community, dated
2026-11-01) and the incremental rollup after it (each step timed); then,
logged in as the subdistrict's official (Django test client, ``force_login``), each page
``--requests`` times after one warm-up: ``/dashboard/``, ``/insights/index/``,
``/insights/diagnostics/``, ``/matters/dashboard/`` (this month, and ``?period=year``),
``/network/`` and ``/hotline/`` for the whole subdistrict and for its first community; and ``insights.index.index_for`` called directly for both. ``--reuse`` keeps the
database and, when it already holds the generated subdistrict, skips migrating and generating
(to measure the rollup and the pages again after a change; the rollup then starts from the
state the last run left).

``--pages-only`` measures only the pages on the kept district database as it stands (no
migrate, no rollup; ``--only /matters/`` keeps the pages whose path starts so): to see a
change to a page without waiting for a rollup run.

X-community run (SQLite in a temporary file, and PostgreSQL in ``gongzhi_bench_demo``):
migrate, ``seed_demo``, ``gongzhi rollup``, then the same pages as the demo's ``official``
for 琴台街道 and for X社区.

Prints a table (median / p95 in ms, SQL queries of one request, HTTP status) and the JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_FIELD_KEY = (
    "tFq3WlCw7rM1n4lE0oM2Qm8yJp7pN8Yq2v2w1Xn0b3c="  # the test suite's key; no real data
)
# Every dashboard page, as (path, extra query): the default period of each, and the year of
# the matters dashboard (the period whose medians read every matter of a year before the
# rollup's hour buckets, issue 14).
PAGES = (
    ("/dashboard/", {}),
    ("/insights/index/", {}),
    ("/insights/diagnostics/", {}),
    ("/matters/dashboard/", {}),
    ("/matters/dashboard/", {"period": "year"}),
    ("/network/", {}),
    ("/hotline/", {}),
)


def _setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django

    django.setup()


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _measure(label: str, fn, requests: int) -> dict:
    """Median and p95 in ms of ``fn`` after one warm-up; fn returns (status, queries)."""
    status, queries = fn()  # the warm-up; its SQL queries are counted
    if status != 200:
        return {"what": label, "status": status}
    times = []
    for _n in range(requests):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "what": label,
        "status": status,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
        "queries": queries,
    }


def _pages(user, places: dict, requests: int, only: str = "") -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gongzhi.core.places import Place
    from gongzhi.demo.seed import TODAY
    from gongzhi.insights.index import Period, index_for

    period = Period(TODAY.replace(year=TODAY.year - 1), TODAY)
    client = Client()
    client.force_login(user)
    results = []
    for scope, place in places.items():
        for url, extra in PAGES:
            if only and not url.startswith(only):
                continue

            def get(url=url, place=place, extra=extra):
                connection.queries_log.clear()  # holds 9,000 at most: counts would stop
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url, {"place": place, **extra})
                return response.status_code, len(queries)

            query = "".join(f"?{k}={v}" for k, v in extra.items())
            results.append(_measure(f"{url}{query} {scope}", get, requests))
        if only:
            continue

        def index(place=place):
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                index_for(Place.parse(place), period, today=TODAY)
            return 200, len(queries)

        results.append(_measure(f"index_for() {scope}", index, requests))
    return results


def _steps(now) -> dict:
    """Run each ``gongzhi rollup`` step once, timed; returns seconds and counts per step."""
    from gongzhi.insights.rollup import STEPS

    result = {}
    for step in STEPS:
        started = time.perf_counter()
        counts = step(now=now, since=None, full=False)
        result[step.__name__] = {"s": round(time.perf_counter() - started, 1), **counts}
    return result


def child_district(communities: int, matters: int, requests: int, workers: int) -> dict:
    _setup()
    from django.core.management import call_command
    from django.utils import timezone

    from gongzhi.accounts.models import Profile
    from gongzhi.demo import district
    from gongzhi.demo.seed import TODAY
    from gongzhi.places.models import Subdistrict

    result = {"database": "postgresql", "communities": communities, "workers": workers}
    result["load_before"] = os.getloadavg()
    generated = _migrated() and Subdistrict.objects.filter(name="规模测试街道1").exists()
    result["migrate_s"] = round(
        _timed(lambda: call_command("migrate", interactive=False, verbosity=0)), 1
    )
    if not generated:
        started = time.perf_counter()
        report = district.generate_district(
            communities=communities, matters_per_community=matters, seed=1, workers=workers
        )
        seconds = time.perf_counter() - started
        result["generate_s"] = round(seconds, 1)
        result["rows"] = report.total_rows
        result["rows_per_s"] = round(report.total_rows / seconds)
        result["tables"] = report.rows
        result["parts_s"] = {k: round(v, 1) for k, v in report.seconds.items()}
    _progress(result)
    result["rollup_first"] = _steps(timezone.now())
    _progress(result)
    official = Profile.objects.select_related("user", "subdistrict").get(
        role="official", user__username__endswith="-official", subdistrict__name="规模测试街道1"
    )
    sub = official.subdistrict
    result["communities"] = sub.communities.count()
    per_day = max(1, round(matters / 365))
    result["day_matters"] = per_day * result["communities"]
    result["add_day_s"] = round(_timed(lambda: district.add_day(sub, TODAY, per_day)), 1)
    result["rollup_day"] = _steps(timezone.now())
    _progress(result)
    first = sub.communities.order_by("pk").first()
    result["pages"] = _pages(
        official.user,
        {"subdistrict": f"subdistrict:{sub.pk}", "community": f"community:{first.pk}"},
        requests,
    )
    result["load_after"] = os.getloadavg()
    return result


def child_pages(requests: int, only: str) -> dict:
    """Only the pages, on the district database as it stands (no migrate, no rollup)."""
    _setup()
    from gongzhi.accounts.models import Profile

    official = Profile.objects.select_related("user", "subdistrict").get(
        role="official", user__username__endswith="-official", subdistrict__name="规模测试街道1"
    )
    sub = official.subdistrict
    first = sub.communities.order_by("pk").first()
    result = {"database": "postgresql", "communities": sub.communities.count()}
    result["load_before"] = os.getloadavg()
    result["pages"] = _pages(
        official.user,
        {"subdistrict": f"subdistrict:{sub.pk}", "community": f"community:{first.pk}"},
        requests,
        only,
    )
    result["load_after"] = os.getloadavg()
    return result


def _progress(result: dict) -> None:
    """What is measured so far, on stderr: kept by the parent if a later part fails."""
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)


def _migrated() -> bool:
    from django.db import connection

    return "places_subdistrict" in connection.introspection.table_names()


def child_demo(requests: int) -> dict:
    _setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from gongzhi.demo.seed import seed_demo
    from gongzhi.places.models import Community

    result = {"database": connection.vendor, "scale": "X社区 demo"}
    call_command("migrate", interactive=False, verbosity=0)
    result["seed_s"] = round(_timed(seed_demo), 1)
    result["rollup_full_s"] = round(_timed(lambda: call_command("rollup", stdout=_Null())), 1)
    x = Community.objects.get(name="X社区")
    result["pages"] = _pages(
        get_user_model().objects.get(username="official"),
        {"subdistrict": f"subdistrict:{x.subdistrict_id}", "community": f"community:{x.pk}"},
        requests,
    )
    return result


class _Null:
    def write(self, *_args, **_kwargs):
        pass

    def flush(self):
        pass


def _run(mode: str, database_url: str, args) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GONGZHI_DEBUG": "false",
        "GONGZHI_SECURE_COOKIES": "false",
        "ALLOWED_HOSTS": "testserver",
        # Pages, not the second factor: a forced login would be sent to its set-up (302).
        "GONGZHI_REQUIRE_2FA": "false",
    }
    env.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    # A fixed key for the throw-away bench databases, so that ``--reuse`` can read what an
    # earlier run encrypted (matters' reporter contacts); export your own to override it.
    env.setdefault("GONGZHI_FIELD_KEY", BENCH_FIELD_KEY)
    command = [sys.executable, __file__, "--child", mode, "--requests", str(args.requests)]
    command += ["--communities", str(args.communities)]
    command += ["--matters-per-community", str(args.matters_per_community)]
    command += ["--workers", str(args.workers), "--only", args.only]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        partial = [line for line in out.stderr.splitlines() if line.startswith("{")]
        return {
            "mode": mode,
            "error": out.stderr[-3000:],
            "partial": json.loads(partial[-1]) if partial else None,
        }
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgres(server: str, name: str, keep: bool, mode: str, args) -> dict:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (args.reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return _run(mode, server.rsplit("/", 1)[0] + "/" + name, args)
    finally:
        if not keep:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _table(results: list[dict]) -> None:
    for result in results:
        head = {k: v for k, v in result.items() if k not in ("pages", "tables")}
        print(json.dumps(head, ensure_ascii=False))
        for page in result.get("pages", ()):
            if "median_ms" in page:
                print(
                    f"  {page['what']:<40} {page['median_ms']:>9.1f} ms  p95 {page['p95_ms']:>9.1f}"
                    f" ms  {page['queries']:>4} queries"
                )
            else:
                print(f"  {page['what']:<40} HTTP {page['status']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--matters-per-community", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse the district DB")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-district", action="store_true")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="measure the pages on the kept district database as it stands (no rollup)",
    )
    parser.add_argument("--only", default="", help="only the pages whose path starts so")
    parser.add_argument("--child", choices=("district", "demo", "pages"))
    args = parser.parse_args()
    if args.child == "district":
        print(
            json.dumps(
                child_district(
                    args.communities, args.matters_per_community, args.requests, args.workers
                )
            )
        )
        return
    if args.child == "demo":
        print(json.dumps(child_demo(args.requests)))
        return
    if args.child == "pages":
        print(json.dumps(child_pages(args.requests, args.only)))
        return
    results = []
    if args.pages_only:
        url = args.postgres.rsplit("/", 1)[0] + "/gongzhi_bench_scale"
        results.append(_run("pages", url, args))
        _table(results)
        print(json.dumps(results, ensure_ascii=False))
        return
    if not args.skip_demo:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(_run("demo", f"sqlite:///{tmp}/demo.sqlite3", args))
        if args.postgres:
            results.append(_postgres(args.postgres, "gongzhi_bench_demo", args.keep, "demo", args))
    if not args.skip_district and args.postgres:
        keep = args.keep or args.reuse
        results.append(_postgres(args.postgres, "gongzhi_bench_scale", keep, "district", args))
    _table(results)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
