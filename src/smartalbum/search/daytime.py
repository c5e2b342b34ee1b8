"""The photos taken at a time of day (search/understand/daytime.py): by clock, or by the sun.

Morning, evening, night...: the local clock hours of ``taken_at`` (the photo's own time, as
its camera recorded it), so a photo without a position is found too. Sunrise and sunset:
the sun within 6 degrees of the horizon (from civil twilight to about half an hour of light
left), rising or setting, where and when the photo was taken. The instant is the local
time less its recorded UTC offset, or, without one, less the longitude's solar hour (off
by at most a zone's width, so a photo without an offset may be found half an hour off).
The sun's place is the low-precision formula of the Astronomical Almanac (within 0.1
degree, 1950-2050): no data, a few operations a photo.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from smartalbum.search.arrays import Floats, SearchArrays
from smartalbum.search.matching import PLACE_SCORE, Found
from smartalbum.search.understand.daytime import SUN, hours

TWILIGHT = 6.0  # degrees of the sun below and above the horizon counted as sunrise/sunset
_J2000 = datetime(2000, 1, 1, 12)
# Local hours a sunrise or a sunset can fall in, anywhere people live (SQL narrows by them).
_SUN_HOURS = {"sunrise": tuple(range(2, 12)), "sunset": tuple(range(14, 24))}


def sun_position(lat: float, lon: float, utc: datetime) -> tuple[float, float]:
    """The sun's elevation in degrees and its hour angle in degrees (negative: still rising)."""
    d = np.array([(utc - _J2000).total_seconds() / 86400])
    elevation, hour_angle = sun_positions(np.array([lat]), np.array([lon]), d)
    return float(elevation[0]), float(hour_angle[0])


def sun_positions(lat: Floats, lon: Floats, days: Floats) -> tuple[Floats, Floats]:
    """``sun_position`` for many photos at once: ``days`` since J2000 (noon UTC, 2000-01-01)."""
    d = days
    g = np.radians((357.529 + 0.98560028 * d) % 360)  # mean anomaly
    q = (280.459 + 0.98564736 * d) % 360  # mean longitude
    ecliptic = np.radians(q + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    tilt = np.radians(23.439 - 0.00000036 * d)
    right_ascension = np.arctan2(np.cos(tilt) * np.sin(ecliptic), np.cos(ecliptic))
    declination = np.arcsin(np.sin(tilt) * np.sin(ecliptic))
    sidereal = np.radians(((18.697374558 + 24.06570982441908 * d) % 24) * 15 + lon)
    hour_angle = (sidereal - right_ascension + math.pi) % (2 * math.pi) - math.pi
    latitude = np.radians(lat)
    elevation = np.arcsin(
        np.sin(latitude) * np.sin(declination)
        + np.cos(latitude) * np.cos(declination) * np.cos(hour_angle)
    )
    return np.degrees(elevation), np.degrees(hour_angle)


def utc_of(taken_at: str, offset: str | None, lon: float) -> datetime | None:
    """The instant of a local time: less its recorded offset, else less the solar hour."""
    try:
        local = datetime.fromisoformat(taken_at[:19]).replace(tzinfo=None)
    except ValueError:
        return None
    if offset and len(offset) == 6 and offset[0] in "+-" and offset[1:3].isdigit():
        sign = -1 if offset[0] == "-" else 1
        shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6] or 0)) * sign
    else:
        shift = timedelta(hours=lon / 15)
    try:
        return local - shift
    except OverflowError:
        return None


def at_sun(part: str, lat: float, lon: float, utc: datetime) -> bool:
    """Whether the sun was rising (sunrise) or setting (sunset) near the horizon."""
    elevation, hour_angle = sun_position(lat, lon, utc)
    rising = hour_angle < 0
    return abs(elevation) <= TWILIGHT and rising == (part == "sunrise")


def daytime_found(arrays: SearchArrays, part: str, times: dict[int, str]) -> Found:
    """The live photos taken at this time of day (over the arrays search keeps in memory)."""
    wanted = _SUN_HOURS[part] if part in SUN else hours(part)
    at = np.flatnonzero(np.isin(arrays.hour, wanted))
    if part in SUN:
        days = _days(arrays)[at]
        at, days = at[~np.isnan(days)], days[~np.isnan(days)]
        elevation, hour_angle = sun_positions(arrays.lat[at], arrays.lon[at], days)
        rising = hour_angle < 0
        at = at[(np.abs(elevation) <= TWILIGHT) & (rising == (part == "sunrise"))]
    ids = arrays.ids[at].tolist()
    times.update(zip(ids, [arrays.taken[i] for i in at.tolist()], strict=True))
    return dict.fromkeys(ids, PLACE_SCORE)


def _days(arrays: SearchArrays) -> Floats:
    """Each photo's UTC instant in days since J2000, NaN without a position or a time (made
    on the first sunrise or sunset asked of this state of the catalog, then kept)."""
    if "sun_days" not in arrays.derived:
        days = np.full(len(arrays.ids), np.nan)
        placed = np.flatnonzero(~np.isnan(arrays.lat) & ~np.isnan(arrays.lon))
        for i in placed.tolist():
            lon = float(arrays.lon[i])
            utc = utc_of(arrays.taken[i], arrays.offset[i], lon) if arrays.taken[i] else None
            if utc is not None:
                days[i] = (utc - _J2000).total_seconds() / 86400
        arrays.derived["sun_days"] = days
    return arrays.derived["sun_days"]
