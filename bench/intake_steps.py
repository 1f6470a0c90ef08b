"""CPU per submit of ``POST /api/v1/matters``, step by step, in one process (no server).

    .venv/bin/python bench/intake_steps.py [--submits 300] [--blocks 1] [--profile SORT]

A fresh SQLite file is set up as ``bench/matters_intake.py`` does (a minimal community, a
staff account with a token); then the WSGI handler is called directly with the intake's
request (``Prefer: return=minimal``, a new ``Idempotency-Key`` each time) after 30 warm-up
submits, and each step's CPU time (``time.process_time``) is summed by wrapping the functions
the submit calls. Prints the CPU per submit and per step in ms, and the same for the bare insert
(``bench.bare_settings``), each in its own child process. CPU time, unlike the wall clock,
barely moves with what else the machine runs.
"""

import argparse
import collections
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXTS = (
    "渔家苑1栋楼道灯坏了，晚上看不见，老人上下楼不方便",
    "楼下垃圾桶满了好几天没人清，味道很大",
)
STEPS = {
    "gongzhi.api": ["token_user"],
    "gongzhi.matters.selectors": ["submit_place_and_reporter"],  # one statement for both
    "gongzhi.matters.api": ["_submitted"],
    "gongzhi.matters.services": ["suggest", "_submit_rows", "_after_rows", "matter_submit"],
    "gongzhi.core.rawsql": ["firsts"],  # the rule and the deadline policy
    "gongzhi.core.rawsql:Inserts": ["run"],  # the four inserts, in the transaction
}


def child(mode: str, info: dict, submits: int, profile: str = "", blocks: int = 1) -> None:
    sys.path.insert(0, str(ROOT))
    settings = "bench.bare_settings" if mode == "bare" else "gongzhi.settings"
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    import importlib

    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    spent: collections.Counter = collections.Counter()
    if mode == "real":
        for module_name, names in STEPS.items():
            module_path, _colon, class_name = module_name.partition(":")
            module = importlib.import_module(module_path)
            owner = getattr(module, class_name) if class_name else module
            for name in names:
                setattr(owner, name, _timed(getattr(owner, name), name, spent))
    run = uuid.uuid4().hex[:8]
    statuses = []

    def submit(i: int) -> None:
        if mode == "bare":
            body = json.dumps({"text": TEXTS[i % 2]}, ensure_ascii=False).encode()
            path, extra = "/items", {}
        else:
            payload = {
                "text": TEXTS[i % 2],
                "channel": "grid_visit",
                "place": info["place"],
                "reporter_id": info["reporter"],
            }
            body = json.dumps(payload, ensure_ascii=False).encode()
            path = "/api/v1/matters"
            extra = {
                "HTTP_AUTHORIZATION": f"Bearer {info['token']}",
                "HTTP_IDEMPOTENCY_KEY": f"{run}-{i}",
                "HTTP_PREFER": "return=minimal",
            }
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            **extra,
        }
        b"".join(app(environ, lambda status, headers, exc=None: statuses.append(status)))

    for i in range(30):
        submit(i)
    spent.clear()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    best: tuple[float, dict] | None = None
    for block in range(blocks):
        spent.clear()
        started = time.process_time()
        for i in range(submits):
            submit(1000 + block * submits + i)
        total = time.process_time() - started
        if best is None or total < best[0]:
            best = (total, dict(spent))
    assert best is not None
    total, spent_best = best
    if profiler is not None:
        import pstats

        profiler.disable()
        if os.environ.get("INTAKE_PROFILE_OUT"):
            profiler.dump_stats(os.environ["INTAKE_PROFILE_OUT"])
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats(profile).print_stats(60)
    if not all(status.startswith("2") for status in statuses):
        raise SystemExit(f"a submit failed: {statuses[-1]}")
    steps = {
        name: round(seconds * 1000 / submits, 3)
        for name, seconds in sorted(spent_best.items(), key=lambda item: -item[1])
    }
    print(json.dumps({"mode": mode, "cpu_ms": round(total * 1000 / submits, 3), "steps": steps}))


def _timed(fn, name, spent):
    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument(
        "--blocks",
        type=int,
        default=1,
        help="run the submits this many times over in each process and keep the block that "
        "took least CPU (the others met more interference from the rest of the machine)",
    )
    parser.add_argument("--child", choices=("real", "bare"))
    parser.add_argument("--info", default="")
    parser.add_argument(
        "--profile",
        default="",
        metavar="SORT",
        help="cProfile the intake's submits (CPU time), sorted by SORT (e.g. tottime, "
        "cumulative), printed after the figures (and saved to $INTAKE_PROFILE_OUT if set)",
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(args.info), args.submits, args.profile, args.blocks)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/intake.db",
            "GONGZHI_DATA_DIR": tmp,
            "GONGZHI_DEBUG": "false",
            "GONGZHI_SECURE_COOKIES": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        env.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
        env.setdefault("GONGZHI_FIELD_KEY", "tFq3WlCw7rM1n4lE0oM2Qm8yJp7pN8Yq2v2w1Xn0b3c=")
        setup = [sys.executable, str(ROOT / "bench" / "matters_intake.py"), "--setup"]
        out = subprocess.run(setup, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        info = out.stdout.strip().splitlines()[-1]
        for mode in ("bare", "real"):
            command = [sys.executable, __file__, "--child", mode, "--info", info]
            command += ["--submits", str(args.submits), "--blocks", str(args.blocks)]
            if args.profile and mode == "real":
                command += ["--profile", args.profile]
            result = subprocess.run(
                command, env=env, cwd=ROOT, capture_output=True, text=True, check=False
            )
            if result.returncode:
                raise SystemExit(result.stderr[-3000:])
            if args.profile and mode == "real":
                print(result.stderr)
            line = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{mode:5} {line['cpu_ms']:7.3f} ms CPU per submit")
            for name, ms in line["steps"].items():
                print(f"      {name:16} {ms:7.3f} ms")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
