"""What a running app holds: settings, the classifier (or why it could not load), the pools."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from smartalbum.backup import kept_backup
from smartalbum.catalog import Root
from smartalbum.engines.classifier import Classifier, model_files
from smartalbum.engines.explain import LazyExplainer
from smartalbum.errors import ModelUnavailableError, SmartalbumError
from smartalbum.i18n import t
from smartalbum.ingest.feed import UploadFeed
from smartalbum.ingest.queue import FolderQueue
from smartalbum.ingest.schedule import Scheduler
from smartalbum.ingest.trash import Trash
from smartalbum.ingest.uploads import UploadStore
from smartalbum.ingest.watch import FolderWatcher, distinct_roots
from smartalbum.library import workers
from smartalbum.library.int8 import auto_int8
from smartalbum.library.roots import ImportRoots
from smartalbum.settings import Settings
from smartalbum.web.auth import Gate
from smartalbum.web.batching import MicroBatcher
from smartalbum.web.jobs import JobRunner
from smartalbum.web.library_routes import LibraryHolder
from smartalbum.web.pending_imports import PendingImports

log = logging.getLogger(__name__)

DAY = 86400.0


class AppState:
    """The loaded classifier, or why it could not load; the decode pool, jobs and library."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.classifier: Classifier | None = None
        self.load_error: ModelUnavailableError | None = None
        self.batcher: MicroBatcher | None = None
        self.explainer = LazyExplainer(settings)  # heat-maps: loaded when first asked for
        self.decoders = ThreadPoolExecutor(settings.decode_threads, "smartalbum-web-decode")
        self.library = LibraryHolder(settings)
        self.gate = Gate(settings, self.library)
        self.import_roots = ImportRoots.from_settings(settings)
        self.jobs = JobRunner(
            settings.library, self.library.rules, self.confine(), self.after_import,
            PendingImports(lambda: self.library.get().sessions),
        )  # fmt: skip
        # Uploads and the watched folders ask here; a burst becomes one import job.
        self.ingest = FolderQueue(self.rescan)
        # Stored uploads, by path, to one run that stays up while they keep coming.
        self.feed = UploadFeed(self._start_feed)
        self.watcher = FolderWatcher(self.watched_roots, self.ingest.submit)
        # The periodic work, once across every server process on the catalog. Uploads add
        # the clean-up of stale partial uploads here: schedule.add("uploads.cleanup", ...).
        self.schedule = Scheduler(settings.library, lambda: self.library.get().sessions)
        self.schedule.add("rescan", settings.rescan_minutes * 60.0, self.rescan_all)
        self.schedule.add("trash.purge", DAY, self.purge_trash)
        self.schedule.add("backup", settings.backup_hours * 3600.0, lambda: kept_backup(settings))
        self._uploads: UploadStore | None = None
        self._uploads_lock = threading.Lock()

    def load(self) -> None:
        """Load the classifier; a model that cannot load is kept as the reason for 503s."""
        if not self.settings.broker:  # the import jobs' workers: their imports meanwhile
            workers.prepare()
        try:
            self.classifier = Classifier.from_settings(self.settings)
        except ModelUnavailableError as exc:
            log.error("model not loadable: %s", exc.message)
            self.load_error = exc
        self.library.prepare()
        self.recover_uploads()
        self.resume_imports()

    def upload_store(self) -> UploadStore:
        """The uploads into the upload root (made with the library, when first asked for)."""
        with self._uploads_lock:
            if self._uploads is None:
                self._uploads = UploadStore(
                    self.library.get().sessions,
                    self.settings.upload_root_path(),
                    self.settings.max_file_mb * 1024 * 1024,
                )
            return self._uploads

    def recover_uploads(self) -> None:
        """At start-up: finish the uploads a stop interrupted after their last byte, and
        index what was stored but not yet indexed."""
        try:
            folders = self.upload_store().recover()
        except SmartalbumError as exc:  # no catalog yet: the first request says why
            log.error("uploads not recovered: %s", exc.message)
            return
        if folders:
            log.info("indexing %d folder(s) of uploads stored before a stop", len(folders))
            self.ingest.submit(folders)

    def resume_imports(self) -> None:
        """At start-up: run again, under their ids, the imports a stop left unfinished."""
        pending = self.jobs.pending
        if self.classifier is None or pending is None:  # kept: a start with a model runs them
            return
        try:
            left = pending.left()
        except (SmartalbumError, DBAPIError) as exc:  # no catalog yet: the first request says why
            log.error("unfinished imports not resumed: %s", exc)
            return
        for job in left:
            # Under its own id: `GET /api/jobs/{id}` of the import answered before the stop
            # follows it here (its count starts again: photos already in are found there).
            folders = [Path(f) for f in job["folders"]]
            self.jobs.submit(self.classifier, folders, job["by"], job_id=job["id"])
            log.info("import %s of %s, left by a stop, runs again", job["id"], job["folders"])

    def start(self) -> None:
        """Start micro-batching on the running loop (if the model loaded), the ingest queue,
        watching (unless the settings turn it off) and the scheduled work."""
        self.ingest.start()
        if self.settings.watch:
            self.watcher.start()
        self.schedule.start()
        if self.classifier is not None:
            self.batcher = MicroBatcher(
                self.classifier, self.settings.batch_size, float(self.settings.batch_wait_ms)
            )
            self.batcher.start()

    def confine(self) -> list[Path] | None:
        """What an import's walk must stay inside: the import roots and the upload root
        (None: anywhere, on a server of this machine alone with no roots set)."""
        roots = self.import_roots.confine
        return None if roots is None else [*roots, self.settings.upload_root_path()]

    def watched_roots(self) -> list[Path]:
        """The import roots (unset: the folders the catalog has indexed, on a server of this
        machine alone) and the upload root."""
        roots = self.settings.import_root_paths()
        if not roots and self.import_roots.open_to_any:
            try:
                with self.library.get().sessions() as session:
                    roots = [Path(p) for p in session.scalars(select(Root.path))]
            except (SmartalbumError, DBAPIError) as exc:  # no catalog yet: the upload root
                log.warning("the indexed folders are not watched: %s", exc)
        return [*roots, self.settings.upload_root_path()]

    def rescan_all(self) -> dict[str, Any]:
        """The periodic re-scan: an import job over every watched folder."""
        folders = distinct_roots(self.watched_roots())
        job = self.jobs.submit(self.ready_classifier(), folders)
        return {"job": job.id, "folders": [str(f) for f in folders]}

    def purge_trash(self) -> dict[str, Any] | None:
        """The daily purge of what has been in the trash longer than the trash days (None:
        nothing was)."""
        done = Trash(self.library.get(), self.settings).purge_expired()
        return done if any(done.values()) else None

    def index_stored(self, path: Path) -> None:
        """Index a file an upload just stored: handed to the uploads' run (its folder to
        the ingest queue when the work goes to distributed workers, or no model is loaded)."""
        self.watcher.ours(path)  # indexed here: its arrival needs no re-scan of its folder
        if self.classifier is not None and not self.settings.broker:
            try:
                self.feed.submit([path])
                return
            except RuntimeError:  # the jobs are shutting down: a later re-scan finds it
                log.warning("%s: stored, to be indexed by the next re-scan", path)
        self.ingest.submit([path.parent])

    def _start_feed(self) -> None:
        self.jobs.submit_feed(self.ready_classifier(), self.feed, self.settings.upload_root_path())

    def rescan(self, folders: list[Path]) -> None:
        """Index what changed in these folders (the ingest queue's run): an import job."""
        if self.classifier is None:  # no model, nothing to index with; the next ask retries
            log.warning("not indexing %s: the model is not loaded", ", ".join(map(str, folders)))
            return
        present = [f for f in folders if f.is_dir()]
        if present:  # folders all gone: nothing to import (their photos' files went with them)
            self.jobs.submit(self.classifier, present)

    async def stop(self) -> None:
        """Stop batching, the pools, the ingest queue and the jobs; close the catalog."""
        if self.batcher is not None:
            await self.batcher.stop()
        self.watcher.close()
        self.schedule.close()
        self.ingest.close()
        self.decoders.shutdown(wait=False, cancel_futures=True)
        self.jobs.shutdown()
        self.library.close()

    def after_import(self) -> None:
        """With the engine on ``auto``: the INT8 model from the library's photos once there
        are enough, and the fastest engine then serves new work, without a restart."""
        if self.settings.engine != "auto" or self.classifier is None:
            return
        verdict = auto_int8(self.settings, model_files(self.settings), self.library.get().sessions)
        if verdict is None or not verdict["kept"]:
            return
        fresh = Classifier.from_settings(self.settings)  # measures the INT8 engines too
        self.classifier = fresh
        if self.batcher is not None:
            self.batcher.classifier = fresh
        log.info("now serving with %s", fresh.engine.name)

    def ready_classifier(self) -> Classifier:
        """The classifier, or the 503 that says why there is none."""
        if self.classifier is None:
            raise self.load_error or ModelUnavailableError(t("the model is still loading"))
        return self.classifier
