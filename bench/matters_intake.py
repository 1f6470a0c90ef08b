"""Matter intake through the real HTTP stack, next to a bare Django insert, in the same run.

    .venv/bin/python bench/matters_intake.py [--seconds 10] [--clients 8] [--full] [--rounds 1]
        [--threads 8] [--postgres postgres://postgres@127.0.0.1:5432/postgres]   ('' to skip PostgreSQL)

For each database (a fresh temporary SQLite file, then a throw-away PostgreSQL database if the
server is reachable): migrate, create a minimal community (one compound, building, household,
resident and a community staff account with an API token) and the trivial ``bench_item``
table, then start granian (WSGI, 2 workers of ``--threads`` blocking threads each, as
docs/deployment.md recommends) twice, one server after the other:

* real: ``gongzhi.wsgi:application``, ``POST /api/v1/matters`` with the bearer token, a
  unique ``Idempotency-Key`` per request and ``Prefer: return=minimal`` (the lean 201 an
  intake client asks for; ``--full`` sends no ``Prefer`` and gets the full detail) —
  authentication, validation, place check, the classifier, deadlines, routing, the matter,
  its reporter, the submit and route events and the key;
* bare: ``bench.bare_wsgi:application``, same settings and middleware with one csrf-exempt view
  doing ``BenchItem.objects.create``.

The load generator is Python threads, each with its own keep-alive ``http.client`` connection,
on the same 2 cores as the server (so figures are pessimistic for both, and the ratio is what
to read). A 2 s warm-up precedes each measured run. Prints requests/s, p50 and p99 per run and
the ratio real/bare, then a JSON summary.
"""

import argparse
import http.client
import itertools
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRANIAN = Path(sys.executable).parent / "granian"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
TEXTS = (
    "渔家苑1栋楼道灯坏了，晚上看不见，老人上下楼不方便",
    "楼下垃圾桶满了好几天没人清，味道很大",
    "有人把车停在消防通道上，堵了一整天",
    "3楼邻居家狗天天晚上叫，吵得睡不着",
)


def setup() -> None:
    """Runs in a child process: migrate, the minimal community, the token; prints JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from gongzhi.accounts.models import ApiToken, Profile, UserRole
    from gongzhi.people.models import Resident
    from gongzhi.places.models import (
        Building,
        Community,
        Compound,
        Household,
        Subdistrict,
        Unit,
    )

    call_command("migrate", interactive=False, verbosity=0)
    sub = Subdistrict.objects.create(name="琴台街道")
    community = Community.objects.create(subdistrict=sub, name="X社区")
    compound = Compound.objects.create(community=community, name="渔家苑")
    building = Building.objects.create(compound=compound, name="1栋", number=1)
    unit = Unit.objects.create(building=building, name="1单元", number=1)
    household = Household.objects.create(unit=unit, room="101")
    resident = Resident.objects.create(
        household=household, name="王建国", gender="M", birth_date="1960-05-01", relation="head"
    )
    user = get_user_model().objects.create(username="bench_staff")
    Profile.objects.create(user=user, role=UserRole.COMMUNITY_STAFF, community=community)
    _token, raw = ApiToken.issue(user=user, name="bench")
    with connection.cursor() as cursor:
        pk = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY"
        created = "timestamptz" if connection.vendor == "postgresql" else "datetime"
        cursor.execute(
            f"CREATE TABLE bench_item (id {pk}, title varchar(200) NOT NULL, "
            f"body text NOT NULL, created {created} NOT NULL)"
        )
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "token": raw,
                "place": f"building:{building.pk}",
                "reporter": resident.pk,
            }
        )
    )


def counts() -> None:
    """Runs in a child process: rows written, to check that every 2xx made its row."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django

    django.setup()
    from django.db import connection

    from gongzhi.matters.models import Matter, MatterEvent

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_item")
        items = cursor.fetchone()[0]
    print(
        json.dumps(
            {
                "matters": Matter.objects.count(),
                "events": MatterEvent.objects.count(),
                "items": items,
            }
        )
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(target: str, env: dict, port: int, threads: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(GRANIAN),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--blocking-threads",
            str(threads),
            "--no-access-log",
            "--log-level",
            "warning",
            "--working-dir",
            str(ROOT),
            target,
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"{target} did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def load(port: int, make_request, *, seconds: float, clients: int) -> dict:
    """``clients`` threads with keep-alive connections, each sending requests until the end."""
    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        while time.perf_counter() < stop:
            method, path, body, headers = make_request(n, i)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                failures.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies[n].append(time.perf_counter() - started)
            if response.status >= 300:
                failures.append(str(response.status))
            i += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    all_ms = sorted(x * 1000 for group in latencies for x in group)
    return {
        "requests": len(all_ms),
        "rps": round(len(all_ms) / elapsed, 1),
        "p50_ms": round(statistics.median(all_ms), 1) if all_ms else None,
        "p99_ms": round(all_ms[int(len(all_ms) * 0.99) - 1], 1) if all_ms else None,
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
    }


def run_database(
    env: dict, *, seconds: float, clients: int, threads: int, full: bool = False, rounds: int = 1
) -> dict:
    info = json.loads(child("--setup", env))
    run_id = uuid.uuid4().hex[:8]
    # One key per request of the whole run: ``i`` starts again at 0 in every load() (the warm-up,
    # each round), and a repeated key is a replay (the stored matter answered again), not an
    # intake. next() on a count is atomic under the GIL, so the client threads may share it.
    sequence = itertools.count()

    def real_request(n, i):
        body = json.dumps(
            {
                "text": TEXTS[i % len(TEXTS)],
                "channel": "grid_visit",
                "place": info["place"],
                "reporter_id": info["reporter"],
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Authorization": f"Bearer {info['token']}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"{run_id}-{next(sequence)}",
        }
        if not full:
            headers["Prefer"] = "return=minimal"
        return "POST", "/api/v1/matters", body, headers

    def bare_request(n, i):
        body = json.dumps({"text": TEXTS[i % len(TEXTS)]}, ensure_ascii=False).encode()
        return "POST", "/items", body, {"Content-Type": "application/json"}

    result: dict = {
        "vendor": info["vendor"],
        "answer": "full" if full else "minimal",
        "threads": threads,
    }
    pairs = []
    for _round in range(rounds):
        pair = {}
        for name, target, make in (
            ("bare", "bench.bare_wsgi:application", bare_request),
            ("real", "gongzhi.wsgi:application", real_request),
        ):
            port = free_port()
            server = start_server(target, env, port, threads)
            try:
                load(port, make, seconds=2, clients=clients)  # warm-up (loads the classifier)
                pair[name] = load(port, make, seconds=seconds, clients=clients)
            finally:
                stop_server(server)
        pair["ratio"] = round(pair["real"]["rps"] / pair["bare"]["rps"], 3)
        pairs.append(pair)
    # With several rounds (bare then real, again and again), the pair of the median ratio: on a
    # shared machine a burst of other work during one run moves one pair's ratio, not all.
    median = sorted(pairs, key=lambda pair: pair["ratio"])[(len(pairs) - 1) // 2]
    result["bare"], result["real"] = median["bare"], median["real"]
    result["rows"] = json.loads(child("--counts", env))
    result["ratio"] = median["ratio"]
    if rounds > 1:
        result["rounds"] = [
            {"bare_rps": p["bare"]["rps"], "real_rps": p["real"]["rps"], "ratio": p["ratio"]}
            for p in pairs
        ]
    result["load_average"] = round(os.getloadavg()[0], 1)
    return result


def child(flag: str, env: dict) -> str:
    out = subprocess.run(
        [sys.executable, __file__, flag], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return out.stdout.strip().splitlines()[-1]


def postgres_database(url: str):
    """Create a throw-away database; returns (its URL, a function that drops it) or None."""
    import psycopg

    name = f"bench_intake_{uuid.uuid4().hex[:8]}"
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
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--counts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="granian's blocking threads per worker, for both servers (docs/deployment.md)",
    )
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL ('' to skip)")
    parser.add_argument(
        "--full", action="store_true", help="ask for the full detail (no Prefer: return=minimal)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure bare then real this many times per database; the pair of the median "
        "ratio is reported (each pair's figures are in the JSON as rounds)",
    )
    args = parser.parse_args()
    if args.setup:
        setup()
        return
    if args.counts:
        counts()
        return

    from cryptography.fernet import Fernet

    base = os.environ.copy()
    base.pop("DATABASE_URL", None)
    base.update(
        GONGZHI_DEBUG="false",
        GONGZHI_SECURE_COOKIES="false",
        SECRET_KEY="bench-" + uuid.uuid4().hex,
        GONGZHI_FIELD_KEY=Fernet.generate_key().decode(),
        PYTHONPATH=str(ROOT),
    )
    options = {
        "seconds": args.seconds,
        "clients": args.clients,
        "threads": args.threads,
        "full": args.full,
        "rounds": args.rounds,
    }
    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        results.append(run_database(base | {"GONGZHI_DATA_DIR": data_dir}, **options))
    if args.postgres:
        created = postgres_database(args.postgres)
        if created:
            url, drop = created
            try:
                with tempfile.TemporaryDirectory() as data_dir:
                    env = base | {"GONGZHI_DATA_DIR": data_dir, "DATABASE_URL": url}
                    results.append(run_database(env, **options))
            finally:
                drop()
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end"
    )
    for r in results:
        for name in ("bare", "real"):
            x = r[name]
            print(
                f"{r['vendor']:<10} {name:<5} {x['rps']:>8.1f} req/s  p50 {x['p50_ms']} ms"
                f"  p99 {x['p99_ms']} ms  failures {x['failures']}"
            )
        print(f"{r['vendor']:<10} ratio real/bare {r['ratio']:.3f}  rows {r['rows']}")
        if "rounds" in r:
            each = ", ".join(f"{p['ratio']:.3f}" for p in r["rounds"])
            print(f"{r['vendor']:<10} ratio of each round {each} (median above)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
