"""The points step of ``gongzhi sweep`` (registered in ``apps.py``).

Orders not picked up by their deadline are released (points back to the holder, stock back to
the shelf), each exactly once: the release locks the order and acts only while it is held.
Then lots past their expiry lapse. A second run finds nothing and returns zero counts.
"""

import datetime as dt

from gongzhi.points.services import points_expire, redemptions_expire


def release_and_expire(now: dt.datetime) -> dict[str, int]:
    return {
        "redemptions_released": redemptions_expire(now=now),
        "points_expired": points_expire(now=now),
    }
