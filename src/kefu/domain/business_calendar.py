"""Business time: weekly opening hours, holidays and make-up workdays (调休).

All public methods take aware datetimes (naive ones are treated as UTC, like the
rest of kefu) and return UTC-aware datetimes. Internally a day's schedule is turned
into UTC intervals once and cached, and every computation steps from interval to
interval (never minute by minute), so adding 24 business hours across a nine-day
Spring Festival costs a dozen cached look-ups.

Rules:

* An interval belongs to the day it *starts* on. ``22:00-02:00`` on a Friday runs
  from Friday 22:00 to Saturday 02:00; if that Friday is a holiday the whole
  interval is gone, a holiday on Saturday does not cut its tail.
* ``end <= start`` means the interval ends on the next day; ``00:00-24:00`` (or
  ``00:00-00:00``) is the whole day.
* A holiday closes the day whatever the weekly schedule says. A make-up workday
  (调休上班) opens with the schedule of the weekday it stands in for, or with the
  calendar's ``makeup_schedule`` (default: Monday's hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kefu.clock import ensure_aware
from kefu.errors import InvalidInput

DEFAULT_TIMEZONE = "Asia/Shanghai"
#: How far ahead we look for an open moment before deciding the calendar is never open.
MAX_SEARCH_DAYS = 800

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class TimeRange:
    """Local opening hours within one day; may run past midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """``"09:00-18:00"``, ``"22:00-02:00"`` or ``"00:00-24:00"``."""
        try:
            left, right = (part.strip() for part in text.replace("–", "-").split("-"))
            start = _parse_time(left)
            end = _parse_time(right)
        except ValueError as exc:
            raise InvalidInput(
                "invalid_time_range", f"营业时间格式错误：{text}", f"invalid time range: {text}"
            ) from exc
        return cls(start, end)

    @property
    def length(self) -> timedelta:
        start = timedelta(
            hours=self.start.hour, minutes=self.start.minute, seconds=self.start.second
        )
        end = timedelta(hours=self.end.hour, minutes=self.end.minute, seconds=self.end.second)
        if end <= start:
            end += timedelta(days=1)
        return end - start


def _parse_time(text: str) -> time:
    if text in ("24:00", "24:00:00"):
        return time(0)
    return time.fromisoformat(text)


WeeklySchedule = Mapping[int, Sequence[TimeRange]]


def weekly(
    *,
    weekdays: Sequence[str] = (),
    saturday: Sequence[str] | None = None,
    sunday: Sequence[str] | None = None,
) -> dict[int, tuple[TimeRange, ...]]:
    """Shorthand: ``weekly(weekdays=["09:00-12:00", "13:00-18:00"], saturday=[...])``.

    ``saturday`` / ``sunday`` default to closed.
    """
    ranges = tuple(TimeRange.parse(t) for t in weekdays)
    schedule: dict[int, tuple[TimeRange, ...]] = dict.fromkeys(range(5), ranges)
    schedule[5] = tuple(TimeRange.parse(t) for t in saturday or ())
    schedule[6] = tuple(TimeRange.parse(t) for t in sunday or ())
    return schedule


class BusinessCalendar:
    """Opening hours of one tenant (or department) in one timezone."""

    def __init__(
        self,
        weekly_schedule: WeeklySchedule,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        holidays: Iterable[date] = (),
        makeup_workdays: Mapping[date, int | None] | Iterable[date] = (),
        makeup_schedule: Sequence[TimeRange] | None = None,
    ) -> None:
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.weekly: dict[int, tuple[TimeRange, ...]] = {
            day: tuple(weekly_schedule.get(day, ())) for day in range(7)
        }
        self.holidays = frozenset(holidays)
        if isinstance(makeup_workdays, Mapping):
            self.makeup_workdays: dict[date, int | None] = dict(makeup_workdays)
        else:
            self.makeup_workdays = dict.fromkeys(makeup_workdays)
        if any(v is not None and not 0 <= v <= 6 for v in self.makeup_workdays.values()):
            raise InvalidInput(
                "invalid_weekday", "调休日应指定 0-6 的星期", "a make-up day follows weekday 0-6"
            )
        clash = self.holidays & set(self.makeup_workdays)
        if clash:
            days = ", ".join(sorted(d.isoformat() for d in clash))
            raise InvalidInput(
                "holiday_workday_clash",
                f"同一天不能既是假日又是调休工作日：{days}",
                f"a day cannot be both a holiday and a make-up workday: {days}",
            )
        self.makeup_schedule = (
            tuple(makeup_schedule) if makeup_schedule is not None else self.weekly[0]
        )
        self._always_open = False
        self._day_cache: dict[date, tuple[Interval, ...]] = {}

    # -- constructors -------------------------------------------------------------

    @classmethod
    def always_open(cls, timezone: str = DEFAULT_TIMEZONE) -> BusinessCalendar:
        """7x24: open every second of every day, holidays included."""
        full = (TimeRange(time(0), time(0)),)
        calendar = cls(dict.fromkeys(range(7), full), timezone=timezone)
        calendar._always_open = True
        return calendar

    @classmethod
    def china(
        cls,
        weekly_schedule: WeeklySchedule,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        years: Iterable[int] | None = None,
        extra_holidays: Iterable[date] = (),
        makeup_schedule: Sequence[TimeRange] | None = None,
    ) -> BusinessCalendar:
        """A calendar with the official PRC holidays and 调休 (see holidays_cn)."""
        from kefu.domain.holidays_cn import china_holidays

        data = china_holidays(years)
        return cls(
            weekly_schedule,
            timezone=timezone,
            holidays=data.holidays | frozenset(extra_holidays),
            makeup_workdays=data.makeup_workdays,
            makeup_schedule=makeup_schedule,
        )

    @property
    def is_always_open(self) -> bool:
        return self._always_open

    # -- per-day intervals ----------------------------------------------------------

    def schedule_for(self, day: date) -> tuple[TimeRange, ...]:
        """The local opening ranges that *start* on `day`."""
        if day in self.holidays:
            return ()
        if day in self.makeup_workdays:
            follows = self.makeup_workdays[day]
            return self.makeup_schedule if follows is None else self.weekly[follows]
        return self.weekly[day.weekday()]

    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        out: list[Interval] = []
        for rng in self.schedule_for(day):
            local_start = datetime.combine(day, rng.start, tzinfo=self.tz)
            end_day = day if rng.end > rng.start else day + timedelta(days=1)
            local_end = datetime.combine(end_day, rng.end, tzinfo=self.tz)
            start_utc = local_start.astimezone(UTC)
            end_utc = local_end.astimezone(UTC)
            if end_utc > start_utc:
                out.append((start_utc, end_utc))
        out.sort()
        result = tuple(out)
        if len(self._day_cache) > 20_000:
            self._day_cache.clear()
        self._day_cache[day] = result
        return result

    def _iter_from(self, start: datetime, max_days: int = MAX_SEARCH_DAYS) -> Iterator[Interval]:
        """Merged open intervals ending after `start`, clipped to begin at `start`."""
        first_day = start.astimezone(self.tz).date() - timedelta(days=1)
        pending: Interval | None = None
        for offset in range(max_days + 2):
            for begin, end in self._day_intervals(first_day + timedelta(days=offset)):
                if end <= start:
                    continue
                begin = max(begin, start)
                if pending is None:
                    pending = (begin, end)
                elif begin <= pending[1]:
                    pending = (pending[0], max(pending[1], end))
                else:
                    yield pending
                    pending = (begin, end)
        if pending is not None:
            yield pending

    # -- public API -------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        at = _utc(at)
        if self._always_open:
            return True
        day = at.astimezone(self.tz).date()
        for candidate in (day - timedelta(days=1), day):
            for begin, end in self._day_intervals(candidate):
                if begin <= at < end:
                    return True
        return False

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the start of the next open interval."""
        at = _utc(at)
        if self._always_open:
            return at
        for begin, _end in self._iter_from(at):
            return begin
        raise _never_open()

    def open_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """The open intervals within [start, end), merged and clipped, in UTC."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return []
        if self._always_open:
            return [(start, end)]
        days = (end - start).days + 2
        out: list[Interval] = []
        for begin, stop in self._iter_from(start, max_days=days):
            if begin >= end:
                break
            out.append((begin, min(stop, end)))
        return out

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time between two instants; negative when `b` is before `a`."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.business_time_between(b, a)
        if self._always_open:
            return b - a
        total = timedelta(0)
        for begin, stop in self.open_intervals(a, b):
            total += stop - begin
        return total

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of open time has elapsed after `start`.

        A zero duration returns `start` unchanged (even when closed); when the budget
        runs out exactly at closing time, the closing time is returned.
        """
        start = _utc(start)
        if duration < timedelta(0):
            raise InvalidInput(
                "negative_duration", "时长不能为负数", "duration must not be negative"
            )
        if self._always_open or duration == timedelta(0):
            return start + duration
        remaining = duration
        for begin, stop in self._iter_from(start):
            span = stop - begin
            if span >= remaining:
                return begin + remaining
            remaining -= span
        raise _never_open()


def _utc(value: datetime) -> datetime:
    return ensure_aware(value).astimezone(UTC)


def _never_open() -> InvalidInput:
    return InvalidInput(
        "calendar_never_open",
        "营业时间表在可预见的时间内没有营业时段",
        "the business calendar has no open time in the foreseeable future",
    )
