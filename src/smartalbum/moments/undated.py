"""Photos whose only date is their file's: one group per day they were imported, not a moment.

A file's modification time says when it was copied, downloaded or unpacked, not when the
photo was taken: a thousand photos indexed on one day would otherwise become one moment
named by a season and an activity they never had. They are grouped by the day of their
import instead ("Undated · imported 7 Dec 2026" / "无日期 · 2026年12月7日导入"), kept out of
trips, and listed after every dated moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from smartalbum.moments.build import Moment
from smartalbum.moments.naming import SEP, day_names

UNDATED = ("Undated", "无日期")


def undated_groups(rows: Sequence[tuple[int, str, float]]) -> list[Moment]:
    """Groups of (id, file date as ISO local time, indexed_at) rows, newest import first.

    In a group the photos run in the order of their file dates, then of their ids.
    """
    by_day: dict[date, list[tuple[str, int]]] = defaultdict(list)
    for photo_id, taken_at, indexed_at in rows:
        by_day[datetime.fromtimestamp(indexed_at).date()].append((taken_at, photo_id))
    return [_group(day, sorted(by_day[day])) for day in sorted(by_day, reverse=True)]


def _group(day: date, photos: list[tuple[str, int]]) -> Moment:
    ids = [photo_id for _, photo_id in photos]
    en, zh = day_names(day)
    start, end = photos[0][0], photos[-1][0]
    return Moment(
        id=f"m{ids[0]}",
        photo_ids=ids,
        start=start,
        end=end,
        first=datetime.fromisoformat(start),
        last=datetime.fromisoformat(end),
        place=None,
        where=None,
        places=frozenset(),
        albums=[],
        cover=ids[0],
        title=f"{UNDATED[0]}{SEP}imported {en}",
        title_zh=f"{UNDATED[1]}{SEP}{zh}导入",
        file_date=True,
        imported=day.isoformat(),
    )
