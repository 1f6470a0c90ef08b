"""Sizes for docs/deployment.md: the demo's database, a backup's size and time, a restore's time,
the memory of one app server process and of the worker.

    GONGZHI_DATA_DIR=/tmp/demo_x GONGZHI_DEBUG=true .venv/bin/python bench/ops_sizes.py \
        [--port 8790] [--postgres postgres://postgres@127.0.0.1:5432/gongzhi_bench_ops]

The data folder must hold a seeded demo (``gongzhi seed_demo``); the restore goes into a
scratch folder with the same keys. With ``--postgres`` (a database that is created and dropped)
the demo is seeded there too and backed up and restored with ``--yes``.

Prints a Markdown table and the JSON.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GONGZHI = str(Path(sys.executable).with_name("gongzhi"))


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, AttributeError):
            continue
        pids.extend(int(c) for c in children)
    return total


def run(argv: list[str], env: dict) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return time.monotonic() - started, done.stdout


def sizes_for(env: dict, label: str, work: Path) -> dict:
    out = work / f"{label}.tar.gz"
    seconds, _ = run([GONGZHI, "backup", "--output", str(out)], env)
    manifest = json.loads(
        subprocess.run(  # noqa: S603
            ["tar", "-xzOf", str(out), "manifest.json"], capture_output=True, check=True
        ).stdout
    )
    return {
        "rows": sum(manifest["counts"].values()),
        "tables": len(manifest["counts"]),
        "media_files": manifest["media"]["files"],
        "backup_bytes": out.stat().st_size,
        "backup_seconds": round(seconds, 1),
        "backup_file": out,
    }


def serve_and_measure(env: dict, port: int) -> dict:
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("granian")),
            *("--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", "1", "--blocking-threads", "2"),
            "gongzhi.wsgi:application",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "gongzhi.settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the app server did not answer within 120 s") from None
                time.sleep(1)
        idle = rss_kib(server.pid)
        for path in ["/accounts/login/", "/open311/v2/services.json", "/api/v1/openapi.json"] * 5:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).read()  # noqa: S310
            except OSError:
                pass
        return {"server_rss_idle_kib": idle, "server_rss_after_requests_kib": rss_kib(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def worker_memory(env: dict) -> int:
    worker = subprocess.Popen(  # noqa: S603
        [GONGZHI, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(30)  # start, run every due job once
        return rss_kib(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--postgres", help="a new PostgreSQL database for the same measures")
    args = parser.parse_args()
    data = Path(os.environ.get("GONGZHI_DATA_DIR", "data")).resolve()
    database = data / "gongzhi.sqlite3"
    if not database.exists():
        raise SystemExit(f"no demo database at {database}: run gongzhi seed_demo first")
    env = {**os.environ, "GONGZHI_DATA_DIR": str(data), "GONGZHI_SECURE_COOKIES": "false"}
    env.pop("DATABASE_URL", None)
    result: dict = {"sqlite": {}}
    with tempfile.TemporaryDirectory(prefix="gongzhi-ops-sizes-") as tmp:
        work = Path(tmp)
        sqlite = result["sqlite"]
        sqlite["database_bytes"] = sum(
            p.stat().st_size for p in data.glob("gongzhi.sqlite3*") if p.is_file()
        )
        media = data / "media"
        sqlite["media_bytes"] = sum(p.stat().st_size for p in media.rglob("*") if p.is_file())
        sqlite.update(sizes_for(env, "sqlite", work))
        scratch = work / "restore"
        scratch.mkdir()
        shutil.copy(data / "gongzhi_field_key", scratch / "gongzhi_field_key")
        shutil.copy(data / "secret_key", scratch / "secret_key")
        restore_env = {**env, "GONGZHI_DATA_DIR": str(scratch)}
        seconds, _ = run([GONGZHI, "restore", str(sqlite.pop("backup_file"))], restore_env)
        sqlite["restore_seconds"] = round(seconds, 1)
        result.update(serve_and_measure(env, args.port))
        result["worker_rss_kib"] = worker_memory(env)
        if args.postgres:
            pg_env = {**env, "DATABASE_URL": args.postgres}
            name = args.postgres.rsplit("/", 1)[1]
            admin = args.postgres.rsplit("/", 1)[0] + "/postgres"
            subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)  # noqa: S603, S607
            subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)  # noqa: S603, S607
            try:
                seconds, _ = run([GONGZHI, "seed_demo"], pg_env)
                pg = {"seed_seconds": round(seconds, 1)}
                size = subprocess.run(  # noqa: S603
                    ["psql", args.postgres, "-qAtc", "SELECT pg_database_size(current_database())"],  # noqa: S607
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                pg["database_bytes"] = int(size)
                pg.update(sizes_for(pg_env, "postgresql", work))
                backup = pg.pop("backup_file")
                seconds, _ = run([GONGZHI, "restore", str(backup), "--yes"], pg_env)
                pg["restore_seconds"] = round(seconds, 1)
                result["postgresql"] = pg
            finally:
                subprocess.run(
                    ["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=False
                )  # noqa: S603, S607
    mib = 1024 * 1024
    print("| measure | value |")
    print("|---|---|")
    for vendor in ("sqlite", "postgresql"):
        if vendor not in result:
            continue
        r = result[vendor]
        print(
            f"| {vendor}: database | {r['database_bytes'] / mib:.1f} MiB, {r['rows']} rows in {r['tables']} tables |"
        )
        if "media_bytes" in r:
            print(
                f"| {vendor}: uploaded files | {r['media_files']} files, {r['media_bytes'] / mib:.1f} MiB |"
            )
        print(
            f"| {vendor}: backup | {r['backup_bytes'] / mib:.1f} MiB in {r['backup_seconds']} s |"
        )
        print(f"| {vendor}: restore + verify | {r['restore_seconds']} s |")
    print(
        f"| app server (granian, 1 worker), idle | {result['server_rss_idle_kib'] / 1024:.0f} MiB |"
    )
    print(
        f"| app server after 15 requests | {result['server_rss_after_requests_kib'] / 1024:.0f} MiB |"
    )
    print(f"| worker (`gongzhi worker`) | {result['worker_rss_kib'] / 1024:.0f} MiB |")
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
