"""The toolkit every app's services share: one refused-write error, locked state transitions
with one history shape, and side effects after commit.

``core`` is a leaf: this module imports Django only, never a domain app.

Refused writes
--------------
A service refuses with ``ServiceError(code, message, status=None)`` (or its app's subclass,
which only names the app and adds codes to ``statuses``). Nothing is written when it is
raised: services raise before their first write, or inside ``transaction.atomic``. ``code``
is stable for API clients, ``message`` is already translated, ``status`` is the HTTP status
the API answers with: given at the raise site, else the class's ``statuses`` for the code,
else the common codes below, else 400. One exception handler in ``gongzhi/api.py`` turns it
into ``{"code": ..., "message": ...}``; pages show ``message`` in the form.

How to add a transition
-----------------------
1. Give the model a ``status`` (or ``stage``) field and a history model that subclasses
   ``core.models.HistoryEvent`` with a foreign key to it; add ``AppendOnly`` for the history
   table in a migration (``core/appendonly.py``).
2. Declare once, beside the services::

       flow = Transitions(Case, CaseEvent, "case", error=MediationError,
                          bad_state=_("A case that is %(status)s cannot be %(verb)s."))

3. Write the service in this order, inside ``transaction.atomic()``::

       case = flow.locked(case)                      # fresh row, locked (select_for_update)
       if not rules.can_close(actor, case):          # permission on the fresh row
           raise MediationError("forbidden", ...)
       flow.move(case, to=CLOSED, allowed={OPEN}, actor=actor, action="close",
                 verb=_("closed"), now=now, note=note)  # state check, save, one history row
       after_commit(lambda: notify(...))             # anything outside the database

   ``move`` refuses with ``bad_state`` (409) when the row is not in ``allowed``; it saves only
   the state field and ``fields`` and writes one history row with the same ``now``.

   When the permission check reads related rows, name them once: ``related=("activity",)``
   fetches them with the locked row (``select_related``) and locks the row alone
   (``of=("self",)``); add ``lock_related=True`` when they must be locked too (a hotline order
   and its matter).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from django.db import models, transaction
from django.utils import timezone

if TYPE_CHECKING:  # django-stubs is a test dependency
    from django.contrib.auth.models import AnonymousUser, User
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=models.Model)


class ServiceError(Exception):
    """A refused write: nothing was changed.

    ``code`` is stable for API clients, ``message`` is translated, ``status`` is the HTTP status.
    """

    #: Codes every app shares.
    COMMON: ClassVar[dict[str, int]] = {
        "forbidden": 403,
        "not_in_scope": 403,
        "not_found": 404,
        "bad_state": 409,
        "already_done": 409,
        "conflict": 409,
    }
    #: An app's own codes and their statuses (extends ``COMMON``).
    statuses: ClassVar[dict[str, int]] = {}

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or self.statuses.get(code) or self.COMMON.get(code, 400)

    def __str__(self) -> str:
        return self.message


def now_or(now: dt.datetime | None) -> dt.datetime:
    """The moment a service acts: ``now`` when a caller (a replay, a test) gives one."""
    return now or timezone.now()


def locked(obj: M) -> M:
    """A fresh copy of ``obj``'s row, locked until the transaction ends."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def after_commit(effect: Callable[[], Any]) -> None:
    """Run ``effect`` once the current transaction commits (at once outside a transaction);
    never when it rolls back. For messages, files and calls to other systems."""
    transaction.on_commit(effect)


def acting_user(actor: User | AnonymousUser | None) -> User | None:
    """The user to store as a history row's actor (or ``created_by``, ``reviewed_by``, …):
    ``None`` for system actions and anyone not signed in (no pk)."""
    return cast("User", actor) if getattr(actor, "pk", None) else None


class Transitions(Generic[M]):
    """The locked state changes of one model and the history rows they write.

    ``subject`` is the history model's foreign key to the model ("matter", "case", …);
    ``state`` the field holding the state ("status", or "stage" for projects).
    ``bad_state`` is a translated message with ``%(status)s`` (the current state's label) and
    ``%(verb)s`` (what was attempted, translated).

    ``locked`` reads a fresh copy of the row under ``SELECT … FOR UPDATE``. ``related`` names
    the rows (``select_related`` paths: "activity", "record__activity") read in the same query,
    for the permission check that follows; only the row itself is locked
    (``of=("self",)`` on PostgreSQL; SQLite locks the database), unless ``lock_related``
    asks for every row of the join to be locked as well.
    """

    def __init__(
        self,
        model: type[M],
        event_model: type[models.Model],
        subject: str,
        *,
        error: type[ServiceError],
        bad_state: StrOrPromise,  # gettext_lazy at module level
        state: str = "status",
        related: Iterable[str] = (),
        lock_related: bool = False,
    ) -> None:
        self.model = model
        self.event_model = event_model
        self.subject = subject
        self.error = error
        self.bad_state_message = bad_state
        self.state = state
        self.related = tuple(related)
        self.lock_related = lock_related

    def locked(self, obj: M) -> M:
        """A fresh copy of ``obj``'s row, locked until the transaction ends, with ``related``."""
        if not self.related:
            return locked(obj)
        rows = self.model._default_manager.select_related(*self.related)
        of = () if self.lock_related else ("self",)
        return rows.select_for_update(of=of).get(pk=obj.pk)

    def state_label(self, obj: M) -> str:
        return str(getattr(obj, f"get_{self.state}_display")())

    def bad_state(self, obj: M, verb: str) -> ServiceError:
        message = self.bad_state_message % {"status": self.state_label(obj), "verb": verb}
        return self.error("bad_state", message)

    def record(
        self,
        obj: M,
        *,
        actor: Any,
        action: str,
        from_status: str = "",
        note: str = "",
        data: dict | None = None,
        now: dt.datetime | None = None,
    ) -> models.Model:
        """One history row: the state ``obj`` is in now is its ``to_status``."""
        return self.event_model._default_manager.create(
            **{self.subject: obj},
            at=now_or(now),
            actor=acting_user(actor),
            action=action,
            from_status=from_status,
            to_status=getattr(obj, self.state),
            note=note,
            data=data or {},
        )

    def move(
        self,
        obj: M,
        *,
        to: str,
        allowed: Iterable[str],
        actor: Any,
        action: str,
        verb: str,
        now: dt.datetime | None = None,
        note: str = "",
        data: dict | None = None,
        fields: Iterable[str] = (),
    ) -> M:
        """Move ``obj`` (already locked) to ``to`` if it is in one of ``allowed``; save the state
        and ``fields``; record one history row. Refuses with ``bad_state`` otherwise."""
        before = getattr(obj, self.state)
        if before not in set(allowed):
            raise self.bad_state(obj, verb)
        setattr(obj, self.state, to)
        obj.save(update_fields=[self.state, *fields])
        self.record(
            obj, actor=actor, action=action, from_status=before, note=note, data=data, now=now
        )
        return obj
