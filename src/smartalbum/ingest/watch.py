"""Watched folders: files copied in, changed, moved or deleted while the server runs get indexed.

``watchfiles`` (inotify on Linux, a Rust core) reports changes under the roots on a thread
of the server. A deleted or moved-away file's folder is handed on at once (the scan finds
what vanished, and by sha256 where it went); a new or changed file's folder once the file
has settled: the same size and mtime at two looks ``settle`` seconds apart, so a photo still
being copied is not read half-written. The folder goes to ``submit`` (the app's ingest
queue, which runs one import job for a burst). Hidden files and folders (the upload root's
``.partial`` and ``.trash``) are never looked at; what watching misses (a network share, a
server that was down) the periodic re-scan finds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchfiles import Change, watch

from smartalbum import imaging, video

log = logging.getLogger(__name__)

Submit = Callable[[list[Path]], None]
Roots = Callable[[], list[Path]]
RETRY = 5.0  # seconds before watching again after a failure
OURS_FOR = 60.0  # seconds a file this server placed is taken for its own (not a change)


def distinct_roots(roots: Iterable[Path]) -> list[Path]:
    """Existing folders, each once, none inside another (one watch covers its subfolders).

    Kept as given (absolute, links not resolved): the catalog's paths are spelled so.
    """
    real = sorted({Path(r).absolute() for r in roots if Path(r).is_dir()})
    kept: list[Path] = []
    for root in real:
        if not any(root == k or k in root.parents for k in kept):
            kept.append(root)
    return kept


class FolderWatcher:
    """Watches the roots ``roots()`` names (asked again every ``refresh`` seconds) on a thread."""

    def __init__(
        self, roots: Roots, submit: Submit, settle: float = 1.0, refresh: float = 30.0
    ) -> None:
        self.roots = roots
        self.submit = submit
        self.settle = settle
        self.refresh = refresh
        self.watching: list[Path] = []
        self._pending: dict[Path, tuple[int, int, float]] = {}  # path -> size, mtime, since
        self._ours: dict[Path, tuple[int, int, float]] = {}  # path -> size, mtime, when placed
        self._ours_lock = threading.Lock()  # ``ours`` is called from the requests' threads
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="smartalbum-watch", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def close(self) -> None:
        """Stop watching (within about a second)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def ours(self, path: Path) -> None:
        """A file this server placed and indexes itself (an upload): its arrival is no change
        to re-scan its folder for (a change to it afterwards still is)."""
        if not self._thread.is_alive():
            return  # not watching: nothing would take it off the list
        try:
            info = path.stat()
        except OSError:
            return
        with self._ours_lock:
            self._ours[path] = (info.st_size, info.st_mtime_ns, time.monotonic())

    def _is_ours(self, path: Path, size: int, mtime: int) -> bool:
        """Whether a settled file is one this server placed, as it placed it."""
        with self._ours_lock:
            placed = self._ours.pop(path, None)
            if self._ours:  # forget those whose arrival was never seen (not watched there)
                old = time.monotonic() - OURS_FOR
                for stale in [p for p, (_, _, when) in self._ours.items() if when < old]:
                    del self._ours[stale]
        return placed is not None and placed[:2] == (size, mtime)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                roots = distinct_roots(self.roots())
                if not roots:
                    self._stop.wait(self.refresh)
                    continue
                self._watch(roots)
            except Exception:  # logged, and watching starts again: never the server's end
                log.exception("watching %s failed", ", ".join(map(str, self.watching)))
                self._stop.wait(RETRY)

    def _watch(self, roots: list[Path]) -> None:
        """Watch these roots until stopped, or until the roots to watch change."""
        self.watching = roots
        log.info("watching %s", ", ".join(map(str, roots)))
        looked = time.monotonic()
        for changes in watch(
            *roots,
            watch_filter=lambda _change, path: _visible(path, roots),
            debounce=300,
            rust_timeout=int(self.settle * 1000),
            yield_on_timeout=True,  # wakes every ``settle`` seconds to look at pending files
            stop_event=self._stop,
            raise_interrupt=False,
        ):
            self._changed(changes)
            self._settled()
            if time.monotonic() - looked > self.refresh:
                looked = time.monotonic()
                if distinct_roots(self.roots()) != roots:
                    return  # watched again with the new roots

    def _changed(self, changes: set[tuple[Change, str]]) -> None:
        gone: set[Path] = set()
        for change, name in changes:
            path = Path(name)
            if change == Change.deleted:
                gone.add(path.parent)  # a file, or a whole folder moved away
                self._pending.pop(path, None)
            else:
                self._look(path)
        if gone:
            self.submit(sorted(gone))

    def _look(self, path: Path) -> None:
        """Note a file's size and mtime now; a new folder (moved in) is looked at like one."""
        try:
            info = path.stat()
        except OSError:
            self._pending.pop(path, None)
            return
        size, mtime = (0, 0) if path.is_dir() else (info.st_size, info.st_mtime_ns)
        if self._pending.get(path, (None, None, 0.0))[:2] != (size, mtime):
            self._pending[path] = (size, mtime, time.monotonic())

    def _settled(self) -> None:
        """Hand on the folders of files unchanged for ``settle`` seconds."""
        now = time.monotonic()
        ready: set[Path] = set()
        for path, (size, mtime, since) in list(self._pending.items()):
            self._look(path)
            if path not in self._pending:
                continue  # gone meanwhile: its deletion is reported on its own
            if self._pending[path][:2] == (size, mtime) and now - since >= self.settle:
                del self._pending[path]
                if not self._is_ours(path, size, mtime):  # an upload is indexed by its feed
                    ready.add(path if path.is_dir() else path.parent)
        if ready:
            self.submit(sorted(ready))


def _visible(name: str, roots: list[Path]) -> bool:
    """A change worth a look: no hidden part below its root; a photo type, or a folder.

    Called for every event (an upload's temporary file makes several): on the name as a
    string, a tenth of what making a Path of it and walking its parents cost.
    """
    below = name
    for root in roots:
        prefix = str(root).rstrip(os.sep)
        if name == prefix or name.startswith(prefix + os.sep):
            below = name[len(prefix) + 1 :]
            break
    if below.startswith(".") or os.sep + "." in below:
        return False
    # A folder's events matter too (one moved in or away); its name has no photo suffix.
    suffix = os.path.splitext(name)[1].lower()
    return suffix in _WATCHED_SUFFIXES or suffix in ("", ".") or os.path.isdir(name)


_WATCHED_SUFFIXES = frozenset(imaging.SUPPORTED_SUFFIXES | video.SUFFIXES)
