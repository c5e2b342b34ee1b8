"""Stored uploads indexed as they arrive: one run kept up while they keep coming.

An import job over a folder pays, each time, for its decode workers to start, its walk of
the folder and its comparison with the catalog. A burst of uploads would pay that again
and again, or wait for the burst to end. Here the files an upload stored are handed over
by path, and one run takes them as they come: its worker processes stay up, batches go to
them as soon as the workers have room, and each batch is written when it comes back. The
run ends once no file came for ``idle`` seconds; the next upload starts another.

The run is the caller's (``start``: an import job, so it has an id, progress and the
library's lock, one job at a time with the others). What it writes goes through the same
writer as any import; a file that moved here (the content of a missing photo) keeps its
photo, as a folder's re-scan would have it. It is indexing's first phase: the text and faces
of the photos are read after the run, by the job runner's second phase (``later_passes``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.catalog import MISSING, LibraryLock, Photo
from smartalbum.engines.classifier import Classifier
from smartalbum.library import scan
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed
from smartalbum.library.indexer import IndexReport
from smartalbum.library.sidecars import Landed
from smartalbum.library.workers import ModelSource, WorkerPool, usable_cores
from smartalbum.library.writer import WRITE_AT_LEAST, CatalogWriter, Written

log = logging.getLogger(__name__)

IDLE = 3.0  # seconds without a new file before the run (and its workers) ends
GATHER = 0.1  # seconds a run waits for a whole batch when it has nothing else to do
WRITE_AT_MOST = 64  # files one transaction of the run writes
# Seconds the writer waits for more batches to make up WRITE_AT_LEAST files, as an index
# groups them: written one model batch (8) at a time, a steady stream of uploads cost the
# writer twice the CPU a photo. A photo shows in the gallery at most this much later.
GROUP_WAIT = 0.5
WRITES_WAITING = 8  # analysed batches waiting for the writer before the analysis waits

Take = Callable[[int, bool], list[Path]]
Start = Callable[[], None]


class UploadFeed:
    """Files to index, taken by one run at a time, which ``start`` begins when none runs."""

    def __init__(self, start: Start, idle: float = IDLE, gather: float = GATHER) -> None:
        self._start = start
        self.idle = idle
        self.gather = gather
        self._paths: list[Path] = []
        self._running = False
        self._wake = threading.Condition()

    def submit(self, paths: list[Path]) -> None:
        """Index these files soon (a run is started if none is under way)."""
        with self._wake:
            self._paths.extend(paths)
            self._wake.notify_all()
            starting, self._running = not self._running, True
        if starting:
            try:
                self._start()
            except BaseException:
                with self._wake:
                    self._running = False
                raise

    def ended(self) -> None:
        """The run ended early (cancelled, failed): the next submit starts another; files
        still waiting go with it (or with the next re-scan of their folder)."""
        with self._wake:
            self._running = False

    def pending(self) -> list[Path]:
        """The files waiting for a run."""
        with self._wake:
            return list(self._paths)

    def take(self, size: int, wait: bool, stop: Callable[[], bool] = lambda: False) -> list[Path]:
        """Up to ``size`` files. ``wait``: block until there are some, up to ``gather``
        seconds more for a whole batch; [] after ``idle`` seconds without any, which ends
        the run. Else a whole batch at once, or [] (the run has work in flight)."""
        with self._wake:
            if not wait:
                return self._pop(size) if len(self._paths) >= size else []
            deadline = time.monotonic() + self.idle
            while not self._paths and not stop():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wake.wait(min(left, 0.5))
            if not self._paths or stop():
                self._running = False  # the next submit starts a run
                return []
            whole = time.monotonic() + self.gather
            while len(self._paths) < size and (left := whole - time.monotonic()) > 0:
                self._wake.wait(left)
            return self._pop(size)

    def _pop(self, size: int) -> list[Path]:
        batch, self._paths = self._paths[:size], self._paths[size:]
        return batch


def index_feed(
    classifier: Classifier,
    sessions: sessionmaker[Session],
    library: str,
    rules: RuleSet,
    take: Take,
    done: Callable[[int], None] = lambda _n: None,
    landed: Landed | None = None,
) -> IndexReport:
    """One run over the files ``take`` hands out until it hands out none: analysed (in
    worker processes when the engine can be shared), each batch written as it comes back
    (and its photos told to ``landed``)."""
    started = time.perf_counter()
    report = IndexReport()
    writer = CatalogWriter(sessions, classifier, rules, landed)
    classified = 0
    with LibraryLock(library):
        writes = _Writes(lambda group: _write(writer, sessions, group), report)
        try:
            for batch in _analysed(classifier, sessions, take):
                report.scanned += len(batch)
                classified += sum(a.probabilities is not None for a in batch)
                writes.put(batch)
                done(len(batch))
        finally:
            writes.close()  # what is in hand is written, and a failed write raised, here
        writer.finish()
    report.seconds = round(time.perf_counter() - started, 2)
    report.images_per_second = round(classified / report.seconds, 1) if report.seconds else 0
    log.info("indexed %d uploaded file(s) in %.1f s", report.scanned, report.seconds)
    return report


class _Writes:
    """The run's writer thread: the batches joined into groups of WRITE_AT_LEAST files or
    more (those that came while it wrote, and those that come within ``wait`` seconds of a
    group's first), one transaction each. A burst of uploads comes in batches of a few
    files, and a transaction's ~10 statements cost as much for 8 photos as for 64."""

    def __init__(
        self,
        write: Callable[[list[Analysis]], Written],
        report: IndexReport,
        wait: float = GROUP_WAIT,
    ) -> None:
        self._write = write
        self._report = report
        self._wait = wait
        self._queue: queue.Queue[list[Analysis] | None] = queue.Queue(WRITES_WAITING)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="smartalbum-feed-writer")
        self._thread.start()

    def put(self, batch: list[Analysis]) -> None:
        """Write this batch soon; raises the error of a write that failed meanwhile."""
        self._raise()
        self._queue.put(batch)

    def close(self) -> None:
        """Write what waits, end the thread; raises the error of a write that failed."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (group := self._queue.get()) is not None:
            last = self._gather(group)
            if self._error is None:  # after a failure, the rest is drained unwritten
                try:
                    self._report.add(self._write(group))
                except BaseException as exc:  # raised in the run's thread by put or close
                    self._error = exc
            if last:
                return

    def _gather(self, group: list[Analysis]) -> bool:
        """Join the batches that wait, and those that come within the wait while the group
        is smaller than WRITE_AT_LEAST, to ``group``; whether the run ended meanwhile."""
        deadline = time.monotonic() + self._wait
        while len(group) < WRITE_AT_MOST:
            left = deadline - time.monotonic() if len(group) < WRITE_AT_LEAST else 0.0
            try:
                more = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                return False
            if more is None:
                return True
            group += more
        return False


def _write(
    writer: CatalogWriter, sessions: sessionmaker[Session], batch: list[Analysis]
) -> Written:
    known = _known(sessions, [a.path for a in batch])
    return writer.write(batch, known)


def _known(sessions: sessionmaker[Session], paths: list[str]) -> dict[str, int]:
    """The photos already recorded at these paths (a re-scan came first): updated, not added."""
    with sessions() as session:
        rows = session.execute(select(Photo.path, Photo.id).where(Photo.path.in_(paths)))
        return {path: photo_id for path, photo_id in rows}


def _fresh(sessions: sessionmaker[Session], paths: list[Path]) -> tuple[list[Analysis], list[Path]]:
    """Of these files, the moved copies of missing photos (hashed, ``moved_from`` set), and
    the rest to analyse; files recorded already as they are (a re-scan was quicker) dropped."""
    with sessions() as session:
        rows = session.execute(
            select(Photo.path, Photo.size, Photo.mtime).where(
                Photo.path.in_([str(p) for p in paths]), Photo.status != MISSING
            )
        )
        recorded = {path: (size, mtime) for path, size, mtime in rows}
    new: list[Path] = []
    sizes_of: dict[Path, int] = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            new.append(path)  # analysis records why
            continue
        if recorded.get(str(path)) != (stat.st_size, stat.st_mtime):
            new.append(path)
            sizes_of[path] = stat.st_size
    elsewhere = [k for k in scan.missing_elsewhere(sessions, []) if k.sha256]
    if not elsewhere:
        return [], new
    # Only a file as large as a missing record can be its copy: few get hashed (here, in
    # the run's thread).
    sizes = {k.size for k in elsewhere}
    candidates = [p for p in new if sizes_of.get(p) in sizes]
    moves, rest = scan.find_moves(candidates, {k.sha256: k.id for k in elsewhere if k.sha256})
    return moves, rest + [p for p in new if sizes_of.get(p) not in sizes]


def _analysed(
    classifier: Classifier, sessions: sessionmaker[Session], take: Take
) -> Iterator[list[Analysis]]:
    """Batches of analysed files (and moves found) as ``take`` hands the files out."""
    settings, engine = classifier.settings, classifier.engine
    # No text, no faces: the second phase reads them (later_passes), as after an index.
    decoding = Decoding(
        classifier.preprocess, settings.max_pixels, settings.fast_decode, settings.enhance
    )
    moves: list[Analysis] = []

    def fresh(size: int, wait: bool) -> list[Path]:
        while batch := take(size, wait):
            found, rest = _fresh(sessions, batch)
            moves.extend(found)
            if rest:
                return rest
        return []

    def local(batch: list[Path]) -> list[Analysis]:
        with ThreadPoolExecutor(settings.decode_threads, "smartalbum-feed") as pool:
            analysed = list(pool.map(lambda p: analyze(p, decoding), batch))
        embed(engine, analysed)
        return analysed

    processes = settings.index_processes or len(usable_cores())
    if processes > 1 and engine.shared is not None:
        source = ModelSource(
            engine.shared, settings.max_pixels, settings.fast_decode, settings.batch_size,
            settings.enhance,
        )  # fmt: skip
        with WorkerPool(source, processes) as workers:
            for batch in workers.batches(iter(()), settings.batch_size, local, fresh):
                yield _with(moves, batch)
    else:
        while files := fresh(settings.batch_size, True):
            yield _with(moves, local(files))
    if moves:
        yield _with(moves, [])


def _with(moves: list[Analysis], batch: list[Analysis]) -> list[Analysis]:
    """The batch and the moves found meanwhile (written in the same transaction)."""
    found = moves[:]
    moves.clear()
    return found + batch
