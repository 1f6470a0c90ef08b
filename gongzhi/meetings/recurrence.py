"""When a series meets: pure functions of dates, no database.

Rules:

* **weekly** — every week on one weekday (周周议);
* **fours** — on the 4th, 14th and 24th of every month (逢四说事); every month has all three;
* **monthly** — on one day of the month; a day past the end of a shorter month (29, 30, 31)
  is clamped to that month's last day, so "the 31st" meets on 30 April and 28/29 February;
* **ad hoc** — no dates; meetings are created one by one.

A rule date that falls on a public holiday follows the series' holiday policy: *keep* it,
*skip* it, or move it to the *next working day*. Only listed holidays trigger the policy; an
ordinary weekend is kept (逢四 on a Saturday is still 逢四). A working day is Monday–Friday
unless listed as a holiday, or a weekend day listed as a 调休 working day.
"""

import calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

WEEKLY, FOURS, MONTHLY, AD_HOC = "weekly", "fours", "monthly", "ad_hoc"
KEEP, SKIP, NEXT_WORKDAY = "keep", "skip", "next_workday"
FOUR_DAYS = (4, 14, 24)


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_holiday(self, day: dt.date) -> bool:
        return day in self.holidays

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after ``day``."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day


@dataclass(frozen=True)
class Occurrence:
    rule_date: dt.date  # what the rule says
    date: dt.date  # when the meeting happens after the holiday policy

    @property
    def moved(self) -> bool:
        return self.date != self.rule_date


def clamp_day(year: int, month: int, day: int) -> dt.date:
    """``day`` of the month, or the month's last day if the month is shorter."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _months(start: dt.date, end: dt.date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def rule_dates(
    rule: str,
    start: dt.date,
    end: dt.date,
    *,
    weekday: int | None = None,
    day_of_month: int | None = None,
) -> list[dt.date]:
    """The dates the rule names between ``start`` and ``end`` (both included)."""
    if end < start or rule == AD_HOC:
        return []
    if rule == WEEKLY:
        if weekday is None or not 0 <= weekday <= 6:
            raise ValueError("weekly needs a weekday 0–6")
        first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        return [first + dt.timedelta(weeks=n) for n in range((end - first).days // 7 + 1)]
    if rule == FOURS:
        days = (dt.date(y, m, d) for y, m in _months(start, end) for d in FOUR_DAYS)
    elif rule == MONTHLY:
        if day_of_month is None or not 1 <= day_of_month <= 31:
            raise ValueError("monthly needs a day 1–31")
        days = (clamp_day(y, m, day_of_month) for y, m in _months(start, end))
    else:
        raise ValueError(f"unknown rule {rule}")
    return [day for day in days if start <= day <= end]


def apply_policy(
    dates: Iterable[dt.date], policy: str, holidays: HolidayCalendar
) -> list[Occurrence]:
    """Apply the holiday policy. Two rule dates moved onto one day meet once (the first)."""
    if policy not in (KEEP, SKIP, NEXT_WORKDAY):
        raise ValueError(f"unknown holiday policy {policy}")
    result: list[Occurrence] = []
    taken: set[dt.date] = set()
    for day in dates:
        actual = day
        if holidays.is_holiday(day):
            if policy == SKIP:
                continue
            if policy == NEXT_WORKDAY:
                actual = holidays.next_working_day(day)
        if actual in taken:
            continue
        taken.add(actual)
        result.append(Occurrence(rule_date=day, date=actual))
    return result


def occurrences(
    rule: str,
    start: dt.date,
    end: dt.date,
    *,
    weekday: int | None = None,
    day_of_month: int | None = None,
    policy: str = KEEP,
    holidays: HolidayCalendar | None = None,
) -> list[Occurrence]:
    dates = rule_dates(rule, start, end, weekday=weekday, day_of_month=day_of_month)
    return apply_policy(dates, policy, holidays or HolidayCalendar())
