"""Reads of dashboards and exports from the read replica (``DATABASE_REPLICA_URL``).

A view or function that may read slightly old data says so::

    @reading_from_replica()
    def dashboard(request): ...

    with reading_from_replica():
        rows = list(queryset)

Inside, the router sends reads to the ``replica`` alias when one is configured; writes always go
to ``default``, and without a replica nothing changes. The flag is a context variable, so it
holds for the current thread or task only. A replica lags behind by up to its replication
delay: use it only for pages that already show pre-aggregated or point-in-time figures, never
for a page that reads what the same request has just written.
"""

from __future__ import annotations

import contextvars
from contextlib import ContextDecorator

from django.conf import settings

REPLICA = "replica"
_reading = contextvars.ContextVar("gongzhi_reading_from_replica", default=False)


class reading_from_replica(ContextDecorator):  # noqa: N801 - used like a function
    """Route this block's (or this function's) reads to the replica when there is one."""

    def __enter__(self):
        self._token = _reading.set(True)
        return self

    def __exit__(self, *exc):
        _reading.reset(self._token)
        return False


def replica_alias() -> str | None:
    """The alias reads go to now: ``"replica"`` inside ``reading_from_replica``, else None."""
    if _reading.get() and REPLICA in settings.DATABASES:
        return REPLICA
    return None


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return replica_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary by replication, never by migrate.
        return False if db == REPLICA else None
