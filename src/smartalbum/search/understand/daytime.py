"""Times of day a query names: "morning", "at night", "早上", "傍晚", "sunset", "日出".

Read in the photo's local time (its clock as recorded): morning is 05:00-11:59, noon
11:00-13:59, afternoon 12:00-17:59, evening (傍晚) 17:00-20:59, night (晚上, 夜里)
19:00-04:59; the spans overlap as people's words do. Sunrise and sunset are where the sun
was, at the photo's place and time (search/daytime.py), so only photos with a position
can be found by them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from smartalbum.search.understand.spans import TimeSpan

# part -> (English, Chinese, the local hours it covers: first, end (exclusive, may wrap))
PARTS = {
    "morning": ("morning", "早上", (5, 12)),
    "noon": ("noon", "中午", (11, 14)),
    "afternoon": ("afternoon", "下午", (12, 18)),
    "evening": ("evening", "傍晚", (17, 21)),
    "night": ("night", "夜里", (19, 5)),
    "sunrise": ("sunrise", "日出", (0, 0)),  # by the sun, not the clock
    "sunset": ("sunset", "日落", (0, 0)),
}
SUN = frozenset({"sunrise", "sunset"})
WORDS = {
    "in the morning": "morning", "mornings": "morning", "morning": "morning",
    "早上": "morning", "早晨": "morning", "清晨": "morning", "上午": "morning", "早晨的": "morning",
    "at noon": "noon", "noon": "noon", "midday": "noon", "中午": "noon", "正午": "noon",
    "in the afternoon": "afternoon", "afternoons": "afternoon", "afternoon": "afternoon",
    "下午": "afternoon", "午后": "afternoon",
    "in the evening": "evening", "evenings": "evening", "evening": "evening", "傍晚": "evening",
    "at night": "night", "nights": "night", "night": "night", "nighttime": "night",
    "晚上": "night", "夜里": "night", "夜晚": "night", "夜间": "night", "深夜": "night",
    "半夜": "night", "夜景": "night",
    "sunrises": "sunrise", "sunrise": "sunrise", "dawn": "sunrise", "日出": "sunrise",
    "朝阳": "sunrise", "黎明": "sunrise",
    "sunsets": "sunset", "sunset": "sunset", "dusk": "sunset", "日落": "sunset",
    "夕阳": "sunset", "黄昏": "sunset", "落日": "sunset",
}  # fmt: skip


def hours(part: str) -> tuple[int, ...]:
    """The local clock hours a time of day covers (none for sunrise and sunset)."""
    first, end = PARTS[part][2]
    count = (end - first) % 24
    return tuple((first + i) % 24 for i in range(count))


def daytime_span(part: str) -> TimeSpan:
    """The time of day as a span without dates: every day's."""
    en, zh, _ = PARTS[part]
    return TimeSpan(en, zh, day_part=part)


def daytime_readers() -> list[tuple[str, Callable[[re.Match[str], date], TimeSpan | None]]]:
    """when.py's readers of the words, longest first ("in the morning" before "morning")."""
    english = sorted((w for w in WORDS if w.isascii()), key=len, reverse=True)
    chinese = sorted((w for w in WORDS if not w.isascii()), key=len, reverse=True)
    pattern = r"(?<![a-z0-9])(" + "|".join(re.escape(w) for w in english) + r")(?![a-z0-9])"
    return [
        (pattern, lambda m, _: daytime_span(WORDS[m[1]])),
        ("(" + "|".join(chinese) + ")", lambda m, _: daytime_span(WORDS[m[1]])),
    ]
