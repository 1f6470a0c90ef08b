"""Time `seed_demo` on a fresh SQLite database and, if reachable, a fresh PostgreSQL database.

    .venv/bin/python bench/seed_demo.py [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Each measurement runs in its own process (so peak RSS is the seeding's own): migrate first
(timed separately), then ``gongzhi.demo.seed.seed_demo``, timed by the clock and by the CPU
time of the process (what a shared machine's load does not inflate; the database server's
own work on PostgreSQL is not in it). The PostgreSQL database is created
under a throw-away name and dropped afterwards. Prints one line per database and a JSON summary.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def _cpu() -> float:
    """CPU seconds of this process (user + system): on a shared machine the wall time counts
    other people's work, the CPU time is about what an idle machine's wall time would be."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child() -> None:
    """Runs inside the measured process: migrate, seed, report."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection

    from gongzhi.demo.seed import seed_demo
    from gongzhi.people.models import Resident

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()
    cpu_before = _cpu()
    loaded = seed_demo()
    seeded = time.perf_counter()
    cpu = _cpu() - cpu_before
    assert loaded, "the database was not empty"
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "migrate_s": round(migrated - started, 2),
                "seed_s": round(seeded - migrated, 2),
                "seed_cpu_s": round(cpu, 2),
                "load": round(os.getloadavg()[0], 1),
                "residents": Resident.objects.count(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


def measure(env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgres_database(url: str):
    """Create a throw-away database; returns (its URL, a function that drops it) or None."""
    try:
        import psycopg
    except ImportError:
        return None
    name = f"bench_seed_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipped")
        return None
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    return url.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL ('' to skip)")
    args = parser.parse_args()
    if args.child:
        child()
        return

    from cryptography.fernet import Fernet

    base = os.environ.copy()
    base.pop("DATABASE_URL", None)
    base.update(
        GONGZHI_DEBUG="false",
        SECRET_KEY="bench-" + uuid.uuid4().hex,
        GONGZHI_FIELD_KEY=Fernet.generate_key().decode(),
    )
    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        results.append(measure(base | {"GONGZHI_DATA_DIR": data_dir}))
    if args.postgres:
        created = postgres_database(args.postgres)
        if created:
            url, drop = created
            try:
                with tempfile.TemporaryDirectory() as data_dir:
                    results.append(
                        measure(base | {"GONGZHI_DATA_DIR": data_dir, "DATABASE_URL": url})
                    )
            finally:
                drop()
    print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for r in results:
        print(
            f"{r['vendor']:<10} seed {r['seed_s']:>6.2f} s  (CPU {r['seed_cpu_s']:.2f} s, load "
            f"{r['load']:.1f})  (migrate {r['migrate_s']:.2f} s)"
            f"  peak RSS {r['peak_rss_mb']:.0f} MB  residents {r['residents']}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
