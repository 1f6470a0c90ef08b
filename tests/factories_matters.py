"""Matters made directly (no classifier), for routing, sweep and duplicate tests."""

import datetime as dt

from django.utils import timezone

from gongzhi.matters import deadlines
from gongzhi.matters.models import Matter, MatterReporter


def make_matter(
    *,
    text: str = "1栋3单元电梯坏了，老人上下楼不方便",
    building=None,
    compound=None,
    community=None,
    tier: str = "small",
    category: str = "facilities",
    status: str = "received",
    reporter=None,
    created_at: dt.datetime | None = None,
) -> Matter:
    """A matter at the most specific place given, with deadlines from the policies."""
    if building is not None:
        compound = building.compound
    if compound is not None:
        community = compound.community
    created_at = created_at or timezone.now()
    matter = Matter(
        text=text,
        channel="grid_visit",
        reporter=reporter,
        reporter_name=reporter.name if reporter else "",
        community=community,
        compound=compound,
        building=building,
        category=category,
        tier=tier,
        status=status,
        created_at=created_at,
    )
    matter.ack_due_at, matter.due_at = deadlines.compute(matter, start=created_at)
    matter.save()
    MatterReporter.objects.create(
        matter=matter, resident=reporter, name=reporter.name if reporter else "匿名"
    )
    return matter
