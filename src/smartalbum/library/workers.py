"""Analysis and inference in worker processes: one per core, each pinned, one model thread.

On the 2-core machines measured, two single-threaded processes pinned to a core each
out-run one process with two threads (docs/performance.md: ORT INT8 85 vs 72-75 img/s),
and decoding in them never waits on the parent's GIL. The parent only walks, hashes
moved-file candidates and writes. A file that fails costs only itself (``analysis``
records why); a worker that dies takes only its batch down, recorded as failed, and
is replaced. Each worker opens the parent's engine file through ``load_engine``.

Workers are forked from a fork server that has already imported numpy and Pillow:
the server is started once (``prepare``, ideally while the parent is still loading),
so each worker only imports ONNX Runtime and opens its model session (~80 ms)
instead of starting an interpreter and importing everything (~0.3 s of CPU each).
The server is a fresh process that never ran a model, so no worker is forked from
a process with model or writer threads.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import signal
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import numpy as np

from smartalbum.engines import Engine, SharedEngine, load_engine
from smartalbum.errors import ImageDecodeError, SmartalbumError
from smartalbum.i18n import Message, t
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed

log = logging.getLogger(__name__)

IN_FLIGHT = 2  # batches queued per worker: one running, one waiting
READY = "ready"


@dataclass(frozen=True)
class ModelSource:
    """What a worker needs to analyse as the parent does: the engine and the decoder limits."""

    engine: SharedEngine
    max_pixels: int
    fast_decode: bool
    batch_size: int = 0  # if set, the model runs once at this size before the worker is ready
    enhance: str = "off"  # hard-light correction (settings.enhance)
    text: bool = False  # the text pass (settings.text)
    faces: bool = False  # run the face pass (settings.faces)


# Imported once in the fork server rather than in each worker. Not ONNX Runtime: its
# import starts a native thread, and a process with threads must not fork. (numpy's
# OpenBLAS threads are parked by OpenBLAS itself around a fork.)
PRELOAD = ["smartalbum.library.workers", "smartalbum.models.zoo"]


def _context() -> ForkServerContext | SpawnContext:
    """Fork-server processes where the platform has them, fresh interpreters elsewhere."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)  # no effect once the server runs
        return context
    return multiprocessing.get_context("spawn")  # never fork a process with threads


def prepare() -> None:
    """Start the fork server now, so its imports overlap whatever the caller does next."""
    context = _context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with contextlib.suppress(OSError, ValueError):
            forkserver.ensure_running()


def usable_cores() -> list[int]:
    """The CPU cores this process may run on."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def _serve(conn: Connection, source: ModelSource, core: int | None) -> None:
    """A worker's life: load the model, then analyse and embed each batch of paths it is sent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if core is not None:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(0, {core})
    try:
        engine = load_engine(source.engine, threads=1)  # imports the runtime: after the fork
        if source.batch_size:
            # OpenVINO compiles a batch size when it first meets it (0.2-0.7 s): done here,
            # the parent goes on analysing by itself instead of waiting for our first batch.
            size = engine.spec.input_size
            engine.run(np.zeros((source.batch_size, 3, size, size), np.float32))
    except Exception as exc:  # told to the parent, which carries on without us
        conn.send(f"cannot load the model: {exc}")
        return
    decoding = Decoding(
        engine.spec.preprocess, source.max_pixels, source.fast_decode, source.enhance,
        source.text, source.faces,
    )  # fmt: skip
    conn.send(READY)
    while True:
        try:
            paths = conn.recv()
        except (EOFError, OSError):  # the parent is gone: so are we
            return
        if paths is None:
            return
        try:
            _reply(conn, _work(engine, decoding, paths))
        except (EOFError, OSError):
            return


def _work(engine: Engine, decoding: Decoding, paths: list[str]) -> list[Analysis]:
    """Analyse and embed one batch; whatever goes wrong, an answer for every path."""
    try:
        batch = [analyze(Path(p), decoding) for p in paths]
        embed(engine, batch)
    except Exception as exc:  # both record each file's failure: this is the last guard
        log.exception("an indexing worker failed on a batch of %d", len(paths))
        return _failed(paths, t("the indexing worker failed on this batch ({error!r})", error=exc))
    return batch


def _reply(conn: Connection, batch: list[Analysis]) -> None:
    """Send a batch back; one that cannot be pickled comes back as failures, not a dead worker."""
    try:
        data = ForkingPickler.dumps(batch)
    except Exception as exc:
        log.exception("an indexing worker could not send back a batch of %d", len(batch))
        failed = _failed([a.path for a in batch], t("unsendable result ({error!r})", error=exc))
        data = ForkingPickler.dumps(failed)
    conn.send_bytes(data)


def _failed(paths: list[str], reason: Message) -> list[Analysis]:
    return [Analysis(p, 0, 0.0, error=ImageDecodeError(p, reason)) for p in paths]


class _Worker:
    def __init__(self, source: ModelSource, core: int | None) -> None:
        context = _context()
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, source, core), name="smartalbum-worker", daemon=True
        )
        self.process.start()
        child.close()
        self.state = "starting"  # then "ready", or "dead" if it never got there

    def check(self) -> str:
        """Poll a starting worker once: has it loaded the model, or died trying?"""
        if self.state == "starting":
            reason = "it exited"
            try:
                if self.conn.poll():
                    message = self.conn.recv()
                    self.state = "ready" if message == READY else "dead"
                    reason = str(message)
            except (EOFError, OSError):
                self.state = "dead"
            if self.state == "starting" and not self.process.is_alive():
                self.state = "dead"
            if self.state == "dead":
                log.warning("an indexing worker could not start (%s); going on without it", reason)
        return self.state

    def ask_to_stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)

    def stop(self, now: bool = False) -> None:
        """Wind down after the batch in hand, or ``now``: its results are not wanted."""
        if now:
            self.process.kill()
        self.ask_to_stop()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=10)
        self.conn.close()


class WorkerPool:
    """Worker processes that turn batches of paths into analysed, embedded batches, in order."""

    def __init__(self, source: ModelSource, processes: int) -> None:
        self.source = source
        cores = usable_cores()
        self.cores: list[int | None] = [cores[i % len(cores)] for i in range(processes)]
        self.workers: list[_Worker] = []

    def __enter__(self) -> WorkerPool:
        self.workers = [_Worker(self.source, core) for core in self.cores]
        return self

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        # Interrupted (Ctrl-C, a failed write): nobody reads the batches in flight, and a
        # worker could block for ever sending one into a full pipe, so they go at once.
        for worker in self.workers:  # all at once: each takes ~50 ms to wind down
            worker.ask_to_stop()
        for worker in self.workers:
            worker.stop(now=error is not None)

    @property
    def pids(self) -> list[int | None]:
        """Process ids of the current workers (tests kill one to see the run go on)."""
        return [w.process.pid for w in self.workers]

    def batches(
        self,
        paths: Iterator[Path],
        batch_size: int,
        local: Callable[[list[Path]], list[Analysis]],
        take: Callable[[int, bool], list[Path]] | None = None,
    ) -> Iterator[list[Analysis]]:
        """Analysed batches in the order of ``paths``, up to two queued on each worker.

        Until a worker has loaded its model (0.1–0.35 s), or if none can, the
        batches are analysed here with ``local``: start-up costs no time. With ``take``
        (files that arrive while this runs) the batches are ``take(size, wait)``: with
        ``wait`` (nothing in flight) it blocks until there is one, [] once none will come;
        without, it answers at once, [] if nothing is ready.
        """
        inflight: deque[tuple[int, list[str]]] = deque()

        def chunk() -> list[Path]:
            if take is not None:
                return take(batch_size, not inflight)
            return list(itertools.islice(paths, batch_size))

        while True:
            ready = [i for i, w in enumerate(self.workers) if w.check() == "ready"]
            if not ready and not inflight:
                batch = chunk()
                if not batch:
                    return
                yield local(batch)
                continue
            queued = Counter(w for w, _ in inflight)
            while ready and len(inflight) < IN_FLIGHT * len(ready):
                batch = chunk()
                if not batch:
                    break
                index = min(ready, key=lambda i: queued[i])
                self.workers[index].conn.send([str(p) for p in batch])
                inflight.append((index, [str(p) for p in batch]))
                queued[index] += 1
            if not inflight:
                return
            index, sent = inflight.popleft()
            try:
                result: list[Analysis] = self.workers[index].conn.recv()
            except (EOFError, OSError):
                result = self._replace(index, sent, [c for i, c in inflight if i == index])
            yield result

    def _replace(self, index: int, chunk: list[str], waiting: list[list[str]]) -> list[Analysis]:
        """A worker died on ``chunk``: record its files as failed, start a new worker.

        Batches it had queued go to the new worker once it is ready.
        """
        code = self.workers[index].process.exitcode
        log.error("an indexing worker died (exit code %s) on a batch of %d", code, len(chunk))
        with contextlib.suppress(OSError):
            self.workers[index].conn.close()
        replacement = _Worker(self.source, self.cores[index])
        self.workers[index] = replacement
        while replacement.check() == "starting":
            replacement.process.join(0.05)
        for pending in waiting:
            if replacement.state != "ready":
                raise SmartalbumError(t("indexing workers keep failing; see the log"))
            replacement.conn.send(pending)
        reason = t(
            "the image decoder crashed on a batch of {count} files including this one",
            count=len(chunk),
        )
        return _failed(chunk, reason)
