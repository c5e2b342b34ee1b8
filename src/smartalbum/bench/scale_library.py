"""A library of N photos made fast, for the route walk (``scripts/bench-routes``).

Every table a server reads is filled as the passes would have left it, in bulk statements
and with no model work: photos over ten years in trips to 30 real towns (GPS and the
geocoder's place), each a hard link to one of a few real sample photos (so originals are
served and sizes are true) with that sample's thumbnail and label first, four more labels,
a random embedding; a third read by the text pass (lines, chars), a fifth with faces
grouped into people, some named; the smart albums regrouped by the library itself; a few
hand-made albums, favourites and share links made through the library's own code.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert

from smartalbum import imaging
from smartalbum.bench.search_bench import TOWNS
from smartalbum.bench.text_set import CHINESE, ENGLISH, MIXED
from smartalbum.catalog import OK, Photo, PhotoBlob, PhotoLabel, Root, open_engine, table
from smartalbum.catalog.people import Face, FaceScan, Person
from smartalbum.catalog.schema import Favourite
from smartalbum.catalog.texts import PhotoText, PhotoTextChar, PhotoTextLine, char_rows
from smartalbum.library.analysis import make_thumbnail
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.shares import ShareLinks
from smartalbum.library.user_albums import UserAlbums
from smartalbum.models.labels import load_labels
from smartalbum.ocr.normalize import fold
from smartalbum.ocr.reader import TEXT_VERSION
from smartalbum.people.store import VERSION as FACE_VERSION
from smartalbum.places import geocoder
from smartalbum.places import stored as stored_place
from smartalbum.settings import Settings

CHUNK = 5_000  # photos per round of inserts
SOURCES = 24  # distinct sample photos the files are hard links to
FILES_PER_FOLDER = 1000
START = datetime(2016, 1, 1, 8)
YEARS = 10
PEOPLE = 300
NAMED = 40  # people a person has named
EMBEDDING = 1280  # the Lite models' pooled features
MADE = "bench-library.json"  # what the maker made, for the walk: tokens, counts, seconds


@dataclass(frozen=True)
class Source:
    """One real sample photo the library's files are copies of."""

    path: Path
    size: int
    width: int
    height: int
    class_index: int
    thumbnail: bytes


def make_library(
    settings: Settings, home: Path, samples: Path, count: int, thumbnails: bool = True
) -> dict[str, Any]:
    """Fill ``settings.library`` (empty) with ``count`` photos under ``home``; what was made."""
    started, cpu = time.perf_counter(), time.process_time()
    labels = load_labels()
    sources = _sources(samples, {c.wnid: i for i, c in enumerate(labels.classes)})
    root = home / "photos"
    engine = open_engine(settings.library)
    try:
        with engine.begin() as connection:
            connection.execute(insert(table(Root)), [{"path": str(root), "indexed_at": 0.0}])
            people = _people(connection)
            for first in range(0, count, CHUNK):
                size = min(CHUNK, count - first)
                files = _files(root, sources, first, size)
                _chunk(connection, files, first, count, people, thumbnails, settings.model)
    finally:
        engine.dispose()
    rows_s = time.perf_counter() - started
    made = _made_by_hand(settings, count)
    made |= {"photos": count, "rows_seconds": round(rows_s, 1),
             "seconds": round(time.perf_counter() - started, 1),
             "cpu_seconds": round(time.process_time() - cpu, 1)}  # fmt: skip
    (home / MADE).write_text(json.dumps(made, indent=2), "utf-8")
    return made


def _sources(samples: Path, classes: dict[str, int]) -> list[Source]:
    """The first SOURCES sample photos, each with its class (from its name) and thumbnail."""
    found = []
    for path in sorted(samples.glob("n*.JPEG"))[::41][:SOURCES]:
        img = imaging.decode(path)
        found.append(Source(path, path.stat().st_size, img.width, img.height,
                            classes[path.name.split("_")[0]], make_thumbnail(img)[0]))  # fmt: skip
    return found


def _files(root: Path, sources: list[Source], first: int, size: int) -> list[tuple[str, Source]]:
    """Hard links (a copy where links fail) to the sources, in folders of a thousand."""
    files = []
    for i in range(first, first + size):
        folder = root / f"{i // FILES_PER_FOLDER:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        source = sources[i % len(sources)]
        path = folder / f"IMG_{i:07d}.jpg"
        try:
            os.link(source.path, path)
        except OSError:  # another file system, or links not allowed: a copy does the same
            path.write_bytes(source.path.read_bytes())
        files.append((str(path), source))
    return files


def _people(connection: Connection) -> list[int]:
    """PEOPLE people, the first NAMED of them named; their ids."""
    now = time.time()
    rows = [{"name": f"Person {i}" if i < NAMED else None,
             "name_zh": f"人物{i}" if i < NAMED else None, "hidden": False,
             "created_at": now, "updated_at": now} for i in range(PEOPLE)]  # fmt: skip
    people = table(Person)
    return [i for (i,) in connection.execute(insert(people).returning(people.c.id), rows)]


def _chunk(
    connection: Connection,
    files: list[tuple[str, Source]],
    first: int,
    count: int,
    people: list[int],
    thumbnails: bool,
    model: str,
) -> None:
    """One round of photos and everything derived from them."""
    rng = random.Random(first)
    photos = table(Photo)
    rows = [_photo_row(path, source, first + k, count, model) for k, (path, source) in
            enumerate(files)]  # fmt: skip
    ids = [i for (i,) in connection.execute(insert(photos).returning(photos.c.id), rows)]
    sources = [source for _, source in files]
    connection.execute(insert(table(PhotoLabel)), list(_labels(rng, ids, sources)))
    vectors = np.random.default_rng(first).normal(size=(len(ids), EMBEDDING)).astype("<f4")
    blobs = [{"photo_id": i, "thumbnail": s.thumbnail if thumbnails else None,
              "embedding": v.tobytes()}
             for i, s, v in zip(ids, sources, vectors, strict=True)]  # fmt: skip
    connection.execute(insert(table(PhotoBlob)), blobs)
    _texts(connection, rng, ids)
    _faces(connection, rng, ids, people)
    liked = [{"user": "", "photo_id": i, "created_at": 0.0} for i in ids if rng.random() < 0.02]
    if liked:
        connection.execute(insert(table(Favourite)), liked)


def _photo_row(path: str, source: Source, i: int, count: int, model: str) -> dict[str, Any]:
    """A photo's row: taken over YEARS in trips of 200 photos to one town, newest last."""
    town = (i // 200) % len(TOWNS)
    lat, lon = TOWNS[town]
    taken = START + timedelta(days=YEARS * 365) * (i / max(count, 1))
    return {
        "path": path, "size": source.size, "mtime": 1.0e9 + i, "status": OK,
        "sha256": f"{i:064x}", "width": source.width, "height": source.height,
        "format": "JPEG", "taken_at": taken.isoformat(timespec="seconds"),
        "time_source": "original", "gps_lat": lat, "gps_lon": lon,
        "place": _place(town), "model": model, "engine": "onnx",
        "dhash": f"{i:016x}", "indexed_at": 1.0e9 + i, "orientation": 1,
    }  # fmt: skip


_PLACES: dict[int, str | None] = {}


def _place(town: int) -> str | None:
    """The stored place of one of TOWNS (looked up once each)."""
    if town not in _PLACES:
        _PLACES[town] = stored_place.encode(geocoder().lookup(*TOWNS[town]))
    return _PLACES[town]


def _labels(rng: random.Random, ids: list[int], sources: list[Source]) -> Iterator[dict[str, Any]]:
    """Five labels each: the source's own class first, then four others."""
    wnids = [c.wnid for c in load_labels().classes]
    for photo_id, source in zip(ids, sources, strict=True):
        classes = [source.class_index, *rng.sample(range(1000), 4)]
        top = 0.5 + rng.random() / 2
        for rank, c in enumerate(classes, 1):
            probability = top if rank == 1 else (1 - top) * rng.random() / rank
            yield {"photo_id": photo_id, "rank": rank, "class_index": c, "wnid": wnids[c],
                   "probability": probability}  # fmt: skip


def _texts(connection: Connection, rng: random.Random, ids: list[int]) -> None:
    """Every photo read; a third say one to three phrases and a number."""
    phrases = CHINESE + ENGLISH + MIXED
    texts, lines, chars = [], [], []
    for photo_id in ids:
        said = []
        if rng.random() < 1 / 3:
            said = [*rng.sample(phrases, rng.randint(1, 3)), str(rng.randint(0, 10**6))]
        body = "\n".join(fold(line) for line in said)
        texts.append({"photo_id": photo_id, "version": TEXT_VERSION, "body": body,
                      "read_at": 0.0})  # fmt: skip
        box = json.dumps([0.1, 0.1, 0.9, 0.1, 0.9, 0.2, 0.1, 0.2])
        lines += [{"photo_id": photo_id, "line": n, "text": line, "box": box,
                   "confidence": 0.9} for n, line in enumerate(said)]  # fmt: skip
        chars += char_rows(photo_id, body)
    connection.execute(insert(table(PhotoText)), texts)
    for rows, model in ((lines, PhotoTextLine), (chars, PhotoTextChar)):
        if rows:
            connection.execute(insert(table(model)), rows)


def _faces(connection: Connection, rng: random.Random, ids: list[int], people: list[int]) -> None:
    """Every photo scanned; a fifth hold one to three faces, most of them in a person."""
    scans, faces = [], []
    for photo_id in ids:
        found = rng.randint(1, 3) if rng.random() < 0.2 else 0
        scans.append({"photo_id": photo_id, "version": FACE_VERSION, "faces": found,
                      "scanned_at": 0.0})  # fmt: skip
        for n in range(found):
            vector = np.random.default_rng(photo_id * 4 + n).normal(size=128).astype("<f4")
            faces.append({"photo_id": photo_id, "x": 0.1 + 0.3 * n, "y": 0.2, "w": 0.2,
                          "h": 0.25, "score": 0.95, "size": 80, "blur": 200.0, "yaw": 0.0,
                          "embedding": (vector * 0.03).tobytes(),
                          "person_id": rng.choice(people) if rng.random() < 0.8 else None,
                          "confirmed": False})  # fmt: skip
    connection.execute(insert(table(FaceScan)), scans)
    if faces:
        connection.execute(insert(table(Face)), faces)


def _made_by_hand(settings: Settings, count: int) -> dict[str, Any]:
    """The smart albums regrouped, then albums and share links made through the library."""
    started = time.perf_counter()
    library = PhotoLibrary.open(settings)  # regroups every photo into the smart albums
    try:
        regrouped = round(time.perf_counter() - started, 1)
        albums = UserAlbums(library.sessions)
        rng = random.Random(29)
        mine = []
        for n in range(10):
            picked = sorted(rng.sample(range(1, count + 1), min(count, 300)))
            made = albums.create(f"Trip {n}", f"旅行{n}", None, picked)
            mine.append(made["id"])
        smart = max(library.albums(), key=lambda album: int(album["count"]))["id"]
        links = ShareLinks(library.sessions)
        tokens = {"album": links.create("album", smart, None, allow_download=True)["token"]}
    finally:
        library.close()
    return {"regroup_seconds": regrouped, "user_albums": mine, "share_tokens": tokens}
