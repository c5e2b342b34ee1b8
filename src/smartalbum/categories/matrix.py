"""Every photo's feature in one memory-mapped float16 matrix, a row per photo id.

Scoring a category is one matrix-vector product over this file (100,000 photos of 256
features are 51 MB), never a read of 100,000 rows from the catalog. The file is a
cache of the catalog: each row carries the ``indexed_at`` of the photo it was made
from, so a reader can tell a stale or missing row (a crash after a commit, another
machine's indexer) and make it again from the catalog.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from smartalbum.categories.features import Basis

CHUNK = 16384  # rows converted to float32 at a time while scoring
GROW = 1.5


class FeatureMatrix:
    """One model's features of one library, under one basis, in a folder of its own."""

    def __init__(self, folder: Path, basis: Basis) -> None:
        self.folder = folder
        self.basis = basis
        self._lock = threading.Lock()
        self._features: np.memmap[Any, Any] | None = None
        self._stamps: np.memmap[Any, Any] | None = None
        self._opened: tuple[int, int] | None = None
        self._open()

    def _paths(self) -> tuple[Path, Path]:
        prefix = self.folder / self.basis.id
        return prefix.with_suffix(".features.npy"), prefix.with_suffix(".stamps.npy")

    def _open(self) -> None:
        features, stamps = self._paths()
        if features.is_file() and stamps.is_file():
            self._features = np.load(features, mmap_mode="r+")
            self._stamps = np.load(stamps, mmap_mode="r+")
            self._opened = self._identity()

    def _identity(self) -> tuple[int, int] | None:
        try:
            info = self._paths()[1].stat()
        except OSError:
            return None
        return (info.st_ino, info.st_size)

    def refresh(self) -> None:
        """Open the files again if another process grew them (a grown file is a new one)."""
        with self._lock:
            self._reopen()

    def _reopen(self) -> None:
        if self._identity() != self._opened:
            self._features = self._stamps = None
            self._open()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """This process's lock, then the folder's (an flock): the server and each worker on a
        machine write the same files, and a grow replaces them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.folder / f"{self.basis.id}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @property
    def capacity(self) -> int:
        """Rows the files hold (the highest photo id + 1, or more)."""
        return 0 if self._stamps is None else len(self._stamps)

    def _grow(self, rows: int) -> None:
        old = self.capacity
        if rows <= old:
            return
        size = max(rows, int(old * GROW), 1024)
        self.folder.mkdir(parents=True, exist_ok=True)
        features_path, stamps_path = self._paths()
        partials = [p.with_suffix(".partial.npy") for p in (features_path, stamps_path)]
        dims = self.basis.dimensions
        features = np.lib.format.open_memmap(partials[0], "w+", np.float16, (size, dims))
        stamps = np.lib.format.open_memmap(partials[1], "w+", np.float64, (size,))
        if self._features is not None and self._stamps is not None:
            features[:old] = self._features
            stamps[:old] = self._stamps
        features.flush()
        stamps.flush()
        for partial, final in zip(partials, (features_path, stamps_path), strict=True):
            partial.replace(final)
        self._features, self._stamps = features, stamps
        self._opened = self._identity()

    def write(self, ids: Sequence[int], features: np.ndarray, stamps: Sequence[float]) -> None:
        """Set these photos' rows and the ``indexed_at`` each was made from."""
        if not len(ids):
            return
        with self._writing():
            # Another process may have grown the files since: rows written to the old ones
            # (unlinked) were lost, and a grow from them dropped that process's rows.
            self._reopen()
            self._grow(max(ids) + 1)
            assert self._features is not None and self._stamps is not None
            index = np.asarray(ids)
            self._features[index] = features.astype(np.float16)
            self._stamps[index] = np.asarray(stamps, np.float64)
            self._features.flush()
            self._stamps.flush()

    def stamps(self) -> np.ndarray:
        """The ``indexed_at`` of each row (0: no row)."""
        return np.zeros(0) if self._stamps is None else np.asarray(self._stamps)

    def rows(self, ids: Sequence[int]) -> np.ndarray:
        """These photos' features as float32 (the caller knows they are present)."""
        assert self._features is not None or not len(ids)
        if not len(ids):
            return np.zeros((0, self.basis.dimensions), np.float32)
        assert self._features is not None
        return np.asarray(self._features[np.asarray(ids)], dtype=np.float32)

    def score(self, weights: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The score (feature · weights) of each photo id of ``ids`` (sorted ascending)."""
        if self._features is None or not len(ids):
            return np.zeros(len(ids), np.float32)
        columns = weights.astype(np.float32)
        top = int(ids[-1]) + 1
        every = np.empty(top, np.float32)
        block = np.empty((min(CHUNK, top), self.basis.dimensions), np.float32)
        for start in range(0, top, CHUNK):
            rows = self._features[start : min(start + CHUNK, top)]
            block[: len(rows)] = rows
            every[start : start + len(rows)] = block[: len(rows)] @ columns
        scores: np.ndarray = every[ids]
        return scores
