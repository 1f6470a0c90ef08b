"""Deadlines per tier and category (defaults: acknowledge within 24 h; small 3 days, big 15
days, hard 30 days). A community's own policy wins over the global one, and a policy for the
matter's category wins over the tier-wide one. Working days skip Saturdays and Sundays."""

import datetime as dt

from gongzhi.core import rawsql
from gongzhi.matters.models import DeadlinePolicy, Matter, Tier

DEFAULTS = {Tier.SMALL: 3, Tier.BIG: 15, Tier.HARD: 30}
DEFAULT_ACK_HOURS = 24


def policy_for(*, community_id: int, tier: str, category: str) -> DeadlinePolicy:
    # A raw query (``core.rawsql``): read at every submit, always as the database has it.
    candidates = rawsql.rows(
        DeadlinePolicy,
        "(community_id = %s OR community_id IS NULL) AND tier = %s AND category IN (%s, '')",
        [community_id, tier, category],
    )
    best = None
    for policy in candidates:
        rank = (policy.community_id is not None, policy.category != "")
        if best is None or rank > best[0]:
            best = (rank, policy)
    if best:
        return best[1]
    return DeadlinePolicy(
        tier=tier, acknowledge_hours=DEFAULT_ACK_HOURS, resolve_days=DEFAULTS[Tier(tier)]
    )


def add_days(start: dt.datetime, days: int, *, working_days: bool) -> dt.datetime:
    if not working_days:
        return start + dt.timedelta(days=days)
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def compute(matter: Matter, *, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(acknowledge by, resolve by) for a matter starting at ``start``."""
    policy = policy_for(
        community_id=matter.community_id, tier=matter.tier, category=matter.category
    )
    ack = start + dt.timedelta(hours=policy.acknowledge_hours)
    due = add_days(start, policy.resolve_days, working_days=policy.working_days)
    return ack, due
