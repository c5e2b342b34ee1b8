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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, is_live
from smartalbum.search.matching import PLACE_SCORE, Found
from smartalbum.search.understand.daytime import SUN, hours

TWILIGHT = 6.0  # degrees of the sun below and above the horizon counted as sunrise/sunset
_J2000 = datetime(2000, 1, 1, 12)
# Local hours a sunrise or a sunset can fall in, anywhere people live (SQL narrows by them).
_SUN_HOURS = {"sunrise": tuple(range(2, 12)), "sunset": tuple(range(14, 24))}


def sun_position(lat: float, lon: float, utc: datetime) -> tuple[float, float]:
    """The sun's elevation in degrees and its hour angle in degrees (negative: still rising)."""
    d = (utc - _J2000).total_seconds() / 86400
    g = math.radians((357.529 + 0.98560028 * d) % 360)  # mean anomaly
    q = (280.459 + 0.98564736 * d) % 360  # mean longitude
    ecliptic = math.radians(q + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g))
    tilt = math.radians(23.439 - 0.00000036 * d)
    right_ascension = math.atan2(math.cos(tilt) * math.sin(ecliptic), math.cos(ecliptic))
    declination = math.asin(math.sin(tilt) * math.sin(ecliptic))
    sidereal = math.radians(((18.697374558 + 24.06570982441908 * d) % 24) * 15 + lon)
    hour_angle = (sidereal - right_ascension + math.pi) % (2 * math.pi) - math.pi
    latitude = math.radians(lat)
    elevation = math.asin(
        math.sin(latitude) * math.sin(declination)
        + math.cos(latitude) * math.cos(declination) * math.cos(hour_angle)
    )
    return math.degrees(elevation), math.degrees(hour_angle)


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


def daytime_found(session: Session, part: str, times: dict[int, str]) -> Found:
    """The live photos taken at this time of day."""
    hour = func.substr(Photo.taken_at, 12, 2)
    wanted = _SUN_HOURS[part] if part in SUN else hours(part)
    query = select(
        Photo.id, Photo.status, Photo.trashed_at, Photo.companion_of, Photo.taken_at,
        Photo.taken_at_offset, Photo.gps_lat, Photo.gps_lon,
    ).where(Photo.taken_at.is_not(None), hour.in_([f"{h:02d}" for h in wanted]))  # fmt: skip
    if part in SUN:
        query = query.where(Photo.gps_lat.is_not(None), Photo.gps_lon.is_not(None))
    found: Found = {}
    for photo_id, status, trashed, companion, taken_at, offset, lat, lon in session.execute(query):
        if not is_live(status, trashed, companion) or taken_at is None:
            continue
        if part in SUN:
            utc = utc_of(taken_at, offset, lon or 0.0)
            if utc is None or lat is None or not at_sun(part, lat, lon or 0.0, utc):
                continue
        found[photo_id] = PLACE_SCORE
        times[photo_id] = taken_at
    return found
