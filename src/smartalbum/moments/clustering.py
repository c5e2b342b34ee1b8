"""Cutting a photo timeline into moments: at long pauses, and where you jumped far within a day.

Times are compared in UTC when a photo recorded its offset, else as the camera's clock
showed them, so a flight across the date line (Tokyo 11:00 +09:00, Honolulu 21:00 -10:00
the calendar day before) still runs forward. The work is done on arrays: a library of
100,000 photos is cut in a few milliseconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from smartalbum.places.geocoding import EARTH_RADIUS_KM

JUMP_WINDOW = timedelta(hours=24)  # two fixes this close in time and far apart: a journey
EPOCH = datetime(1970, 1, 1)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


class Timed(Protocol):
    """What ``cluster`` needs of a photo: an id, a time and perhaps a position."""

    @property
    def photo_id(self) -> int:
        """The photo's catalog id."""

    @property
    def when(self) -> datetime:
        """Naive: UTC when the offset is known, else local time as recorded."""

    @property
    def lat(self) -> float | None:
        """Latitude in degrees, or None without GPS."""

    @property
    def lon(self) -> float | None:
        """Longitude in degrees, or None without GPS."""


class Shot(NamedTuple):
    """A photo as the clustering sees it, for callers without a record type of their own."""

    photo_id: int
    when: datetime
    lat: float | None = None
    lon: float | None = None


T = TypeVar("T", bound=Timed)


def cluster(shots: Sequence[T], gap_hours: float, distance_km: float) -> list[list[T]]:
    """Moments in time order, each a time-ordered run of shots (see ``cut`` for the rules)."""
    seconds = np.array([(s.when - EPOCH).total_seconds() for s in shots], dtype=np.float64)
    order = time_order(seconds, np.array([s.photo_id for s in shots], dtype=np.int64))
    ordered = [shots[i] for i in order.tolist()]
    lat = np.array([s.lat for s in ordered], dtype=np.float64)  # None becomes NaN
    lon = np.array([s.lon for s in ordered], dtype=np.float64)
    bounds = cut(seconds[order], lat, lon, gap_hours, distance_km)
    return [ordered[start:end] for start, end in bounds]


def time_order(seconds: Floats, ids: Ints) -> Ints:
    """Positions sorted by time, then by photo id: the same order every time."""
    order: Ints = np.lexsort((ids, seconds))
    return order


def cut(
    seconds: Floats, lat: Floats, lon: Floats, gap_hours: float, distance_km: float
) -> list[tuple[int, int]]:
    """(start, end) of each moment over photos already in time order; NaN where no GPS.

    A pause longer than ``gap_hours`` starts a new moment. So does a move of more than
    ``distance_km`` between two consecutive photos with GPS taken less than 24 h apart;
    photos without GPS between those two go with whichever side the longest pause
    between them leaves them on (you travelled during it).
    """
    if not len(seconds):
        return []
    pauses = np.diff(seconds)
    cuts = set((np.flatnonzero(pauses > gap_hours * 3600) + 1).tolist())
    fixes = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon))
    before, after = fixes[:-1], fixes[1:]
    moved = haversine_km(lat[before], lon[before], lat[after], lon[after])
    soon = seconds[after] - seconds[before] < JUMP_WINDOW.total_seconds()
    jumps = soon & (moved > distance_km)
    for a, b in zip(before[jumps].tolist(), after[jumps].tolist(), strict=True):
        # The longest pause between the two fixes; among equal ones, the later.
        cuts.add(b - int(np.argmax(pauses[a:b][::-1])))
    return list(itertools.pairwise([0, *sorted(cuts), len(seconds)]))


def haversine_km(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    """``places.haversine_km`` on arrays of points in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    distance: Floats = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return distance
