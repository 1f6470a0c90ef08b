"""Django's SQLite backend, with writers of one process queueing on a lock (issue 14).

SQLite lets one writer at a time into a database file. Our transactions begin ``IMMEDIATE``
(settings), so a second writer waits at ``BEGIN``; SQLite's own wait (``timeout``) is a busy
handler that sleeps and polls — 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries. Under a load of
short writes from a server's threads that wait is most of a request: profiled during
``bench/matters_intake.py`` (granian, 2 workers of 8 threads), 44 % of the intake's time went
to ``BEGIN IMMEDIATE``, mostly asleep while the lock was already free, and p99 was 200–450 ms.

Here a transaction's ``BEGIN`` first takes a lock shared by every connection of this process to
the same file (the write gate) and the transaction holds it until it ends, so the threads of one
process queue on it and are woken the moment the one before them commits. SQLite's busy handler
is left for what it is good at, the writers of other processes (granian's other workers,
management commands), which contend with one writer per process at most.

* Only transactions (``atomic``, ``BEGIN``) pass the gate: a single statement in autocommit is
  its own short transaction inside SQLite and still waits with the busy handler.
* The gate waits as long as SQLite would (the ``timeout`` option); past it, the same
  ``OperationalError: database is locked`` SQLite raises.
* It is released before the commit hooks run (``on_commit``: the outbox), which may write again.
* In-memory databases (the test suite's default) have no file to share and no gate.
"""

from __future__ import annotations

import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_gates: dict[str, threading.Lock] = {}
_gates_lock = threading.Lock()


def gate(name: str) -> threading.Lock:
    """The write gate of the database file ``name`` in this process."""
    with _gates_lock:
        return _gates.setdefault(str(name), threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _gate: threading.Lock | None = None  # held from BEGIN until the transaction ends

    def _start_transaction_under_autocommit(self):
        lock = None if self.is_in_memory_db() else gate(self.settings_dict["NAME"])
        if lock is not None:
            wait = self.settings_dict.get("OPTIONS", {}).get("timeout", 5)
            if not lock.acquire(timeout=wait):
                raise OperationalError("database is locked")
            self._gate = lock
        try:
            super()._start_transaction_under_autocommit()
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
            super()._close()
        finally:
            self._open_gate()  # closed inside a transaction: SQLite rolled it back

    def _open_gate(self) -> None:
        lock, self._gate = self._gate, None
        if lock is not None:
            lock.release()
