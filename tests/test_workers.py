"""Indexing worker processes: same results as threads, a killed worker costs only its batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from smartalbum.engines import SharedEngine
from smartalbum.engines.classifier import Classifier
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed
from smartalbum.library.workers import ModelSource, WorkerPool
from smartalbum.models.zoo import get_model
from smartalbum.settings import Settings
from tests.helpers import tiff_with_text_profile


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


def test_a_file_that_fails_after_decoding_costs_a_worker_nothing(
    onnx: Classifier, samples: Path, tmp_path: Path
) -> None:
    files = sorted(samples.glob("n04*.JPEG"))[:23]
    odd = tiff_with_text_profile(files[0], tmp_path / "p3.tif")
    files.insert(12, odd)  # mid-batch: 8 to a batch
    seen, local = local_for(onnx)
    with WorkerPool(source_of(onnx), 2) as pool:
        while any(w.check() == "starting" for w in pool.workers):
            time.sleep(0.02)
        assert all(w.state == "ready" for w in pool.workers)
        pids = pool.pids
        results = [a for b in pool.batches(iter(files), 8, local) for a in b]
        assert pool.pids == pids  # nobody died or was replaced
        again = [a for b in pool.batches(iter(files[:8]), 8, local) for a in b]
    assert seen == []  # every batch ran in a worker
    assert [a.path for a in results] == [str(f) for f in files]
    failed = [a for a in results if a.error is not None]
    assert [a.path for a in failed] == [str(odd)]
    assert failed[0].error is not None and failed[0].error.message == (
        f"{odd}: unexpected failure while analysing (TypeError: can't concat str to bytes)"
    )
    assert failed[0].thumbnail is None and failed[0].probabilities is None
    assert all(a.probabilities is not None and a.thumbnail for a in results if a is not failed[0])
    assert all(a.error is None for a in again)  # and the worker goes on


def test_a_batch_the_model_refuses_is_retried_file_by_file(onnx: Classifier, samples: Path) -> None:
    files = sorted(samples.glob("n07*.JPEG"))[:4]
    decoding = Decoding(onnx.preprocess, 10**8, True)
    # Decoded for a larger model (260 px): the 224 px model cannot take that input.
    other = Decoding(get_model("efficientnet_lite2").preprocess, 10**8, True)
    batch = [analyze(files[0], decoding), analyze(files[1], other)]
    batch += [analyze(f, decoding) for f in files[2:]]
    embed(onnx.engine, batch)
    assert batch[1].error is not None and batch[1].probabilities is None
    assert batch[1].error.message.startswith(
        f"{files[1]}: unexpected failure while running the model (InvalidArgument: "
    )
    for a in (batch[0], *batch[2:]):
        alone = [analyze(Path(a.path), decoding)]
        embed(onnx.engine, alone)
        assert a.error is None and a.probabilities is not None and a.embedding is not None
        assert alone[0].probabilities is not None
        assert np.abs(a.probabilities - alone[0].probabilities).max() < 1e-5


def test_the_fork_server_preloads_neither_onnx_runtime_nor_torch() -> None:
    # ONNX Runtime's import starts a native thread, and a process with threads must not
    # fork; torch would cost every worker seconds.
    code = (
        "import importlib, sys\n"
        "from smartalbum.library.workers import PRELOAD\n"
        "for name in PRELOAD: importlib.import_module(name)\n"
        "print(sorted(m for m in ('onnxruntime', 'torch') if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert run.stdout.strip() == "[]"
