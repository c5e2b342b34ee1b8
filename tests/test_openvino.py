"""The OpenVINO engines against the PyTorch reference on the real samples, and in worker processes.

Tolerances, measured on the 1000 samples with Lite0 (2026-12-01, Intel Xeon with AMX,
docs/performance.md): OpenVINO at f32 matches torch like ONNX Runtime does (max
probability difference < 1e-4). At bf16 (8 significant bits per value) top-1 agreed on
99.0 % of the photos, the largest probability difference was 0.097 and 99 % of the
photos stayed within 0.044: a photo whose two best classes are that close can swap
them. The bounds below leave that room and no more (0.98 agreement, 0.15). OpenVINO
on the INT8 file agreed with ONNX Runtime on the same file on 99.5 % (max 0.10).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import torch

from smartalbum.bench.accuracy import labelled_images
from smartalbum.engines import Engine, ModelFiles, build_int8, ensure_fp32, load_engine
from smartalbum.engines.classifier import Classifier, model_files, softmax
from smartalbum.engines.machine import cpu_flags
from smartalbum.engines.openvino_engine import OpenVinoEngine, default_precision
from smartalbum.library.analysis import Analysis, Decoding, analyze, embed
from smartalbum.library.workers import ModelSource, WorkerPool, usable_cores
from smartalbum.models.labels import load_labels
from smartalbum.models.zoo import get_model
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, run_python
from tests.reference import TorchReference

BF16_AGREEMENT, BF16_MAX_DIFFERENCE = 0.98, 0.15
# One INT8 graph in two runtimes: their requantization rounds apart, most where a photo sits
# between two classes. With the strided calibration (2026-12-07) the gaps per photo were
# 0.007 median, 0.060 at the 99th percentile, 0.110 and 0.186 for the last two of 1000;
# INT8 against fp32 itself reaches 0.30 (docs/performance.md), so the tail is held to that.
INT8_P99_DIFFERENCE, INT8_MAX_DIFFERENCE = 0.08, 0.25
TOP1_POINTS = 0.01  # each engine's top-1 on the 1000 within one point of torch fp32


@pytest.fixture(scope="module")
def files(settings: Settings) -> ModelFiles:
    """The default model's files in the session's cache (its fp32 export is made once)."""
    found = model_files(settings)
    ensure_fp32(found)
    return found


@pytest.fixture(scope="module")
def photos(classifier: Classifier) -> np.ndarray:
    """Sixteen real sample photos, preprocessed for the default model."""
    paths = sorted(SAMPLES.glob("n0[12]*.JPEG"))[::40][:16]
    return np.stack([classifier.load(p) for p in paths])


def test_precision_is_bf16_only_where_the_cpu_has_it(tmp_path: Path) -> None:
    cases = {
        "flags\t\t: fpu sse2 avx2 fma avx512f amx_bf16 amx_tile amx_int8\n": "bf16",
        "flags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n": "bf16",
        "flags\t\t: fpu avx2 fma avx512f avx512_vnni\n": "f32",  # VNNI is INT8, not bf16
    }
    for number, (text, precision) in enumerate(cases.items()):
        cpuinfo = tmp_path / f"cpuinfo{number}"
        cpuinfo.write_text(f"processor\t: 0\nmodel name\t: a CPU\n{text}\n")
        assert default_precision(cpu_flags(cpuinfo)) == precision, text
    assert cpu_flags(tmp_path / "missing") == frozenset()
    assert default_precision(frozenset()) == "f32"


def test_resnet18_random_weights_openvino_f32_matches_torch(tmp_path: Path) -> None:
    torch.manual_seed(1)
    weights = tmp_path / "resnet18-random.pth"
    torch.save(get_model("resnet18").build().state_dict(), weights)
    resnet = ModelFiles(get_model("resnet18"), weights, tmp_path, user_weights=True)
    batch = np.random.default_rng(1).standard_normal((3, 3, 224, 224)).astype(np.float32)
    reference_logits, reference_features = load_engine(resnet, "torch").embed(batch)
    engine = OpenVinoEngine(resnet.spec, ensure_fp32(resnet), precision="f32")
    logits, features = engine.embed(batch)
    np.testing.assert_allclose(logits, reference_logits, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(features, reference_features, rtol=1e-3, atol=1e-3)


def test_openvino_agrees_with_torch_on_real_photos(
    files: ModelFiles, classifier: Classifier, photos: np.ndarray
) -> None:
    engine = load_engine(files, "openvino", threads=2)
    assert engine.name == "openvino"
    assert engine.precision == default_precision()  # type: ignore[attr-defined]
    reference = softmax(load_engine(files, "torch").run(photos))
    ours = softmax(engine.run(photos))
    assert int((ours.argmax(1) == reference.argmax(1)).sum()) >= len(photos) - 1
    assert np.abs(ours - reference).max() <= BF16_MAX_DIFFERENCE
    logits, features = engine.embed(photos[:2])
    assert logits.shape == (2, 1000) and features.shape == (2, files.spec.embedding_size)


def test_a_smaller_batch_runs_padded_in_a_compiled_size(
    files: ModelFiles, photos: np.ndarray
) -> None:
    engine = OpenVinoEngine(files.spec, files.onnx_path("fp32"))
    logits, features = engine.embed(photos[:8])
    assert engine.compiled_sizes == [8]
    padded_logits, padded_features = engine.embed(photos[:5])  # e.g. a run's last batch
    assert engine.compiled_sizes == [8], "a batch of 5 fits in the compiled 8"
    assert padded_logits.shape == (5, 1000) and padded_features.shape[0] == 5
    np.testing.assert_allclose(padded_logits, logits[:5], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(padded_features, features[:5], rtol=1e-5, atol=1e-5)
    single = engine.run(photos[:1])  # 8 rows for one photo would cost 8 times as much
    assert engine.compiled_sizes == [8, 1]
    assert single.argmax() == logits[0].argmax()


def test_the_shared_record_opens_the_same_engine(files: ModelFiles, photos: np.ndarray) -> None:
    engine = OpenVinoEngine(files.spec, files.onnx_path("fp32"), precision="f32")
    shared = engine.shared
    assert (shared.engine, shared.path, shared.precision) == ("openvino", engine.path, "f32")
    again = load_engine(shared)
    assert isinstance(again, OpenVinoEngine) and again.precision == "f32"
    np.testing.assert_allclose(again.run(photos[:3]), engine.run(photos[:3]), atol=1e-5)


def _thread_cores(pid: int) -> set[frozenset[int]]:
    """The cores each thread of a process may run on."""
    return {frozenset(os.sched_getaffinity(int(tid))) for tid in os.listdir(f"/proc/{pid}/task")}


@pytest.mark.skipif(len(usable_cores()) < 2, reason="needs two cores")
def test_two_index_workers_run_on_two_cores(files: ModelFiles, samples: Path) -> None:
    paths = sorted(samples.glob("n03*.JPEG"))[:48]
    engine = load_engine(files, "openvino")
    shared = engine.shared
    assert shared is not None  # so the indexer runs it in worker processes
    decoding = Decoding(files.spec.preprocess, 10**8, True)
    here: list[Path] = []

    def local(batch: list[Path]) -> list[Analysis]:
        here.extend(batch)
        analysed = [analyze(p, decoding) for p in batch]
        embed(engine, analysed)
        return analysed

    with WorkerPool(ModelSource(shared, 10**8, True), 2) as pool:
        deadline = time.monotonic() + 120
        while any(w.check() == "starting" for w in pool.workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [w.state for w in pool.workers] == ["ready", "ready"]
        results = [a for batch in pool.batches(iter(paths), 8, local) for a in batch]
        assert here == [], "the workers did every batch"
        # Each worker's threads, OpenVINO's included, stay on the one core it was given.
        cores = [_thread_cores(pid) for pid in pool.pids if pid is not None]
    assert cores == [{frozenset({pool.cores[0]})}, {frozenset({pool.cores[1]})}]
    assert pool.cores[0] != pool.cores[1]
    assert [a.path for a in results] == [str(p) for p in paths]
    expected = [analyze(p, decoding) for p in paths[-8:]]
    embed(engine, expected)
    for ours, theirs in zip(results[-8:], expected, strict=True):
        assert ours.probabilities is not None and theirs.probabilities is not None
        assert np.abs(ours.probabilities - theirs.probabilities).max() < 1e-4


def test_openvino_is_imported_only_when_it_serves(settings: Settings) -> None:
    cat = str(SAMPLES / CAT)
    script = (
        "import sys\n"
        "from smartalbum.library.workers import PRELOAD\n"
        "for name in PRELOAD: __import__(name)\n"
        "assert 'openvino' not in sys.modules, 'the fork server would import openvino'\n"
        "from smartalbum.cli import main\n"
        f"assert main(['classify', '--json', '--engine', 'onnx', {cat!r}]) == 0\n"
        "assert 'openvino' not in sys.modules, 'the onnx engine imported openvino'\n"
        f"assert main(['classify', '--json', '--engine', 'openvino', {cat!r}]) == 0\n"
        "print('OPENVINO' if 'openvino' in sys.modules else 'NONE', file=sys.stderr)\n"
    )
    proc = run_python(script, settings.cache_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("OPENVINO"), proc.stderr
    decoder, text, tops = json.JSONDecoder(), proc.stdout.strip(), []
    while text:
        (result,), end = decoder.raw_decode(text)
        tops.append(result["predictions"][0]["wnid"])
        text = text[end:].strip()
    assert tops == ["n02124075", "n02124075"]  # both engines see the Egyptian cat


def _int8_files(
    files: ModelFiles, classifier: Classifier, samples: Path, cache: Path
) -> ModelFiles:
    """The INT8 file calibrated as docs/performance.md says: on every tenth class's photo."""
    own = ModelFiles(files.spec, files.weights, cache, files.user_weights)
    fp32 = files.onnx_path("fp32")
    (cache / "models").mkdir()
    for source in (fp32, fp32.with_suffix(".onnx.sha256")):  # not exported a second time
        shutil.copy(source, own.onnx_path("fp32").parent / source.name)
    labels = load_labels()
    calibration = [
        classifier.load(path)
        for path, wnid in labelled_images(samples)
        if labels.index_of(wnid) % 10 == 0
    ]
    assert len(calibration) == 100
    build_int8(own, calibration)
    return own


class Passes(NamedTuple):
    """Each engine's probabilities on the 1000 samples, and each sample's true class."""

    probabilities: dict[str, np.ndarray]
    truth: np.ndarray

    def top1(self, engine: str) -> float:
        """The engine's top-1 accuracy on the samples."""
        return float(np.mean(self.probabilities[engine].argmax(1) == self.truth))

    def compare(self, engine: str, reference: str) -> tuple[float, float]:
        """Top-1 agreement with the reference and the largest probability difference."""
        ours, theirs = self.probabilities[engine], self.probabilities[reference]
        agreement = np.mean(ours.argmax(1) == theirs.argmax(1))
        return float(agreement), float(np.abs(ours - theirs).max())


@pytest.fixture(scope="module")
def passes(
    files: ModelFiles,
    classifier: Classifier,
    samples: Path,
    torch_reference: TorchReference,
    tmp_path_factory: pytest.TempPathFactory,
) -> Passes:
    """One pass over the 1000 samples: each batch decoded once, then run by every engine;
    torch's own pass is the run's shared reference (conftest.torch_reference)."""
    int8 = _int8_files(files, classifier, samples, tmp_path_factory.mktemp("int8-cache"))
    f32 = OpenVinoEngine(files.spec, files.onnx_path("fp32"), threads=2, precision="f32")
    engines: dict[str, Engine] = {
        "openvino-f32": f32,
        "openvino-int8": load_engine(int8, "openvino-int8", threads=2),
        "onnx-int8": load_engine(int8, "onnx-int8", threads=2),
    }
    if default_precision() == "bf16":
        engines["openvino-bf16"] = load_engine(files, "openvino", threads=2)
    out: dict[str, list[np.ndarray]] = {name: [] for name in engines}
    for _, batch in torch_reference.batches(40):
        for name, engine in engines.items():
            out[name].append(softmax(engine.run(batch)))
    probabilities = {name: np.concatenate(rows) for name, rows in out.items()}
    probabilities["torch"] = softmax(torch_reference.logits)
    return Passes(probabilities, torch_reference.truth)


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bf16", "f32"])
def test_openvino_agrees_with_torch_on_every_sample(passes: Passes, precision: str) -> None:
    name = f"openvino-{precision}"
    if name not in passes.probabilities:
        pytest.skip("this CPU has no native bf16: the openvino engine runs at f32 here")
    agreement, worst = passes.compare(name, "torch")
    if precision == "f32":  # as exact as ONNX Runtime (test_parity's bounds)
        assert agreement >= 0.995 and worst <= 1e-3, (agreement, worst)
    else:
        assert agreement >= BF16_AGREEMENT and worst <= BF16_MAX_DIFFERENCE, (agreement, worst)
    assert passes.top1(name) >= passes.top1("torch") - TOP1_POINTS


@pytest.mark.slow
def test_openvino_int8_agrees_with_onnx_int8_and_keeps_top1(passes: Passes) -> None:
    agreement, worst = passes.compare("openvino-int8", "onnx-int8")  # one graph, two runtimes
    ours, theirs = passes.probabilities["openvino-int8"], passes.probabilities["onnx-int8"]
    typical = float(np.percentile(np.abs(ours - theirs).max(1), 99))
    assert agreement >= BF16_AGREEMENT and typical <= INT8_P99_DIFFERENCE, (agreement, typical)
    assert worst <= INT8_MAX_DIFFERENCE, worst
    agreement_with_torch, _ = passes.compare("openvino-int8", "torch")
    assert agreement_with_torch >= 0.95, agreement_with_torch  # measured 0.970, like onnx-int8
    assert passes.top1("openvino-int8") >= passes.top1("torch") - TOP1_POINTS
