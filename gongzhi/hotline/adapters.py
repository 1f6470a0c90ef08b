"""Answers to the hotline leave through an adapter (docs/hotline.md).

Every answer is first an ``OutboundAction`` row (queued by ``services``); it names the adapter
configured when it was queued (``GONGZHI_HOTLINE_ADAPTER``):

* ``http`` — ``HttpAdapter`` POSTs the row's JSON payload to ``GONGZHI_HOTLINE_URL`` with an
  ``X-Gongzhi-Signature: sha256=<hex>`` header, the HMAC-SHA256 of the exact body bytes under
  ``GONGZHI_HOTLINE_SECRET``. ``gongzhi send_hotline`` sends the due rows, claimed with the
  outbox's ``claim_due`` so two senders never send the same row; failures are retried with the
  outbox's backoff, a 4xx answer (except 408 and 429) fails the row for good.
* ``spreadsheet`` — ``spreadsheet_export`` writes every queued row into one ``.xlsx`` for
  districts that exchange files, and marks those rows sent (page button and
  ``gongzhi export_hotline``).
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from gongzhi.core.excel import workbook_bytes
from gongzhi.hotline.models import Adapter, OutboundAction, OutboundStatus
from gongzhi.notifications.outbound import SendError
from gongzhi.notifications.outbox import SendSummary, attempt, claim_due, count

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Gongzhi-Signature"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class HttpAdapter:
    """POST one answer as JSON; returns when the hotline accepted it, raises otherwise."""

    def __init__(self, url: str | None = None, secret: str | None = None) -> None:
        self.url = url if url is not None else settings.GONGZHI_HOTLINE_URL
        self.secret = secret if secret is not None else settings.GONGZHI_HOTLINE_SECRET
        if not self.url or not self.secret:
            raise ImproperlyConfigured(
                "GONGZHI_HOTLINE_URL and GONGZHI_HOTLINE_SECRET are needed by the http adapter"
            )

    def send(self, payload: dict) -> None:
        body = body_bytes(payload)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(body, self.secret),
        }
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)  # noqa: S310 — the configured hotline endpoint
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        if 200 <= status < 300:
            return
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = {}
        code = answer.get("code", "") if isinstance(answer, dict) else ""
        permanent = 400 <= status < 500 and status not in (408, 429)
        raise SendError(f"HTTP {status} {code}".strip(), permanent=permanent)


def send_due(*, limit: int = 200, adapter: HttpAdapter | None = None) -> SendSummary:
    """Send the due answers of the http adapter; safe to run from several processes. Each is
    claimed, sent and recorded as an outbox message is (``notifications.outbox.attempt``)."""
    summary = SendSummary()
    rows = claim_due(limit=limit, rows=OutboundAction.objects.filter(adapter=Adapter.HTTP))
    if not rows:
        return summary
    adapter = adapter or HttpAdapter()
    for row in rows:
        outcome = attempt(row, lambda row=row: adapter.send(row.payload), label="hotline answer")
        count(outcome, summary)
    return summary


# The exported sheet's columns: the JSON payload's fields under the hotline's own words.
EXPORT_HEADERS = ["工单编号", "热线", "操作", "操作时间", "办理结果", "原因", "申请延期至"]
ACTION_WORDS = {"sign": "签收", "reply": "办结回复", "return": "退单", "extend": "延期申请"}


def _export_row(payload: dict) -> list:
    return [
        payload["order_no"],
        payload["hotline"],
        ACTION_WORDS.get(payload["action"], payload["action"]),
        payload["at"],
        payload["text"],
        payload["reason"],
        payload["new_due"] or "",
    ]


@transaction.atomic
def spreadsheet_export(*, communities=None) -> tuple[bytes, int]:
    """(the .xlsx, how many answers it holds): every queued answer of the spreadsheet
    adapter (of ``communities`` when given), which is marked sent in the same transaction —
    answers exported once are never exported again."""
    rows = OutboundAction.objects.select_for_update().filter(
        adapter=Adapter.SPREADSHEET, status=OutboundStatus.QUEUED
    )
    if communities is not None:
        rows = rows.filter(order__community__in=communities)
    rows = list(rows.order_by("created_at", "pk"))
    content = workbook_bytes("工单回复", EXPORT_HEADERS, [_export_row(r.payload) for r in rows])
    OutboundAction.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=OutboundStatus.SENT, sent_at=timezone.now(), attempts=1
    )
    return content, len(rows)
