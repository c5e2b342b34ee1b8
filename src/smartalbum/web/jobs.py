"""Background indexing jobs for the web app: one at a time, each with its id, progress and error."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartalbum.classifier import Classifier
from smartalbum.errors import SmartalbumError

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One import of server-side folders into the catalog."""

    id: str
    folders: list[str]
    status: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int | None = None
    report: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

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
        }


class JobRunner:
    """Runs indexing jobs on one background thread, in the order they were asked for."""

    def __init__(self, library: str) -> None:
        self.library = library
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._thread = ThreadPoolExecutor(1, "smartalbum-jobs")

    def submit(self, classifier: Classifier, folders: list[Path]) -> Job:
        """Queue an import; its progress and outcome are read with ``get``."""
        job = Job(id=uuid.uuid4().hex, folders=[str(f) for f in folders])
        with self._lock:
            self.jobs[job.id] = job
        self._thread.submit(self._run, job, classifier, folders)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if this server started it."""
        with self._lock:
            return self.jobs.get(job_id)

    def shutdown(self) -> None:
        """Stop taking jobs; a running one finishes its current batch first."""
        self._thread.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, classifier: Classifier, folders: list[Path]) -> None:
        from smartalbum.catalog import open_engine, session_factory
        from smartalbum.indexer import Indexer

        job.status = "running"

        def count(items: Iterator[Any], total: int) -> Iterator[Any]:
            job.total = total
            for item in items:
                yield item
                job.done += 1

        engine = None
        try:
            engine = open_engine(self.library)
            report = Indexer(classifier, session_factory(engine), self.library).run(
                folders, wrap=count
            )
        except SmartalbumError as exc:
            job.status, job.error = "failed", exc.to_dict()
        except Exception as exc:  # recorded on the job and logged: never swallowed
            log.exception("indexing job %s failed", job.id)
            job.status = "failed"
            job.error = {"code": "error", "message": f"indexing failed: {exc}"}
        else:
            job.status, job.report = "done", report.to_dict()
        finally:
            if engine is not None:
                engine.dispose()  # a server catalog's connections go back to the server
        job.finished = time.time()
