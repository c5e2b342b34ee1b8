"""The coordinator: scan and diff as a local run does, send the batches, follow them to the end.

It holds the library's index lock for the whole run, like a local index, so a job still
marked running when a coordinator starts has lost its own: it is marked interrupted and
its workers skip what is left of it, and this run's diff re-sends only what is missing.
Progress comes from the catalog. A batch whose worker stopped renewing its lease (the
worker's machine died) is sent again within seconds, and if progress stops for a
visibility timeout (a broker that restarted empty), every batch still to do is; both are
harmless: a batch already written is skipped.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from celery import Celery
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet, class_groups, load_rules
from smartalbum.albums.membership import write_members
from smartalbum.catalog import OK, LibraryLock, Photo, claim_photos
from smartalbum.catalog.database import driver_reason
from smartalbum.catalog.schema import CANCELLED, DONE
from smartalbum.distributed import records
from smartalbum.distributed.broker import PUBLISH_RETRY, TASK, celery_app, queue_name
from smartalbum.errors import CatalogUnavailableError
from smartalbum.i18n import t
from smartalbum.library import scan
from smartalbum.library.indexer import IndexReport, Wrap
from smartalbum.library.sidecars import Landed
from smartalbum.library.writer import CatalogWriter
from smartalbum.models.labels import load_labels
from smartalbum.settings import Settings

log = logging.getLogger(__name__)

BATCH = 64  # files a task: ~0.5-1 s of one worker process, few messages a million photos
POLL_SECONDS = 0.5
# Seconds between tries of a catalog that went away; then the run fails (and resumes next time).
POLL_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0)
REGROUP_CHUNK = 500


class DistributedIndexer:
    """Index folders through ``smartalbum worker`` processes on the settings' broker."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        library: str | Path,
        *,
        rules: RuleSet | None = None,
        app: Celery | None = None,
        landed: Landed | None = None,
    ) -> None:
        self.settings = settings
        self.landed = landed  # told the run's photos once the workers wrote them (sidecars)
        self.sessions = sessions
        self.library = library
        if rules is None:  # the built-in albums
            rules = load_rules(None, load_labels(overrides=settings.labels_file), class_groups())
        self.rules = rules
        self.app = app or celery_app(settings)
        self._owns_app = app is None  # its connections are ours to close after a run
        self.job_id: str | None = None  # the running job's, once it is recorded

    def run(
        self,
        roots: Sequence[Path],
        reclassify: bool = False,
        wrap: Wrap = lambda it, _n: it,
        confine: Sequence[Path] | None = None,
        *,
        job_id: str | None = None,
        by: str | None = None,
    ) -> IndexReport:
        """Scan, send what changed to the workers, wait for them, mark what vanished.

        ``wrap`` sees a tick for every file the workers account for; when it stops early
        the job is cancelled (workers skip its batches not yet begun).
        """
        started = time.perf_counter()
        try:
            with LibraryLock(self.library):
                interrupted = records.interrupt_stale(self.sessions)
                if interrupted:
                    log.warning(
                        "%d earlier distributed run(s) had lost their coordinator", interrupted
                    )
                plan = scan.plan(self.sessions, roots, reclassify, confine)
                report = IndexReport(plan.scanned, unchanged=plan.unchanged, warnings=plan.warnings)
                # moves need no model
                writer = CatalogWriter(self.sessions, None, self.rules, self.landed)
                writer.remember_roots([r for r in roots if r.is_dir()])
                if plan.moves:
                    report.add(writer.write(plan.moves, plan.known))
                owner = f"smartalbum index, pid {os.getpid()} on {socket.gethostname()}"
                self.job_id = records.start_job(
                    self.sessions, [str(r) for r in roots], [str(p) for p in plan.work], BATCH,
                    job_id=job_id, reclassify=reclassify, coordinator=owner, by=by,
                )  # fmt: skip
                try:
                    status = self._follow(self.job_id, len(plan.work), wrap)
                    final = self._poll(self.job_id)
                    report.added, report.updated = final.added, final.updated
                    report.failed += final.failed
                    report.missing = writer.mark_missing(plan.vanished)
                    regroup_strays(self.sessions, self.rules)
                    self._tell_landed(plan.work)
                except Exception as exc:
                    self._record_failure(self.job_id, exc)
                    raise
                report.seconds = round(time.perf_counter() - started, 2)
                classified = final.added + final.updated
                report.images_per_second = (
                    round(classified / report.seconds, 1) if report.seconds else 0
                )
                records.finish(self.sessions, self.job_id, status, report.to_dict())
        finally:
            if self._owns_app:  # a server runs many jobs: no broker connection left behind
                self.app.close()
        return report

    def _tell_landed(self, paths: Sequence[Path]) -> None:
        """The workers wrote these files' photos: their ids to ``landed``, a chunk at a time
        (the workers may see the files under other paths; the sidecars go beside the catalog's)."""
        if self.landed is None:
            return
        names = [str(p) for p in paths]
        for start in range(0, len(names), REGROUP_CHUNK):
            chunk = names[start : start + REGROUP_CHUNK]
            with self.sessions() as session:
                ids = list(session.scalars(select(Photo.id).where(Photo.path.in_(chunk))))
            self.landed(ids)

    def _follow(self, job_id: str, total: int, wrap: Wrap) -> str:
        """Send the job's batches and follow it until every one is done or it is cancelled."""
        self._send(job_id)
        for _ in wrap(self._ticks(job_id), total):
            pass
        now = self._poll(job_id)
        if now.pending == 0:
            return DONE
        records.request_cancel(self.sessions, job_id)  # stopped early, or asked elsewhere
        return CANCELLED

    def _send(self, job_id: str, tasks: Collection[str] | None = None) -> int:
        """Send every batch of the job still to do (of ``tasks``, if given); how many."""
        queue = queue_name(self.sessions)
        pending = records.queued(self.sessions, job_id, tasks)
        with self.app.producer_or_acquire() as producer:
            for key, paths in pending:
                self.app.send_task(
                    TASK, args=[job_id, key, paths], queue=queue, producer=producer,
                    retry=True, retry_policy=PUBLISH_RETRY,
                )  # fmt: skip
        return len(pending)

    def _ticks(self, job_id: str) -> Iterator[None]:
        """One item a file accounted for, until the job has nothing left or is cancelled."""
        seen, moved = 0, time.monotonic()
        stall = self.settings.broker_visibility_timeout
        leases = records.Leases()
        while True:
            now = self._poll(job_id)
            if now.done > seen:
                for _ in range(now.done - seen):
                    yield None
                seen, moved = now.done, time.monotonic()
            if now.pending == 0 or now.cancel_requested:
                return
            self._send_lost(job_id, leases)
            if time.monotonic() - moved > stall:
                sent = self._send(job_id)
                log.warning("no progress for %d s: sent the %d batches left again", stall, sent)
                moved = time.monotonic()
            time.sleep(POLL_SECONDS)

    def _send_lost(self, job_id: str, leases: records.Leases) -> None:
        """Send again the batches whose worker stopped renewing their lease (it died)."""
        try:
            lost = leases.lost(records.leases(self.sessions, job_id), time.monotonic())
        except OperationalError:  # the catalog is away: _poll waits it out
            return
        if lost:
            self._send(job_id, lost)
            log.warning(
                "%d batch(es) lost their worker (no lease renewed for %d s): sent again",
                len(lost), records.LEASE_SECONDS,
            )  # fmt: skip

    def _poll(self, job_id: str) -> records.Progress:
        """The job's progress, waiting out a catalog that went away for a while."""
        for delay in (*POLL_BACKOFF, None):
            try:
                return records.progress(self.sessions, job_id)
            except OperationalError as exc:
                if delay is None:
                    raise CatalogUnavailableError(
                        t(
                            "the catalog stayed unreachable ({reason}); run the index again "
                            "to carry on where it stopped",
                            reason=driver_reason(exc),
                        )
                    ) from None
                log.warning("cannot read the job's progress (%s); again in %s s", exc.orig, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _record_failure(self, job_id: str, exc: Exception) -> None:
        """Mark the job failed, if the catalog still listens (else the next run interrupts it)."""
        try:
            records.request_cancel(self.sessions, job_id)
            records.finish(self.sessions, job_id, "failed", error=str(exc))
        except OperationalError:
            log.warning("job %s could not be marked failed: the catalog is away", job_id)


def regroup_strays(sessions: sessionmaker[Session], rules: RuleSet) -> int:
    """Regroup photos a worker grouped under other album rules than ``rules``; how many."""
    with sessions() as session:
        ids = list(
            session.scalars(
                select(Photo.id).where(Photo.status == OK, Photo.albums_digest != rules.digest)
            )
        )
    for start in range(0, len(ids), REGROUP_CHUNK):
        with sessions.begin() as session:
            chunk = ids[start : start + REGROUP_CHUNK]
            claim_photos(session, chunk)  # the one order every writer of photo rows claims
            write_members(session, chunk, rules)
    return len(ids)
