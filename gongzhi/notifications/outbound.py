"""Outbound messages behind one small interface.

``GONGZHI_OUTBOUND_BACKEND`` names a class with ``send(*, to: str, subject: str, body: str)``.
The default console backend writes to the log (recipients are masked there by the redacting
log filter); real SMS / WeChat / e-mail gateways plug in the same way.
"""

import logging
from collections import deque

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("gongzhi.outbound")


class ConsoleBackend:
    # The last messages sent, for tests and the demo console; bounded so it cannot grow forever.
    sent: deque = deque(maxlen=200)

    def send(self, *, to: str, subject: str, body: str) -> None:
        self.sent.append({"to": to, "subject": subject, "body": body})
        log.info("outbound message to %s: %s", to, subject)


def backend():
    return import_string(settings.GONGZHI_OUTBOUND_BACKEND)()
