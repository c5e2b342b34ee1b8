"""Spans of time a query names: days, months, years, ranges and seasons by hemisphere.

Every span is half-open, [start, end) in the photo's local dates. A season is two spans,
one for each hemisphere (winter 2025–26 is December to February in Sapporo and June to
August 2025 in Queenstown); a season or a month without a year matches every year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from smartalbum.places.seasons import NAMES, NORTH_MONTHS, OPPOSITE, months_span, two_years

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip


@dataclass(frozen=True)
class TimeSpan:
    """A span of dates as a query means it, with its English and Chinese names."""

    en: str
    zh: str
    start: date | None = None  # [start, end): in the north, or everywhere if not a season
    end: date | None = None
    south: tuple[date, date] | None = None  # the same season in the south
    months: tuple[int, ...] = ()  # any year: these months (north) ...
    south_months: tuple[int, ...] = ()  # ... and these in the south
    ranges: tuple[tuple[date, date], ...] = ()  # any of these [start, end), newest first
    day_part: str = ""  # a time of day (daytime.py): "morning", "sunset"...; no dates then

    def to_dict(self) -> dict[str, Any]:
        """JSON: from and to (inclusive days), the south's when it differs, or the months."""
        found: dict[str, Any] = {}
        if self.start is not None and self.end is not None:
            found |= {"from": self.start.isoformat(), "to": _last(self.end)}
        if self.south is not None:
            found["south"] = {"from": self.south[0].isoformat(), "to": _last(self.south[1])}
        if self.months:
            found |= {"months": list(self.months), "south_months": list(self.south_months)}
        if self.ranges:
            found["ranges"] = [{"from": a.isoformat(), "to": _last(b)} for a, b in self.ranges]
        if self.day_part:
            found["day_part"] = self.day_part
        return found


def _last(end: date) -> str:
    return (end - timedelta(days=1)).isoformat()


def day_span(day: date) -> TimeSpan:
    """One day."""
    return TimeSpan(
        day.isoformat(), f"{day.year}年{day.month}月{day.day}日", day, day + timedelta(1)
    )


def days_span(first: date, last: date) -> TimeSpan:
    """The days from ``first`` to ``last``, both included (in either order)."""
    first, last = sorted((first, last))
    en = f"{first.isoformat()} – {last.isoformat()}"
    zh = f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日"
    return TimeSpan(en, zh, first, last + timedelta(1))


def month_span(year: int, month: int) -> TimeSpan:
    """One month of one year."""
    end = date(year + month // 12, month % 12 + 1, 1)
    return TimeSpan(
        f"{MONTHS_EN[month - 1]} {year}", f"{year}年{month}月", date(year, month, 1), end
    )


def any_month(month: int) -> TimeSpan:
    """A month in every year."""
    return TimeSpan(f"every {MONTHS_EN[month - 1]}", f"每年{month}月", months=(month,),
                    south_months=(month,))  # fmt: skip


def year_span(year: int) -> TimeSpan:
    """One calendar year."""
    return TimeSpan(str(year), f"{year}年", date(year, 1, 1), date(year + 1, 1, 1))


def season_span(kind: str, start: int) -> TimeSpan:
    """The season of this kind starting in ``start``: the north's, and the south's the same."""
    en, zh = NAMES[kind]
    year = two_years(start) if kind == "winter" else str(start)
    north = months_span(NORTH_MONTHS[kind], start)
    south = months_span(NORTH_MONTHS[OPPOSITE[kind]], start)
    return TimeSpan(f"{en.lower()} {year}", f"{year}年{zh}", *north, south=south)


def any_season(kind: str) -> TimeSpan:
    """A season in every year, by hemisphere."""
    en, zh = NAMES[kind]
    return TimeSpan(f"every {en.lower()}", f"每年{zh}季", months=NORTH_MONTHS[kind],
                    south_months=NORTH_MONTHS[OPPOSITE[kind]])  # fmt: skip


def last_season(kind: str, today: date) -> int:
    """The starting year of the latest season of this kind to have ended by ``today``."""
    start = today.year
    while months_span(NORTH_MONTHS[kind], start)[1] > today:
        start -= 1
    return start


def this_season(kind: str, today: date) -> int:
    """The starting year of this year's season: the one under way in January and February."""
    return today.year - 1 if kind == "winter" and today.month in (1, 2) else today.year


def week_start(today: date) -> date:
    """The Monday of today's week."""
    return today - timedelta(days=today.weekday())


def relative_span(name: str, today: date) -> TimeSpan:
    """yesterday, this/last week, last weekend, this/last month, this/last year, and more."""
    monday = week_start(today)
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    spans = {
        "today": (today, today + timedelta(1), "today", "今天"),
        "yesterday": (today - timedelta(1), today, "yesterday", "昨天"),
        "day before yesterday": (today - timedelta(2), today - timedelta(1), "2 days ago", "前天"),
        "this week": (monday, today + timedelta(1), "this week", "本周"),
        "last week": (monday - timedelta(7), monday, "last week", "上周"),
        "this weekend": (monday + timedelta(5), monday + timedelta(7), "this weekend", "本周末"),
        "last weekend": (monday - timedelta(2), monday, "last weekend", "上周末"),
        "this month": (first, today + timedelta(1), "this month", "本月"),
        "last month": (previous, first, "last month", "上个月"),
    }
    if name in spans:
        start, end, en, zh = spans[name]
        last = end - timedelta(1)
        days = day_span(start) if start == last else days_span(start, last)
        return TimeSpan(f"{en} ({days.en})", f"{zh}（{days.zh}）", start, end)
    years = {"this year": 0, "last year": 1, "year before last": 2}
    span = year_span(today.year - years[name])
    return TimeSpan(span.en, span.zh, span.start, span.end)


def last_days(count: int, today: date) -> TimeSpan:
    """The last ``count`` days, today included."""
    start = today - timedelta(days=max(count, 1) - 1)
    days = days_span(start, today)
    return TimeSpan(f"last {count} days ({days.en})", f"最近{count}天（{days.zh}）", start,
                    today + timedelta(1))  # fmt: skip
