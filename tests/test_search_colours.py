"""Colours (issue 28): each photo's dominant colours from its thumbnail, found by name.

On a small library of real sample photos indexed with the real model: "red car" is a car
that red dominates, "白色的花" a white flower, a colour alone the photos it dominates.
Each query lists exactly the photos it finds and how it is read (a colour chip and a thing).
"""

from __future__ import annotations

import io
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from smartalbum import colours
from smartalbum.albums import RulesWatcher, class_groups
from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.colour_pass import colour_backfill
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import load_labels
from smartalbum.search.service import search
from smartalbum.settings import Settings
from tests.helpers import SAMPLES
from tests.moments_library import Shot, index_library, write_library

SHOTS = [
    Shot("red-sports-car", "n04285008_sports_car", "", "2025-06-01 10:00", "+08:00", None),
    Shot("red-fire-engine", "n03345487_fire_engine", "", "2025-06-02 10:00", "+08:00", None),
    Shot("yellow-cab", "n02930766_cab", "", "2025-06-03 10:00", "+08:00", None),
    Shot("grey-minibus", "n03769881_minibus", "", "2025-06-04 10:00", "+08:00", None),
    Shot("white-daisy", "n11939491_daisy", "", "2025-06-05 10:00", "+08:00", None),
    Shot("green-slipper", "n12057211_yellow_lady's_slipper", "", "2025-06-06 10:00", "+08:00",
         None),
    Shot("red-strawberry", "n07745940_strawberry", "", "2025-06-07 10:00", "+08:00", None),
    Shot("yellow-lemon", "n07749582_lemon", "", "2025-06-08 10:00", "+08:00", None),
    Shot("blue-ski", "n04228054_ski", "", "2025-06-09 10:00", "+08:00", None),
    Shot("yellow-clock", "n04548280_wall_clock", "", "2025-06-10 10:00", "+08:00", None),
]  # fmt: skip
RED_CARS = {"red-sports-car", "red-fire-engine"}
YELLOW = {"yellow-cab", "yellow-lemon", "yellow-clock"}
CAR, FLOWER = ("what", "car"), ("what", "flower")

# (query, exactly the photos it finds, its parts: (kind, a concept id among the part's))
QUERIES: list[tuple[str, set[str], list[tuple[str, ...]]]] = [
    ("red car", RED_CARS, [("what", "red"), CAR]),
    ("红色的汽车", RED_CARS, [("what", "red"), CAR]),
    ("red cars", RED_CARS, [("what", "red"), CAR]),
    ("紅色的車", RED_CARS, [("what", "red"), CAR]),
    ("white flowers", {"white-daisy"}, [("what", "white"), FLOWER]),
    ("白色的花", {"white-daisy"}, [("what", "white"), FLOWER]),
    ("yellow", YELLOW, [("what", "yellow")]),
    ("黄色", YELLOW, [("what", "yellow")]),
    ("yellow car", {"yellow-cab"}, [("what", "yellow"), CAR]),
    ("黄色的车", {"yellow-cab"}, [("what", "yellow"), CAR]),
    ("blue", {"blue-ski"}, [("what", "blue")]),
    ("蓝色", {"blue-ski"}, [("what", "blue")]),
    ("red", RED_CARS | {"red-strawberry"}, [("what", "red")]),
    ("红", RED_CARS | {"red-strawberry"}, [("what", "red")]),
    ("red or yellow cars", RED_CARS | {"yellow-cab"}, [("any", "red", "yellow"), CAR]),
    ("红色或黄色的车", RED_CARS | {"yellow-cab"}, [("any", "red", "yellow"), CAR]),
    ("cars not red", {"yellow-cab", "grey-minibus"}, [CAR, ("not", "red")]),
    ("不要红色的车", {"yellow-cab", "grey-minibus"}, [("not", "red"), CAR]),
]


@pytest.fixture(scope="module")
def coloured(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PhotoLibrary, dict[str, int], Path]]:
    """The shots indexed with the real model; the library, ids by name, the catalog."""
    base = tmp_path_factory.mktemp("colours")
    write_library(base / "photos", SAMPLES, SHOTS)
    catalog = base / "library.db"
    ids = index_library(base / "photos", catalog, settings, SHOTS)
    labels = load_labels()
    lib = PhotoLibrary(
        session_factory(open_engine(catalog)), labels, RulesWatcher(None, labels, class_groups())
    )
    yield lib, ids, catalog


def _names(answer: dict[str, Any], ids: dict[str, int]) -> set[str]:
    by_id = {photo_id: name for name, photo_id in ids.items()}
    return {by_id[p["id"]] for p in answer["photos"]}


def _check(part: dict[str, Any], kind: str, wanted: tuple[str, ...]) -> None:
    if kind == "not":
        assert part["negated"] and wanted[0] in {c["id"] for c in part["concepts"]}, part
    elif kind == "any":
        assert [a["concepts"][0]["id"] for a in part["alternatives"]] == list(wanted), part
    else:
        assert part["kind"] == kind and wanted[0] in {c["id"] for c in part["concepts"]}, part


@pytest.mark.parametrize(("query", "photos", "parts"), QUERIES, ids=[q for q, _, _ in QUERIES])
def test_a_colour_finds_the_photos_it_dominates(
    coloured: tuple[PhotoLibrary, dict[str, int], Path],
    query: str,
    photos: set[str],
    parts: list[tuple[str, ...]],
) -> None:
    lib, ids, _ = coloured
    answer = search(lib, query, limit=100)
    assert _names(answer, ids) == photos
    read = answer["interpretation"]
    assert len(read) == len(parts), read
    for part, (kind, *wanted) in zip(read, parts, strict=True):
        _check(part, kind, tuple(wanted))
    colour = next(c for p in read for c in p.get("concepts", []) if c["kind"] == "colour")
    assert colour["swatch"] == f"colour-{colour['id']}"  # the chip's swatch (search.css)
    assert colour["zh"] == colours.NAMES[colour["id"]][1]


def test_the_queries_are_half_chinese() -> None:
    chinese = [q for q, _, _ in QUERIES if not q.isascii()]
    assert 2 * len(chinese) == len(QUERIES)


def test_a_redder_photo_ranks_first(coloured: tuple[PhotoLibrary, dict[str, int], Path]) -> None:
    lib, ids, catalog = coloured
    with sqlite3.connect(catalog) as db:
        stored = dict(db.execute("SELECT id, colours FROM photos"))
    shares = {name: colours.parse(stored[i]).get("red", 0.0) for name, i in ids.items()}
    found = [p["id"] for p in search(lib, "red", limit=100)["photos"]]
    by_id = {i: name for name, i in ids.items()}
    assert [shares[by_id[i]] for i in found] == sorted(
        (shares[by_id[i]] for i in found), reverse=True
    )


def test_photos_indexed_before_colours_get_them_from_their_thumbnails(
    coloured: tuple[PhotoLibrary, dict[str, int], Path], tmp_path: Path
) -> None:
    """The backfill: from the stored thumbnail, the colours of index time (to 2 %: the JPEG
    is decoded again); a damaged
    thumbnail gets none and does not stop the run; a second run has nothing to do."""
    _, ids, catalog = coloured
    copy = tmp_path / "copy.db"
    with sqlite3.connect(catalog) as db, sqlite3.connect(copy) as out:
        db.backup(out)
    with sqlite3.connect(copy) as db:
        indexed = dict(db.execute("SELECT id, colours FROM photos"))
        db.execute("UPDATE photos SET colours = NULL")
        db.execute("UPDATE photo_blobs SET thumbnail = x'00' WHERE photo_id = ?",
                   (ids["grey-minibus"],))  # fmt: skip
    sessions = session_factory(open_engine(copy))
    assert colour_backfill(sessions) == len(SHOTS)
    with sqlite3.connect(copy) as db:
        filled = dict(db.execute("SELECT id, colours FROM photos"))
    assert filled[ids["grey-minibus"]] == ""
    del filled[ids["grey-minibus"]], indexed[ids["grey-minibus"]]
    assert filled.keys() == indexed.keys()
    for photo_id, then in indexed.items():
        now = colours.parse(filled[photo_id])
        for name, share in colours.parse(then).items():
            assert abs(now.get(name, 0.0) - share) <= 0.02 or share < 0.12, (then, now)
    assert colour_backfill(sessions) == 0


def test_the_backfill_stops_when_told_and_resumes(
    coloured: tuple[PhotoLibrary, dict[str, int], Path], tmp_path: Path
) -> None:
    _, _, catalog = coloured
    copy = tmp_path / "copy.db"
    with sqlite3.connect(catalog) as db, sqlite3.connect(copy) as out:
        db.backup(out)
        out.execute("UPDATE photos SET colours = NULL")
    sessions = session_factory(open_engine(copy))
    import smartalbum.library.colour_pass as colour_pass

    batch, colour_pass.BATCH = colour_pass.BATCH, 4
    try:
        assert colour_backfill(sessions, lambda done: done < 4) == 4
        assert colour_backfill(sessions) == len(SHOTS) - 4
    finally:
        colour_pass.BATCH = batch


def _thumbnail(rgb: tuple[int, int, int], size: tuple[int, int] = (256, 192)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, rgb).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("rgb", "name"),
    [((220, 20, 30), "red"), ((250, 140, 0), "orange"), ((250, 220, 30), "yellow"),
     ((40, 160, 40), "green"), ((135, 190, 235), "blue"), ((120, 40, 160), "purple"),
     ((250, 170, 200), "pink"), ((110, 70, 35), "brown"), ((10, 10, 10), "black"),
     ((250, 250, 250), "white"), ((128, 128, 128), "grey"), ((128, 0, 0), "red")],
)  # fmt: skip
def test_each_colour_is_named(rgb: tuple[int, int, int], name: str) -> None:
    assert colours.of_thumbnail(_thumbnail(rgb)) == f"{name}:1.00"


def test_a_thumbnail_is_named_in_milliseconds() -> None:
    """Measured: ~1.5 ms of CPU a 256 px thumbnail (decode, shrink, OKLab, name)."""
    data = (SAMPLES / "n04285008_sports_car.JPEG").read_bytes()
    with Image.open(io.BytesIO(data)) as img:
        img.thumbnail((256, 256))
        out = io.BytesIO()
        img.save(out, "JPEG")
    started = time.process_time()
    for _ in range(20):
        colours.of_thumbnail(out.getvalue())
    assert (time.process_time() - started) / 20 < 0.05  # a bound, not the timing
    assert colours.parse("red:0.42 bogus white:x grey:0.2") == {"red": 0.42, "grey": 0.2}
