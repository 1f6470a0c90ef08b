"""Outbound messages behind one small interface, one backend per channel.

A backend is a class with ``send(*, to, subject, body, kind="", params=None)``; it returns when
the provider accepted the message and raises otherwise — ``SendError(permanent=True)`` when
trying again cannot help (a wrong number, an unapproved template), anything else is retried.
``backend_for(channel)`` picks the backend configured for a channel (docs/messages.md):

* ``console`` — ``GONGZHI_OUTBOUND_BACKEND`` (default: ``ConsoleBackend``, the log);
* ``sms`` — ``GONGZHI_SMS_BACKEND``: ``console``, ``aliyun`` or ``tencent``;
* ``wecom_robot`` / ``wecom_app`` — ``GONGZHI_WECOM_ROBOT_BACKEND`` / ``GONGZHI_WECOM_APP_BACKEND``:
  ``console`` or ``wecom``.

Messages are sent only by ``outbox.send_due`` (``gongzhi send_outbox``), never inline.
"""

import logging
from collections import deque

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gongzhi.core.identity import mask_phone

log = logging.getLogger("gongzhi.outbound")


class SendError(Exception):
    """The provider refused the message. The text names the provider's code, never the
    recipient; ``permanent`` means trying again cannot succeed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def mask_recipient(to: str) -> str:
    """A recipient fit for a log line: a phone number keeps its first 3 and last 4 digits,
    anything else (a WeCom user id, a robot key) only its first 2 characters."""
    if to.isdigit() and len(to) >= 7:
        return mask_phone(to)
    return to[:2] + "***" if to else ""


class ConsoleBackend:
    # The last messages sent, for tests and the demo console; bounded so it cannot grow forever.
    sent: deque = deque(maxlen=200)

    def send(
        self, *, to: str, subject: str, body: str, kind: str = "", params: dict | None = None
    ) -> None:
        self.sent.append({"to": to, "subject": subject, "body": body, "kind": kind})
        # Only the subject is logged: a body or a parameter may hold a one-time code.
        log.info("outbound message to %s: %s", mask_recipient(to), subject)


_NAMED = {
    "console": "gongzhi.notifications.outbound.ConsoleBackend",
    "aliyun": "gongzhi.notifications.backends.AliyunSmsBackend",
    "tencent": "gongzhi.notifications.backends.TencentSmsBackend",
    "wecom_robot": "gongzhi.notifications.backends.WeComRobotBackend",
    "wecom_app": "gongzhi.notifications.backends.WeComAppBackend",
}
_ALLOWED = {
    "sms": {"console", "aliyun", "tencent"},
    "wecom_robot": {"console", "wecom"},
    "wecom_app": {"console", "wecom"},
}


def backend_for(channel: str):
    """A backend instance for ``channel`` as configured (see the module docstring)."""
    if channel == "console":
        return import_string(settings.GONGZHI_OUTBOUND_BACKEND)()
    setting = f"GONGZHI_{channel.upper()}_BACKEND"
    name = getattr(settings, setting)
    if name not in _ALLOWED[channel]:
        raise ImproperlyConfigured(
            f"{setting} must be one of {', '.join(sorted(_ALLOWED[channel]))}, not {name!r}"
        )
    if name == "console":
        return import_string(settings.GONGZHI_OUTBOUND_BACKEND)()
    return import_string(_NAMED[channel if name == "wecom" else name])()
