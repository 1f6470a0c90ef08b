"""``gongzhi.wsgi``: the application a server process imports is ready before its first
request — the URL configuration imported, every object made so far frozen out of the garbage
collector's walks (``core.serving``)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json, sys
import gongzhi.wsgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "urls": "gongzhi.urls" in sys.modules,
    "api": "gongzhi.matters.api" in sys.modules,
}))
"""


def test_the_served_application_is_imported_and_frozen_before_its_first_request():
    # In its own process: freezing this one's objects would keep the test run's garbage.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["urls"] and probe["api"]
    assert probe["frozen"] > 100_000  # Django, the apps and their libraries
