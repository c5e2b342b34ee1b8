"""The bulk indexer: walk folders, classify what is new or changed, keep the catalog in step.

Crash-safe by construction: every batch is written in one transaction, a file is
"unchanged" when its size and mtime match its record, and paths are unique, so a
run killed at any moment resumes where its last commit ended, with no duplicate.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import imaging
from smartalbum.catalog import (
    FAILED,
    MISSING,
    OK,
    LibraryLock,
    Photo,
    PhotoBlob,
    PhotoLabel,
    Root,
    claim_photos,
    table,
)
from smartalbum.engines.classifier import Classifier
from smartalbum.engines.pipeline import batches_ahead
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed, read_and_hash
from smartalbum.library.workers import ModelSource, WorkerPool, usable_cores
from smartalbum.metadata import PhotoMetadata
from smartalbum.places import geocoder
from smartalbum.places import stored as stored_place

# Bulk inserts go to the tables, not the ORM classes: half the writer's CPU per photo.
PHOTOS, LABELS, BLOBS = table(Photo), table(PhotoLabel), table(PhotoBlob)

# Workers cost start-up (~0.15 s from the fork server, ~0.35 s spawned) and memory:
# below this many files a core, the threads of this process finish about as soon.
MIN_FILES_PER_PROCESS = 64
MISSING_CHUNK = 10_000  # photos marked missing per statement


@dataclass
class IndexReport:
    """What one run did; ``warnings`` lists folders it could not walk."""

    scanned: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    missing: int = 0
    failed: int = 0
    seconds: float = 0.0
    images_per_second: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON summary (warnings included)."""
        return asdict(self)


class _Known(NamedTuple):
    """What a re-scan needs to know of a catalogued file."""

    id: int
    path: str
    size: int
    mtime: float
    sha256: str | None
    status: str


def walk(roots: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Every image file under the roots (hidden ones skipped), and what could not be walked."""
    files: list[Path] = []
    warnings: list[str] = []
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        if not root.is_dir():
            warnings.append(f"{root}: not a folder")
            continue

        def report(error: OSError) -> None:
            warnings.append(f"{error.filename}: cannot read folder ({error.strerror})")

        for folder, dirs, names in os.walk(root, followlinks=True, onerror=report):
            stat = os.stat(folder)
            key = (stat.st_dev, stat.st_ino)
            if key in seen_dirs:
                warnings.append(f"{folder}: folder seen before (a symlink loop?), skipped")
                dirs[:] = []
                continue
            seen_dirs.add(key)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                path = Path(folder) / name
                if not name.startswith(".") and path.suffix.lower() in imaging.SUPPORTED_SUFFIXES:
                    files.append(path.absolute())
    return files, warnings


class Indexer:
    """Index folders into a catalog with a classifier."""

    def __init__(
        self,
        classifier: Classifier,
        sessions: sessionmaker[Session],
        library: str | Path,
        processes: int | None = None,
    ) -> None:
        self.classifier = classifier
        self.sessions = sessions
        self.library = library
        # 0: one worker process per core when it pays off; None: as the settings say
        self.processes = classifier.settings.index_processes if processes is None else processes

    def run(
        self,
        roots: Sequence[Path],
        reclassify: bool = False,
        wrap: Callable[[Iterator[Any], int], Iterator[Any]] = lambda it, _n: it,
    ) -> IndexReport:
        """Scan, classify what changed, mark what vanished; one transaction per batch."""
        started = time.perf_counter()
        report = IndexReport()
        with LibraryLock(self.library):
            files, report.warnings = walk(roots)
            report.scanned = len(files)
            self._remember_roots([r for r in roots if r.is_dir()])
            with self.sessions() as session:
                # Only the columns the scan compares.
                columns = (
                    Photo.id,
                    Photo.path,
                    Photo.size,
                    Photo.mtime,
                    Photo.sha256,
                    Photo.status,
                )
                known: dict[str, _Known] = {
                    row.path: _Known(*row)
                    for row in session.execute(select(*columns))
                    if _under(row.path, roots)
                }
            present = {str(f) for f in files}
            vanished = [p for p in known.values() if p.path not in present and p.sha256]
            gone = {p.sha256: p.id for p in vanished if p.sha256}
            # Only a new file as large as a vanished record can be its copy: few get hashed.
            gone_sizes = {p.size for p in vanished}
            work: list[Path] = []
            candidates: list[Path] = []
            for path in files:
                record = known.get(str(path))
                try:
                    stat = path.stat()
                except OSError:
                    work.append(path)  # analysis will record why
                    continue
                if (
                    not reclassify
                    and record is not None
                    and record.status != MISSING
                    and record.size == stat.st_size
                    and record.mtime == stat.st_mtime
                ):
                    report.unchanged += 1
                elif record is None and stat.st_size in gone_sizes:
                    candidates.append(path)
                else:
                    work.append(path)
            moves, unmoved = self._find_moves(candidates, gone)
            work += unmoved
            classified = 0
            moved = {a.moved_from for a in moves if a.moved_from is not None}
            # One writer thread (SQLite has one writer anyway): the model keeps running
            # while a batch commits; at most two batches wait to be written.
            with ThreadPoolExecutor(1, "smartalbum-catalog-writer") as writer:
                writes: deque[Future[None]] = deque()
                size = self.classifier.settings.batch_size
                moved_batches = (moves[i : i + size] for i in range(0, len(moves), size))
                for batch in itertools.chain(moved_batches, self._analysed(work, wrap)):
                    classified += sum(a.probabilities is not None for a in batch)
                    writes.append(writer.submit(self._write, batch, known, report))
                    if len(writes) > 2:
                        writes.popleft().result()  # re-raises a failed write here
                for pending in writes:
                    pending.result()
            seen_ids = {p.id for p in known.values() if p.path in present} | moved
            report.missing = self._mark_missing(
                [p.id for p in known.values() if p.id not in seen_ids and p.status != MISSING]
            )
        report.seconds = round(time.perf_counter() - started, 2)
        report.images_per_second = round(classified / report.seconds, 1) if report.seconds else 0
        return report

    def _analysed(
        self, paths: list[Path], wrap: Callable[[Iterator[Any], int], Iterator[Any]]
    ) -> Iterator[list[Analysis]]:
        """Batches of analysed, embedded files: in worker processes when that pays off."""
        settings, engine = self.classifier.settings, self.classifier.engine
        decoding = Decoding(self.classifier.preprocess, settings.max_pixels, settings.fast_decode)
        processes = self.processes or len(usable_cores())
        path = getattr(engine, "path", None)
        enough = len(paths) >= MIN_FILES_PER_PROCESS * processes
        if processes > 1 and enough and isinstance(path, Path) and engine.name != "torch":
            source = ModelSource(
                self.classifier.spec.name, engine.name, path,
                settings.max_pixels, settings.fast_decode,
            )  # fmt: skip
            with ThreadPoolExecutor(settings.decode_threads, "smartalbum-index") as pool:

                def local(batch: list[Path]) -> list[Analysis]:
                    analysed = list(pool.map(lambda p: analyze(p, decoding), batch))
                    embed(engine, analysed)
                    return analysed

                with WorkerPool(source, processes) as workers:
                    paths_in = wrap(iter(paths), len(paths))
                    yield from workers.batches(paths_in, settings.batch_size, local)
            return
        for batch in batches_ahead(
            wrap(iter(paths), len(paths)),
            lambda path: analyze(path, decoding),
            settings.batch_size,
            settings.decode_threads,
            "smartalbum-index",
        ):
            embed(engine, batch)
            yield batch

    def _find_moves(
        self, candidates: list[Path], gone: dict[str, int]
    ) -> tuple[list[Analysis], list[Path]]:
        """Of new files, those whose hash is a vanished record's (moves), and the rest."""
        rest: list[Path] = []
        moves = []
        with ThreadPoolExecutor(2, "smartalbum-hash") as pool:
            hashed = pool.map(lambda path: read_and_hash(path)[0], candidates)  # bytes dropped
            for path, analysis in zip(candidates, hashed, strict=True):
                record = gone.pop(analysis.sha256, None) if analysis.sha256 else None
                if record is None:
                    rest.append(path)
                else:
                    analysis.moved_from = record
                    moves.append(analysis)
        return moves, rest

    def _write(
        self, batch: Iterable[Analysis], known: dict[str, _Known], report: IndexReport
    ) -> None:
        """One transaction of bulk statements: ORM objects cost ~3 ms a photo, these ~0.3."""
        now = time.time()
        moves: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        labels: dict[str, list[dict[str, Any]]] = {}
        blobs: dict[str, dict[str, Any]] = {}
        for a in batch:
            if a.moved_from is not None:
                moves.append(
                    {"id": a.moved_from, "path": a.path, "size": a.size, "mtime": a.mtime,
                     "status": OK, "indexed_at": now}
                )  # fmt: skip
                continue
            row = self._record(a, now)
            labels[a.path] = self._labels(a)
            if a.error is None and a.embedding is not None:
                embedding = a.embedding.astype("<f4").tobytes()
                blobs[a.path] = {"thumbnail": a.thumbnail, "embedding": embedding}
            existing = known.get(a.path)
            if existing is None:
                inserts.append(row)
                report.added += a.error is None
            else:
                updates.append({"id": existing.id, **row})
                report.updated += a.error is None
            report.failed += a.error is not None
        with self.sessions.begin() as session:
            claim_photos(session, [row["id"] for row in moves + updates])
            if moves:
                session.execute(update(Photo), moves)
                report.moved += len(moves)
            ids = {row["path"]: row["id"] for row in updates}
            if updates:
                session.execute(update(Photo), updates)
                for table in (PhotoLabel, PhotoBlob):
                    session.execute(delete(table).where(table.photo_id.in_(ids.values())))
            if inserts:
                photos = insert(PHOTOS).returning(PHOTOS.c.id, PHOTOS.c.path)
                ids.update({path: id_ for id_, path in session.execute(photos, inserts)})
            rows = [{"photo_id": ids[path], **label} for path, ls in labels.items() for label in ls]
            if rows:
                session.execute(insert(LABELS), rows)
            if blobs:
                session.execute(
                    insert(BLOBS), [{"photo_id": ids[p], **b} for p, b in blobs.items()]
                )

    def _record(self, a: Analysis, now: float) -> dict[str, Any]:
        """Every column a (re-)analysed file sets; a failed file clears what it no longer has."""
        row: dict[str, Any] = {
            "path": a.path, "size": a.size, "mtime": a.mtime, "sha256": a.sha256,
            "indexed_at": now, "status": OK, "error": None,
            "model": None, "engine": None, "dhash": None,
            "width": None, "height": None, "format": None, "taken_at": None, "orientation": None,
            "camera_make": None, "camera_model": None, "gps_lat": None, "gps_lon": None,
            "gps_alt": None, "taken_at_offset": None, "time_source": None, "warnings": None,
            "place": None, "albums_digest": None,  # new predictions: albums must look again
        }  # fmt: skip
        if a.error is not None:
            row.update(status=FAILED, error=a.error.message)
            return row
        row.update(
            model=self.classifier.spec.name, engine=self.classifier.engine.name, dhash=a.dhash
        )
        if a.meta is not None:
            m = a.meta
            row.update(
                width=m.width, height=m.height, format=m.format, taken_at=m.taken_at,
                taken_at_offset=m.taken_at_offset, time_source=m.time_source,
                orientation=m.orientation, camera_make=m.camera_make,
                camera_model=m.camera_model, gps_lat=m.gps_lat, gps_lon=m.gps_lon,
                gps_alt=m.gps_alt, warnings="\n".join(m.warnings) or None, place=_place(m),
            )  # fmt: skip
        if row["taken_at"] is None:  # the file's date stands in, and says so
            taken = datetime.fromtimestamp(a.mtime).isoformat(timespec="seconds")
            row.update(taken_at=taken, time_source="mtime")
        return row

    def _labels(self, a: Analysis) -> list[dict[str, Any]]:
        if a.probabilities is None:
            return []
        return [
            {"rank": p.rank, "class_index": p.index, "wnid": p.wnid, "probability": p.probability}
            for p in self.classifier.top_k(a.probabilities, 5)
        ]

    def _remember_roots(self, roots: Sequence[Path]) -> None:
        """Record the folders indexed: only files inside them are ever served back."""
        now = time.time()
        with self.sessions.begin() as session:
            for root in roots:
                path = str(root.absolute())
                if session.get(Root, path) is None:
                    session.add(Root(path=path, indexed_at=now))
                else:
                    session.execute(update(Root).where(Root.path == path).values(indexed_at=now))

    def _mark_missing(self, ids: list[int]) -> int:
        if not ids:
            return 0
        with self.sessions.begin() as session:
            claim_photos(session, ids)
            # In slices: a whole unplugged drive can vanish, and PostgreSQL takes at most
            # 65,535 parameters a statement.
            for start in range(0, len(ids), MISSING_CHUNK):
                chunk = ids[start : start + MISSING_CHUNK]
                session.execute(update(Photo).where(Photo.id.in_(chunk)).values(status=MISSING))
        return len(ids)


def _place(meta: PhotoMetadata) -> str | None:
    """The nearest town of a photo with GPS, as JSON."""
    # Looked up in the writer: one geocoder a run (~1 s and ~130 MB to load), not one in
    # every worker process.
    if meta.gps_lat is None or meta.gps_lon is None:
        return None
    return stored_place.encode(geocoder().lookup(meta.gps_lat, meta.gps_lon))


def _under(path: str, roots: Sequence[Path]) -> bool:
    return any(
        path == str(r.absolute()) or path.startswith(str(r.absolute()) + os.sep) for r in roots
    )
