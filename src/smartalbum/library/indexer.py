"""The bulk indexer: lock the library, plan the run, analyse what changed, write each batch.

Crash-safe by construction: each written batch is one transaction, a file is
"unchanged" when its size and mtime match its record, and paths are unique, so a
run killed at any moment resumes where its last commit ended, with no duplicate.
``scan`` decides the work, ``analysis`` (here in threads, or in ``workers``
processes) does it, and ``writer`` is the one place it reaches the catalog.

This is the first phase: the model's, at its speed. The passes that cost a second a photo
(text, faces) run after it, over the photos it wrote (``later_passes``).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet, class_groups, load_rules
from smartalbum.catalog import LibraryLock
from smartalbum.engines.classifier import Classifier
from smartalbum.engines.pipeline import batches_ahead
from smartalbum.library import later_passes, scan
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed
from smartalbum.library.colour_pass import colour_backfill
from smartalbum.library.later_passes import Progress, run_later_passes
from smartalbum.library.sidecars import Landed
from smartalbum.library.workers import ModelSource, WorkerPool, usable_cores
from smartalbum.library.writer import CatalogWriter, Written, grouped

__all__ = ["MIN_FILES_PER_PROCESS", "IndexReport", "Indexer", "LibraryLock"]

# Workers cost start-up (~0.15 s from the fork server, ~0.35 s spawned) and memory:
# below this many files a core, the threads of this process finish about as soon.
MIN_FILES_PER_PROCESS = 64
WRITES_AHEAD = 2  # groups of batches analysed and waiting for the writer

Wrap = Callable[[Iterator[Any], int], Iterator[Any]]


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
    later: dict[str, Any] | None = None  # the second phase's figures (text, faces), if it ran

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON summary (warnings included)."""
        return asdict(self)

    def add(self, written: Written) -> None:
        """Count one written batch."""
        self.added += written.added
        self.updated += written.updated
        self.moved += written.moved
        self.failed += written.failed


class Indexer:
    """Index folders into a catalog with a classifier, grouping each batch under ``rules``."""

    def __init__(
        self,
        classifier: Classifier,
        sessions: sessionmaker[Session],
        library: str | Path,
        processes: int | None = None,
        *,
        rules: RuleSet | None = None,
        later: bool = True,
        landed: Landed | None = None,
    ) -> None:
        self.classifier = classifier
        # True: ``run`` ends with the second phase; False: the caller runs it (later_passes)
        self.later = later
        self.sessions = sessions
        self.library = library
        # 0: one worker process per core when it pays off; None: as the settings say
        self.processes = classifier.settings.index_processes if processes is None else processes
        if rules is None:  # the built-in albums
            rules = load_rules(None, classifier.labels, class_groups())
        # ``landed``: told each written batch's photos (library.sidecars.landing)
        self.writer = CatalogWriter(sessions, classifier, rules, landed)

    def run(
        self,
        roots: Sequence[Path],
        reclassify: bool = False,
        wrap: Wrap = lambda it, _n: it,
        confine: Sequence[Path] | None = None,
        progress: Progress = lambda _name, _done, _total: True,
    ) -> IndexReport:
        """Scan, classify what changed, mark what vanished; one transaction per written batch.
        Then, unless the caller runs it, the second phase (text, faces; told to ``progress``).

        ``wrap`` sees the files to analyse go by (a progress bar); when it stops early,
        the run writes what it has in hand and ends. With ``confine`` (a web import's
        roots) the walk follows no link out of those folders.
        """
        started = time.perf_counter()
        with LibraryLock(self.library):
            plan = scan.plan(self.sessions, roots, reclassify, confine)
            report = IndexReport(plan.scanned, unchanged=plan.unchanged, warnings=plan.warnings)
            self.writer.remember_roots([r for r in roots if r.is_dir()])
            size = self.classifier.settings.batch_size
            moves = (plan.moves[i : i + size] for i in range(0, len(plan.moves), size))
            batches = itertools.chain(moves, self._analysed(plan.work, wrap))
            classified = self._write_all(batches, plan.known, report)
            report.missing = self.writer.mark_missing(plan.vanished)
            self.writer.finish()  # categories trained on another model learn again
            colour_backfill(self.sessions)  # photos indexed before colours were: from thumbnails
        report.seconds = round(time.perf_counter() - started, 2)
        report.images_per_second = round(classified / report.seconds, 1) if report.seconds else 0
        settings = self.classifier.settings
        if self.later and later_passes.wanted(settings):
            rules, library = self.writer.rules, str(self.library)
            landed = self.writer.landed
            later = run_later_passes(self.sessions, library, settings, rules, progress, landed)
            report.later = later.to_dict()
        return report

    def _write_all(
        self, batches: Iterator[list[Analysis]], known: dict[str, int], report: IndexReport
    ) -> int:
        """Write the batches on one writer thread; returns how many files the model classified.

        SQLite has one writer anyway: the model keeps running while a group of batches
        commits, each group in one transaction.
        """
        classified = 0
        with ThreadPoolExecutor(1, "smartalbum-catalog-writer") as thread:
            writes: deque[Future[Written]] = deque()
            for batch in grouped(batches):
                classified += sum(a.probabilities is not None for a in batch)
                writes.append(thread.submit(self.writer.write, batch, known))
                if len(writes) > WRITES_AHEAD:
                    report.add(writes.popleft().result())  # re-raises a failed write here
            for pending in writes:
                report.add(pending.result())
        return classified

    def _analysed(self, paths: list[Path], wrap: Wrap) -> Iterator[list[Analysis]]:
        """Batches of analysed, embedded files: in worker processes when that pays off."""
        settings, engine = self.classifier.settings, self.classifier.engine
        # No text, no faces: they are the second phase's (later_passes), after every photo is in.
        decoding = Decoding(
            self.classifier.preprocess, settings.max_pixels, settings.fast_decode,
            settings.enhance,
        )  # fmt: skip
        processes = self.processes or len(usable_cores())
        enough = len(paths) >= MIN_FILES_PER_PROCESS * processes
        shared = engine.shared  # None: this engine cannot be opened by another process
        if processes > 1 and enough and shared is not None:
            source = ModelSource(
                shared, settings.max_pixels, settings.fast_decode, settings.batch_size,
                settings.enhance,
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
