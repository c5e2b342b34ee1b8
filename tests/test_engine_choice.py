"""``--engine auto`` measures the engines whose files exist, keeps the fastest that answers like
the reference, remembers it per machine, and says why — in the CLI and in /api/health."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartalbum.engines import ModelFiles, _open, auto_choice, choice, ensure_fp32
from smartalbum.engines.classifier import Classifier, model_files
from smartalbum.models.zoo import get_model
from smartalbum.settings import Settings
from tests.helpers import LiveServer, cache_with_fp32


@pytest.fixture
def auto(settings: Settings, tmp_path: Path) -> Settings:
    """``auto`` with a cache of its own (the fp32 file copied in: no export needed)."""
    cache = cache_with_fp32(settings, tmp_path / "cache")
    return dataclasses.replace(settings, engine="auto", cache_dir=cache)


def test_auto_measures_once_per_machine_and_remembers(auto: Settings) -> None:
    files = model_files(auto)
    started = time.time()
    first = auto_choice(files, threads=2)  # measured by a child process, then read back
    assert first.measured_at > started and first.engine in ("onnx", "openvino")
    assert set(first.timings) == {"onnx", "openvino"}  # no INT8 file yet
    timed = {e: ms for e, ms in first.timings.items() if ms is not None}
    assert first.timings[first.engine] == min(timed.values()) > 0
    assert "amx_int8" in first.cpu["flags"] or "avx2" in first.cpu["flags"]
    again = auto_choice(files, threads=2)
    assert again.cached and again.engine == first.engine and again.timings == first.timings
    other = auto_choice(files, threads=1)  # another key: measured again
    assert other.measured_at > first.measured_at
    here = auto_choice(files, threads=3, here=True)  # in this process, as the child does
    assert not here.cached and set(here.timings) == {"onnx", "openvino"}
    cache = json.loads((auto.cache_dir / choice.CACHE_NAME).read_text())
    assert len(cache) == 3
    info = first.to_dict("zh")
    assert "最快" in info["reason"] and first.engine in info["reason"]


def test_an_engine_that_answers_differently_is_left_out(auto: Settings, tmp_path: Path) -> None:
    # A real engine of another model (ResNet-18, random weights) answers the same-shaped
    # question wrongly: it must lose however fast it is.
    from smartalbum.bench.engines import random_weights

    resnet = get_model("resnet18")
    wrong = ensure_fp32(ModelFiles(resnet, random_weights(resnet, tmp_path), tmp_path, True))
    files = model_files(auto)
    fp32 = ensure_fp32(files)

    def open_engine(name: str) -> object:
        path = wrong if name == "impostor" else fp32
        return _open("onnx", files.spec, path, 2)

    picked = choice.measure(["onnx", "impostor"], open_engine)
    assert picked.engine == "onnx" and picked.timings["impostor"] is None
    assert "differs from onnx" in picked.problems["impostor"]


def test_health_and_models_say_which_engine_serves_and_why(auto: Settings) -> None:
    with LiveServer(auto) as url:
        health = httpx.get(f"{url}/api/health", headers={"Accept-Language": "zh"}, timeout=60)
    served = health.json()["engine_choice"]
    assert served["engine"] == health.json()["engine"] and "最快" in served["reason"]
    env_forced = {**_env(auto), "SMARTALBUM_ENGINE": "onnx"}
    listed = _models(env_forced)
    assert (
        listed["engine"]["engine"] == "onnx" and "SMARTALBUM_ENGINE" in listed["engine"]["reason"]
    )
    measured = _models(_env(auto))  # the server measured it: the CLI reads what it found
    assert measured["engine"]["engine"] == served["engine"] and measured["engine"]["cached"]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SMARTALBUM_CACHE_DIR": str(settings.cache_dir),
        "SMARTALBUM_ENGINE": "auto",
    }


def _models(env: dict[str, str]) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "smartalbum", "models", "--json"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    (default,) = [row for row in json.loads(run.stdout) if row["default"]]
    return default  # type: ignore[no-any-return]


def test_a_forced_engine_says_so(settings: Settings) -> None:
    classifier = Classifier.from_settings(settings)  # the tests' settings force onnx
    assert classifier.choice is None
    assert classifier.engine_info()["reason"].startswith("onnx: set by SMARTALBUM_ENGINE")
