"""When a query names, in English and Chinese: dates, ranges, months, years, seasons, "last month".

Patterns are read from the normalized query (lower case, Simplified Chinese) in order,
first the longest forms ("2023-10-01 to 2023-10-07" before "2023-10-01"); each match is
cut out of the text so the rest can be read for what and where. Relative times are
resolved against ``today``, which tests set.

dateparser and jionlp were measured on the test queries and not kept: see
search/understand/__init__.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from smartalbum.search.understand import ago
from smartalbum.search.understand.daytime import daytime_readers
from smartalbum.search.understand.holidays import NAMES as HOLIDAYS
from smartalbum.search.understand.holidays import every_year, holiday_span, latest_year
from smartalbum.search.understand.spans import (
    MONTHS_EN,
    TimeSpan,
    any_month,
    any_season,
    day_span,
    days_span,
    last_days,
    last_season,
    month_span,
    relative_span,
    season_span,
    this_season,
    year_span,
)

_W = r"(?<![a-z0-9])"  # an English word starts here ...
_E = r"(?![a-z0-9])"  # ... and ends here
YEAR = r"((?:19|20)\d{2})"
MONTH_NAMES = {name.lower(): i for i, name in enumerate(MONTHS_EN, start=1)}
MONTH_NAMES |= {name[:3].lower(): i for name, i in zip(MONTHS_EN, range(1, 13), strict=True)}
MONTH_NAMES |= {"sept": 9}
_MONTH = "(" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + r")\.?"
SEASON_EN = {"winter": "winter", "spring": "spring", "summer": "summer", "autumn": "autumn",
             "fall": "autumn"}  # fmt: skip
_SEASON = r"(winter|spring|summer|autumn|fall)s?"
SEASON_ZH = {"冬": "winter", "春": "spring", "夏": "summer", "秋": "autumn"}
_SEASON_ZH = r"(冬|春|夏|秋)(?:天|季)"
_DATE = r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})"
_DATE_ZH = r"((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})[日号]"
_TO = r"\s*(?:to|until|till|through|thru|[–~]|-|至|到)\s*"
RELATIVE_ZH = {"今年": 0, "去年": 1, "前年": 2}
_NUM = r"(\d{1,2}|十[一二]?|[一二三四五六七八九])"  # a month's number: 10, 十, 十二
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
                   "十": 10, "十一": 11, "十二": 12}  # fmt: skip


def _num(text: str) -> int:
    return int(text) if text.isdigit() else _CHINESE_DIGITS[text]


Reader = Callable[[re.Match[str], date], TimeSpan | None]


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _range(m: re.Match[str], today: date) -> TimeSpan | None:
    first, last = _date(*m.group(1, 2, 3)), _date(*m.group(4, 5, 6))
    return days_span(first, last) if first and last else None


def _day(m: re.Match[str], today: date) -> TimeSpan | None:
    found = _date(*m.group(1, 2, 3))
    return day_span(found) if found else None


def _named_day(year: str, month: int, day: str) -> TimeSpan | None:
    found = _date(year, str(month), day)
    return day_span(found) if found else None


def _month_before_last(today: date) -> TimeSpan:
    year, month = (
        (today.year, today.month - 2) if today.month > 2 else (today.year - 1, today.month + 10)
    )
    return month_span(year, month)


def _month(year: int, month: int) -> TimeSpan | None:
    return month_span(year, month) if 1 <= month <= 12 else None


def _season_year(m: re.Match[str], season: int, year: int) -> TimeSpan:
    """A season and the year it starts in: "winter 2024", "winter 2024–25", "2024年冬天"."""
    kind = SEASON_EN.get(m.group(season)) or SEASON_ZH[m.group(season)]
    return season_span(kind, int(m.group(year)))


def _relative_season(word: str, kind: str, today: date) -> TimeSpan:
    """ "last winter" has ended; "this summer" is this year's; 去年冬天 started last year."""
    if word in RELATIVE_ZH:
        return season_span(kind, today.year - RELATIVE_ZH[word])
    if word == "this":
        return season_span(kind, this_season(kind, today))
    return season_span(kind, last_season(kind, today))


_ZH_RELATIVE = {
    "前天": "day before yesterday", "昨天": "yesterday", "今天": "today",
    "上周末": "last weekend", "上个周末": "last weekend", "这周末": "this weekend",
    "这个周末": "this weekend", "本周末": "this weekend", "上周": "last week",
    "上个周": "last week", "上星期": "last week", "上个星期": "last week", "本周": "this week",
    "这星期": "this week", "这个星期": "this week", "这周": "this week", "上月": "last month",
    "上个月": "last month", "这个月": "this month", "本月": "this month", "今年": "this year",
    "去年": "last year", "前年": "year before last",
}  # fmt: skip

_HOLIDAY = "(" + "|".join(re.escape(n) for n in sorted(HOLIDAYS, key=len, reverse=True)) + ")"


def _holiday(m: re.Match[str], today: date, years: tuple[int, ...] = ()) -> TimeSpan | None:
    """ "2025年春节", "christmas 2024", "去年国庆", "last christmas" (the latest to have begun);
    "春节" alone: every year's in ``years`` up to today's (the latest without years)."""
    year_before, relative, name, year_after = m.group(1, 2, 3, 4)
    latest = latest_year(name, today)
    if year_before or year_after:
        year: int | None = int(year_before or year_after)
    elif relative in RELATIVE_ZH:
        year = today.year - RELATIVE_ZH[relative]
    elif relative == "this":
        year = today.year
    elif relative is None and years:
        return every_year(name, years, today)
    else:
        year = latest
    return holiday_span(name, year) if year is not None else None


_READERS: list[tuple[str, Reader]] = [
    (ago.YEAR_AGO_TODAY, lambda m, today: ago.year_ago_today(today)),
    (ago.EN_AGO, lambda m, today: ago.ago(ago.number(m[1]), m[2], today)),
    (ago.ZH_AGO, lambda m, today: ago.ago(ago.number(m[1]), ago.ZH_UNITS[m[2]], today)),
    (ago.WEEKEND_BEFORE_LAST, lambda m, today: ago.weekend_before_last(today)),
    (ago.BEFORE_LAST, lambda m, today: ago.ago(2, m[1], today)),
    (r"大前年", lambda m, today: ago.ago(3, "year", today)),
    (r"大前天", lambda m, today: ago.ago(3, "day", today)),
    (r"上上个?(?:周|星期|礼拜)", lambda m, today: ago.ago(2, "week", today)),
    *daytime_readers(),
    (r"(?:" + YEAR + r"\s*年?\s*的?\s*)?(?:(今年|去年|前年|this|last)\s*的?\s*)?" + _HOLIDAY
     + r"(?:\s*" + YEAR + r"(?![0-9]))?", _holiday),
    (_DATE + _TO + _DATE, _range),
    (_DATE_ZH + _TO + _DATE_ZH, _range),
    (_DATE, _day),
    (_DATE_ZH, _day),
    (_W + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+" + YEAR + _E,
     lambda m, _: _named_day(m[3], MONTH_NAMES[m[1]], m[2])),
    (_W + r"(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+" + YEAR + _E,
     lambda m, _: _named_day(m[3], MONTH_NAMES[m[2]], m[1])),
    (_W + _SEASON + r"\s+(?:of\s+)?" + YEAR + r"\s*[–/-]\s*(\d{2,4})" + _E,
     lambda m, _: _season_year(m, 1, 2)),
    (YEAR + r"\s*[–/-]\s*(\d{2})\s*年\s*(冬|春|夏|秋)(?:天|季)?",
     lambda m, _: _season_year(m, 3, 1)),
    (_W + _SEASON + r"\s+(?:of\s+)?" + YEAR + _E, lambda m, _: _season_year(m, 1, 2)),
    (_W + YEAR + r"\s+" + _SEASON + _E, lambda m, _: _season_year(m, 2, 1)),
    (YEAR + r"\s*年?\s*的?\s*(冬|春|夏|秋)(?:天|季)?", lambda m, _: _season_year(m, 2, 1)),
    (r"(今年|去年|前年)的?" + _SEASON_ZH,
     lambda m, today: _relative_season(m[1], SEASON_ZH[m[2]], today)),
    (_W + r"(last|this|past)\s+" + _SEASON + _E,
     lambda m, today: _relative_season(m[1], SEASON_EN[m[2]], today)),
    (_W + _MONTH + r",?\s+(?:of\s+)?" + YEAR + _E,
     lambda m, _: _month(int(m[2]), MONTH_NAMES[m[1]])),
    (_W + YEAR + r"[-/.](\d{1,2})" + _E, lambda m, _: _month(int(m[1]), int(m[2]))),
    (YEAR + r"\s*年\s*" + _NUM + r"\s*月(?:份)?", lambda m, _: _month(int(m[1]), _num(m[2]))),
    (r"(今年|去年|前年)\s*" + _NUM + r"\s*月(?:份)?",
     lambda m, today: _month(today.year - RELATIVE_ZH[m[1]], _num(m[2]))),
    (_W + r"(?:the\s+)?(last|past)\s+(\d{1,3})\s+days" + _E,
     lambda m, today: last_days(int(m[2]), today)),
    (r"(?:最近|过去|近)\s*(\d{1,3})\s*天", lambda m, today: last_days(int(m[1]), today)),
    (_W + r"(day before yesterday|yesterday|today|this week|last week|this weekend|"
     r"last weekend|this month|last month|this year|last year|year before last)" + _E,
     lambda m, today: relative_span(m[1], today)),
    (r"上上个?月", lambda m, today: _month_before_last(today)),
    (r"(前天|昨天|今天|上个?周末|这个?周末|本周末|上个?周|上个?星期|本周|这个?星期|这周|上个?月|"
     r"这个月|本月|今年|去年|前年)", lambda m, today: relative_span(_ZH_RELATIVE[m[1]], today)),
    (YEAR + r"\s*年(?:份)?", lambda m, _: year_span(int(m[1]))),
    (_W + YEAR + _E, lambda m, _: year_span(int(m[1]))),
    (_W + _SEASON + _E, lambda m, _: any_season(SEASON_EN[m[1]])),
    (_SEASON_ZH, lambda m, _: any_season(SEASON_ZH[m[1]])),
    (r"(?<![\d一二三四五六七八九十])" + _NUM + r"\s*月(?:份)?",
     lambda m, _: any_month(_num(m[1])) if 1 <= _num(m[1]) <= 12 else None),
    (_W + r"(" + "|".join(n.lower() for n in MONTHS_EN if n != "May") + r")" + _E,
     lambda m, _: any_month(MONTH_NAMES[m[1]])),
]  # fmt: skip
READERS = [(re.compile(pattern), reader) for pattern, reader in _READERS]


def find_times(
    text: str, today: date, years: tuple[int, ...] = ()
) -> tuple[list[tuple[str, TimeSpan]], str]:
    """The time expressions in a normalized query, in order, and the text left without them
    (``years``: the library's, which a holiday named without a year means)."""
    found: list[tuple[int, str, TimeSpan]] = []
    for pattern, reader in READERS:
        for m in pattern.finditer(text):
            span = _holiday(m, today, years) if reader is _holiday else reader(m, today)
            if span is None:
                continue
            found.append((m.start(), m.group(0).strip(), span))
            # Cut it out, keeping the other offsets: the rest is read again for what and where.
            text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    found.sort(key=lambda item: item[0])
    return [(words, span) for _, words, span in found], text
