"""Django's SQLite backend, with writers queueing at a gate instead of polling (issue 14).

SQLite lets one writer at a time into a database file. Our transactions begin ``IMMEDIATE``
(settings), so a second writer waits at ``BEGIN``; SQLite's own wait (``timeout``) is a busy
handler that sleeps and polls — 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries. Under a load of
short writes from a server's threads that wait is most of a request: profiled during
``bench/matters_intake.py`` (granian, 2 workers of 8 threads), 44 % of the intake's time went
to ``BEGIN IMMEDIATE``, mostly asleep while the lock was already free, and p99 was 200–450 ms.

Here a transaction's ``BEGIN`` first passes the file's write gate, and holds it until the
transaction ends:

* inside a process, a lock shared by every connection to the file: the threads queue on it
  and the next one is woken the moment the one before it commits;
* across processes (granian's workers, management commands), an exclusive ``flock`` on the
  file ``<database>-gate`` beside it, taken by the one thread of the process that passed the
  lock; waiting for another process it is retried every 0.1–1 ms, not SQLite's 1–100 ms.

SQLite's busy handler is left for the writers that do not pass the gate.

* Only transactions (``atomic``, ``BEGIN``) pass the gate: a single statement in autocommit is
  its own short transaction inside SQLite and still waits with the busy handler.
* The gate waits as long as SQLite would (the ``timeout`` option); past it, the same
  ``OperationalError: database is locked`` SQLite raises.
* It is opened before the commit hooks run (``on_commit``: the outbox), which may write again.
* In-memory databases (the test suite's default) have no file to share and no gate.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class Gate:
    """The write gate of one database file in this process (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self.path = f"{name}-gate"
        self.lock = threading.Lock()
        self.pid: int | None = None
        self.fd: int | None = None

    def enter(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the gate; True once this thread holds it."""
        deadline = time.monotonic() + timeout
        if not self.lock.acquire(timeout=timeout):
            return False
        try:
            fd = self._file()
            pause = 0.0001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self.lock.release()
                        return False
                    time.sleep(pause)
                    pause = min(pause * 2, 0.001)
        except BaseException:
            self.lock.release()
            raise

    def leave(self) -> None:
        try:
            if self.fd is not None and self.pid == os.getpid():
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.lock.release()

    def _file(self) -> int:
        """This process's descriptor of the gate file: opened once per process, since a
        descriptor inherited across a fork would share its lock with the parent."""
        if self.pid != os.getpid():
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self.pid = os.getpid()
        assert self.fd is not None
        return self.fd


_gates: dict[str, Gate] = {}
_gates_lock = threading.Lock()


def gate(name: str) -> Gate:
    """The write gate of the database file ``name`` in this process."""
    with _gates_lock:
        if str(name) not in _gates:
            _gates[str(name)] = Gate(str(name))
        return _gates[str(name)]


class DatabaseWrapper(base.DatabaseWrapper):
    _gate: Gate | None = None  # held from BEGIN until the transaction ends

    def _start_transaction_under_autocommit(self):
        entered = None if self.is_in_memory_db() else gate(self.settings_dict["NAME"])
        if entered is not None:
            if not entered.enter(self.settings_dict.get("OPTIONS", {}).get("timeout", 5)):
                raise OperationalError("database is locked")
            self._gate = entered
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._open_gate()
            raise

    def set_autocommit(self, autocommit, force_begin_transaction_with_broken_autocommit=False):
        if autocommit:
            # The transaction was committed or rolled back (``atomic`` turns autocommit back
            # on after either): let the next writer in before the commit hooks run.
            self._open_gate()
        super().set_autocommit(autocommit, force_begin_transaction_with_broken_autocommit)

    def _close(self):
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._open_gate()  # closed inside a transaction: SQLite rolled it back

    def _open_gate(self) -> None:
        entered, self._gate = self._gate, None
        if entered is not None:
            entered.leave()
