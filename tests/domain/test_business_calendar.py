from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.domain.business_calendar import BusinessCalendar, TimeRange, weekly
from kefu.domain.holidays_cn import KNOWN_YEARS, china_holidays, holiday_periods
from kefu.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time as a UTC-aware datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


OFFICE = weekly(weekdays=["09:00-18:00"])
LUNCH = weekly(weekdays=["09:00-12:00", "13:00-18:00"])


def test_time_range_parse() -> None:
    assert TimeRange.parse("09:00-18:00").length == timedelta(hours=9)
    assert TimeRange.parse("22:00-02:00").length == timedelta(hours=4)
    assert TimeRange.parse("00:00-24:00").length == timedelta(hours=24)
    with pytest.raises(InvalidInput):
        TimeRange.parse("nine to five")


def test_open_and_closed_on_a_plain_week() -> None:
    cal = BusinessCalendar(OFFICE)
    assert cal.is_open(sh(2026, 11, 23, 9))  # Monday 09:00
    assert cal.is_open(sh(2026, 11, 23, 17, 59))
    assert not cal.is_open(sh(2026, 11, 23, 18))
    assert not cal.is_open(sh(2026, 11, 28, 12))  # Saturday
    assert cal.next_open(sh(2026, 11, 28, 12)) == sh(2026, 11, 30, 9)
    assert cal.next_open(sh(2026, 11, 23, 10)) == sh(2026, 11, 23, 10)


def test_outputs_are_utc_and_naive_inputs_count_as_utc() -> None:
    cal = BusinessCalendar(OFFICE)
    naive_utc = datetime(2026, 11, 23, 1, 0)  # 09:00 in Shanghai
    result = cal.add_business_time(naive_utc, timedelta(hours=1))
    assert result.tzinfo is UTC
    assert result == sh(2026, 11, 23, 10)


def test_several_intervals_per_day() -> None:
    cal = BusinessCalendar(LUNCH)
    assert not cal.is_open(sh(2026, 11, 23, 12, 30))
    assert cal.add_business_time(sh(2026, 11, 23, 11), timedelta(hours=4)) == sh(2026, 11, 23, 16)
    assert cal.business_time_between(sh(2026, 11, 23, 8), sh(2026, 11, 23, 20)) == timedelta(
        hours=8
    )


def test_overnight_interval_belongs_to_the_day_it_starts() -> None:
    schedule = {d: (TimeRange.parse("22:00-02:00"),) for d in range(7)}
    cal = BusinessCalendar(schedule)
    assert cal.is_open(sh(2026, 11, 27, 23))  # Friday 23:00
    assert cal.is_open(sh(2026, 11, 28, 1, 30))  # Saturday 01:30, Friday's interval
    assert not cal.is_open(sh(2026, 11, 28, 3))
    assert cal.add_business_time(sh(2026, 11, 27, 21), timedelta(hours=5)) == sh(2026, 11, 28, 23)

    friday_off = BusinessCalendar(schedule, holidays={date(2026, 11, 27)})
    assert not friday_off.is_open(sh(2026, 11, 28, 1))

    saturday_off = BusinessCalendar(schedule, holidays={date(2026, 11, 28)})
    assert saturday_off.is_open(sh(2026, 11, 28, 1))  # Friday's tail survives
    assert not saturday_off.is_open(sh(2026, 11, 28, 23))


def test_adjacent_intervals_merge_across_midnight() -> None:
    schedule = {0: (TimeRange.parse("20:00-24:00"),), 1: (TimeRange.parse("00:00-03:00"),)}
    cal = BusinessCalendar(schedule)
    intervals = cal.open_intervals(sh(2026, 11, 23), sh(2026, 11, 25))
    assert intervals == [(sh(2026, 11, 23, 20), sh(2026, 11, 24, 3))]


def test_open_intervals_are_clipped() -> None:
    cal = BusinessCalendar(LUNCH)
    got = cal.open_intervals(sh(2026, 11, 23, 10), sh(2026, 11, 23, 14))
    assert got == [
        (sh(2026, 11, 23, 10), sh(2026, 11, 23, 12)),
        (sh(2026, 11, 23, 13), sh(2026, 11, 23, 14)),
    ]
    assert cal.open_intervals(sh(2026, 11, 23, 14), sh(2026, 11, 23, 10)) == []


def test_business_time_between_is_signed() -> None:
    cal = BusinessCalendar(OFFICE)
    a, b = sh(2026, 11, 23, 10), sh(2026, 11, 24, 10)
    assert cal.business_time_between(a, b) == timedelta(hours=9)
    assert cal.business_time_between(b, a) == -timedelta(hours=9)


def test_holiday_closes_and_makeup_workday_opens() -> None:
    cal = BusinessCalendar.china(OFFICE)
    assert not cal.is_open(sh(2026, 10, 1, 10))  # National Day, Thursday
    assert not cal.is_open(sh(2026, 10, 7, 10))
    assert cal.is_open(sh(2026, 10, 10, 10))  # Saturday 调休 workday
    assert cal.is_open(sh(2026, 9, 20, 10))  # Sunday 调休 workday
    assert cal.is_open(sh(2026, 10, 8, 10))


def test_makeup_workday_follows_a_given_weekday() -> None:
    schedule = weekly(weekdays=["09:00-18:00"])
    schedule[4] = (TimeRange.parse("09:00-12:00"),)  # short Fridays
    cal = BusinessCalendar(
        schedule, makeup_workdays={date(2026, 10, 10): 4, date(2026, 9, 20): None}
    )
    assert cal.is_open(sh(2026, 10, 10, 11))
    assert not cal.is_open(sh(2026, 10, 10, 15))  # follows Friday
    assert cal.is_open(sh(2026, 9, 20, 15))  # default: Monday's schedule

    custom = BusinessCalendar(
        OFFICE,
        makeup_workdays=[date(2026, 9, 20)],
        makeup_schedule=(TimeRange.parse("10:00-16:00"),),
    )
    assert not custom.is_open(sh(2026, 9, 20, 9, 30))
    assert custom.is_open(sh(2026, 9, 20, 10))


def test_across_spring_festival_2026() -> None:
    cal = BusinessCalendar.china(OFFICE)
    # Fri 2/13: 9h, Sat 2/14 (调休): 9h, 2/15-2/23 closed, Tue 2/24: the remaining 6h
    assert cal.add_business_time(sh(2026, 2, 13, 9), timedelta(hours=24)) == sh(2026, 2, 24, 15)
    assert cal.business_time_between(sh(2026, 2, 14, 18), sh(2026, 2, 24, 9)) == timedelta(0)
    assert cal.next_open(sh(2026, 2, 15, 9)) == sh(2026, 2, 24, 9)
    # budget runs out exactly at closing time: the closing time is the deadline
    assert cal.add_business_time(sh(2026, 2, 14, 9), timedelta(hours=9)) == sh(2026, 2, 14, 18)
    assert cal.is_open(sh(2026, 2, 28, 10))  # Saturday 调休


def test_spring_festival_2025_and_makeup_days() -> None:
    cal = BusinessCalendar.china(OFFICE)
    assert cal.is_open(sh(2025, 1, 26, 10))  # Sunday 调休
    assert not cal.is_open(sh(2025, 1, 28, 10))
    assert not cal.is_open(sh(2025, 2, 4, 10))
    assert cal.is_open(sh(2025, 2, 5, 10))
    assert cal.is_open(sh(2025, 2, 8, 10))


def test_always_open() -> None:
    cal = BusinessCalendar.always_open()
    start = sh(2026, 2, 16, 3)  # in the middle of Spring Festival, at night
    assert cal.is_open(start)
    assert cal.add_business_time(start, timedelta(hours=24)) == start + timedelta(hours=24)
    assert cal.business_time_between(start, start + timedelta(days=3)) == timedelta(days=3)
    assert cal.open_intervals(start, start + timedelta(hours=1)) == [
        (start, start + timedelta(hours=1))
    ]
    full_days = BusinessCalendar({d: (TimeRange(time(0), time(0)),) for d in range(7)})
    assert full_days.add_business_time(start, timedelta(hours=50)) == start + timedelta(hours=50)


def test_long_durations_step_by_intervals() -> None:
    cal = BusinessCalendar.china(OFFICE)
    # a year of business hours: 9h a day, must be answered by day-stepping
    end = cal.add_business_time(sh(2025, 1, 2, 9), timedelta(hours=9 * 240))
    assert cal.business_time_between(sh(2025, 1, 2, 9), end) == timedelta(hours=9 * 240)
    assert end.year == 2025


def test_never_open_and_clashes_are_refused() -> None:
    closed = BusinessCalendar({})
    with pytest.raises(InvalidInput):
        closed.add_business_time(sh(2026, 1, 5, 9), timedelta(minutes=1))
    with pytest.raises(InvalidInput):
        closed.next_open(sh(2026, 1, 5, 9))
    assert closed.add_business_time(sh(2026, 1, 5, 9), timedelta(0)) == sh(2026, 1, 5, 9)
    with pytest.raises(InvalidInput):
        BusinessCalendar(OFFICE, holidays={date(2026, 1, 1)}, makeup_workdays=[date(2026, 1, 1)])
    with pytest.raises(InvalidInput):
        BusinessCalendar(OFFICE).add_business_time(sh(2026, 1, 5), timedelta(minutes=-1))
    with pytest.raises(InvalidInput):
        BusinessCalendar(OFFICE, makeup_workdays={date(2026, 9, 20): 7})


def test_china_holiday_data() -> None:
    assert KNOWN_YEARS == (2025, 2026)
    data = china_holidays([2025])
    assert len(data.holidays) == 1 + 8 + 3 + 5 + 3 + 8
    assert data.makeup_workdays == {
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
    }
    data26 = china_holidays([2026])
    assert len(data26.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert data26.makeup_workdays == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    both = china_holidays()
    assert not both.holidays & both.makeup_workdays
    # every make-up workday is a weekend day
    assert all(d.weekday() >= 5 for d in both.makeup_workdays)
    assert both.names[date(2026, 2, 17)] == "春节"
    assert holiday_periods(2031) == ()


@settings(max_examples=60, deadline=None)
@given(
    start_minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    minutes=st.integers(min_value=0, max_value=60 * 200),
)
def test_add_then_measure_round_trips(start_minutes: int, minutes: int) -> None:
    cal = BusinessCalendar.china(LUNCH)
    start = sh(2025, 1, 1) + timedelta(minutes=start_minutes)
    duration = timedelta(minutes=minutes)
    end = cal.add_business_time(start, duration)
    assert end >= start
    assert cal.business_time_between(start, end) == duration
    if minutes:
        assert cal.is_open(end - timedelta(seconds=1))
