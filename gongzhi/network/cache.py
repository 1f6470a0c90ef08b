"""Computed networks kept in memory, so that a repeat view does not rebuild the graph.

Building the X-community year and its metrics takes 150–250 ms; the page is viewed far more
often than the collaboration records change. ``remember`` keeps what was computed in this
process under a key made of the filters, the viewer's reach and a *data version*:

* ``data_version()`` is one query: the highest id of every table the network is built from
  (matter owners, meetings and participants, action items, cases, mediators and parties,
  projects, volunteering activities and records, team memberships, partners, teams,
  organisations) and of the event logs that record their changes (matter, case, project and
  volunteering events), the latest meeting closing time and the latest snapshot computation
  (``NetworkSnapshot.computed_at``). Any new row — written by this process or another, one at
  a time or in bulk — and any ``gongzhi rollup`` run makes a new version. Each ``MAX(id)`` is
  read from the primary-key index, so the query costs the same at district scale;
* a *generation* bumped (at once and after commit) when this process saves or deletes one of those rows
  through the ORM — an edited partner, a removed mediator, an attendance — which changes no
  highest id;
* changes that neither shows — a row edited in place by *another* process without an event
  (a partner renamed, a meeting cancelled) or with ``QuerySet.update()`` — are picked up when
  the entry expires, after ``CACHE_SECONDS``, or at the next ``gongzhi rollup``.

The store is per process (a small LRU of live objects, nothing pickled: a graph of 1,400
nodes would cost more to unpickle than a lookup should), bounded to ``CACHE_ENTRIES`` and
thread-safe; the date is part of every key through the filters (the period ends today by
default), so nothing outlives its day.
"""

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

CACHE_SECONDS = 300
CACHE_ENTRIES = 32

_lock = threading.Lock()
_entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
_counter = itertools.count(1)
_generation = 0


def _sources():
    """The models the network is built from (imported late: this module loads at app ready)."""
    from gongzhi.matters.models import MatterEvent, MatterOwner
    from gongzhi.mediation.models import CaseEvent, CaseParty, MediationCase
    from gongzhi.meetings.models import ActionItem, Meeting, Participant
    from gongzhi.partners.models import Organisation, Partner, Team, TeamMembership
    from gongzhi.projects.models import Project, ProjectEvent
    from gongzhi.volunteering.models import (
        Activity,
        ActivityEvent,
        ClaimEvent,
        RecordEvent,
        ServiceRecord,
        StarEvent,
    )

    rows = [
        MatterOwner,
        Meeting,
        Participant,
        ActionItem,
        MediationCase,
        MediationCase.mediators.through,
        CaseParty,
        Project,
        Activity,
        ServiceRecord,
        TeamMembership,
        Partner,
        Team,
        Organisation,
    ]
    events = [MatterEvent, CaseEvent, ProjectEvent]
    events += [ActivityEvent, RecordEvent, ClaimEvent, StarEvent]
    return rows, events


def data_version() -> tuple:
    """What the stored networks were computed from (one query; see the module docstring)."""
    from gongzhi.meetings.models import Meeting
    from gongzhi.network.models import NetworkSnapshot

    rows, events = _sources()
    columns = [(model, model._meta.pk.column) for model in rows + events]
    columns += [(Meeting, "closed_at"), (NetworkSnapshot, "computed_at")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(_highest(*column) for column in columns))
        return tuple(str(value) for value in cursor.fetchone())


def _highest(model, column: str) -> str:
    quote = connection.ops.quote_name
    # Table and column names come from the models, quoted; no value is interpolated.
    return f"(SELECT MAX({quote(column)}) FROM {quote(model._meta.db_table)})"  # noqa: S608


def generation() -> int:
    return _generation


def _advance() -> None:
    global _generation
    _generation = next(_counter)


def changed(**_kwargs) -> None:
    """Signal receiver: a network source was saved or deleted in this process. The
    generation moves at once (this transaction's own reads see the change) and again at
    commit (a network another thread computed meanwhile, without the change, is dropped)."""
    _advance()
    transaction.on_commit(_advance)


def watch() -> None:
    """Bump the generation whenever this process saves or deletes a network source."""
    rows, _events = _sources()
    for model in rows:
        post_save.connect(changed, sender=model, dispatch_uid=f"network-save-{model._meta.label}")
        post_delete.connect(
            changed, sender=model, dispatch_uid=f"network-delete-{model._meta.label}"
        )
    from gongzhi.mediation.models import MediationCase

    m2m_changed.connect(
        changed, sender=MediationCase.mediators.through, dispatch_uid="network-mediators"
    )


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    """The value stored under ``key`` if it is younger than ``CACHE_SECONDS``, otherwise
    ``compute()`` (outside the lock: two threads may both compute, both results are right)."""
    now = time.monotonic()
    with _lock:
        found = _entries.get(key)
        if found is not None and now - found[0] < CACHE_SECONDS:
            _entries.move_to_end(key)
            return cast(T, found[1])
    value = compute()
    with _lock:
        _entries[key] = (now, value)
        _entries.move_to_end(key)
        while len(_entries) > CACHE_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget every stored network (tests; nothing in the app needs it)."""
    with _lock:
        _entries.clear()
