"""A generated library for the moments tests: real sample photos re-saved with known EXIF.

Home is Beijing. A ski trip to Hokkaido goes on to Tokyo and flies across the date
line to Honolulu; later come Sydney's beaches in January (summer there), and Paris then
Lyon in April with a day of camera photos without GPS in between. Some tags are broken
and one photo has no EXIF at all (its file date stands in).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageOps

from smartalbum.settings import Settings
from tests.helpers import dms, make_exif, r

BEIJING = (39.9055, 116.3976)
FORBIDDEN_CITY = (39.9163, 116.3972)
SAPPORO = (43.0687, 141.3508)
SAPPORO_PARK = (43.0556, 141.3453)
NISEKO = (42.8048, 140.6874)
TOKYO = (35.6896, 139.6921)
HONOLULU = (21.3069, -157.8583)
WAIKIKI = (21.2766, -157.8269)
SYDNEY = (-33.8731, 151.2061)
SYDNEY_CBD = (-33.8688, 151.2093)
BONDI = (-33.8908, 151.2743)
NOTRE_DAME = (48.8530, 2.3499)
LOUVRE = (48.8606, 2.3376)
LYON = (45.7640, 4.8357)
LYON_EAST = (45.7597, 4.8422)

ZERO_DENOMINATOR = "zero denominator"
PLACEHOLDER = "0,0 placeholder"
NO_EXIF = "no EXIF"


class Shot(NamedTuple):
    """One photo to write: its sample, how it is altered, its EXIF time, offset and GPS."""

    name: str
    sample: str
    transform: str  # "", "mirror" or "crop"
    taken: str  # "2025-01-10 10:00"; for NO_EXIF the file's local mtime
    offset: str | None
    gps: tuple[float, float] | str | None  # a point, a kind of broken tag, or none


PALACE, CHURCH = "n03877845_palace", "n03028079_church"
SKI, ALP, DOGSLED = "n04228054_ski", "n09193705_alp", "n03218198_dogsled"
SNOWMOBILE, SEASHORE, SANDBAR = "n04252077_snowmobile", "n09428293_seashore", "n09421951_sandbar"
SNORKEL, SCUBA, RETRIEVER = (
    "n04251144_snorkel",
    "n10565667_scuba_diver",
    "n02099601_golden_retriever",
)

SHOTS = [
    Shot("home-dec-1", PALACE, "", "2024-12-20 10:00", "+08:00", FORBIDDEN_CITY),
    Shot("home-dec-2", CHURCH, "", "2024-12-20 15:30", "+08:00", BEIJING),
    Shot("home-dec-3", PALACE, "mirror", "2024-12-21 11:00", "+08:00", FORBIDDEN_CITY),
    # Hokkaido: Sapporo, across midnight, then Niseko (~60 km: the same moment).
    Shot("sapporo-1", SKI, "", "2025-01-10 10:00", "+09:00", SAPPORO),
    Shot("sapporo-2", ALP, "", "2025-01-10 23:30", "+09:00", SAPPORO_PARK),
    Shot("sapporo-3", DOGSLED, "", "2025-01-11 00:20", "+09:00", SAPPORO),
    Shot("sapporo-4", SKI, "mirror", "2025-01-11 09:00", "+09:00", SAPPORO),
    Shot("niseko-1", SKI, "crop", "2025-01-12 10:00", "+09:00", NISEKO),
    Shot("niseko-2", SNOWMOBILE, "", "2025-01-12 13:00", "+09:00", NISEKO),
    Shot("niseko-camera", SKI, "mirror", "2025-01-12 14:00", None, None),  # no offset, no GPS
    Shot("niseko-broken-gps", DOGSLED, "mirror", "2025-01-12 16:00", "+09:00", ZERO_DENOMINATOR),
    # Tokyo the next morning: ~800 km within a day, a new moment.
    Shot("tokyo-1", PALACE, "crop", "2025-01-13 08:00", "+09:00", TOKYO),
    Shot("tokyo-2", CHURCH, "", "2025-01-13 11:00", "+09:00", TOKYO),
    # Across the date line: Honolulu's clock says the day before, five hours later.
    Shot("honolulu-1", SEASHORE, "", "2025-01-12 21:00", "-10:00", HONOLULU),
    Shot("honolulu-2", SANDBAR, "", "2025-01-13 10:00", "-10:00", WAIKIKI),
    Shot("honolulu-3", SEASHORE, "mirror", "2025-01-13 15:00", "-10:00", HONOLULU),
    Shot("honolulu-4", SNORKEL, "", "2025-01-14 09:00", "-10:00", HONOLULU),
    Shot("home-jan-1", CHURCH, "crop", "2025-01-17 10:00", "+08:00", BEIJING),
    Shot("home-jan-2", PALACE, "crop", "2025-01-17 16:00", "+08:00", FORBIDDEN_CITY),
    # Sydney in January: summer.
    Shot("sydney-1", SEASHORE, "", "2025-01-25 09:00", "+11:00", SYDNEY),
    Shot("sydney-2", SANDBAR, "", "2025-01-25 13:00", "+11:00", BONDI),
    Shot("sydney-3", SEASHORE, "mirror", "2025-01-26 10:00", "+11:00", SYDNEY_CBD),
    Shot("sydney-4", SCUBA, "", "2025-01-26 15:00", "+11:00", SYDNEY),
    Shot("home-feb", PALACE, "", "2025-02-05 12:00", "+08:00", BEIJING),
    # Paris, a day without GPS, then Lyon.
    Shot("paris-1", CHURCH, "", "2025-04-10 10:00", "+02:00", NOTRE_DAME),
    Shot("paris-2", PALACE, "", "2025-04-10 16:00", "+02:00", LOUVRE),
    Shot("paris-3", CHURCH, "mirror", "2025-04-11 11:00", "+02:00", NOTRE_DAME),
    Shot("paris-placeholder", PALACE, "crop", "2025-04-11 18:00", "+02:00", PLACEHOLDER),
    Shot("no-gps-day", ALP, "mirror", "2025-04-14 12:00", "+02:00", None),
    Shot("lyon-1", CHURCH, "crop", "2025-04-17 10:00", "+02:00", LYON),
    Shot("lyon-2", PALACE, "mirror", "2025-04-17 15:00", "+02:00", LYON_EAST),
    # No EXIF at all: the file's date (local noon, 15 June 2023) stands in.
    Shot("no-exif", RETRIEVER, "", "2023-06-15 12:00", None, NO_EXIF),
]


def gps_tags(lat: float, lon: float) -> dict[int, object]:
    """GPS IFD tags for a point, as a camera writes them (unsigned, with N/S and E/W)."""

    def dms_of(value: float) -> object:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = ((value - degrees) * 60 - minutes) * 60
        return dms(degrees, minutes, min(5999, round(seconds * 100)))  # never 60.00 s

    return {
        1: "N" if lat >= 0 else "S",
        2: dms_of(lat),
        3: "E" if lon >= 0 else "W",
        4: dms_of(lon),
    }


def write_library(root: Path, samples: Path, shots: list[Shot] = SHOTS) -> dict[str, Path]:
    """Write every shot under ``root``; returns the path of each by name."""
    root.mkdir(parents=True, exist_ok=True)
    paths = {}
    for shot in shots:
        path = root / f"{shot.name}.jpg"
        with Image.open(samples / f"{shot.sample}.JPEG") as original:
            img = original.convert("RGB")
        if shot.transform == "mirror":
            img = ImageOps.mirror(img)
        elif shot.transform == "crop":
            w, h = img.size
            img = img.crop((w // 10, h // 10, w * 9 // 10, h * 9 // 10))
        taken = datetime.strptime(shot.taken, "%Y-%m-%d %H:%M")
        if shot.gps == NO_EXIF:
            img.save(path, "JPEG")
            stamp = taken.timestamp()  # local time, like the indexer reads it back
            os.utime(path, (stamp, stamp))
        else:
            detail: dict[int, object] = {0x9003: taken.strftime("%Y:%m:%d %H:%M:%S")}
            if shot.offset:
                detail[0x9011] = shot.offset
            gps: dict[int, object] | None = None
            if isinstance(shot.gps, tuple):
                gps = gps_tags(*shot.gps)
            elif shot.gps == ZERO_DENOMINATOR:
                gps = {1: "N", 2: (r(0, 0), r(0), r(0)), 3: "E", 4: dms(141, 0, 0)}
            elif shot.gps == PLACEHOLDER:
                gps = {1: "N", 2: dms(0, 0, 0), 3: "E", 4: dms(0, 0, 0)}
            img.save(path, "JPEG", exif=make_exif(detail=detail, gps=gps))
        paths[shot.name] = path
    return paths


def index_library(
    root: Path, library: Path, settings: Settings, shots: list[Shot] = SHOTS
) -> dict[str, int]:
    """Index ``root`` into ``library`` with the real model; returns each photo's id by name."""
    from sqlalchemy import select

    from smartalbum.catalog import Photo, open_engine, session_factory
    from smartalbum.engines.classifier import Classifier
    from smartalbum.library.indexer import Indexer

    sessions = session_factory(open_engine(library))
    classifier = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(classifier, sessions, library).run([root])
    assert report.added == len(shots) and report.failed == 0, report
    with sessions() as session:
        rows = session.execute(select(Photo.id, Photo.path)).all()
    return {Path(path).stem: photo_id for photo_id, path in rows}
