"""Recurrence rules and the holiday policy: pure functions, no database."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.meetings.recurrence import (
    AD_HOC,
    FOURS,
    KEEP,
    MONTHLY,
    NEXT_WORKDAY,
    SKIP,
    WEEKLY,
    HolidayCalendar,
    clamp_day,
    occurrences,
    rule_dates,
)

D = dt.date
# 2026 National Day: 1–7 October off, Sunday 20 September and Saturday 10 October worked.
NATIONAL_DAY = HolidayCalendar(
    holidays=frozenset(D(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({D(2026, 9, 20), D(2026, 10, 10)}),
)


def test_fours_meets_on_4th_14th_24th_of_every_month():
    dates = rule_dates(FOURS, D(2026, 1, 1), D(2026, 12, 31))
    assert len(dates) == 36
    assert {d.day for d in dates} == {4, 14, 24}
    assert D(2026, 2, 24) in dates  # February has all three too


def test_fours_respects_the_window_edges():
    assert rule_dates(FOURS, D(2026, 1, 5), D(2026, 2, 4)) == [
        D(2026, 1, 14),
        D(2026, 1, 24),
        D(2026, 2, 4),
    ]
    assert rule_dates(FOURS, D(2026, 1, 25), D(2026, 2, 3)) == []


def test_fours_across_a_year_end():
    assert rule_dates(FOURS, D(2026, 12, 20), D(2027, 1, 10)) == [D(2026, 12, 24), D(2027, 1, 4)]


def test_weekly_on_a_weekday():
    dates = rule_dates(WEEKLY, D(2026, 3, 1), D(2026, 3, 31), weekday=3)  # Thursdays
    assert dates == [D(2026, 3, 5), D(2026, 3, 12), D(2026, 3, 19), D(2026, 3, 26)]
    assert all(d.weekday() == 3 for d in dates)


def test_weekly_starting_on_the_weekday_includes_the_first_day():
    assert rule_dates(WEEKLY, D(2026, 3, 5), D(2026, 3, 12), weekday=3) == [
        D(2026, 3, 5),
        D(2026, 3, 12),
    ]


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        (2026, 2, 31, D(2026, 2, 28)),
        (2028, 2, 30, D(2028, 2, 29)),  # leap year
        (2026, 4, 31, D(2026, 4, 30)),
        (2026, 1, 31, D(2026, 1, 31)),
        (2026, 2, 15, D(2026, 2, 15)),
    ],
)
def test_monthly_clamps_to_the_last_day_of_short_months(year, month, day, expected):
    assert clamp_day(year, month, day) == expected


def test_monthly_on_the_31st_meets_every_month_once():
    dates = rule_dates(MONTHLY, D(2026, 1, 1), D(2026, 12, 31), day_of_month=31)
    assert len(dates) == 12
    assert D(2026, 2, 28) in dates
    assert D(2026, 4, 30) in dates


def test_ad_hoc_generates_nothing():
    assert rule_dates(AD_HOC, D(2026, 1, 1), D(2026, 12, 31)) == []


def test_rules_need_their_parameters():
    with pytest.raises(ValueError):
        rule_dates(WEEKLY, D(2026, 1, 1), D(2026, 2, 1))
    with pytest.raises(ValueError):
        rule_dates(MONTHLY, D(2026, 1, 1), D(2026, 2, 1), day_of_month=32)


def test_working_days_follow_holidays_and_makeup_workdays():
    assert not NATIONAL_DAY.is_working_day(D(2026, 10, 5))  # Monday, holiday
    assert NATIONAL_DAY.is_working_day(D(2026, 10, 10))  # Saturday, 调休
    assert NATIONAL_DAY.is_working_day(D(2026, 9, 20))  # Sunday, 调休
    assert not NATIONAL_DAY.is_working_day(D(2026, 10, 11))  # ordinary Sunday
    assert NATIONAL_DAY.next_working_day(D(2026, 10, 4)) == D(2026, 10, 8)


def test_fours_on_national_day_moves_to_the_next_working_day():
    found = occurrences(
        FOURS, D(2026, 10, 1), D(2026, 10, 31), policy=NEXT_WORKDAY, holidays=NATIONAL_DAY
    )
    assert [(o.rule_date, o.date) for o in found] == [
        (D(2026, 10, 4), D(2026, 10, 8)),
        (D(2026, 10, 14), D(2026, 10, 14)),
        (D(2026, 10, 24), D(2026, 10, 24)),  # an ordinary Saturday is kept
    ]
    assert found[0].moved and not found[1].moved


def test_skip_and_keep_policies():
    skipped = occurrences(
        FOURS, D(2026, 10, 1), D(2026, 10, 31), policy=SKIP, holidays=NATIONAL_DAY
    )
    assert [o.date for o in skipped] == [D(2026, 10, 14), D(2026, 10, 24)]
    kept = occurrences(FOURS, D(2026, 10, 1), D(2026, 10, 31), policy=KEEP, holidays=NATIONAL_DAY)
    assert [o.date for o in kept] == [D(2026, 10, 4), D(2026, 10, 14), D(2026, 10, 24)]


def test_two_rule_dates_moved_onto_one_day_meet_once():
    holidays = HolidayCalendar(holidays=frozenset({D(2026, 10, 1), D(2026, 10, 2)}))
    found = occurrences(
        WEEKLY, D(2026, 9, 28), D(2026, 10, 2), weekday=3, policy=NEXT_WORKDAY, holidays=holidays
    )
    assert [o.date for o in found] == [D(2026, 10, 5)]


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError):
        occurrences(FOURS, D(2026, 1, 1), D(2026, 1, 31), policy="sometimes")


@given(
    start=st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)),
    span=st.integers(min_value=0, max_value=400),
    day=st.integers(min_value=1, max_value=31),
)
def test_monthly_dates_are_in_range_sorted_and_one_per_month(start, span, day):
    end = start + dt.timedelta(days=span)
    dates = rule_dates(MONTHLY, start, end, day_of_month=day)
    assert dates == sorted(dates)
    assert all(start <= d <= end for d in dates)
    assert len({(d.year, d.month) for d in dates}) == len(dates)
