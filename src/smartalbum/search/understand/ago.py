"""Times counted back from today, in English and Chinese: "two years ago", "三年前", "大前年".

Each names the whole unit it counts: "two years ago" is that calendar year, "3 months ago"
that month, "两周前" that Monday-to-Sunday week, "5 days ago" that day. "a year ago today"
(去年今天, 一年前的今天) is the one day, a year back (29 February: the 28th).
"""

from __future__ import annotations

from datetime import date, timedelta

from smartalbum.search.understand.spans import (
    TimeSpan,
    day_span,
    days_span,
    month_span,
    week_start,
    year_span,
)

_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
               "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
               "twelve": 12}  # fmt: skip
_ZH_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}  # fmt: skip
EN_NUMBER = r"(\d{1,3}|" + "|".join(_EN_NUMBERS) + ")"
ZH_NUMBER = r"(\d{1,3}|[一两二三四五六七八九十]{1,3})"
EN_UNITS = {"year": "year", "month": "month", "week": "week", "day": "day"}
ZH_UNITS = {"年": "year", "个月": "month", "周": "week", "个星期": "week",
            "星期": "week", "个礼拜": "week", "礼拜": "week", "天": "day"}  # fmt: skip
ZH_UNIT = "(" + "|".join(sorted(ZH_UNITS, key=len, reverse=True)) + ")"


def number(text: str) -> int | None:
    """10, "ten", "十", "二十三", "两": the count; None when it is no number we read."""
    if text.isdigit():
        return int(text)
    if text in _EN_NUMBERS:
        return _EN_NUMBERS[text]
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return _ZH_DIGITS.get(text) if len(text) == 1 else None
    high = _ZH_DIGITS.get(tens, 0) if tens else 1
    low = _ZH_DIGITS.get(ones, 0) if ones else 0
    return high * 10 + low if (not tens or tens in _ZH_DIGITS) and (not ones or low) else None


def ago(count: int | None, unit: str, today: date) -> TimeSpan | None:
    """The whole year, month, week or day ``count`` units before today's."""
    if count is None or not 0 < count <= 200:
        return None
    try:
        if unit == "year":
            return year_span(today.year - count)
        if unit == "month":
            months = today.year * 12 + today.month - 1 - count
            return month_span(months // 12, months % 12 + 1)
        if unit == "week":
            monday = week_start(today) - timedelta(weeks=count)
            return days_span(monday, monday + timedelta(days=6))
        return day_span(today - timedelta(days=count))
    except (ValueError, OverflowError):  # before year 1
        return None


def weekend_before_last(today: date) -> TimeSpan:
    """The Saturday and Sunday of the week before last (上上周末)."""
    saturday = week_start(today) - timedelta(days=9)
    return days_span(saturday, saturday + timedelta(days=1))


def year_ago_today(today: date) -> TimeSpan:
    """Today's date a year back (the 28th for a 29 February)."""
    if (today.month, today.day) == (2, 29):
        return day_span(date(today.year - 1, 2, 28))
    return day_span(today.replace(year=today.year - 1))


_W, _E = r"(?<![a-z0-9])", r"(?![a-z0-9])"
EN_AGO = _W + EN_NUMBER + r"\s+(year|month|week|day)s?\s+ago" + _E
ZH_AGO = r"(?<![0-9])" + ZH_NUMBER + r"\s*" + ZH_UNIT + r"(?:以)?前"
YEAR_AGO_TODAY = (
    _W + r"(?:(?:a|one|1)\s+year\s+ago\s+today|this\s+day\s+last\s+year)" + _E
    + r"|(?:去年|一年前)的?(?:今天|今日|这一?天)"
)  # fmt: skip
BEFORE_LAST = _W + r"the\s+(week|month|year)\s+before\s+last" + _E
WEEKEND_BEFORE_LAST = _W + r"the\s+weekend\s+before\s+last" + _E + r"|上上个?周末"
