"""Indexing worker processes: same results as threads, a killed worker costs only its batch."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from smartalbum.engines import SharedEngine
from smartalbum.engines.classifier import Classifier
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed
from smartalbum.library.workers import ModelSource, WorkerPool
from smartalbum.settings import Settings


@pytest.fixture(scope="module")
def onnx(settings: Settings) -> Classifier:
    return Classifier.from_settings(settings.with_overrides(engine="onnx"))


def source_of(classifier: Classifier, path: Path | None = None) -> ModelSource:
    shared = classifier.engine.shared
    assert shared is not None
    if path is not None:
        shared = SharedEngine(shared.spec, shared.engine, path)
    return ModelSource(shared, 10**8, True)


Local = Callable[[list[Path]], list[Analysis]]


def local_for(classifier: Classifier) -> tuple[list[list[str]], Local]:
    seen: list[list[str]] = []
    decoding = Decoding(classifier.preprocess, 10**8, True)

    def local(batch: list[Path]) -> list[Analysis]:
        seen.append([str(p) for p in batch])
        analysed = [analyze(p, decoding) for p in batch]
        embed(classifier.engine, analysed)
        return analysed

    return seen, local


def test_workers_agree_with_the_parent_and_keep_the_order(onnx: Classifier, samples: Path) -> None:
    files = sorted(samples.glob("n01*.JPEG"))[:40]
    seen, local = local_for(onnx)
    with WorkerPool(source_of(onnx), 2) as pool:
        results = [a for b in pool.batches(iter(files), 8, local) for a in b]
    assert [a.path for a in results] == [str(f) for f in files]
    assert len(seen) < 5, "workers took over after start-up"
    decoding = Decoding(onnx.preprocess, 10**8, True)
    for a in results[-8:]:
        expected = [analyze(Path(a.path), decoding)]
        embed(onnx.engine, expected)
        assert a.error is None and a.probabilities is not None and a.embedding is not None
        assert expected[0].probabilities is not None
        assert np.argmax(a.probabilities) == np.argmax(expected[0].probabilities)
        assert np.abs(a.probabilities - expected[0].probabilities).max() < 1e-4
        assert a.thumbnail == expected[0].thumbnail and a.sha256 == expected[0].sha256


def test_a_killed_worker_costs_only_its_batches(onnx: Classifier, samples: Path) -> None:
    files = sorted(samples.glob("n02*.JPEG"))[:96]
    _, local = local_for(onnx)
    results: list[Analysis] = []
    killed = False
    with WorkerPool(source_of(onnx), 2) as pool:
        for batch in pool.batches(iter(files), 8, local):
            results.extend(batch)
            if not killed and all(w.state == "ready" for w in pool.workers):
                pid = pool.pids[0]
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                killed = True
    assert killed
    assert [a.path for a in results] == [str(f) for f in files]  # nothing lost, in order
    crashed = [a for a in results if a.error is not None]
    assert 1 <= len(crashed) <= 8 * 2, "only the batches queued on the killed worker"
    assert all("crashed" in a.error.message for a in crashed if a.error is not None)
    assert all(a.probabilities is not None for a in results if a.error is None)


def test_workers_that_cannot_start_leave_the_work_to_the_parent(
    onnx: Classifier, samples: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "not-a-model.onnx"
    broken.write_bytes(b"garbage")
    files = sorted(samples.glob("n03*.JPEG"))[:24]
    seen, local = local_for(onnx)
    with WorkerPool(source_of(onnx, broken), 2) as pool:
        results = [a for b in pool.batches(iter(files), 8, local) for a in b]
    assert [a.path for a in results] == [str(f) for f in files]
    assert all(a.error is None for a in results)
    assert sum(len(b) for b in seen) == len(files)
