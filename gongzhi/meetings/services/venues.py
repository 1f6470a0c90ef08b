"""Venues and the public holidays that move meetings."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.meetings import recurrence, rules
from gongzhi.meetings.models import (
    Meeting,
    MeetingStatus,
    PublicHoliday,
    Venue,
)
from gongzhi.meetings.services._base import MeetingError, _forbidden
from gongzhi.places.models import Community, Compound

# ---- holidays and venues ---------------------------------------------------------------------


def holiday_calendar(start: dt.date, end: dt.date) -> recurrence.HolidayCalendar:
    """The listed holidays and 调休 working days around ``start``–``end`` (with a margin for
    moves past the end)."""
    rows = PublicHoliday.objects.filter(
        date__gte=start, date__lte=end + dt.timedelta(days=31)
    ).values_list("date", "is_workday")
    return recurrence.HolidayCalendar(
        holidays=frozenset(day for day, workday in rows if not workday),
        workdays=frozenset(day for day, workday in rows if workday),
    )


@transaction.atomic
def venue_create(
    *,
    actor,
    community: Community,
    name: str,
    compound: Compound | None = None,
    address: str = "",
    capacity: int | None = None,
) -> Venue:
    place = compound or community
    if not rules.can_manage_scope(actor, place):
        raise _forbidden()
    name = name.strip()
    if not name:
        raise MeetingError("name_required", _("Give the venue a name."))
    if compound is not None and compound.community_id != community.pk:
        raise MeetingError("bad_scope", _("The compound is not in this community."))
    if Venue.objects.filter(community=community, name=name).exists():
        raise MeetingError("duplicate", _("This community already has a venue of that name."))
    return Venue.objects.create(
        community=community,
        compound=compound,
        name=name[:60],
        address=address[:120],
        capacity=capacity,
    )


def _lock_venue(venue: Venue) -> Venue:
    """Meetings at one venue are checked for overlaps under this row lock, so two concurrent
    bookings queue instead of both passing the check (SQLite serialises writers anyway)."""
    return Venue.objects.select_for_update().get(pk=venue.pk)


def _overlapping(venue: Venue, starts_at, ends_at, exclude_pk=None):
    qs = Meeting.objects.filter(venue=venue, starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(
        status=MeetingStatus.CANCELLED
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _check_venue_free(venue: Venue, starts_at, ends_at) -> None:
    other = _overlapping(venue, starts_at, ends_at)
    if other is not None:
        raise MeetingError(
            "venue_taken",
            _("%(venue)s is taken by “%(title)s” at %(time)s.")
            % {
                "venue": venue.name,
                "title": other.title,
                "time": timezone.localtime(other.starts_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
