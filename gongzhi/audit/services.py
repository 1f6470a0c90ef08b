"""Writing the audit trail: ``record`` (every kind of access) and ``audit_purge`` (retention).

``record`` is called where the access happens — the view, the API function, the export, the
import — never from a model's ``save``. It writes in a savepoint: if the write fails (a full
disk, a lost connection) the business action goes on and the failure is logged at ERROR level
on ``gongzhi.audit`` with what was not recorded (action, subject, user id, place ids, detail:
never personal data), so that the gap is visible and can be filled from the log.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from gongzhi.audit.models import AuditAction, AuditRecord
from gongzhi.core.addresses import client_address
from gongzhi.core.places import Place
from gongzhi.core.scope import Actor, profile_of
from gongzhi.core.services import acting_user
from gongzhi.places.models import Building, Community, Compound, Grid, Household, Subdistrict

log = logging.getLogger("gongzhi.audit")

_PLACE_MODELS = {
    "community": Community,
    "compound": Compound,
    "building": Building,
    "grid": Grid,
    "household": Household,
}


def _actor(request_or_actor: HttpRequest | Actor | None) -> tuple[Actor | None, str]:
    """The user and the client address of a request (page or API), or a user (a command)."""
    if isinstance(request_or_actor, HttpRequest):
        # The API's bearer-token authentication sets ``request.user`` too.
        # The client behind GONGZHI_TRUSTED_PROXIES, as the login throttle sees it.
        return request_or_actor.user, (client_address(request_or_actor) or "")[:45]
    return request_or_actor, ""


def _username(user: Actor | None) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return user.get_username() or "system"


def place_ids(place: Any, actor: Actor | None = None) -> tuple[int | None, int | None]:
    """(subdistrict id, community id) of ``place``: a ``Place``, a place model, any model that
    declares ``PLACE`` (a resident, a household), or None for the actor's own place."""
    if place is None:
        profile = profile_of(actor)
        if profile is None:
            return None, None
        place = profile.place
    if isinstance(place, Subdistrict):
        return place.pk, None
    model: Any  # a model that declares ``PLACE`` (core.places.PlacePaths)
    if isinstance(place, Place):
        if place.level == "subdistrict":
            return place.id, None
        model, pk = _PLACE_MODELS[place.level], place.id
    else:
        model, pk = type(place), place.pk
    paths = model.PLACE
    row = model._default_manager.filter(pk=pk).values_list(paths.subdistrict, paths.community)
    return row.first() or (None, None)


def record(
    request_or_actor: HttpRequest | Actor | None,
    action: str,
    subject: str,
    *,
    place: Any = None,
    detail: dict | None = None,
) -> AuditRecord | None:
    """Record one access. ``request_or_actor`` is the request (its user and address are kept)
    or, in a command, the acting user (``core.excel.system_user()`` is kept as "system").
    ``subject`` names what was touched by kind and id ("resident:123") or by list
    ("residents"); ``place`` is where it lies (see ``place_ids``); ``detail`` holds filters,
    counts and field names — never the personal data itself. Returns None if the row could not
    be written (logged, see the module's docstring)."""
    actor, address = _actor(request_or_actor)
    row = AuditRecord(
        at=timezone.now(),
        actor=acting_user(actor) if getattr(actor, "is_authenticated", False) else None,
        actor_username=_username(actor),
        action=action,
        subject=subject[:120],
        address=address,
        detail=detail or {},
    )
    try:
        with transaction.atomic():
            row.subdistrict_id, row.community_id = place_ids(place, actor)
            row.save()
    except Exception as error:  # any failure: the access itself must go on (see above)
        log.error(
            "audit record not written (%s): action=%s subject=%s user_id=%s subdistrict=%s "
            "community=%s detail=%s",
            type(error).__name__,
            action,
            row.subject,
            row.actor_id,
            row.subdistrict_id,
            row.community_id,
            sorted(row.detail),
        )
        return None
    return row


# Free-text searches may be a person's name: the record says a search was made, not what.
_WITHHELD = {"q"}
_NOT_FILTERS = {"format", "page"}


def list_filters(request: HttpRequest) -> dict[str, str]:
    """The filters of a list request as the record keeps them."""
    filters = {}
    for key in sorted(request.GET):
        value = request.GET.get(key, "")  # the last value, as ``QueryDict.items()`` gives
        if key not in _NOT_FILTERS and value.strip():
            filters[key] = "*" if key in _WITHHELD else value[:60]
    return filters


def _filter_place(request: HttpRequest) -> Place | None:
    try:
        return Place.parse(request.GET.get("place", "").strip())
    except ValueError:
        return None


def record_list(request: HttpRequest, subject: str, **detail: Any) -> AuditRecord | None:
    """One "view" record for a list request (a page of masked rows, an API page): with its
    filters, never one record per row."""
    return record(
        request,
        AuditAction.VIEW,
        subject,
        place=_filter_place(request),
        detail={"filters": list_filters(request), **detail},
    )


def record_export(request: HttpRequest, subject: str, rows: int) -> AuditRecord | None:
    """One "export" record for a ``?format=xlsx`` download: what, with which filters, how many
    rows."""
    return record(
        request,
        AuditAction.EXPORT,
        f"export:{subject}",
        place=_filter_place(request),
        detail={"filters": list_filters(request), "rows": rows},
    )


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Rows older than this are past ``GONGZHI_AUDIT_RETENTION_DAYS``."""
    return (now or timezone.now()) - dt.timedelta(days=settings.GONGZHI_AUDIT_RETENTION_DAYS)


def _sqlite_purge(cursor, table: str, before: dt.datetime) -> int:
    # The DELETE trigger is dropped and created again from its own SQL in this transaction:
    # other connections wait for the write lock and never see the table without it.
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
        "AND name LIKE %s",
        [table, "%_no_delete"],
    )
    triggers = cursor.fetchall()
    for name, _sql in triggers:
        cursor.execute(f'DROP TRIGGER "{name}"')
    cursor.execute(f'DELETE FROM "{table}" WHERE "at" < %s', [before])  # noqa: S608
    deleted = cursor.rowcount
    for _name, sql in triggers:
        cursor.execute(sql)
    return deleted


def _postgres_purge(cursor, table: str, before: dt.datetime) -> int:
    # DISABLE TRIGGER takes an ACCESS EXCLUSIVE lock until the transaction ends: nobody reads,
    # writes or deletes the table meanwhile, and the trigger is enabled again before commit.
    trigger = f"{table}_append_only"
    # ALTER TABLE refuses while foreign-key checks of rows written earlier in this transaction
    # are still deferred: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
    cursor.execute(f'DELETE FROM "{table}" WHERE "at" < %s', [before])  # noqa: S608
    deleted = cursor.rowcount
    cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
    return deleted


@transaction.atomic
def audit_purge(*, actor: Actor | None, now: dt.datetime | None = None) -> int:
    """Delete the audit records older than the retention period: the one sanctioned way past
    the append-only triggers (see docs/audit.md). Records the purge itself. Returns how many
    rows were deleted."""
    before = retention_cutoff(now)
    table = AuditRecord._meta.db_table
    purge = {"sqlite": _sqlite_purge, "postgresql": _postgres_purge}[connection.vendor]
    with connection.cursor() as cursor:
        deleted = purge(cursor, table, before)
    record(
        actor,
        AuditAction.PURGE,
        "audit",
        detail={"before": before.isoformat(), "deleted": deleted},
    )
    return deleted
