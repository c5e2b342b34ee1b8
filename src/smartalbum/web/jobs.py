"""Background indexing jobs for the web app: one at a time, each with its id, progress and error.

A job can be cancelled: it stops taking new files, writes the batches it has in hand and
ends as ``cancelled`` with its report; what it finished stays in the catalog, and the
next import of the same folders carries on from there.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.engines.classifier import Classifier
from smartalbum.errors import JobFinishedError, SmartalbumError
from smartalbum.i18n import t
from smartalbum.ingest.feed import UploadFeed, index_feed
from smartalbum.library import activity, later_passes
from smartalbum.library.indexer import IndexReport
from smartalbum.library.later_passes import run_later_passes
from smartalbum.library.sidecars import landing
from smartalbum.settings import Settings
from smartalbum.web.pending_imports import PendingImports

log = logging.getLogger(__name__)

LATER = "later"  # the kind of the jobs that run indexing's second phase (text, faces)


@dataclass
class Job:
    """One import of server-side folders into the catalog."""

    id: str
    folders: list[str]
    status: str = "queued"  # queued, running, then done, failed or cancelled
    done: int = 0
    total: int | None = None
    report: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event, repr=False)
    by: str | None = None  # the account that started it (None: nobody signs in)
    kind: str = "index"  # or another pass over the library ("text"; "later": text and faces)
    resumed: bool = False  # run again after a stop, under the id it was answered with

    @property
    def over(self) -> bool:
        """Whether the job has finished, one way or another."""
        return self.status not in ("queued", "running")

    def to_dict(self) -> dict[str, Any]:
        """The job as the API shows it."""
        return {
            "id": self.id,
            "folders": self.folders,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "report": self.report,
            "error": self.error,
            "cancel_requested": self.cancel_requested.is_set(),
            "by": self.by,
            "kind": self.kind,
        }


class JobRunner:
    """Runs indexing jobs on one background thread, in the order they were asked for."""

    def __init__(
        self,
        library: str,
        rules: Callable[[], RuleSet],
        confine: list[Path] | None = None,
        after: Callable[[], None] | None = None,
        pending: PendingImports | None = None,
    ) -> None:
        self.library = library
        self.pending = pending  # where accepted imports are kept until they end
        self.after = after  # run on the jobs' thread after each import that finished
        self.rules = rules  # the album rules imported photos are grouped under
        self.confine = confine  # the import roots no walk may leave (None: anywhere)
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._thread = ThreadPoolExecutor(1, "smartalbum-jobs")

    def submit(
        self,
        classifier: Classifier,
        folders: list[Path],
        by: str | None = None,
        job_id: str | None = None,
    ) -> Job:
        """Queue an import (``by`` the account asking); its progress is read with ``get``.
        Kept in the catalog first, if the runner keeps them: an import is accepted only once
        a restart would run it. ``job_id``: the id of an import a stop left unfinished, run
        again under it, so that whoever follows that id sees it through."""
        job = Job(id=job_id or uuid.uuid4().hex, folders=[str(f) for f in folders], by=by,
                  resumed=job_id is not None)  # fmt: skip
        if self.pending is not None:
            self.pending.add(job.id, job.folders, by)
        with self._lock:
            self.jobs[job.id] = job
        self._thread.submit(self._run, job, classifier, folders)
        return job

    def submit_feed(self, classifier: Classifier, feed: UploadFeed, folder: Path) -> Job:
        """Queue a run over the files ``feed`` hands out as uploads store them (into
        ``folder``), until none comes for a while: an import job like the others."""
        job = Job(id=uuid.uuid4().hex, folders=[str(folder)])
        with self._lock:
            self.jobs[job.id] = job
        self._thread.submit(self._run, job, classifier, feed)
        return job

    def submit_work(
        self, kind: str, work: Callable[[Job], dict[str, Any]], by: str | None = None
    ) -> Job:
        """Queue another pass over the library (``kind``) on the jobs' thread: ``work`` sets
        the job's done and total, stops when it is cancelled, and returns its report."""
        job = Job(id=uuid.uuid4().hex, folders=[], by=by, kind=kind)
        with self._lock:
            self.jobs[job.id] = job
        self._thread.submit(self._run_work, job, work)
        return job

    def _run_work(self, job: Job, work: Callable[[Job], dict[str, Any]]) -> None:
        with self._lock:
            if job.over:  # cancelled while queued
                return
            job.status = "running"
        try:
            job.report = work(job)
        except SmartalbumError as exc:
            job.status, job.error = "failed", exc.to_dict()
        except Exception as exc:  # recorded on the job and logged: never swallowed
            log.exception("%s job %s failed", job.kind, job.id)
            job.status, job.error = "failed", {"code": "error", "message": f"failed: {exc}"}
        else:
            job.status = "cancelled" if job.cancel_requested.is_set() else "done"
        job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if this server started it."""
        with self._lock:
            return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop after the batches in hand; a queued one never starts."""
        job = self.get(job_id)
        if job is None:
            return None
        if job.over and not job.cancel_requested.is_set():
            raise JobFinishedError(
                t("job {job_id} has already finished ({status})", job_id=job_id, status=job.status)
            )
        job.cancel_requested.set()
        with self._lock:
            if job.status == "queued":
                job.status, job.finished = "cancelled", time.time()
        return job

    def shutdown(self) -> None:
        """Stop taking jobs; a running one stops after the batches in hand."""
        with self._lock:
            jobs = list(self.jobs.values())
        for job in jobs:
            if not job.over:
                self.cancel(job.id)
        self._thread.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, classifier: Classifier, work: list[Path] | UploadFeed) -> None:
        from smartalbum.catalog import open_engine, session_factory

        with self._lock:
            if job.over:  # cancelled while queued
                if isinstance(work, UploadFeed):
                    work.ended()  # the next upload starts another run
                self._ended(job, work)
                return
            job.status = "running"
        engine = None
        try:
            engine = open_engine(self.library)
            sessions = session_factory(engine)
            activity.log_now(sessions, job.by, activity.IMPORT, " ".join(job.folders))
            if isinstance(work, UploadFeed):
                report = self._feed(job, classifier, sessions, work)
            else:
                report = self._import(job, classifier, sessions, work)
        except SmartalbumError as exc:
            job.status, job.error = "failed", exc.to_dict()
        except Exception as exc:  # recorded on the job and logged: never swallowed
            log.exception("indexing job %s failed", job.id)
            job.status = "failed"
            job.error = {"code": "error", "message": f"indexing failed: {exc}"}
        else:
            job.report = report.to_dict()
            self._queue_later(job, classifier.settings)
            job.status = "cancelled" if job.cancel_requested.is_set() else "done"
        finally:
            if engine is not None:
                engine.dispose()  # a server catalog's connections go back to the server
        job.finished = time.time()
        self._ended(job, work)
        self._after(job, classifier)

    def _ended(self, job: Job, work: list[Path] | UploadFeed) -> None:
        """An import that ended is no longer run again at the next start."""
        if self.pending is not None and not isinstance(work, UploadFeed):
            self.pending.remove(job.id)

    def _queue_later(self, job: Job, settings: Settings) -> None:
        """After photos went in, the second phase (text, faces) as a job of its own, queued
        unless one already waits; the import's report names it (``later_job``)."""
        if not later_passes.wanted(settings):
            return
        with self._lock:
            waiting = [j for j in self.jobs.values() if j.kind == LATER and j.status == "queued"]
        later = waiting[0] if waiting else self.submit_work(LATER, self._later(settings), job.by)
        if job.report is not None:
            job.report["later_job"] = later.id

    def _later(self, settings: Settings) -> Callable[[Job], dict[str, Any]]:
        """The second phase's work: it gives way (ends, and carries on in the job queued
        after the next import) as soon as another job waits, so new photos go in first."""
        from smartalbum.catalog import open_engine, session_factory

        def work(job: Job) -> dict[str, Any]:
            def progress(_name: str, done: int, total: int) -> bool:
                job.done, job.total = done, total
                with self._lock:
                    waiting = any(j.status == "queued" for j in self.jobs.values())
                return not (waiting or job.cancel_requested.is_set())

            engine = open_engine(self.library)
            try:
                sessions = session_factory(engine)
                rules = self.rules()
                landed = landing(settings, sessions, rules)
                later = run_later_passes(sessions, self.library, settings, rules, progress, landed)
                return later.to_dict()
            finally:
                engine.dispose()

        return work

    def _import(
        self,
        job: Job,
        classifier: Classifier,
        sessions: sessionmaker[Session],
        folders: list[Path],
    ) -> IndexReport:
        """An import of folders, here or on the distributed workers."""
        from smartalbum.library.indexer import Indexer

        def count(items: Iterator[Any], total: int) -> Iterator[Any]:
            job.total = total
            for item in items:
                if job.cancel_requested.is_set():
                    return  # the indexer writes what it has in hand and ends the run
                yield item
                job.done += 1

        rules = self.rules()
        landed = landing(classifier.settings, sessions, rules)  # XMP sidecars, when on
        if classifier.settings.broker:  # the work goes to `smartalbum worker` processes
            from smartalbum.distributed import DistributedIndexer

            distributed = DistributedIndexer(
                classifier.settings, sessions, self.library, rules=rules, landed=landed
            )
            # A resumed import's first run left its record under this id (interrupted).
            record = None if job.resumed else job.id
            return distributed.run(
                folders, wrap=count, confine=self.confine, job_id=record, by=job.by
            )
        # The second phase is a job of its own (``_queue_later``): the import ends at the
        # model's speed, and the next one need not wait for the text of this one.
        indexer = Indexer(
            classifier, sessions, self.library, rules=rules, later=False, landed=landed
        )
        return indexer.run(folders, wrap=count, confine=self.confine)

    def _feed(
        self, job: Job, classifier: Classifier, sessions: sessionmaker[Session], feed: UploadFeed
    ) -> IndexReport:
        """The uploads' run: their files as they come, until none comes for a while."""

        def take(size: int, wait: bool) -> list[Path]:
            return feed.take(size, wait, job.cancel_requested.is_set)

        def done(n: int) -> None:
            job.done += n

        rules = self.rules()
        landed = landing(classifier.settings, sessions, rules)  # XMP sidecars, when on
        try:
            return index_feed(classifier, sessions, self.library, rules, take, done, landed)
        except BaseException:
            feed.ended()  # the next upload starts another run
            raise

    def _after(self, job: Job, classifier: Classifier) -> None:
        """The work after a finished local import (e.g. the INT8 model, once there are
        enough photos); a failure there is logged, and the import stays done."""
        if job.status != "done" or self.after is None or classifier.settings.broker:
            return
        try:
            self.after()
        except Exception:
            log.exception("the work after job %s failed", job.id)
