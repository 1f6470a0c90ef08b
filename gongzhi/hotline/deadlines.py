"""The hotline's deadlines for signing (签收) and replying (办结回复), per kind and urgency.

Defaults (docs/hotline.md cites where they come from; they are common practice, not one city's
binding rule): sign within 2 h when urgent, 24 h otherwise; reply to an urgent order within
24 h; otherwise within 2 days for a consultation or praise, 5 days for a request for help and
7 days for a complaint, a report or a suggestion. ``GONGZHI_HOTLINE_DEADLINES`` (JSON) changes
any of them: ``{"sign_hours": {"urgent": 1}, "reply_hours": {"help": {"normal": 72}}}``.
"""

import datetime as dt

from django.conf import settings

from gongzhi.hotline.models import DemandKind, Urgency

_DAY = 24
DEFAULTS = {
    "sign_hours": {Urgency.URGENT: 2, Urgency.NORMAL: 24},
    "reply_hours": {
        DemandKind.CONSULT: {Urgency.URGENT: 24, Urgency.NORMAL: 2 * _DAY},
        DemandKind.HELP: {Urgency.URGENT: 24, Urgency.NORMAL: 5 * _DAY},
        DemandKind.COMPLAINT: {Urgency.URGENT: 24, Urgency.NORMAL: 7 * _DAY},
        DemandKind.REPORT: {Urgency.URGENT: 24, Urgency.NORMAL: 7 * _DAY},
        DemandKind.SUGGESTION: {Urgency.URGENT: 24, Urgency.NORMAL: 7 * _DAY},
        DemandKind.PRAISE: {Urgency.URGENT: 24, Urgency.NORMAL: 2 * _DAY},
    },
}


def hours(*, kind: str, urgency: str) -> tuple[int, int]:
    """(sign within, reply within) in hours, the configured table over the defaults."""
    configured = settings.GONGZHI_HOTLINE_DEADLINES
    sign = {**DEFAULTS["sign_hours"], **configured.get("sign_hours", {})}
    reply = {**DEFAULTS["reply_hours"][kind], **configured.get("reply_hours", {}).get(kind, {})}
    return int(sign[urgency]), int(reply[urgency])


def compute(*, kind: str, urgency: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(sign by, reply by) for an order dispatched at ``start``."""
    sign, reply = hours(kind=kind, urgency=urgency)
    return start + dt.timedelta(hours=sign), start + dt.timedelta(hours=reply)
