"""The outbox: every message that leaves the site is first a row, then sent by ``send_due``.

``enqueue`` writes the row in the caller's transaction, so a change that is rolled back sends
nothing. Nothing is sent inline: ``gongzhi send_outbox`` (cron or a systemd timer, every minute)
claims the due rows and sends each through the backend of its channel. A row is claimed by one
sender only, so two senders running at once never send the same message twice.
"""

import datetime as dt
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from gongzhi.core.logging import redact
from gongzhi.notifications.models import Channel, NotificationPreference, Outbox, OutboxStatus
from gongzhi.notifications.outbound import SendError, backend_for

log = logging.getLogger("gongzhi.outbound")

# How long a claim holds a row: longer than any send takes (the HTTP backends time out after
# 10 s), short enough that a sender that died frees its rows within minutes.
CLAIM_LEASE = dt.timedelta(minutes=5)
# Minutes to wait after the n-th failed attempt: 1, 5, 25, 125, then every 6 hours.
BACKOFF_BASE_MINUTES = 5
BACKOFF_CAP = dt.timedelta(hours=6)


def quiet_hours_end(now: dt.datetime, start: dt.time, end: dt.time) -> dt.datetime | None:
    """The end of the quiet period ``now`` falls into (local time), or None outside it.

    ``start`` after ``end`` spans midnight (22:00–07:00); equal times mean no quiet hours.
    """
    if start == end:
        return None
    local = timezone.localtime(now)
    t = local.time()
    if start < end:
        if not start <= t < end:
            return None
        day = local.date()
    elif t >= start:
        day = local.date() + dt.timedelta(days=1)
    elif t < end:
        day = local.date()
    else:
        return None
    return timezone.make_aware(dt.datetime.combine(day, end), timezone.get_current_timezone())


def build_message(
    *,
    to: str,
    channel: str,
    subject: str,
    body: str,
    kind: str = "",
    user=None,
    urgent: bool = False,
    params: dict | None = None,
    preference: NotificationPreference | None = None,
) -> Outbox:
    """An unsaved outbox row; ``preference`` is the user's (its quiet hours delay the row)."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    now = timezone.now()
    next_try_at = now
    if user is not None and not urgent:
        pref = preference or NotificationPreference()
        next_try_at = quiet_hours_end(now, pref.quiet_start, pref.quiet_end) or now
    return Outbox(
        to=to,
        channel=channel,
        kind=kind[:24],
        subject=subject[:200],
        body=body,
        params=json.dumps(params, ensure_ascii=False) if params else "",
        user=user,
        urgent=urgent,
        next_try_at=next_try_at,
    )


def enqueue(
    *,
    to: str,
    channel: str,
    subject: str,
    body: str,
    kind: str = "",
    user=None,
    urgent: bool = False,
    params: dict | None = None,
) -> Outbox:
    """Queue one message; it leaves only after the caller's transaction commits.

    ``params`` are the template parameters for SMS providers, which send only approved
    templates (e.g. ``{"code": "123456"}`` for a sign-up code; see docs/messages.md). Without
    them an SMS template gets ``{"title": subject}``. A message to a ``user`` that is not
    ``urgent`` waits until the end of that person's quiet hours.
    """
    preference = None
    if user is not None and not urgent:
        preference = NotificationPreference.objects.filter(user=user).first()
    row = build_message(
        to=to,
        channel=channel,
        subject=subject,
        body=body,
        kind=kind,
        user=user,
        urgent=urgent,
        params=params,
        preference=preference,
    )
    row.save()
    return row


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts (1 → 1 min, 2 → 5, 3 → 25 …, capped)."""
    minutes = BACKOFF_BASE_MINUTES ** min(max(attempts, 1) - 1, 6)
    return min(dt.timedelta(minutes=minutes), BACKOFF_CAP)


def _due(now: dt.datetime) -> Q:
    return Q(status=OutboxStatus.QUEUED, next_try_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim_due(*, limit: int, now: dt.datetime | None = None, rows=None) -> list[Outbox]:
    """Claim up to ``limit`` due rows for this sender and return them.

    ``rows`` (default: every outbox row) is a queryset of another queue with the same claim
    columns (``status``, ``next_try_at``, ``claimed_until``, ``claim``, ``urgent``): the 12345
    hotline's answers are claimed the same way (``gongzhi.hotline.adapters``).

    The UPDATE repeats the "due and unclaimed" condition, so of two senders that picked the
    same row only one changes it (SQLite runs one writer at a time; PostgreSQL re-checks the
    condition on the row it waited for). On PostgreSQL the candidates are also locked with
    SKIP LOCKED, so concurrent senders take different rows instead of waiting on each other.
    """
    now = now or timezone.now()
    token = secrets.token_hex(16)
    rows = Outbox.objects.all() if rows is None else rows
    candidates = rows.filter(_due(now)).order_by("-urgent", "next_try_at", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        rows.model.objects.filter(_due(now), pk__in=ids).update(
            claim=token, claimed_until=now + CLAIM_LEASE
        )
    return list(rows.model.objects.filter(pk__in=ids, claim=token).order_by("-urgent", "pk"))


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"


def _params(row: Outbox) -> dict:
    return json.loads(row.params) if row.params else {"title": row.subject}


def attempt(row: Any, send: Callable[[], object], *, label: str = "outbox") -> str:
    """Call ``send`` for a claimed row and record the outcome; returns the new status or
    "retrying". ``row`` is an outbox row or a row of a queue claimed the same way
    (``claim_due``'s ``rows``: the hotline's answers).

    Runs outside any transaction: the claim was committed by ``claim_due``, the provider is
    called with no transaction open (a rollback cannot undo a message that left), and the
    outcome is one UPDATE of the row, committed at once and only while the claim is ours."""
    mine = type(row).objects.filter(pk=row.pk, claim=row.claim)
    attempts = row.attempts + 1
    try:
        send()
    except Exception as exc:  # noqa: BLE001 — any failure of a provider is a failed attempt
        permanent = isinstance(exc, SendError) and exc.permanent
        # Provider messages can echo the recipient: redact before storing or logging.
        error = redact(f"{type(exc).__name__}: {exc}")[:300]
        if permanent or attempts >= settings.GONGZHI_OUTBOX_MAX_ATTEMPTS:
            mine.update(
                status=OutboxStatus.FAILED, attempts=attempts, last_error=error, claimed_until=None
            )
            log.warning(
                "%s %s failed for good after %s attempts: %s", label, row.pk, attempts, error
            )
            return OutboxStatus.FAILED
        mine.update(
            attempts=attempts,
            last_error=error,
            next_try_at=timezone.now() + retry_delay(attempts),
            claimed_until=None,
        )
        log.info("%s %s attempt %s failed, will retry: %s", label, row.pk, attempts, error)
        return "retrying"
    mine.update(
        status=OutboxStatus.SENT,
        attempts=attempts,
        sent_at=timezone.now(),
        last_error="",
        claimed_until=None,
    )
    return OutboxStatus.SENT


def send_one(row: Outbox) -> str:
    """Send a claimed row through its channel's backend and record the outcome (``attempt``)."""
    # Outside ``attempt``: a backend that is configured wrongly stops the run loudly instead
    # of spending every message's attempts.
    backend = backend_for(row.channel)
    return attempt(
        row,
        lambda: backend.send(
            to=row.to, subject=row.subject, body=row.body, kind=row.kind, params=_params(row)
        ),
    )


def count(outcome: str, summary: SendSummary) -> None:
    """Add one ``attempt`` outcome to ``summary``."""
    if outcome == OutboxStatus.SENT:
        summary.sent += 1
    elif outcome == OutboxStatus.FAILED:
        summary.failed += 1
    else:
        summary.retrying += 1


def send_due(*, limit: int = 500) -> SendSummary:
    """Send what is due (at most ``limit`` messages); safe to run from several processes."""
    summary = SendSummary()
    for row in claim_due(limit=limit):
        count(send_one(row), summary)
    return summary
