"""Recurring series (周周议, 逢四说事) and the meetings generated from them."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import acting_user, now_or
from gongzhi.meetings import recurrence, rules
from gongzhi.meetings.models import (
    HolidayPolicy,
    Meeting,
    Rule,
    Series,
    Venue,
)
from gongzhi.meetings.services._base import (
    GENERATE_WEEKS,
    MeetingError,
    Scope,
    _check_venue_scope,
    _forbidden,
)
from gongzhi.meetings.services.agenda import _attach_queue
from gongzhi.meetings.services.venues import _lock_venue, _overlapping, holiday_calendar

# ---- series and generation ------------------------------------------------------------------


@transaction.atomic
def series_create(
    *,
    actor,
    name: str,
    venue: Venue,
    rule: str,
    starts_on: dt.date,
    start_time: dt.time,
    place=None,
    weekday: int | None = None,
    day_of_month: int | None = None,
    holiday_policy: str = HolidayPolicy.NEXT_WORKDAY,
    ends_on: dt.date | None = None,
    duration_minutes: int = 90,
    weeks_ahead: int = GENERATE_WEEKS,
    now=None,
) -> Series:
    """A new series, with its meetings for the next ``weeks_ahead`` weeks generated."""
    now = now_or(now)
    scope = Scope.of(place or venue.compound or venue.community)
    if not rules.can_manage_scope(actor, scope.place):
        raise _forbidden()
    _check_venue_scope(venue, scope)
    name = name.strip()
    if not name:
        raise MeetingError("name_required", _("Give the series a name."))
    if rule not in Rule.values:
        raise MeetingError("bad_rule", _("Choose weekly, 4th/14th/24th, monthly or ad hoc."))
    if holiday_policy not in HolidayPolicy.values:
        raise MeetingError("bad_policy", _("Choose keep, skip or move to the next working day."))
    if rule == Rule.WEEKLY and (weekday is None or not 0 <= weekday <= 6):
        raise MeetingError("bad_rule", _("A weekly series needs a weekday."))
    if rule == Rule.MONTHLY and (day_of_month is None or not 1 <= day_of_month <= 31):
        raise MeetingError("bad_rule", _("A monthly series needs a day of the month, 1–31."))
    if starts_on < timezone.localdate(now):
        raise MeetingError("in_the_past", _("A new series cannot start in the past."))
    if ends_on is not None and ends_on < starts_on:
        raise MeetingError("bad_dates", _("The last day is before the first day."))
    if not 10 <= duration_minutes <= 480:
        raise MeetingError("bad_duration", _("A meeting lasts 10 to 480 minutes."))
    series = Series.objects.create(
        name=name[:60],
        venue=venue,
        rule=rule,
        weekday=weekday if rule == Rule.WEEKLY else None,
        day_of_month=day_of_month if rule == Rule.MONTHLY else None,
        holiday_policy=holiday_policy,
        starts_on=starts_on,
        ends_on=ends_on,
        start_time=start_time,
        duration_minutes=duration_minutes,
        convenor=acting_user(actor),
        **scope.fields(),
    )
    meetings_generate(series=series, weeks=weeks_ahead, now=now)
    return series


@dataclass
class Generated:
    created: list[Meeting]
    conflicts: list[tuple[dt.date, Meeting]]  # the venue was taken by this meeting


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


@transaction.atomic
def meetings_generate(*, series: Series, weeks: int = GENERATE_WEEKS, now=None) -> Generated:
    """Create the series' meetings from today to ``weeks`` weeks ahead. Idempotent: a rule date
    that already has a meeting (unique on series + rule date) is left alone, and so is one whose
    venue is taken (reported as a conflict)."""
    now = now_or(now)
    result = Generated([], [])
    if not series.active or series.rule == Rule.AD_HOC:
        return result
    today = timezone.localdate(now)
    start = max(series.starts_on, today)
    end = today + dt.timedelta(weeks=weeks)
    if series.ends_on is not None:
        end = min(end, series.ends_on)
    found = recurrence.occurrences(
        series.rule,
        start,
        end,
        weekday=series.weekday,
        day_of_month=series.day_of_month,
        policy=series.holiday_policy,
        holidays=holiday_calendar(start, end),
    )
    venue = _lock_venue(series.venue)
    existing = set(series.meetings.values_list("rule_date", flat=True))
    for occurrence in found:
        if occurrence.rule_date in existing:
            continue
        starts_at = _aware(occurrence.date, series.start_time)
        if starts_at <= now:
            continue
        ends_at = starts_at + dt.timedelta(minutes=series.duration_minutes)
        other = _overlapping(venue, starts_at, ends_at)
        if other is not None:
            result.conflicts.append((occurrence.date, other))
            continue
        meeting = Meeting.objects.create(
            title=series.name,
            series=series,
            rule_date=occurrence.rule_date,
            venue=venue,
            starts_at=starts_at,
            ends_at=ends_at,
            convenor=series.convenor,
            community_id=series.community_id,
            compound_id=series.compound_id,
            building_id=series.building_id,
        )
        result.created.append(meeting)
    for meeting in result.created:
        _attach_queue(meeting, now=now)
    return result
