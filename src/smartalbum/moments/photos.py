"""The photos on the timeline as columns in time order, parsed from catalog rows in bulk.

A library of 100,000 photos is read as seven lists and an array rather than 100,000
objects: times are parsed by numpy, columns reordered by C-level ``map``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from smartalbum import filedates
from smartalbum.moments.clustering import EPOCH, Floats, time_order

# What the indexer writes: ISO 8601 local time, whole seconds or microseconds, no offset.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
FILE_DATE = filedates.FILE_DATE  # time_source of a photo whose file date stood in


@dataclass(frozen=True)
class Photos:
    """Every photo on the timeline, one list per fact, all in time order."""

    ids: list[int]
    taken_at: list[str]  # local time as recorded, ISO 8601
    offsets: list[str | None]  # "+09:00", only when well-formed
    sources: list[str | None]  # time_source
    lat: list[float | None]
    lon: list[float | None]
    places: list[str | None]  # the stored place JSON; None without a GPS position
    seconds: Floats  # since 1970: UTC when the offset is known, else local

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]]) -> Photos:
        """From (id, taken_at, offset, time_source, lat, lon, place) rows in any order.

        A photo whose time is not one the indexer writes stays off the timeline.
        """
        try:
            local = _seconds([row[1] for row in rows])
        except ValueError:
            rows = [row for row in rows if _valid_time(row[1])]
            local = _seconds([row[1] for row in rows])
        ids, taken_at, offsets, sources, lat, lon, places = ([r[k] for r in rows] for k in range(7))
        shifts = {text: _offset_seconds(text) for text in set(offsets)}
        well_formed = {text: text if shifts[text] is not None else None for text in shifts}
        seconds = local - np.array([shifts[o] or 0.0 for o in offsets], dtype=np.float64)
        order = time_order(seconds, np.array(ids, dtype=np.int64)).tolist()
        places = [
            place if a is not None and b is not None else None
            for place, a, b in zip(places, lat, lon, strict=True)
        ]

        def ordered(column: list[Any]) -> list[Any]:
            return list(map(column.__getitem__, order))

        return cls(
            ids=ordered(ids),
            taken_at=ordered(taken_at),
            offsets=ordered(list(map(well_formed.__getitem__, offsets))),
            sources=ordered(sources),
            lat=ordered(lat),
            lon=ordered(lon),
            places=ordered(places),
            seconds=seconds[order],
        )

    def arrays(self) -> tuple[Floats, Floats]:
        """Latitudes and longitudes as arrays, NaN where a photo has no GPS."""
        return np.array(self.lat, dtype=np.float64), np.array(self.lon, dtype=np.float64)

    def iso(self, i: int) -> str:
        """Photo ``i``'s time as ISO 8601, with its offset when known."""
        return self.taken_at[i] + (self.offsets[i] or "")

    def when(self, i: int) -> datetime:
        """Photo ``i``'s sort time as a naive datetime (UTC when its offset is known)."""
        return EPOCH + timedelta(seconds=float(self.seconds[i]))

    def local(self, i: int) -> datetime:
        """Photo ``i``'s local time as recorded."""
        return datetime.fromisoformat(self.taken_at[i])

    def only_file_dates(self, start: int, end: int) -> bool:
        """Whether every time in ``start:end`` is a file date rather than a capture time."""
        return self.sources[start:end].count(FILE_DATE) == end - start


def _seconds(times: list[str]) -> Floats:
    """Seconds since 1970 of ISO local times, parsed by numpy; ValueError if any is not one.

    Only the two lengths the indexer writes are let through: numpy would accept (and
    warn about) a time with a zone, which the catalog never holds.
    """
    text = np.array(times, dtype=np.str_)
    if len(text) and not np.isin(np.char.str_len(text), (19, 26)).all():
        raise ValueError("a time is not ISO 8601 local time")
    parsed: Floats = text.astype("datetime64[us]").astype(np.int64) / 1e6
    return parsed


def _valid_time(text: str | None) -> bool:
    """Whether one time is ISO 8601 local time as the indexer writes it, and a real date."""
    if not text or not _ISO.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _offset_seconds(text: str | None) -> float | None:
    """A UTC offset such as "+09:00" in seconds; None when absent or malformed."""
    match = _OFFSET.fullmatch(text or "")
    if not match:
        return None
    seconds = (int(match[2]) * 60 + int(match[3])) * 60
    return float(-seconds if match[1] == "-" else seconds)
