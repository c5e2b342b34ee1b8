"""PyTorch's fp32 answers on every sample photo, worked out once per test run and shared.

test_parity, test_openvino and test_onnx_builder each check a faster engine or graph against
the PyTorch reference on all 1000 samples; one torch pass over them costs ~50 CPU seconds
here. The test processes of a run compute it together, once: it is saved in the folder every
pytest-xdist worker of the run shares, named by what it is computed from, in parts of 50
photos, each made by whichever process takes its file lock first; a process that finds a part
taken makes the next one, then waits for those it skipped. Later asks read the files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from smartalbum import imaging
from smartalbum.bench.accuracy import labelled_images
from smartalbum.engines import Engine, ModelFiles, load_engine
from smartalbum.models.labels import load_labels

BATCH = 50  # photos a torch pass holds at once: its activations stay in a few hundred MB


class Decoding(NamedTuple):
    """The settings of a photo's way to the model (as ``Classifier.load`` takes them)."""

    fast: bool
    enhance: str


class TorchReference(NamedTuple):
    """Every sample's path and true class, and torch's fp32 logits and pooled embedding."""

    files: ModelFiles
    decoding: Decoding
    paths: list[Path]
    truth: np.ndarray
    logits: np.ndarray
    features: np.ndarray

    def batches(self, size: int = BATCH) -> Iterator[tuple[slice, np.ndarray]]:
        """The photos decoded, ``size`` at a time, and their rows."""
        for start in range(0, len(self.paths), size):
            rows = slice(start, min(start + size, len(self.paths)))
            yield rows, self.decode(rows)

    def decode(self, rows: slice) -> np.ndarray:
        """These photos decoded and preprocessed as the classifier does it, in one batch."""
        pre, (fast, enhance) = self.files.spec.preprocess, self.decoding
        return np.stack(
            [imaging.load(p, pre, fast=fast, enhance=enhance) for p in self.paths[rows]]
        )


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every test process of this run shares (xdist workers' temp folders' parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _key(files: ModelFiles, decoding: Decoding, paths: list[Path]) -> str:
    """What the reference depends on: the model, its weights file, the decoding, the photos."""
    weights = files.weights.stat()
    inputs = [
        files.spec.name,
        str(files.weights),
        weights.st_size,
        weights.st_mtime_ns,
        repr(files.spec.preprocess),
        decoding,
        [(p.name, p.stat().st_size) for p in paths],
    ]
    return hashlib.sha256(json.dumps(inputs).encode()).hexdigest()[:16]


def torch_reference(
    files: ModelFiles, decoding: Decoding, samples: Path, folder: Path, threads: int
) -> TorchReference:
    """Torch's answers on every photo of ``samples``: read from ``folder``, or computed there."""
    labelled = labelled_images(samples)
    paths = [path for path, _ in labelled]
    labels = load_labels()
    truth = np.array([labels.index_of(wnid) for _, wnid in labelled])
    unanswered = TorchReference(files, decoding, paths, truth, np.empty(0), np.empty(0))
    stem = folder / f"torch-reference-{files.spec.name}-{_key(files, decoding, paths)}"
    parts = [(rows, stem.with_name(f"{stem.name}-{rows.start}.npz")) for rows in _parts(paths)]
    engine: list[Engine] = []  # loaded when this process first has a part to make
    for wait in (False, True):  # first the parts nobody is making, then the others' parts
        for rows, saved in parts:
            _make(unanswered, rows, saved, wait, lambda: _engine(engine, files, threads))
    logits, features = [], []
    for _, saved in parts:
        with np.load(saved) as stored:
            logits.append(stored["logits"])
            features.append(stored["features"])
    return unanswered._replace(logits=np.concatenate(logits), features=np.concatenate(features))


def _parts(paths: list[Path]) -> list[slice]:
    """The rows of each part: BATCH photos."""
    return [slice(i, min(i + BATCH, len(paths))) for i in range(0, len(paths), BATCH)]


def _engine(loaded: list[Engine], files: ModelFiles, threads: int) -> Engine:
    """The torch engine, loaded on first use."""
    if not loaded:
        loaded.append(load_engine(files, "torch", threads=threads))
    return loaded[0]


def _make(
    unanswered: TorchReference,
    rows: slice,
    saved: Path,
    wait: bool,
    engine: Callable[[], Engine],
) -> None:
    """Make one part unless it exists, or (``wait`` false) another process is making it."""
    if saved.is_file():
        return
    with saved.with_suffix(".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another process is on it: come back in the second round
        if saved.is_file():  # made while this process waited
            return
        logits, features = engine().embed(unanswered.decode(rows))
        partial = saved.with_suffix(".part.npz")
        np.savez(partial, logits=logits, features=features)
        partial.replace(saved)  # whole or not at all
