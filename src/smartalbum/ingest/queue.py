"""Folders to re-scan soon: asked for many times while waiting, scanned once.

Uploads and the folder watcher both end in "index what changed in this folder". Each
asks here; a burst of asks (60 uploads finishing, a copy of 200 files) becomes one run
over the folders named, started once no new ask came for ``settle`` seconds, or at the
latest ``settle_max`` seconds after the first. The run itself (an index job: the same
indexer, writer and workers as any import) is the caller's function.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

Run = Callable[[list[Path]], None]


class FolderQueue:
    """Coalesces asks to re-scan folders and hands them to ``run`` on one thread."""

    def __init__(self, run: Run, settle: float = 1.0, settle_max: float = 10.0) -> None:
        self._run = run
        self.settle = settle
        self.settle_max = settle_max
        self._pending: set[Path] = set()
        self._first = 0.0  # when the oldest pending ask came
        self._last = 0.0  # when the newest did
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="smartalbum-ingest", daemon=True)

    def start(self) -> None:
        """Start running what is asked (asks made before are kept for the first run)."""
        self._thread.start()

    def submit(self, folders: Iterable[Path]) -> None:
        """Ask for these folders to be re-scanned soon."""
        with self._wake:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending.update(Path(f) for f in folders)
            self._last = now
            self._wake.notify()

    def pending(self) -> list[Path]:
        """The folders waiting for their run."""
        with self._wake:
            return sorted(self._pending)

    def close(self) -> None:
        """Stop: what is still pending is dropped (the next re-scan finds it)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _take(self) -> list[Path] | None:
        """Wait until the pending folders have settled; None once closed."""
        with self._wake:
            while not self._closed:
                if self._pending:
                    now = time.monotonic()
                    due = min(self._last + self.settle, self._first + self.settle_max)
                    if now >= due:
                        folders = sorted(self._pending)
                        self._pending.clear()
                        return folders
                    self._wake.wait(due - now)
                else:
                    self._wake.wait()
            return None

    def _loop(self) -> None:
        while (folders := self._take()) is not None:
            try:
                self._run(folders)
            except Exception:  # logged, and the queue goes on: the next ask tries again
                log.exception("re-scanning %s failed", ", ".join(map(str, folders)))
