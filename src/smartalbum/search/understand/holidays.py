"""Holidays a query can name: China's official ones (春节, 国庆…) and a few fixed dates.

China's holidays move with the lunar calendar and the State Council's yearly notice;
``chinese-calendar`` knows each year's days off (2004 to its last update). For a year it
does not know, the days come from the festival's rule instead (``lunar-python`` turns a lunar
date into the solar one; Qingming is a solar term), and the interpretation says so.
Christmas, Valentine's Day and Halloween fall on the same days every year. A holiday named
without a year ("国庆节", "christmas") is every year's, over the years the library has photos
from.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, timedelta

import chinese_calendar  # type: ignore[import-untyped]
from lunar_python import Lunar  # type: ignore[import-untyped]

from smartalbum.search.understand.spans import TimeSpan, day_span, days_span

# key -> (English, Chinese, names people use); the key is chinese_calendar's Holiday name.
OFFICIAL = {
    "spring_festival": ("Spring Festival", "春节",
                        ("春节", "过年", "chinese new year", "lunar new year", "spring festival")),
    "national_day": ("National Day holiday", "国庆假期", ("国庆节", "国庆", "national day")),
    "labour_day": ("Labour Day holiday", "劳动节假期",
                   ("劳动节", "五一", "labour day", "labor day", "may day")),
    "tomb_sweeping_day": ("Qingming", "清明", ("清明节", "清明", "qingming", "tomb sweeping day")),
    "dragon_boat_festival": ("Dragon Boat Festival", "端午",
                             ("端午节", "端午", "dragon boat festival")),
    "mid_autumn_festival": ("Mid-Autumn Festival", "中秋",
                            ("中秋节", "中秋", "mid-autumn festival", "mid autumn festival")),
    "new_years_day": ("New Year's Day", "元旦", ("元旦", "new year's day", "new years day")),
}  # fmt: skip
# key -> (English, Chinese, names, (month, first day, last day))
FIXED = {
    "christmas": ("Christmas", "圣诞节", ("圣诞节", "圣诞", "christmas", "xmas"), (12, 24, 26)),
    "valentine": ("Valentine's Day", "情人节", ("情人节", "valentine's day", "valentines day"),
                  (2, 14, 14)),
    "halloween": ("Halloween", "万圣节", ("万圣节", "halloween"), (10, 31, 31)),
}  # fmt: skip
NAMES = {name: key for key, (*_, names) in OFFICIAL.items() for name in names} | {
    name: key for key, (_, _, names, _) in FIXED.items() for name in names
}


# key -> (lunar month, day, days before, days after) of the festival's rule: the days off
# around it when no notice is known (the notices give about these, moved to meet a weekend).
LUNAR_RULES = {
    "spring_festival": (1, 1, 1, 6),  # New Year's Eve to the seventh day
    "dragon_boat_festival": (5, 5, 1, 1),
    "mid_autumn_festival": (8, 15, 1, 1),
}
# key -> (month, first day, last day) of the solar holidays' rule.
SOLAR_RULES = {"national_day": (10, 1, 7), "labour_day": (5, 1, 5), "new_years_day": (1, 1, 1)}


@functools.lru_cache(maxsize=256)
def holiday_days(key: str, year: int) -> tuple[date, date] | None:
    """The first and last day of a holiday in a year: the notice's days off, else the
    festival's rule (None: neither, e.g. a year outside the lunar calendar's range)."""
    if key in FIXED:
        month, first, last = FIXED[key][3]
        return date(year, month, first), date(year, month, last)
    noticed = notice_days(key, year)
    return noticed if noticed is not None or not by_rule(year) else rule_days(key, year)


def notice_days(key: str, year: int) -> tuple[date, date] | None:
    """The days off the State Council's notice gave a holiday in a year, if known."""
    wanted = (True, chinese_calendar.Holiday[key].value)  # a day off, not a make-up workday
    try:
        days = [
            day
            for day in (date(year, 1, 1) + timedelta(days=i) for i in range(366))
            if day.year == year and chinese_calendar.get_holiday_detail(day) == wanted
        ]
    except NotImplementedError:  # a year the package has no notice for
        return None
    return (days[0], days[-1]) if days else None


@functools.lru_cache(maxsize=64)
def by_rule(year: int) -> bool:
    """Whether a year's official holidays come from the rule (no notice is known for it)."""
    try:
        chinese_calendar.is_holiday(date(year, 1, 1))
    except NotImplementedError:
        return True
    return False


def rule_days(key: str, year: int) -> tuple[date, date] | None:
    """A holiday's days in a year by its rule; None outside the lunar calendar's years."""
    if key in SOLAR_RULES:
        month, first, last = SOLAR_RULES[key]
        return date(year, month, first), date(year, month, last)
    if key == "tomb_sweeping_day":
        day = qingming(year)
        return day - timedelta(1), day + timedelta(1)
    month, lunar_day, before, after = LUNAR_RULES[key]
    try:
        solar = Lunar.fromYmd(year, month, lunar_day).getSolar()
        festival = date(solar.getYear(), solar.getMonth(), solar.getDay())
    except (IndexError, KeyError, ValueError):  # a year outside its tables or date's
        return None
    return festival - timedelta(before), festival + timedelta(after)


def qingming(year: int) -> date:
    """The day of the Qingming solar term (4-6 April), by the usual formula for 1900-2099."""
    y = year % 100
    constant = 4.81 if year >= 2000 else 5.59
    return date(year, 4, int(y * 0.2422 + constant) - y // 4)


def latest_year(name: str, today: date) -> int | None:
    """The year of the latest holiday of this name to have begun by ``today``."""
    key = NAMES[name]
    for year in (today.year, today.year - 1):
        days = holiday_days(key, year)
        if days is not None and days[0] <= today:
            return year
    return None


def holiday_span(name: str, year: int) -> TimeSpan:
    """The holiday a name means in a year (an empty span when that year's is not known)."""
    key = NAMES[name]
    en, zh = OFFICIAL[key][:2] if key in OFFICIAL else FIXED[key][:2]
    days = holiday_days(key, year)
    if days is None:  # read as this holiday all the same, finding nothing rather than a season
        nowhere = date(year, 1, 1)
        return TimeSpan(
            f"{en} {year} (dates not known)", f"{year}年{zh}（日期未知）", nowhere, nowhere
        )
    span = days_span(*days) if days[0] != days[1] else day_span(days[0])
    if key in OFFICIAL and by_rule(year):  # no notice: say the days are the rule's
        return TimeSpan(f"{en} {year} ({span.en}, by the calendar's rule)",
                        f"{year}年{zh}（{span.zh}，按历法推算）", span.start, span.end)  # fmt: skip
    return TimeSpan(f"{en} {year} ({span.en})", f"{year}年{zh}（{span.zh}）", span.start, span.end)


def every_year(name: str, years: Iterable[int], today: date) -> TimeSpan | None:
    """The holiday in each of these years whose days are known and had begun by ``today``,
    newest first (None: not one)."""
    key = NAMES[name]
    en, zh = OFFICIAL[key][:2] if key in OFFICIAL else FIXED[key][:2]
    found = [days for year in sorted(set(years), reverse=True)
             if (days := holiday_days(key, year)) is not None and days[0] <= today]  # fmt: skip
    if not found:
        return None
    ranges = tuple((first, last + timedelta(1)) for first, last in found)
    shown = ", ".join(str(first.year) for first, _ in found)
    return TimeSpan(f"every {en} ({shown})", f"每年{zh}（{shown}）", ranges[-1][0], ranges[0][1],
                    ranges=ranges)  # fmt: skip
