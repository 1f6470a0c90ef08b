"""Deadlines per tier and category (defaults: acknowledge within 24 h; small 3 days, big 15
days, hard 30 days). A community's own policy wins over the global one, and a policy for the
matter's category wins over the tier-wide one. Working days skip Saturdays and Sundays."""

import datetime as dt

from gongzhi.core import rawsql
from gongzhi.matters.models import DeadlinePolicy, Matter, Tier

DEFAULTS = {Tier.SMALL: 3, Tier.BIG: 15, Tier.HARD: 30}
DEFAULT_ACK_HOURS = 24
DEFAULT_WORKING_DAYS: bool = DeadlinePolicy._meta.get_field("working_days").default


def policy_read(*, community_id: int, tier: str, category: str) -> tuple:
    """The best policy's read for ``rawsql.firsts``: the community's own before the global one,
    then the category's before the tier-wide one (the submit reads it together with the rule:
    ``routing.rule_read``). Always as the database has it now: nothing cached."""
    return (
        DeadlinePolicy,
        "(community_id = %s OR community_id IS NULL) AND tier = %s AND category IN (%s, '')",
        [community_id, tier, category],
        "ORDER BY community_id IS NULL, category = '', id",
    )


def policy_for(*, community_id: int, tier: str, category: str) -> DeadlinePolicy:
    (policy,) = rawsql.firsts(
        [policy_read(community_id=community_id, tier=tier, category=category)]
    )
    if policy is not None:
        return policy
    return DeadlinePolicy(
        tier=tier,
        acknowledge_hours=DEFAULT_ACK_HOURS,
        resolve_days=DEFAULTS[Tier(tier)],
        working_days=DEFAULT_WORKING_DAYS,
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
    return due(policy, tier=matter.tier, start=start)


def due(
    policy: DeadlinePolicy | None, *, tier: str, start: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """(acknowledge by, resolve by) under ``policy``, or the tier's defaults without one."""
    if policy is None:
        hours, days, working = DEFAULT_ACK_HOURS, DEFAULTS[Tier(tier)], DEFAULT_WORKING_DAYS
    else:
        hours, days, working = policy.acknowledge_hours, policy.resolve_days, policy.working_days
    ack = start + dt.timedelta(hours=hours)
    return ack, add_days(start, days, working_days=working)
