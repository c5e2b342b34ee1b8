"""What a photo file says about itself: size, format, EXIF time, camera, GPS, orientation."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image

from smartalbum.imaging import SUPPORTED_FORMATS, configure_pillow

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
_DATETIME_ORIGINAL = 0x9003


@dataclass(frozen=True)
class PhotoMetadata:
    """Header facts of one image; every field is optional but the size and format."""

    width: int
    height: int
    format: str
    taken_at: str | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    orientation: int | None = None


def read_metadata(data: bytes) -> PhotoMetadata:
    """Parse the header and EXIF only (no pixel decoding); broken EXIF yields None fields."""
    configure_pillow()
    with Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS) as img:
        width, height, fmt = img.width, img.height, img.format or "?"
        try:
            exif = img.getexif()
        except Exception:  # EXIF is optional and often broken; the photo still counts
            return PhotoMetadata(width, height, fmt)
    try:
        detail = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:
        detail, gps = {}, {}
    orientation = exif.get(_ORIENTATION)
    if isinstance(orientation, int) and orientation in range(5, 9):
        width, height = height, width  # as a person sees it
    lat, lon = _gps(gps)
    return PhotoMetadata(
        width=width,
        height=height,
        format=fmt,
        taken_at=_time(detail.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)),
        camera_make=_text(exif.get(_MAKE)),
        camera_model=_text(exif.get(_MODEL)),
        gps_lat=lat,
        gps_lon=lon,
        orientation=orientation if isinstance(orientation, int) else None,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned[:64] or None


def _time(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _gps(gps: Any) -> tuple[float | None, float | None]:
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def _degrees(dms: Any, ref: Any, negative: str) -> float:
    degrees, minutes, seconds = (float(x) for x in dms)
    value = degrees + minutes / 60 + seconds / 3600
    ref_text = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref_text.strip().upper().startswith(negative) else value
