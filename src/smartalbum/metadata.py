"""What a photo file says about itself: size, format, EXIF time and UTC offset, camera, GPS.

EXIF comes from thousands of firmwares and apps and a fair share of them get
something wrong: zero denominators, 0,0 placeholders, "0000:00:00" dates, refs
as bytes. Every tag is read on its own; a broken one is dropped with a warning
that names the tag and the reason, and never costs the others.

Two calls made here: a GPS coordinate without its N/S or E/W reference keeps the
sign it was written with (so N or E for the usual unsigned values) and says so in
a warning; a missing GPSAltitudeRef means above sea level, as the standard says.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image

from smartalbum.imaging import SUPPORTED_FORMATS, configure_pillow
from smartalbum.media import motion, raw

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKER_NOTE = 0x927C
_MAKE, _MODEL, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004
_OFFSET_TIME, _OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 0x9010, 0x9011, 0x9012
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 0x0001, 0x0002, 0x0003, 0x0004
_GPS_ALT_REF, _GPS_ALT = 0x0005, 0x0006

# (time_source, time tag, the offset tag that goes with it), best first
_TIME_TAGS = (
    ("original", _DATETIME_ORIGINAL, _OFFSET_ORIGINAL),
    ("digitized", _DATETIME_DIGITIZED, _OFFSET_DIGITIZED),
    ("datetime", _DATETIME, _OFFSET_TIME),
)
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2100
_LOWEST_M, _HIGHEST_M = -1_000.0, 50_000.0  # below the Dead Sea shore, above any airliner

_DATE = re.compile(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


@dataclass(frozen=True)
class PhotoMetadata:
    """Header facts of one image; every field is optional but the size and format."""

    width: int
    height: int
    format: str
    taken_at: str | None = None  # local time as recorded, ISO 8601 without offset
    camera_make: str | None = None
    camera_model: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    orientation: int | None = None
    taken_at_offset: str | None = None  # "+09:00": the UTC offset recorded with taken_at
    time_source: str | None = None  # "original" | "digitized" | "datetime"
    gps_alt: float | None = None  # metres above sea level, negative below
    warnings: tuple[str, ...] = ()  # each broken tag that was ignored, and why
    content_id: str | None = None  # Apple's ContentIdentifier: a Live Photo's still and MOV
    motion_offset: int | None = None  # where a Motion Photo's MP4 starts in the file


class _BadValue(ValueError):
    """A tag value that cannot be what its tag says; the message completes a warning."""


def read_metadata(data: bytes | Path, motion_photo: bool = True) -> PhotoMetadata:
    """Parse the header and EXIF only (no pixel decoding); a broken tag is a warning, not an error.

    ``data``: the file's bytes, or its path (only its header is read then, but for a RAW
    file). Raises only when the bytes are not an image Pillow or LibRaw can open at all.
    ``motion_photo``: False when the bytes' Motion Photo video is not wanted (not searched).
    """
    configure_pillow()
    described = raw.describe(data if isinstance(data, bytes) else _raw_bytes(data))
    if described is not None:
        return _from_exif(*described, [])
    warnings: list[str] = []
    with Image.open(
        io.BytesIO(data) if isinstance(data, bytes) else data, formats=SUPPORTED_FORMATS
    ) as img:
        width, height, fmt = img.width, img.height, img.format or "?"
        try:
            exif = img.getexif()
        except Exception as exc:  # EXIF is optional and often broken; the photo still counts
            warnings.append(f"EXIF is unreadable ({type(exc).__name__}); ignored")
            return PhotoMetadata(width, height, fmt, warnings=tuple(warnings))
    meta = _from_exif(width, height, fmt, exif, warnings)
    if motion_photo and isinstance(data, bytes) and fmt in ("JPEG", "MPO"):  # (a path: its header)
        meta = replace(meta, motion_offset=motion.motion_photo_offset(data))
    return meta


def _raw_bytes(path: Path) -> bytes:
    """A RAW file's bytes (LibRaw reads the whole file), or none for any other file."""
    with path.open("rb") as stream:
        return stream.read() if raw.kind(stream, path.name) is not None else b""


def _from_exif(
    width: int, height: int, fmt: str, exif: Image.Exif, warnings: list[str]
) -> PhotoMetadata:
    detail = _sub_ifd(exif, _EXIF_IFD, "Exif", warnings)
    gps = _sub_ifd(exif, _GPS_IFD, "GPS", warnings)
    orientation = _orientation(exif.get(_ORIENTATION), warnings)
    if orientation in range(5, 9):
        width, height = height, width  # as a person sees it
    taken_at, source, offset = _taken_at(exif, detail, warnings)
    lat, lon = _position(gps, warnings)
    maker_note = detail.get(_MAKER_NOTE)
    return PhotoMetadata(
        width=width,
        height=height,
        format=fmt,
        taken_at=taken_at,
        camera_make=_text(exif.get(_MAKE)),
        camera_model=_text(exif.get(_MODEL)),
        gps_lat=lat,
        gps_lon=lon,
        orientation=orientation,
        taken_at_offset=offset,
        time_source=source,
        gps_alt=_altitude(gps, warnings),
        warnings=tuple(warnings),
        content_id=motion.apple_content_id(maker_note) if isinstance(maker_note, bytes) else None,
    )


def _sub_ifd(exif: Image.Exif, tag: int, name: str, warnings: list[str]) -> Mapping[int, Any]:
    try:
        ifd = exif.get_ifd(tag)
    except Exception:  # a bad pointer or a truncated block: lose this IFD only
        ifd = {}
    # Pillow either raises or warns and returns nothing, depending on the damage (and
    # on the warning filters); either way the pointer is there and the block is not.
    if not ifd and tag in exif:
        warnings.append(f"{name} IFD is unreadable; ignored")
    return ifd


def _orientation(value: Any, warnings: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
        return value
    warnings.append(f"Orientation {_shown(value)} is not 1-8; ignored")
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned[:64] or None


def _shown(value: Any) -> str:
    """A value as a warning quotes it: repr, cut short so garbage stays readable."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = repr(value.replace("\x00", "") if isinstance(value, str) else value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- time ---------------------------------------------------------------------------------


def _taken_at(
    ifd0: Mapping[int, Any], detail: Mapping[int, Any], warnings: list[str]
) -> tuple[str | None, str | None, str | None]:
    """(ISO local time, which tag it came from, its UTC offset) from the best valid tag."""
    for source, tag, offset_tag in _TIME_TAGS:
        # The standard puts DateTime in IFD0 and the others in the Exif IFD; some
        # writers misplace them, so look in both.
        first, second = (ifd0, detail) if tag == _DATETIME else (detail, ifd0)
        value = first.get(tag, second.get(tag))
        when = _time(value, ExifTags.TAGS[tag], warnings) if value is not None else None
        if when is not None:
            offset = detail.get(offset_tag, ifd0.get(offset_tag))
            return when, source, _offset(offset, ExifTags.TAGS[offset_tag], warnings)
    return None, None, None


def _time(value: Any, name: str, warnings: list[str]) -> str | None:
    if not isinstance(value, str | bytes):
        warnings.append(f"{name} is not text; ignored")
        return None
    text = _text(value)
    if text is None or not text.strip(" :"):
        return None  # empty, or "    :  :     :  :  ", which is how EXIF writes "unknown"
    match = _DATE.match(text)
    try:
        if not match:
            raise ValueError(text)
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        when = datetime(year, month, day, hour, minute, second)
    except ValueError:
        warnings.append(f"{name} {_shown(text)} is not a date; ignored")
        return None
    if not _EARLIEST_YEAR <= when.year <= _LATEST_YEAR:
        warnings.append(f"{name} {_shown(text)} is out of range; ignored")
        return None
    return when.isoformat()


def _offset(value: Any, name: str, warnings: list[str]) -> str | None:
    if value is None:
        return None
    text = _text(value)
    if text is None or not text.strip(" :"):
        return None
    if text.upper() == "Z":
        return "+00:00"
    match = _OFFSET.fullmatch(text)
    if match:
        hours, minutes = int(match[2]), int(match[3])
        total = (hours * 60 + minutes) * (-1 if match[1] == "-" else 1)
        if minutes < 60 and -12 * 60 <= total <= 14 * 60:  # the offsets in use on Earth
            return f"{'-' if total < 0 else '+'}{hours:02d}:{minutes:02d}"
    warnings.append(f"{name} {_shown(text)} is not a UTC offset; ignored")
    return None


# -- GPS ----------------------------------------------------------------------------------


def _position(gps: Mapping[int, Any], warnings: list[str]) -> tuple[float | None, float | None]:
    """(latitude, longitude) in degrees, or (None, None) unless both are valid."""
    if gps.get(_GPS_LAT) is None and gps.get(_GPS_LON) is None:
        return None, None
    lat = _coordinate(gps, _GPS_LAT, _GPS_LAT_REF, "latitude", "NS", 90, warnings)
    lon = _coordinate(gps, _GPS_LON, _GPS_LON_REF, "longitude", "EW", 180, warnings)
    if lat is None or lon is None:
        return None, None
    if lat == 0 and lon == 0:
        warnings.append("GPS 0,0 placeholder ignored")
        return None, None
    return round(lat, 7), round(lon, 7)


def _coordinate(
    gps: Mapping[int, Any],
    tag: int,
    ref_tag: int,
    axis: str,
    refs: str,
    limit: float,
    warnings: list[str],
) -> float | None:
    value = gps.get(tag)
    if value is None:
        warnings.append(f"GPS {axis} is missing; position ignored")
        return None
    try:
        degrees = _dms(value)
    except _BadValue as exc:
        warnings.append(f"GPS {axis} {exc}; ignored")
        return None
    raw_ref = gps.get(ref_tag)
    text = _text(raw_ref)  # None when absent, blank or not text at all
    ref = text[0].upper() if text else "?"
    if text is None and (raw_ref is None or isinstance(raw_ref, str | bytes)):
        assumed = refs[0] if degrees >= 0 else refs[1]
        warnings.append(f"GPS {axis} has no {refs[0]}/{refs[1]} reference; assumed {assumed}")
    elif ref in refs:
        degrees = -abs(degrees) if ref == refs[1] else abs(degrees)
    else:
        shown = _shown(raw_ref)
        warnings.append(f"GPS {axis} reference {shown} is not {' or '.join(refs)}; ignored")
        return None
    if not -limit <= degrees <= limit:
        warnings.append(f"GPS {axis} {round(degrees, 6)} out of range; ignored")
        return None
    return degrees


def _dms(value: Any) -> float:
    """Degrees from (degrees, minutes, seconds), (degrees, minutes) or (degrees,)."""
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        if isinstance(value, str | bytes):
            raise _BadValue("is not a number")
        raise _BadValue("is not degrees, minutes, seconds")
    parts = [_number(part) for part in value]
    degrees, rest = parts[0], parts[1:]
    if any(not 0 <= part < 60 for part in rest):
        raise _BadValue("is not degrees, minutes, seconds")
    # Unsigned is the rule; a writer that signs the degrees means the whole value.
    magnitude = abs(degrees) + sum(part / 60.0**i for i, part in enumerate(rest, start=1))
    return -magnitude if degrees < 0 else magnitude


def _number(value: Any) -> float:
    """A float from an IFDRational, a (numerator, denominator) pair or a plain number."""
    if isinstance(value, tuple) and len(value) == 2:
        numerator, denominator = value
    else:
        numerator = getattr(value, "numerator", value)
        denominator = getattr(value, "denominator", 1)
    if isinstance(numerator, bool) or not all(
        isinstance(x, int | float) for x in (numerator, denominator)
    ):
        raise _BadValue("is not a number")
    if denominator == 0:
        raise _BadValue("has a zero denominator")
    result = numerator / denominator
    if not math.isfinite(result):
        raise _BadValue("is not a number")
    return float(result)


def _altitude(gps: Mapping[int, Any], warnings: list[str]) -> float | None:
    value = gps.get(_GPS_ALT)
    if value is None:
        return None
    try:
        if isinstance(value, tuple | list) and len(value) == 1:
            value = value[0]
        metres = _number(value)
    except _BadValue as exc:
        warnings.append(f"GPS altitude {exc}; ignored")
        return None
    try:
        below = _below_sea_level(gps.get(_GPS_ALT_REF))
    except _BadValue as exc:
        warnings.append(f"GPS altitude reference {exc}; ignored")
        return None
    if below:
        metres = -abs(metres)
    if not _LOWEST_M <= metres <= _HIGHEST_M:
        warnings.append(f"GPS altitude {round(metres, 3)} m out of range; ignored")
        return None
    return round(metres, 3)


# GPSAltitudeRef is a BYTE, 0 or 1. Pillow hands it over as bytes, some writers as
# the digit or pad it with NULs. Absent means above sea level.
_ALTITUDE_REFS: Mapping[Any, bool] = {
    None: False, 0: False, 1: True, ord("0"): False, ord("1"): True, "0": False, "1": True,
}  # fmt: skip


def _below_sea_level(ref: Any) -> bool:
    if isinstance(ref, tuple) and len(ref) == 1:
        ref = ref[0]
    if isinstance(ref, bytes):
        ref = ref.rstrip(b"\x00") or b"\x00"
        ref = ref[0] if len(ref) == 1 else ref
    elif isinstance(ref, str):
        ref = ref.strip("\x00 ") or "0"
    try:
        return _ALTITUDE_REFS[ref]
    except (KeyError, TypeError):  # TypeError: unhashable garbage
        raise _BadValue(f"{_shown(ref)} is not 0 or 1") from None
