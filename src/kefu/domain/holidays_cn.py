"""Official PRC public holidays and make-up workdays (调休), as data.

Source: the General Office of the State Council's yearly notices on holiday
arrangements (国务院办公厅关于 2025 年 / 2026 年部分节假日安排的通知). The dates below
are transcribed from those notices; tenants can edit the list (add their own closing
days, remove a day they work anyway) because a :class:`BusinessCalendar` simply takes
sets of dates. When a new year's notice is published, add it to ``_DATA``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class HolidayPeriod:
    name_zh: str
    name_en: str
    first: date
    last: date
    makeup_workdays: tuple[date, ...] = ()

    def days(self) -> list[date]:
        count = (self.last - self.first).days + 1
        return [self.first + timedelta(days=i) for i in range(count)]


@dataclass(frozen=True)
class ChinaHolidays:
    """Closed days and make-up workdays for a set of years."""

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    names: dict[date, str]


def _p(
    zh: str,
    en: str,
    first: tuple[int, int, int],
    last: tuple[int, int, int],
    *workdays: tuple[int, int, int],
) -> HolidayPeriod:
    return HolidayPeriod(zh, en, date(*first), date(*last), tuple(date(*w) for w in workdays))


_DATA: dict[int, tuple[HolidayPeriod, ...]] = {
    2025: (
        _p("元旦", "New Year's Day", (2025, 1, 1), (2025, 1, 1)),
        _p("春节", "Spring Festival", (2025, 1, 28), (2025, 2, 4), (2025, 1, 26), (2025, 2, 8)),
        _p("清明节", "Qingming Festival", (2025, 4, 4), (2025, 4, 6)),
        _p("劳动节", "Labour Day", (2025, 5, 1), (2025, 5, 5), (2025, 4, 27)),
        _p("端午节", "Dragon Boat Festival", (2025, 5, 31), (2025, 6, 2)),
        _p(
            "国庆节、中秋节",
            "National Day and Mid-Autumn Festival",
            (2025, 10, 1),
            (2025, 10, 8),
            (2025, 9, 28),
            (2025, 10, 11),
        ),
    ),
    2026: (
        _p("元旦", "New Year's Day", (2026, 1, 1), (2026, 1, 3), (2026, 1, 4)),
        _p("春节", "Spring Festival", (2026, 2, 15), (2026, 2, 23), (2026, 2, 14), (2026, 2, 28)),
        _p("清明节", "Qingming Festival", (2026, 4, 4), (2026, 4, 6)),
        _p("劳动节", "Labour Day", (2026, 5, 1), (2026, 5, 5), (2026, 5, 9)),
        _p("端午节", "Dragon Boat Festival", (2026, 6, 19), (2026, 6, 21)),
        _p("中秋节", "Mid-Autumn Festival", (2026, 9, 25), (2026, 9, 27)),
        _p("国庆节", "National Day", (2026, 10, 1), (2026, 10, 7), (2026, 9, 20), (2026, 10, 10)),
    ),
}

KNOWN_YEARS: tuple[int, ...] = tuple(sorted(_DATA))


def holiday_periods(year: int) -> tuple[HolidayPeriod, ...]:
    """The periods of one year; an empty tuple for a year we have no notice for."""
    return _DATA.get(year, ())


def china_holidays(years: Iterable[int] | None = None) -> ChinaHolidays:
    """Holidays and 调休 workdays for `years` (default: every year we know)."""
    selected = KNOWN_YEARS if years is None else tuple(years)
    holidays: set[date] = set()
    workdays: set[date] = set()
    names: dict[date, str] = {}
    for year in selected:
        for period in holiday_periods(year):
            for day in period.days():
                holidays.add(day)
                names[day] = period.name_zh
            for day in period.makeup_workdays:
                workdays.add(day)
                names[day] = f"{period.name_zh}调休上班"
    return ChinaHolidays(frozenset(holidays), frozenset(workdays), names)


def year_needs_notice(year: int, tenant_days: Iterable[date]) -> bool:
    """True when `year` has neither shipped holiday data nor any tenant-entered day off
    or make-up workday: the calendar would treat the Spring Festival as working days."""
    if holiday_periods(year):
        return False
    return not any(day.year == year for day in tenant_days)


_RANGE_SEPARATORS = ("至", "~", "～", "—", " - ", "到")


def parse_notice_dates(text: str) -> list[date]:
    """Dates as an admin copies them from the State Council notice: one day or one range
    per line or comma (``2027-02-06 至 2027-02-12``, ``2027-02-14``). Raises ValueError
    naming the first line it cannot read."""
    days: set[date] = set()
    for raw in text.replace("，", "\n").replace(",", "\n").replace("、", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        first_text, last_text = line, line
        for sep in _RANGE_SEPARATORS:
            if sep in line:
                first_text, _, last_text = line.partition(sep)
                break
        try:
            first = date.fromisoformat(first_text.strip())
            last = date.fromisoformat(last_text.strip())
        except ValueError:
            raise ValueError(line) from None
        if last < first or (last - first).days > 31:
            raise ValueError(line)
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return sorted(days)


def dates_text(days: Iterable[date]) -> str:
    """The inverse of :func:`parse_notice_dates`: consecutive days folded into ranges."""
    ordered = sorted(set(days))
    lines: list[str] = []
    start = prev = None
    for day in [*ordered, None]:
        if start is not None and prev is not None and (day is None or day != prev + timedelta(1)):
            lines.append(str(start) if start == prev else f"{start} 至 {prev}")
            start = None
        if day is not None and start is None:
            start = day
        prev = day
    return "\n".join(lines)
