"""One lock per periodic job, so two workers never run the same job at the same time.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on the worker's own
database connection: it holds across machines and ends by itself if the worker dies (its
connection closes). SQLite: a file lock (``filelock``) beside the database file: the database
can only be on one machine, and so can its workers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection
from filelock import FileLock, Timeout


def advisory_key(job: str) -> int:
    """A stable signed 64-bit key for ``job`` (Python's ``hash`` changes between processes)."""
    digest = hashlib.sha256(f"gongzhi-job:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_dir() -> Path:
    """Where SQLite's job locks live: beside the database file (the data directory when the
    database is in memory, as in tests)."""
    name = str(connection.settings_dict["NAME"])
    if name.startswith("file:") or name == ":memory:" or not Path(name).is_absolute():
        return Path(settings.DATA_DIR)
    return Path(name).parent


@contextmanager
def job_lock(job: str) -> Iterator[bool]:
    """Try to take ``job``'s lock without waiting; yields whether this worker holds it."""
    if connection.vendor == "postgresql":
        key = advisory_key(job)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held and connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    directory = lock_dir()
    directory.mkdir(parents=True, exist_ok=True)
    lock = FileLock(directory / f".gongzhi-job-{job}.lock", thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
