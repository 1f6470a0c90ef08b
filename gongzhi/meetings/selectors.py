"""Reads of meetings, shared by the pages, the API, the minutes and the overview.

Every list starts from ``rules.visible`` (the directory reach): a filter narrows, never widens.
"""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.meetings import rules
from gongzhi.meetings.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Decision,
    ItemSource,
    Meeting,
    MeetingStatus,
    Series,
    Venue,
)
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.pickers.selectors import resolve


def venue_list(user, *, place: Place | None = None) -> QuerySet:
    return narrow(rules.visible(user, Venue.objects.select_related("community", "compound")), place)


def series_list(user, *, place: Place | None = None) -> QuerySet:
    qs = Series.objects.select_related("community", "compound", "building", "venue")
    return narrow(rules.visible(user, qs), place)


def meeting_list(
    user,
    *,
    place: Place | None = None,
    status: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet:
    qs = narrow(rules.visible(user, Meeting.objects.with_place()), place)
    if status:
        qs = qs.filter(status=status)
    if since is not None:
        qs = qs.filter(starts_at__gte=since)
    if until is not None:
        qs = qs.filter(starts_at__lt=until)
    return qs.order_by("starts_at", "id")


def item_list(user, *, place: Place | None = None, queue: bool = False) -> QuerySet:
    qs = narrow(rules.visible(user, AgendaItem.objects.select_related("meeting", "matter")), place)
    return qs.filter(meeting__isnull=True) if queue else qs


def decision_list(user, *, place: Place | None = None, published: bool = False) -> QuerySet:
    """Current decisions (corrections replace what they correct) of the user's reach;
    ``published``: only those of closed meetings (the 公示 page)."""
    items = item_list(user, place=place)
    qs = Decision.objects.current().filter(item__in=items.values("pk"))
    if published:
        qs = qs.filter(item__meeting__status=MeetingStatus.CLOSED)
    return qs.select_related(
        "item__meeting__venue", "item__meeting__community", "corrects"
    ).prefetch_related("actions__partner", "actions__team", "actions__organisation")


def action_list(user, *, place: Place | None = None) -> QuerySet:
    decisions = decision_list(user, place=place)
    return ActionItem.objects.filter(decision__in=decisions.values("pk")).select_related(
        "partner", "team", "organisation", "decision__item"
    )


OWNER_KINDS = ("partner", "team", "organisation")
OWNER_FIELDS = {Partner: "partner", Team: "team", Organisation: "organisation"}


def action_owner(user, value: str | None) -> dict:
    """An action item's owner from a picker value (``partner:3``, ``team:2``,
    ``organisation:5``) as ``ActionSpec`` keywords; empty when nothing was chosen (the service
    then asks for an owner). Anything unknown or outside the user's reach raises the picker's
    ``PickError``."""
    if not (value or "").strip():
        return {}
    (owner,) = resolve(user, [value], OWNER_KINDS)
    return {OWNER_FIELDS[type(owner)]: owner}


def meetings_section(place: Place | None) -> dict:
    """The overview's figures: venues, meetings, decisions and residents' opinions.

    ``decisions.on_time`` counts action items done by their deadline; ``loops_closed`` counts
    matters that reached done or closed after a meeting's decision on them.
    """
    meetings = narrow(Meeting.objects.all(), place).aggregate(
        held=Count("id", filter=Q(status=MeetingStatus.CLOSED)),
        planned=Count("id", filter=Q(status=MeetingStatus.PLANNED)),
        cancelled=Count("id", filter=Q(status=MeetingStatus.CANCELLED)),
    )
    items = narrow(AgendaItem.objects.all(), place)
    decisions = Decision.objects.current().filter(item__in=items.values("pk"))
    actions = ActionItem.objects.filter(decision__item__in=items.values("pk"))
    done = actions.filter(status=ActionStatus.DONE)
    loops = (
        items.filter(matter__isnull=False, decisions__isnull=False)
        .filter(matter__status__in=("done", "closed"))
        .values("matter")
        .distinct()
        .count()
    )
    return {
        "venues": narrow(Venue.objects.all(), place).count(),
        "meetings": meetings,
        "decisions": {
            "items_decided": decisions.values("item").distinct().count(),
            "action_items": actions.count(),
            "action_items_done": done.count(),
            "action_items_done_on_time": done.filter(done_at__date__lte=F("due_on")).count(),
            "loops_closed": loops,
        },
        "opinions": items.filter(source=ItemSource.RESIDENT).count(),
    }
