"""The SQLite backend's write gate (``gongzhi.core.sqlite``): transactions queue on a lock per
database file (and a file lock across processes) instead of SQLite's sleeping busy handler.

Each test uses its own database file, through connections made here (the suite's own SQLite
database is in memory, where there is no gate), so they run the same whatever ``DATABASE_URL``
the suite has."""

import contextlib
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError, connections, transaction

from gongzhi.core.sqlite.base import DatabaseWrapper, gate


def _settings(path, timeout: float = 5) -> dict:
    return {
        "ENGINE": "gongzhi.core.sqlite",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }


class FileDatabase:
    """A SQLite file with one table; ``use()`` gives the calling thread its own connection to
    it under the alias ``gate`` (Django's connections are per thread)."""

    alias = "gate"

    def __init__(self, path, timeout: float = 5) -> None:
        self.path, self.timeout = path, timeout
        with self.use() as conn, conn.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS t (id integer PRIMARY KEY, who text)")

    @contextlib.contextmanager
    def use(self):
        conn = DatabaseWrapper(_settings(self.path, self.timeout), self.alias)
        connections[self.alias] = conn
        try:
            yield conn
        finally:
            conn.close()
            del connections[self.alias]

    def rows(self) -> list[str]:
        with self.use() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT who FROM t ORDER BY id")
            return [who for (who,) in cursor.fetchall()]


def _insert(conn, who: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO t (who) VALUES (%s)", [who])


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    """These tests open their own connections, not the suite's database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path):
    return FileDatabase(tmp_path / "gate.sqlite3")


def test_a_transaction_holds_its_files_gate_until_it_ends(database):
    lock = gate(database.path).lock
    with database.use() as conn:
        assert not lock.locked()
        with transaction.atomic(using="gate"):
            _insert(conn, "a")
            assert lock.locked()
            with transaction.atomic(using="gate"):  # a savepoint: the gate is already held
                _insert(conn, "b")
        assert not lock.locked()
        with pytest.raises(ZeroDivisionError), transaction.atomic(using="gate"):
            _insert(conn, "rolled back")
            1 / 0  # noqa: B018
        assert not lock.locked()
        _insert(conn, "c")  # autocommit: no gate
        assert not lock.locked()
    assert database.rows() == ["a", "b", "c"]


def test_writers_of_one_process_wait_for_each_other_at_the_gate(database):
    first_in, second_tried = threading.Event(), threading.Event()
    moments: dict[str, float] = {}

    def first():
        with database.use() as conn, transaction.atomic(using="gate"):
            _insert(conn, "first")
            first_in.set()
            second_tried.wait(5)
            time.sleep(0.2)  # the second writer is at the gate by now
            moments["first commits"] = time.monotonic()

    def second():
        first_in.wait(5)
        with database.use() as conn:
            second_tried.set()
            with transaction.atomic(using="gate"):
                moments["second begins"] = time.monotonic()
                _insert(conn, "second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert moments["second begins"] >= moments["first commits"]
    assert database.rows() == ["first", "second"]
    assert not gate(database.path).lock.locked()


def test_a_writer_kept_out_past_the_timeout_is_told_the_database_is_locked(tmp_path):
    database = FileDatabase(tmp_path / "slow.sqlite3", timeout=0.2)
    lock = gate(database.path).lock
    lock.acquire()  # another thread of this process is writing
    try:
        with database.use() as conn:
            started = time.monotonic()
            with (
                pytest.raises(OperationalError, match="database is locked"),
                transaction.atomic(using="gate"),
            ):
                _insert(conn, "never")
            assert 0.15 < time.monotonic() - started < 3
            assert not conn.in_atomic_block
    finally:
        lock.release()
    assert database.rows() == []


def test_commit_hooks_run_with_the_gate_open_and_may_write_again(database):
    seen = []
    with database.use() as conn:

        def hook():
            seen.append(gate(database.path).lock.locked())
            with transaction.atomic(using="gate"):  # would wait for ever on a held gate
                _insert(conn, "from the hook")

        with transaction.atomic(using="gate"):
            _insert(conn, "submit")
            transaction.on_commit(hook, using="gate")
    assert seen == [False]
    assert database.rows() == ["submit", "from the hook"]
    assert not gate(database.path).lock.locked()


def test_a_connection_closed_inside_its_transaction_opens_the_gate(database):
    lock = gate(database.path).lock
    with database.use() as conn:
        with transaction.atomic(using="gate"):
            _insert(conn, "lost")
            conn.close()
            assert not lock.locked()
        assert not lock.locked()
    assert database.rows() == []


def test_a_begin_that_fails_opens_the_gate(database, monkeypatch):
    from django.db.backends.sqlite3 import base

    def refuse(self):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(base.DatabaseWrapper, "_start_transaction_under_autocommit", refuse)
    with database.use(), pytest.raises(OperationalError), transaction.atomic(using="gate"):
        pass
    assert not gate(database.path).lock.locked()


def test_an_in_memory_database_has_no_gate():
    conn = DatabaseWrapper(_settings(":memory:"), "memory")
    try:
        conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        assert conn._gate is None
        conn.rollback()
        conn.set_autocommit(True)
    finally:
        conn.close()


def test_the_sqlite_urls_use_the_gated_backend(tmp_path):
    from gongzhi.settings import _database

    db = _database(f"sqlite:///{tmp_path}/gongzhi.sqlite3")
    assert db["ENGINE"] == "gongzhi.core.sqlite"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    # In memory under test, as Django's default (pytest-django's xdist naming knows only the
    # stock engine: a file "test_<path>_gw0" would not open).
    assert db["TEST"]["NAME"] == ":memory:"


HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _other_process_holds(path, seconds: float) -> subprocess.Popen:
    """Another process (another granian worker) inside its write transaction."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, f"{path}-gate", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_writer_waits_for_another_processs_transaction(database):
    holder = _other_process_holds(database.path, 0.4)
    started = time.monotonic()
    with database.use() as conn, transaction.atomic(using="gate"):
        waited = time.monotonic() - started
        _insert(conn, "after the other process")
    holder.wait(5)
    assert 0.2 < waited < 3
    assert database.rows() == ["after the other process"]


def test_another_process_kept_past_the_timeout_means_locked(tmp_path):
    database = FileDatabase(tmp_path / "busy.sqlite3", timeout=0.2)
    holder = _other_process_holds(database.path, 2)
    try:
        with database.use() as conn:
            with (
                pytest.raises(OperationalError, match="database is locked"),
                transaction.atomic(using="gate"),
            ):
                _insert(conn, "never")
            assert not gate(database.path).lock.locked()  # the next thread may try
    finally:
        holder.kill()
        holder.wait()
    assert database.rows() == []
