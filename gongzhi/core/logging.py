"""A logging filter that keeps personal data out of the logs."""

import logging
import re

# 18-digit ID numbers (last may be X) and mainland mobile numbers.
_PATTERNS = [
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub("[已隐藏]", text)
    return text


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
