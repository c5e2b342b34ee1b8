"""On this day: photos taken on today's month and day in earlier years, grouped by year.

"3 years ago" / "三年前的今天", newest year first. In a year the favourites come first, then
the covers of the moments the day belongs to (a moment's best photo of what it is named
after), then the rest in time order. A photo dated only by its file has no day of its
own and is never a memory; a photo of 29 February is one on the 28th in a common year.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select

from smartalbum.catalog import Photo, live, month_day
from smartalbum.library.service import PhotoLibrary
from smartalbum.moments.photos import FILE_DATE

_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Memory:
    """One photo of the day: its id, local time as recorded, and its moment's id and cover."""

    photo_id: int
    taken_at: str
    moment: dict[str, Any] | None  # {"id", "title", "title_zh"} as the timeline lists it
    cover: bool  # the cover of its moment


def days_of(today: date) -> tuple[str, ...]:
    """The "MM-DD" days that are today's in earlier years (28 Feb takes 29 Feb in)."""
    day = today.strftime("%m-%d")
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        return (day, "02-29")
    return (day,)


def chinese_years(n: int) -> str:
    """ "三年前的今天" for 3: the count in Chinese numerals (两 for 2), up to 99."""
    if n == 2:
        text = "两"
    elif n < 10:
        text = _DIGITS[n]
    else:
        tens, ones = divmod(n, 10)
        text = ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return f"{text}年前的今天"


def titles(years_ago: int) -> tuple[str, str]:
    """("3 years ago", "三年前的今天")."""
    return f"{years_ago} year{'' if years_ago == 1 else 's'} ago", chinese_years(years_ago)


def group_by_year(
    memories: Sequence[Memory], today: date, favourites: Collection[int] = (), limit: int = 12
) -> list[dict[str, Any]]:
    """The memories of each earlier year, newest year first, best first within a year."""
    years: dict[int, list[Memory]] = defaultdict(list)
    for memory in memories:
        year = int(memory.taken_at[:4])
        if year < today.year:
            years[year].append(memory)
    answer = []
    for year in sorted(years, reverse=True):
        ranked = sorted(
            years[year],
            key=lambda m: (m.photo_id not in favourites, not m.cover, m.taken_at, m.photo_id),
        )
        moments = {m.moment["id"]: m.moment for m in ranked if m.moment is not None}
        en, zh = titles(today.year - year)
        answer.append(
            {
                "year": year,
                "years_ago": today.year - year,
                "title": en,
                "title_zh": zh,
                "count": len(ranked),
                "moments": list(moments.values()),
                "photos": [_photo(m, favourites) for m in ranked[:limit]],
            }
        )
    return answer


def _photo(memory: Memory, favourites: Collection[int]) -> dict[str, Any]:
    moment = memory.moment["id"] if memory.moment else None
    favourite = memory.photo_id in favourites
    return {"id": memory.photo_id, "taken_at": memory.taken_at, "moment": moment,
            "favourite": favourite}  # fmt: skip


def day_query(today: date) -> Select[int, str | None]:
    """The photos of today's month and day in earlier years (the month-day index finds them)."""
    return select(Photo.id, Photo.taken_at).where(
        live(),
        Photo.archived_at.is_(None),  # archived: out of the timeline and its memories
        Photo.taken_at.is_not(None),
        or_(Photo.time_source.is_(None), Photo.time_source != FILE_DATE),
        month_day().in_(days_of(today)),
        Photo.taken_at < f"{today.year:04d}",
    )


def on_this_day(
    library: PhotoLibrary,
    moments_of: Callable[[Sequence[int]], dict[int, tuple[dict[str, Any], int]]],
    today: date,
    limit: int = 12,
) -> dict[str, Any]:
    """The answer of ``GET /api/on-this-day``: the day and its memories by year.

    ``moments_of(ids)``: each dated photo's moment and that moment's cover (the timeline's).
    """
    with library.sessions() as session:
        rows = session.execute(day_query(today)).all()
    dated = [(i, taken) for i, taken in rows if taken is not None and taken[:4].isdigit()]
    moments = moments_of([photo_id for photo_id, _ in dated])  # not a time the indexer writes
    memories = []
    for photo_id, taken_at in dated:
        moment, cover = moments.get(photo_id, (None, None))
        memories.append(Memory(photo_id, taken_at, moment, cover == photo_id))
    return {"today": today.isoformat(), "years": group_by_year(memories, today, limit=limit)}
