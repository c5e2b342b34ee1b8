"""``smartalbum bench-text``: what the text pass costs and how fast text search answers.

- photos/s of the text pass (decode, probe, read where text is seen) over a folder, one
  thread, as each indexing worker runs it;
- its share of an index: the same photos indexed with the pass (its first phase, then the
  text in its second) and without;
- a text search on a synthetic catalog of N photos (a third of them saying something),
  warm: the median of repeats, per kind of query.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from smartalbum.bench.text_set import CHINESE, ENGLISH, MIXED
from smartalbum.catalog import OK, Photo, open_engine, session_factory, table
from smartalbum.catalog.texts import PhotoText, PhotoTextChar, char_rows
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.ocr import photos_saying, read_photo
from smartalbum.ocr.normalize import fold
from smartalbum.settings import Settings

CHUNK = 10_000
QUERIES = ("发", "发票", "普通发票", "增值税电子普通发票", "營業時間", "boarding", "board",
           "12a", "Recipt", "zqxj")  # fmt: skip


def bench_pass(settings: Settings, folder: Path, limit: int = 100) -> dict[str, Any]:
    """Photos/s of the text pass alone on a folder's photos, and with it in an index."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:limit]
    read_photo(files[0].read_bytes(), str(files[0]), settings.max_pixels, True)  # models loaded
    started, with_text = time.perf_counter(), 0
    for path in files:
        lines = read_photo(path.read_bytes(), str(path), settings.max_pixels, True)
        with_text += bool(lines)
    alone = time.perf_counter() - started
    index = {}
    for text in (False, True):
        chosen = dataclasses.replace(settings, text=text)
        with tempfile.TemporaryDirectory() as tmp:
            photos = Path(tmp) / "photos"
            photos.mkdir()
            for path in files:
                (photos / path.name).write_bytes(path.read_bytes())
            engine = open_engine(Path(tmp) / "library.db")
            try:
                report = Indexer(Classifier.from_settings(chosen), session_factory(engine),
                                 str(Path(tmp) / "library.db")).run([photos])  # fmt: skip
            finally:
                engine.dispose()
            second = (report.later or {}).get("text") or {}
            index["with_text" if text else "without_text"] = report.seconds
            index["second_phase" if text else "_"] = second.get("seconds", 0.0)
    total = index["with_text"] + index["second_phase"]
    return {
        "photos": len(files),
        "with_text_seen": with_text,
        "text_pass_photos_per_s": round(len(files) / alone, 2),
        "index_s_without_text": index["without_text"],
        "index_s_with_text_first_phase": index["with_text"],
        "index_s_with_text_second_phase": index["second_phase"],
        "text_share_of_index": round(1 - index["without_text"] / total, 3),
    }


def bench_search(count: int = 100_000, repeats: int = 10) -> dict[str, Any]:
    """Warm text searches on a synthetic catalog of ``count`` photos: ms per query."""
    with tempfile.TemporaryDirectory(prefix="smartalbum-text-") as tmp:
        engine = open_engine(Path(tmp) / "library.db")
        try:
            started = time.perf_counter()
            _fill(engine, count)
            built = time.perf_counter() - started
            sessions = session_factory(engine)
            timings = {}
            for query in QUERIES:
                times, found = [], 0
                for _ in range(repeats):
                    with sessions() as session:
                        began = time.perf_counter()
                        found = len(photos_saying(session, query))
                        times.append((time.perf_counter() - began) * 1000)
                timings[query] = {"first_ms": round(times[0], 1),
                                  "warm_ms": round(statistics.median(times[1:]), 1),
                                  "found": found}  # fmt: skip
        finally:
            engine.dispose()
    return {"photos": count, "build_s": round(built, 1), "queries": timings}


def _fill(engine: Any, count: int) -> None:
    """``count`` photos, each read; a third say one to three phrases and a number."""
    rng = random.Random(25)
    phrases = CHINESE + ENGLISH + MIXED
    photos, texts, chars = table(Photo), table(PhotoText), table(PhotoTextChar)
    with engine.begin() as connection:
        for start in range(0, count, CHUNK):
            rows = [
                {
                    "path": f"/p/{i:07d}.jpg",
                    "size": 1,
                    "mtime": 0.0,
                    "status": OK,
                    "indexed_at": 0.0,
                }
                for i in range(start, min(count, start + CHUNK))
            ]
            ids = [i for (i,) in connection.execute(insert(photos).returning(photos.c.id), rows)]
            said = []
            for photo_id in ids:
                lines = []
                if rng.random() < 1 / 3:
                    lines = [*rng.sample(phrases, rng.randint(1, 3)), str(rng.randint(0, 10**6))]
                body = "\n".join(fold(line) for line in lines)
                said.append({"photo_id": photo_id, "version": 1, "body": body, "read_at": 0.0})
            connection.execute(insert(texts), said)
            listed = [c for row in said for c in char_rows(row["photo_id"], row["body"])]
            connection.execute(insert(chars), listed)
