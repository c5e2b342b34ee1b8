"""Inference engines behind one small Protocol, picked by name in ``load_engine``.

``torch`` is the reference; ``onnx`` (ONNX Runtime fp32) and ``onnx-int8`` (static
INT8) are the fast serving paths and never import torch once their files exist.
``openvino`` and ``openvino-int8`` compile the same two files with OpenVINO (bf16
where the CPU has it natively): the fastest on CPUs with AMX or AVX512-VNNI.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from smartalbum.engines import artifacts, choice
from smartalbum.engines.choice import Choice
from smartalbum.errors import ConfigError, ModelUnavailableError
from smartalbum.i18n import t
from smartalbum.models.zoo import ModelSpec

log = logging.getLogger(__name__)

ENGINES = ("torch", "onnx", "onnx-int8", "openvino", "openvino-int8")
INT8_ENGINES = ("onnx-int8", "openvino-int8")


@dataclass(frozen=True)
class SharedEngine:
    """What another process needs to open the same engine: the model file its owner checked.

    Picklable and cheap to open: ``load_engine`` given one neither hashes a file nor
    imports torch (the indexer's worker processes start from it).
    """

    spec: ModelSpec
    engine: str  # the engine's name, as catalogued: "onnx", "openvino-int8", ...
    path: Path
    precision: str | None = None  # OpenVINO's inference precision, "bf16" or "f32"


class Engine(Protocol):
    """Runs a model on a batch of preprocessed inputs (N, 3, H, W) float32."""

    name: str
    spec: ModelSpec

    @property
    def shared(self) -> SharedEngine | None:
        """How a worker process opens this same engine; None when it cannot."""
        ...

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Logits, shape (N, classes)."""
        ...

    def embed(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits and the pooled embedding, shapes (N, classes) and (N, embedding_size)."""
        ...


@dataclass(frozen=True)
class ModelFiles:
    """A model's weights and where its derived ONNX files belong."""

    spec: ModelSpec
    weights: Path
    cache_dir: Path
    user_weights: bool = False

    def onnx_path(self, kind: str) -> Path:
        """The cache path of the "fp32" or "int8" ONNX file for these weights."""
        digest = artifacts.weights_digest(self.spec, self.weights, self.user_weights)
        return artifacts.artifact_path(self.cache_dir, self.spec, digest, kind)


def load_engine(files: ModelFiles | SharedEngine, engine: str = "auto", threads: int = 1) -> Engine:
    """Build the named engine; ``auto`` the fastest measured here (see ``engines.choice``).

    Given another engine's ``shared`` record, open that engine's file as it is: its
    owner checked it, and the record names its engine.
    """
    if isinstance(files, SharedEngine):
        return _open(files.engine, files.spec, files.path, threads, files.precision)
    if engine not in ("auto", *ENGINES):
        choices = ", ".join(ENGINES)
        raise ConfigError(
            t(
                "unknown engine {name!r}; choose one of: auto, {choices}",
                name=engine,
                choices=choices,
            )
        )
    if engine == "torch":
        return _torch_engine(files, threads)
    int8 = files.onnx_path("int8")
    if engine == "auto":
        engine = auto_choice(files, threads).engine
    if engine in INT8_ENGINES:
        if not artifacts.is_valid(int8):
            raise ModelUnavailableError(
                t(
                    "no INT8 model for {model} yet: build it from 50 or more of your photos "
                    "with: smartalbum optimize --model {model} --calibrate DIR",
                    model=files.spec.name,
                )
            )
        return _open(engine, files.spec, int8, threads)
    return _open(engine, files.spec, ensure_fp32(files), threads)


def auto_choice(files: ModelFiles, threads: int, here: bool = False) -> Choice:
    """The engine ``auto`` serves with here: measured on first use, then remembered.

    The candidates are the engines whose files exist (the fp32 file is exported if need
    be; the INT8 one once it has been built) and whose runtime is installed. They are
    measured in a child process (``here``: in this one), so the engines opened to be timed
    leave nothing behind in a server's memory (~150 MB it would never give back).
    """
    fp32 = ensure_fp32(files)
    paths = [fp32]
    candidates = ["onnx"]
    if importlib.util.find_spec("openvino") is not None:
        candidates.append("openvino")
    int8 = files.onnx_path("int8")
    if artifacts.is_valid(int8):
        paths.append(int8)
        candidates += [e for e in INT8_ENGINES if e != "openvino-int8" or "openvino" in candidates]
    key = choice.choice_key(paths, threads)
    if not here and choice.remembered(files.cache_dir, key, candidates) is None:
        _measure_in_a_child(files, threads)

    def open_one(name: str) -> Engine:
        return _open(name, files.spec, int8 if name in INT8_ENGINES else fp32, threads)

    # Remembered now; measured here only if the child could not (it says why in the log).
    return choice.choose(candidates, open_one, files.cache_dir, key)


_MEASURE = """
import json, sys
from pathlib import Path
from smartalbum.engines import ModelFiles, auto_choice
from smartalbum.models.zoo import get_model
a = json.loads(sys.argv[1])
files = ModelFiles(get_model(a["model"]), Path(a["weights"]), Path(a["cache"]), a["user"])
auto_choice(files, a["threads"], here=True)
"""


def _measure_in_a_child(files: ModelFiles, threads: int) -> None:
    args = {
        "model": files.spec.name,
        "weights": str(files.weights),
        "cache": str(files.cache_dir),
        "user": files.user_weights,
        "threads": threads,
    }
    try:
        subprocess.run(
            [sys.executable, "-c", _MEASURE, json.dumps(args)],
            check=True, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log.warning("measuring the engines in a child process failed: %s", exc.stderr[-2000:])
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("measuring the engines in a child process failed: %s", exc)


def _torch_engine(files: ModelFiles, threads: int) -> Engine:
    """The PyTorch reference engine; it needs the ``torch`` extra, which serving leaves out."""
    try:
        from smartalbum.engines.torch_engine import TorchEngine
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        raise ModelUnavailableError(
            t(
                "--engine torch needs PyTorch, which the serving install leaves out: "
                "pip install 'smartalbum[torch]' (the onnx and openvino engines need no torch)"
            )
        ) from None
    return TorchEngine(files.spec, files.weights, threads=threads)


def _open(
    engine: str, spec: ModelSpec, path: Path, threads: int, precision: str | None = None
) -> Engine:
    """Open a checked model file with the runtime the engine's name says (imported only now)."""
    if engine.startswith("openvino"):
        from smartalbum.engines.openvino_engine import OpenVinoEngine

        return OpenVinoEngine(spec, path, name=engine, threads=threads, precision=precision)
    from smartalbum.engines.onnx_engine import OnnxEngine

    return OnnxEngine(spec, path, name=engine, threads=threads)


def ensure_fp32(files: ModelFiles, kind: str = "fp32") -> Path:
    """The cached fp32 ONNX file, built from the weights when missing (numpy; no torch).

    ``kind="cam"`` is the heat-map variant (a ``class_maps`` output too), a file of its own.
    The builder's graphs match the torch modules within 1e-4 (Lite0's logits: 2e-5 on the
    1000 samples; tests/test_onnx_builder.py), so it serves whether torch is there or not.
    """
    path = files.onnx_path(kind)
    if artifacts.is_valid(path):
        return path
    from smartalbum.engines.onnx_builder import build_onnx

    try:
        tmp = build_onnx(files.spec, files.weights, path, artifacts.OPSET, class_maps=kind == "cam")
    except ModelUnavailableError:
        raise
    except Exception as exc:  # exporter, checker or disk: the user needs the reason, not a trace
        raise ModelUnavailableError(
            t(
                "could not export {model} to ONNX in {folder} ({reason}); "
                "--engine torch works without it",
                model=files.spec.name,
                folder=path.parent,
                reason=exc,
            )
        ) from exc
    return artifacts.commit(tmp, path)


def build_int8(files: ModelFiles, calibration: list[np.ndarray]) -> Path:
    """Quantize the fp32 model with real calibration images and cache the result."""
    _, tmp = _quantize(files, calibration)
    return artifacts.commit(tmp, files.onnx_path("int8"))


def _quantize(
    files: ModelFiles, calibration: list[np.ndarray], ready: bool = True
) -> tuple[Path, Path]:
    """(the fp32 file, an INT8 temp file beside the cached one) from enough calibration
    photos; ConfigError for too few (or when the caller is not ``ready``)."""
    from smartalbum.engines.quantize import MIN_CALIBRATION_IMAGES, quantize_int8

    if len(calibration) < MIN_CALIBRATION_IMAGES or not ready:
        raise ConfigError(
            t(
                "INT8 calibration needs at least {least} photos that decode, got {count}",
                least=MIN_CALIBRATION_IMAGES,
                count=len(calibration),
            )
        )
    fp32 = ensure_fp32(files)
    target = files.onnx_path("int8")
    return fp32, quantize_int8(fp32, target, calibration, files.spec.int8_float_convs)


SURE = 0.5  # fp32's calibrated top-1 probability from which a photo's label is relied on
MIN_SURE = 20  # photos fp32 is sure of, at least, for the agreement on them to count


@dataclass(frozen=True)
class Int8Check:
    """An INT8 model built and checked: its top-1 agreement with fp32 on all the check
    photos and on those fp32 is sure of (``sure`` of them), and whether it stays."""

    path: Path
    agreement: float
    checked: int
    kept: bool
    sure_agreement: float = 1.0
    sure: int = 0


def build_checked_int8(
    files: ModelFiles,
    calibration: list[np.ndarray],
    check: list[np.ndarray],
    min_agreement: float,
    threads: int = 1,
) -> Int8Check:
    """Quantize from ``calibration``, then keep the file only if its top-1 agrees with fp32
    at least ``min_agreement`` of the time on the other photos ``check`` fp32 is sure of
    (calibrated top-1 from ``SURE``; on all of them when fewer than ``MIN_SURE`` are).

    Where fp32 itself hesitates between two classes, a flip costs nothing a person sees
    and says nothing of the quantization: on 60 samples, one or two such flips put a model
    that loses 0.1 point of held-out top-1 under 97 %, and it was refused at random.
    Until it passes, the INT8 file is a temp file no engine can pick up.
    """
    from smartalbum.engines.classifier import calibrated

    path = files.onnx_path("int8")
    fp32, tmp = _quantize(files, calibration, ready=bool(check))
    try:
        reference, candidate = (
            _open("onnx", files.spec, fp32, threads),
            _open("onnx-int8", files.spec, tmp, threads),
        )
        same: list[bool] = []
        sure: list[bool] = []
        for start in range(0, len(check), 16):
            batch = np.stack(check[start : start + 16])
            expected = calibrated(reference.run(batch), files.spec)
            same.extend((expected.argmax(1) == candidate.run(batch).argmax(1)).tolist())
            sure.extend((expected.max(1) >= SURE).tolist())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    verdict = judge_int8(path, same, sure, min_agreement)
    if not verdict.kept:
        tmp.unlink(missing_ok=True)
        return verdict
    artifacts.commit(tmp, path)
    return verdict


def judge_int8(path: Path, same: list[bool], sure: list[bool], min_agreement: float) -> Int8Check:
    """Whether INT8 stays, from where its top-1 is fp32's (``same``) and where fp32 is
    sure (``sure``): on the sure photos when there are ``MIN_SURE``, else on all."""
    relied = [agrees for agrees, is_sure in zip(same, sure, strict=True) if is_sure]
    agreement = sum(same) / len(same)
    sure_agreement = sum(relied) / len(relied) if relied else 1.0
    measured = sure_agreement if len(relied) >= MIN_SURE else agreement
    kept = measured >= min_agreement
    return Int8Check(path, agreement, len(same), kept, sure_agreement, len(relied))
