"""``smartalbum bench --catalog N``: the library at scale, with no model work.

N tiny files on disk and N matching records (each with its top-5 labels) inserted
through the catalog's tables; then the two things a large library must keep fast:
re-scanning it with ``index`` (every file unchanged, nothing classified) and asking
for the photos of one class.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from smartalbum.catalog import OK, Photo, PhotoLabel, open_engine, session_factory, table
from smartalbum.engines.classifier import Classifier
from smartalbum.errors import SmartalbumError
from smartalbum.i18n import t
from smartalbum.library.indexer import Indexer
from smartalbum.settings import Settings

FILES_PER_FOLDER = 1000
QUERY_CLASS = 285  # Egyptian cat
CHUNK = 10_000  # records per insert statement


def bench_catalog(settings: Settings, count: int, repeats: int = 20) -> dict[str, Any]:
    """Build a synthetic library of ``count`` photos in a temporary folder and time it."""
    classifier = Classifier.from_settings(settings)
    with tempfile.TemporaryDirectory(prefix="smartalbum-scale-") as tmp:
        root, library = Path(tmp) / "photos", str(Path(tmp) / "library.db")
        engine = open_engine(library)
        try:
            started = time.perf_counter()
            _insert_records(engine, _make_files(root, count), classifier)
            built = time.perf_counter() - started
            sessions = session_factory(engine)
            report = Indexer(classifier, sessions, library).run([root])
            if report.unchanged != count:
                raise SmartalbumError(
                    t(
                        "re-scan found {unchanged} of {count} unchanged",
                        unchanged=report.unchanged,
                        count=count,
                    )
                )
            query = (
                select(PhotoLabel.photo_id)
                .where(PhotoLabel.class_index == QUERY_CLASS)
                .order_by(PhotoLabel.probability.desc())
                .limit(100)
            )
            times = []
            for _ in range(repeats):
                with sessions() as session:
                    started = time.perf_counter()
                    found = session.execute(query).all()
                    times.append((time.perf_counter() - started) * 1000)
        finally:
            engine.dispose()
    return {
        "photos": count,
        "labels": count * 5,
        "build_s": round(built, 2),
        "rescan_s": report.seconds,
        "label_query_first_ms": round(times[0], 2),
        "label_query_ms": round(statistics.median(times[1:] or times), 2),
        "label_query_rows": len(found),
    }


def _make_files(root: Path, count: int) -> list[tuple[str, int, float]]:
    """``count`` one-byte .jpg files in folders of a thousand: (path, size, mtime) each."""
    files = []
    for i in range(count):
        folder = root / f"{i // FILES_PER_FOLDER:04d}"
        if i % FILES_PER_FOLDER == 0:
            folder.mkdir(parents=True)
        path = folder / f"photo-{i:07d}.jpg"
        path.write_bytes(b"x")
        files.append((str(path), 1, path.stat().st_mtime))
    return files


def _insert_records(
    engine: Engine, files: list[tuple[str, int, float]], classifier: Classifier
) -> None:
    """One record per file, as the indexer would have left it, and five labels each."""
    rng = random.Random(0)
    now = time.time()
    photos, labels = table(Photo), table(PhotoLabel)
    with engine.begin() as connection:
        for start in range(0, len(files), CHUNK):
            chunk = files[start : start + CHUNK]
            rows = [
                {"path": path, "size": size, "mtime": mtime, "status": OK,
                 "sha256": f"{start + i:064x}", "indexed_at": now, "taken_at": None}
                for i, (path, size, mtime) in enumerate(chunk)
            ]  # fmt: skip
            returned = connection.execute(insert(photos).returning(photos.c.id), rows)
            label_rows = []
            for (photo_id,) in returned:
                classes = rng.sample(range(1000), 5)
                probabilities = sorted((rng.random() for _ in classes), reverse=True)
                label_rows += [
                    {"photo_id": photo_id, "rank": rank, "class_index": c,
                     "wnid": classifier.labels[c].wnid, "probability": p}
                    for rank, (c, p) in enumerate(zip(classes, probabilities, strict=True), 1)
                ]  # fmt: skip
            connection.execute(insert(labels), label_rows)
