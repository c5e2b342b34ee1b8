"""Every fast engine against the PyTorch reference, on real photos and on fixed random weights."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from smartalbum.bench.accuracy import evaluate, labelled_images
from smartalbum.engines import ModelFiles, build_int8, load_engine
from smartalbum.engines.classifier import Classifier, softmax
from smartalbum.models.labels import load_labels
from smartalbum.models.zoo import get_model
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, run_python
from tests.reference import TorchReference


def test_resnet18_random_weights_onnx_matches_torch(tmp_path: Path) -> None:
    torch.manual_seed(1)
    weights = tmp_path / "resnet18-random.pth"
    torch.save(get_model("resnet18").build().state_dict(), weights)
    files = ModelFiles(get_model("resnet18"), weights, tmp_path, user_weights=True)
    batch = np.random.default_rng(1).standard_normal((3, 3, 224, 224)).astype(np.float32)
    reference_logits, reference_features = load_engine(files, "torch").embed(batch)
    onnx = load_engine(files, "onnx")
    assert onnx.name == "onnx"
    logits, features = onnx.embed(batch)
    np.testing.assert_allclose(logits, reference_logits, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(features, reference_features, rtol=1e-3, atol=1e-3)


def test_damaged_cached_model_is_rebuilt(settings: Settings, tmp_path: Path) -> None:
    cached = dataclasses.replace(settings, cache_dir=tmp_path, engine="onnx")
    first = Classifier.from_settings(cached)
    path = first.engine.path  # type: ignore[attr-defined]
    path.write_bytes(path.read_bytes()[:4096])  # a truncated write, e.g. a crash or full disk
    again = Classifier.from_settings(cached)
    assert again.engine.name == "onnx"
    assert path.stat().st_size > 1_000_000
    assert again.classify_one(SAMPLES / CAT, top_k=1)[0].wnid == "n02124075"


def test_int8_without_calibration_says_how_to_build_it(settings: Settings, tmp_path: Path) -> None:
    from smartalbum.errors import ModelUnavailableError

    with pytest.raises(ModelUnavailableError, match="smartalbum optimize --model"):
        Classifier.from_settings(
            dataclasses.replace(settings, cache_dir=tmp_path, engine="onnx-int8")
        )


def test_calibration_needs_fifty_photos(settings: Settings, tmp_path: Path) -> None:
    from smartalbum.errors import ConfigError

    files = ModelFiles(get_model("efficientnet_lite0"), Path("unused"), tmp_path)
    with pytest.raises(ConfigError, match="at least 50"):
        build_int8(files, [np.zeros((3, 224, 224), np.float32)] * 49)


@pytest.mark.slow
def test_onnx_agrees_with_torch_on_every_sample(
    classifier: Classifier, torch_reference: TorchReference
) -> None:
    assert classifier.engine.name == "onnx"  # the tests' engine (see conftest.settings)
    agree, worst = 0, 0.0
    for rows, batch in torch_reference.batches():
        ours = softmax(classifier.engine.run(batch))
        theirs = softmax(torch_reference.logits[rows])
        agree += int((ours.argmax(1) == theirs.argmax(1)).sum())
        worst = max(worst, float(np.abs(ours - theirs).max()))
    assert len(torch_reference.paths) == 1000
    assert agree / len(torch_reference.paths) >= 0.995, agree
    assert worst <= 1e-3, worst


@pytest.mark.slow
def test_int8_is_within_a_point_of_fp32_on_held_out_photos(
    classifier: Classifier, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    labels = load_labels()
    calibration, held_out = tmp_path / "calibration", tmp_path / "held-out"
    calibration.mkdir()
    held_out.mkdir()
    for path, wnid in labelled_images(samples):
        target = calibration if labels.index_of(wnid) % 10 == 0 else held_out
        (target / path.name).symlink_to(path)
    assert len(list(calibration.iterdir())) == 100
    own = dataclasses.replace(settings, cache_dir=tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, "-m", "smartalbum", "optimize", "--calibrate", str(calibration)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "SMARTALBUM_CACHE_DIR": str(own.cache_dir)},
    )
    assert proc.returncode == 0, proc.stderr
    measured = Classifier.from_settings(dataclasses.replace(own, engine="auto"))
    assert measured.choice is not None and measured.choice.timings["onnx-int8"] is not None
    int8 = Classifier.from_settings(dataclasses.replace(own, engine="onnx-int8"))
    fp32_report = evaluate(classifier, held_out)
    int8_report = evaluate(int8, held_out)
    assert fp32_report.images == int8_report.images == 900
    assert round((fp32_report.top1 - int8_report.top1) * 900) <= 9, (fp32_report, int8_report)


@pytest.mark.slow
def test_onnx_serving_does_not_import_torch(
    classifier: Classifier, settings: Settings, samples: Path
) -> None:
    assert classifier.engine.name == "onnx"  # the fixture has exported and cached the model
    script = (
        "import sys, json\n"
        "from smartalbum.cli import main\n"
        f"code = main(['classify', '--json', '--engine', 'onnx', {str(samples / CAT)!r}])\n"
        "assert code == 0, code\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)\n"
    )
    proc = run_python(script, settings.cache_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("NO-TORCH"), proc.stderr


def test_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    from smartalbum.engines import ensure_fp32
    from smartalbum.errors import ModelUnavailableError
    from smartalbum.models.weights import resolve_weights

    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    spec = get_model("efficientnet_lite0")
    files = ModelFiles(spec, resolve_weights(spec, allow_download=False), blocked)
    with pytest.raises(ModelUnavailableError, match="could not export efficientnet_lite0"):
        ensure_fp32(files)
