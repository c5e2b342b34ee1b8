"""``smartalbum worker``: a Celery worker whose processes each load the model once.

The model file is prepared (exported, checked) once, in a fresh interpreter, before the
Celery pool forks: its processes then only open their own session on it, with one model
thread each, and the pool's parent never imports a runtime with threads of its own.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from smartalbum.albums import class_groups, load_rules
from smartalbum.catalog import open_engine, session_factory
from smartalbum.distributed.broker import PUBLISH_RETRY, TASK, celery_app, queue_name
from smartalbum.distributed.worker import BatchHandler
from smartalbum.engines import SharedEngine, load_engine
from smartalbum.engines.classifier import Classifier
from smartalbum.errors import ModelUnavailableError, SmartalbumError
from smartalbum.i18n import t
from smartalbum.models.labels import load_labels
from smartalbum.settings import Settings

log = logging.getLogger(__name__)


def _shared_engine(settings: Settings) -> tuple[SharedEngine | None, str | None]:
    """In a fresh interpreter: the model file every worker process will open, or why not."""
    try:
        return Classifier.from_settings(settings).engine.shared, None
    except SmartalbumError as exc:
        return None, exc.message


def prepare_model(settings: Settings) -> SharedEngine | None:
    """Export and check the model once; None for an engine each process must load itself."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        shared, error = pool.submit(_shared_engine, settings).result()
    if error is not None:
        raise ModelUnavailableError(t("cannot load the model: {reason}", reason=error))
    return shared


class WorkerContext:
    """What each worker process opens once, after the fork: the model, the catalog, the rules."""

    def __init__(
        self, settings: Settings, app: Celery, queue: str, shared: SharedEngine | None
    ) -> None:
        self.settings = settings.with_overrides(threads=1)  # one model thread a process
        self.app = app
        self.queue = queue
        self.shared = shared
        self.handler: BatchHandler | None = None

    def load(self, **_: Any) -> None:
        """Open the model, the catalog and the album rules in this process."""
        settings = self.settings
        if self.shared is not None:
            engine = load_engine(self.shared, threads=1)
            labels = load_labels(self.shared.spec.labels, settings.labels_file)
            classifier = Classifier(settings, self.shared.spec, engine, labels)
        else:
            classifier = Classifier.from_settings(settings)
        rules = load_rules(settings.albums_file, classifier.labels, class_groups())
        sessions = session_factory(open_engine(settings.library))
        self.handler = BatchHandler(classifier, sessions, rules, self.send, settings.path_pairs())
        log.info("worker process %d ready (%s)", os.getpid(), classifier.engine.name)

    def send(self, job_id: str, key: str, paths: list[str]) -> None:
        """Queue a task on this catalog's queue."""
        self.app.send_task(
            TASK, args=[job_id, key, paths], queue=self.queue, retry=True,
            retry_policy=PUBLISH_RETRY,
        )  # fmt: skip

    def run(self, job_id: str, key: str, paths: list[str]) -> str:
        """One delivery of a task."""
        if self.handler is None:  # a pool that does not fork (solo) never sent the signal
            self.load()
        assert self.handler is not None
        return self.handler.handle(job_id, key, paths)


def run_worker(settings: Settings, concurrency: int, loglevel: str = "INFO") -> None:
    """Serve the catalog's queue until stopped, with ``concurrency`` processes."""
    app = celery_app(settings)
    engine = open_engine(settings.library)
    try:
        queue = queue_name(session_factory(engine))
    finally:
        engine.dispose()  # no connection of ours may be inherited by the pool's processes
    context = WorkerContext(settings, app, queue, prepare_model(settings))

    def index_batch(job_id: str, key: str, paths: list[str]) -> str:
        return context.run(job_id, key, paths)

    app.task(name=TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)(index_batch)
    worker_process_init.connect(context.load, weak=False)
    name = f"smartalbum-{os.getpid()}@{socket.gethostname()}"
    app.worker_main(
        [
            "worker", f"--concurrency={concurrency}", "--pool=prefork", f"--queues={queue}",
            f"--hostname={name}", f"--loglevel={loglevel}", "--without-gossip",
            "--without-mingle", "--without-heartbeat",
        ]
    )  # fmt: skip
