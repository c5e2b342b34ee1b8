"""Dates read from file names, checked against the calendar, the clock and a fixed today."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.filedates import (
    FILE_DATE,
    FROM_NAME,
    FROM_NAME_DAY,
    date_from_name,
    fallback_time,
)
from smartalbum.settings import Settings
from tests.helpers import index_folder

TODAY = datetime(2026, 12, 7, 9, 30)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_20240315_101500.jpg", "2024-03-15T10:15:00"),  # Android camera
        ("VID_20240315_101500.mp4", "2024-03-15T10:15:00"),
        ("PXL_20240315_101500123.jpg", "2024-03-15T10:15:00"),  # Pixel: milliseconds run on
        ("PXL_20240315_101500123.MP.jpg", "2024-03-15T10:15:00"),
        ("20240315_101500.jpg", "2024-03-15T10:15:00"),  # Samsung
        ("Screenshot_2024-03-15-10-15-00.png", "2024-03-15T10:15:00"),
        ("Screenshot_20240315-101500.png", "2024-03-15T10:15:00"),
        ("Screenshot 2024-03-15 at 10.15.00.png", "2024-03-15T10:15:00"),  # macOS
        ("2024-03-15 10.15.00.jpg", "2024-03-15T10:15:00"),  # Dropbox camera uploads
        ("signal-2024-03-15-101500.jpg", "2024-03-15T10:15:00"),
        ("photo_2024-03-15_10-15-00.jpg", "2024-03-15T10:15:00"),  # Telegram
        ("img_20240315_101500.JPG", "2024-03-15T10:15:00"),
    ],
)
def test_a_date_and_time_in_the_name(name: str, expected: str) -> None:
    assert date_from_name(name, TODAY) == (expected, FROM_NAME)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG-20240315-WA0001.jpg", "2024-03-15T12:00:00"),  # WhatsApp: the day only
        ("VID-20240315-WA0012.mp4", "2024-03-15T12:00:00"),
        ("scan 1999-12-31.png", "1999-12-31T12:00:00"),
        ("20240315.jpg", "2024-03-15T12:00:00"),
        ("IMG_20240315_1015.jpg", "2024-03-15T12:00:00"),  # hours and minutes are not a time
    ],
)
def test_a_day_in_the_name_is_noon(name: str, expected: str) -> None:
    assert date_from_name(name, TODAY) == (expected, FROM_NAME_DAY)


@pytest.mark.parametrize(
    "name",
    [
        "IMG_1234.JPG",
        "DSC_0001.jpg",
        "holiday.jpg",
        "IMG_20241315_101500.jpg",  # month 13
        "IMG_20230229_101500.jpg",  # 29 February in a common year
        "IMG_20240315_251500.jpg",  # hour 25
        "IMG_20240315_106000.jpg",  # minute 60
        "IMG_20271208_101500.jpg",  # after tomorrow
        "IMG_19690315_101500.jpg",  # before any digital photo
        "1202403151015001.jpg",  # a longer number is not cut into a date
        "2024-03_15.jpg",  # two different separators
        "mmexport4102444800000.jpg",  # 2100: in the future
    ],
)
def test_names_that_are_no_date(name: str) -> None:
    assert date_from_name(name, TODAY) is None


def test_a_leap_day_and_tomorrow_are_dates() -> None:
    assert date_from_name("IMG_20240229_000000.jpg", TODAY) == ("2024-02-29T00:00:00", FROM_NAME)
    assert date_from_name("IMG_20261208_080000.jpg", TODAY) == ("2026-12-08T08:00:00", FROM_NAME)


def test_wechat_milliseconds_since_1970_in_local_time() -> None:
    stamp = 1710497700  # 2024-03-15 10:15:00 UTC
    local = datetime.fromtimestamp(stamp).isoformat()
    assert date_from_name(f"mmexport{stamp}000.jpg", TODAY) == (local, FROM_NAME)
    assert date_from_name(f"wx_camera_{stamp}123.jpg", TODAY) == (local, FROM_NAME)
    # Without an app's prefix a long number is a serial, not a time.
    assert date_from_name(f"{stamp}000.jpg", TODAY) is None


def test_the_file_time_stands_in_last() -> None:
    mtime = datetime(2026, 12, 7, 8, 0, 0).timestamp()
    assert fallback_time("IMG_20240315_101500.jpg", mtime) == ("2024-03-15T10:15:00", FROM_NAME)
    assert fallback_time("IMG_1234.jpg", mtime) == ("2026-12-07T08:00:00", FILE_DATE)


def test_the_indexer_dates_photos_by_their_names(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    names = ("IMG_20240315_101500.jpg", "IMG-20240316-WA0001.jpg", "IMG_1234.jpg")
    for name, sample in zip(names, sorted(samples.glob("*.JPEG"))[:3], strict=True):
        with Image.open(sample) as img:
            img.convert("RGB").save(folder / name, "JPEG")  # no EXIF: as a messaging app sends
    catalog = tmp_path / "library.db"
    assert index_folder(settings, folder, catalog) == 3
    engine = open_engine(catalog)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(select(Photo.path, Photo.taken_at, Photo.time_source)).all()
    finally:
        engine.dispose()
    dated = {Path(path).name: (taken, source) for path, taken, source in rows}
    assert dated["IMG_20240315_101500.jpg"] == ("2024-03-15T10:15:00", FROM_NAME)
    assert dated["IMG-20240316-WA0001.jpg"] == ("2024-03-16T12:00:00", FROM_NAME_DAY)
    assert dated["IMG_1234.jpg"][1] == FILE_DATE
