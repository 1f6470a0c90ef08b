"""The demo's calendar: its year ends on the day it is seeded.

The demo's stories were written for a year ending on ``AUTHORED_TODAY``. Seeding moves every
authored date by whole weeks (``authored``), so weekdays stay as written (a 周周议 stays on its
weekday) and no story lands after today; everything else is computed back from ``TODAY``.
``GONGZHI_DEMO_TODAY=YYYY-MM-DD`` pins the day, for a demo that must be identical on any day.

Read at import by the seeding modules only; a leaf module (standard library and Django only).
"""

import datetime as dt
import os

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

AUTHORED_TODAY = dt.date(2026, 11, 1)


def demo_today() -> dt.date:
    raw = os.environ.get("GONGZHI_DEMO_TODAY", "").strip()
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ImproperlyConfigured(f"GONGZHI_DEMO_TODAY={raw!r} is not a YYYY-MM-DD date") from None


TODAY = demo_today()
# Whole weeks, rounded down: an authored date never moves past today.
SHIFT = dt.timedelta(days=(TODAY - AUTHORED_TODAY).days // 7 * 7)


def authored(year: int, month: int, day: int) -> dt.date:
    """A date of the written stories, moved into the demo's year."""
    return dt.date(year, month, day) + SHIFT
