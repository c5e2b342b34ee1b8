"""The worker side: take a batch of paths, analyse it, write it to the catalog exactly once.

Every delivery first counts itself in the batch's row (committed before any work), so:

- a batch whose row is no longer queued (written, split, given up) or whose job is over
  is skipped: a task delivered again after its write changes nothing;
- a batch delivered a second time (its worker died on it) is split into single files,
  so one bad file costs its batch-mates only a delay;
- a single file delivered more than ``SINGLE_FILE_TRIES`` times is recorded as failed,
  with that reason, without being opened again: it never blocks the queue;
- while a delivery works, it renews the batch's lease every few seconds: a batch whose
  lease stands still lost its worker, and the coordinator sends it again.

A batch's photos, labels, blobs and albums are written by the library's writer in one
transaction with the batch's row, keyed on the path: a retried batch is one row a photo.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.catalog import MISSING, Photo
from smartalbum.catalog.database import driver_reason
from smartalbum.catalog.schema import DONE, QUEUED, RUNNING, IndexJob, IndexTask
from smartalbum.distributed import records
from smartalbum.distributed.records import GIVEN_UP, SPLIT
from smartalbum.engines.classifier import Classifier
from smartalbum.errors import CatalogUnavailableError, ImageDecodeError
from smartalbum.i18n import t
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed
from smartalbum.library.writer import CatalogWriter, Written

log = logging.getLogger(__name__)

SINGLE_FILE_TRIES = 2  # deliveries of a one-file task before its file is given up on
# Seconds between tries of a write the catalog refused (it went away); then the task fails
# and the coordinator sends it again later.
WRITE_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)

INSERT_RACES = 3  # tries of a write that another delivery's insert of the same paths beat
Send = Callable[[str, str, list[str]], None]
T = TypeVar("T")


def retried(step: Callable[[], T]) -> T:
    """``step``, tried again with backoff while the catalog cannot be reached; then an error.

    The task then fails, and the coordinator sends it again once progress stalls.
    """
    for delay in (*WRITE_BACKOFF, None):
        try:
            return step()
        except OperationalError as exc:
            if delay is None:
                raise CatalogUnavailableError(
                    t(
                        "the catalog stayed unreachable while writing ({reason})",
                        reason=driver_reason(exc),
                    )
                ) from None
            log.warning("the catalog is unreachable (%s); again in %s s", exc.orig, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def local_path(path: str, pairs: Sequence[tuple[str, str]]) -> str:
    """Where this machine sees the coordinator's ``path`` (the first matching prefix mapped)."""
    for source, target in pairs:
        if path == source or path.startswith(source.rstrip("/") + "/"):
            return target + path[len(source) :] if source != "/" else target + path
    return path


@dataclass
class Claim:
    """A delivery that may go ahead: which one it is, and when its job began."""

    attempts: int
    since: float


class BatchHandler:
    """Handles one task at a time for one worker process: its model, catalog and rules."""

    def __init__(
        self,
        classifier: Classifier,
        sessions: sessionmaker[Session],
        rules: RuleSet,
        send: Send,
        pairs: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.classifier = classifier
        self.sessions = sessions
        self.writer = CatalogWriter(sessions, classifier, rules)
        self.send = send  # queues a task: (job, task, paths)
        self.pairs = pairs
        self.name = f"pid {os.getpid()} on {socket.gethostname()}"
        settings = classifier.settings
        self.decoding = Decoding(
            classifier.preprocess, settings.max_pixels, settings.fast_decode,
            settings.enhance, settings.text, settings.faces,
        )  # fmt: skip

    def handle(self, job_id: str, key: str, paths: list[str]) -> str:
        """Do one delivery of a task; what became of it (skipped, split, given up, done)."""
        claim = retried(lambda: self._claim(job_id, key))
        if claim is None:
            return "skipped"
        if claim.attempts > 1 and len(paths) > 1:
            retried(lambda: self._split(job_id, key, paths))  # each step may run again
            return SPLIT
        if claim.attempts > SINGLE_FILE_TRIES:
            self._give_up(job_id, key, paths, claim.attempts - 1)
            return GIVEN_UP
        with self._leased(job_id, key):
            fresh = retried(lambda: self._written_since(paths, claim.since))
            batch = self._analysed([p for p in paths if p not in fresh])
            self._write(job_id, key, batch, DONE)
        return DONE

    @contextmanager
    def _leased(self, job_id: str, key: str) -> Iterator[None]:
        """Renew the task's lease every few seconds while the block works on it."""
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(records.BEAT_SECONDS):
                try:
                    records.renew(self.sessions, job_id, key)
                except OperationalError as exc:  # the catalog is away: the next beat tries
                    log.warning("cannot renew the lease of task %s (%s)", key, exc.orig)

        beating = threading.Thread(target=renew, name="smartalbum-lease", daemon=True)
        beating.start()
        try:
            yield
        finally:
            stop.set()
            beating.join()

    def _claim(self, job_id: str, key: str) -> Claim | None:
        """Count this delivery, committed before any work; None if the task is not wanted."""
        with self.sessions.begin() as session:
            job = session.get(IndexJob, job_id)
            task = session.get(IndexTask, (job_id, key), with_for_update=True)
            if job is None or task is None:
                log.warning("task %s of job %s is not in this catalog; dropped", key, job_id)
                return None
            if job.status != RUNNING or job.cancel_requested or task.status != QUEUED:
                return None
            task.attempts += 1
            task.beat = (task.beat or 0) + 1  # the lease starts with the claim
            return Claim(task.attempts, job.created_at)

    def _split(self, job_id: str, key: str, paths: list[str]) -> None:
        """Turn a batch that lost its worker into single-file tasks, then retire it."""
        log.warning("batch %s of job %s was delivered again: split into single files", key, job_id)
        parts = {f"{key}.{i}": [p] for i, p in enumerate(paths)}
        with self.sessions.begin() as session:
            there = set(
                session.scalars(
                    select(IndexTask.task).where(
                        IndexTask.job_id == job_id, IndexTask.task.in_(parts)
                    )
                )
            )
            session.add_all(
                IndexTask(
                    job_id=job_id, task=part, paths=json.dumps(part_paths), files=1,
                    status=QUEUED, attempts=0, added=0, updated=0, failed=0,
                )
                for part, part_paths in parts.items()
                if part not in there
            )  # fmt: skip
        # Sent after their rows exist, before the batch is retired: a death in between
        # only sends them again.
        for part, part_paths in parts.items():
            self.send(job_id, part, part_paths)
        with self.sessions.begin() as session:
            session.execute(
                update(IndexTask)
                .where(IndexTask.job_id == job_id, IndexTask.task == key)
                .where(IndexTask.status == QUEUED)
                .values(status=SPLIT, worker=self.name)
            )

    def _give_up(self, job_id: str, key: str, paths: list[str], deaths: int) -> None:
        """Record the files as failed without opening them: they killed their worker."""
        reason = t(
            "an indexing worker died on this file {count} times; given up (the next run "
            "tries it again)",
            count=deaths,
        )
        log.error("job %s: giving up on %s after %d deliveries", job_id, paths, deaths + 1)
        # Size and mtime 0: the next run's scan sees it as changed and tries it again.
        failed = [Analysis(p, 0, 0.0, error=ImageDecodeError(p, reason)) for p in paths]
        self._write(job_id, key, failed, GIVEN_UP)

    def _written_since(self, paths: list[str], since: float) -> set[str]:
        """Paths already written by this job (an earlier delivery), unchanged since."""
        with self.sessions() as session:
            rows = session.execute(
                select(Photo.path, Photo.size, Photo.mtime).where(
                    Photo.path.in_(paths), Photo.indexed_at >= since, Photo.status != MISSING
                )
            ).all()
        fresh = set()
        for path, size, mtime in rows:
            try:
                stat = os.stat(local_path(path, self.pairs))
            except OSError:
                continue
            if (stat.st_size, stat.st_mtime) == (size, mtime):
                fresh.add(path)
        return fresh

    def _analysed(self, paths: list[str]) -> list[Analysis]:
        """Analyse and embed the files, a model batch at a time; recorded under their paths."""
        result: list[Analysis] = []
        size = self.classifier.settings.batch_size
        for start in range(0, len(paths), size):
            batch = []
            for path in paths[start : start + size]:
                analysis = analyze(Path(local_path(path, self.pairs)), self.decoding)
                analysis.path = path  # the catalog keeps the coordinator's path
                batch.append(analysis)
            embed(self.classifier.engine, batch)
            result += batch
        return result

    def _write(self, job_id: str, key: str, batch: list[Analysis], status: str) -> Written:
        """Write the batch and mark its task, in one transaction; retried while the catalog
        is away, and again as updates when another delivery inserted the same paths first."""

        def mark(session: Session, written: Written) -> None:
            session.execute(
                update(IndexTask)
                .where(IndexTask.job_id == job_id, IndexTask.task == key)
                .where(IndexTask.status == QUEUED)
                .values(
                    status=status, added=written.added, updated=written.updated,
                    failed=written.failed, worker=self.name,
                )
            )  # fmt: skip

        for _ in range(INSERT_RACES):
            try:
                return retried(lambda: self.writer.write(batch, self._known(batch), then=mark))
            except IntegrityError:
                log.info("task %s of job %s: paths written meanwhile; writing again", key, job_id)
        raise CatalogUnavailableError(t("the catalog kept changing under this batch"))

    def _known(self, batch: list[Analysis]) -> dict[str, int]:
        """Ids of the batch's paths already in the catalog."""
        paths = [a.path for a in batch]
        with self.sessions() as session:
            rows = session.execute(select(Photo.id, Photo.path).where(Photo.path.in_(paths)))
            return {path: id_ for id_, path in rows}
