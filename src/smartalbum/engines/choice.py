"""``--engine auto``: the fastest engine for this CPU, measured here once and remembered.

Which engine is fastest depends on the machine (OpenVINO INT8 is 2-3x ONNX Runtime INT8
on a CPU with AMX, ~10 % ahead on an AVX2-only one), so it is measured rather than
guessed: every engine whose files exist runs the same fixed batch for a fraction of a
second; those whose answers match ONNX Runtime fp32 (the exported graph every test holds
to the torch reference) compete on speed. The pick is cached in the model cache, keyed by
the CPU's model and flags, the runtimes' versions, the model files and the thread count,
so a new machine, a new runtime or a new INT8 file is measured again.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from smartalbum.engines.machine import cpu_summary
from smartalbum.i18n import Message, t

log = logging.getLogger(__name__)

REFERENCE = "onnx"
FP32_ENGINES = ("onnx", "openvino")
INT8_ENGINES = ("onnx-int8", "openvino-int8")
BATCH = 8
BUDGET_S = 0.4  # timed runs per engine, after one warm-up run
MIN_RUNS = 3
# Parity on the fixed batch, against ONNX Runtime fp32: bf16 and INT8 engines measured
# 0.989-0.9996 cosine there; a wrong engine is far below.
MIN_COSINE = 0.97
MIN_TOP5 = 7
RUNTIMES = ("onnxruntime", "openvino")
CACHE_NAME = "engine-choice.json"


@dataclass(frozen=True)
class Choice:
    """The engine ``auto`` serves with, and why: the timings it won on."""

    engine: str
    timings: dict[str, float | None]  # ms per photo at batch 8; None: failed parity or to open
    cpu: dict[str, Any]
    measured_at: float
    cached: bool = False
    problems: dict[str, str] = field(default_factory=dict)  # engine -> why it was left out

    @property
    def reason(self) -> Message:
        """Why this engine serves, in the reader's language."""
        timed = {e: ms for e, ms in self.timings.items() if ms is not None}
        if len(timed) <= 1:
            return t("{engine}: the only engine whose files exist here", engine=self.engine)
        others = ", ".join(f"{e} {ms:.2f}" for e, ms in sorted(timed.items(), key=lambda x: x[1]))
        return t(
            "{engine}: the fastest here ({cpu}), measured {when}: ms per photo at batch 8: "
            "{others}",
            engine=self.engine,
            cpu=self.cpu.get("model") or "CPU",
            when=time.strftime("%Y-%m-%d %H:%M", time.localtime(self.measured_at)),
            others=others,
        )

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """JSON for ``/api/health`` and ``smartalbum models``."""
        return {
            "engine": self.engine,
            "reason": self.reason.render(lang),
            "timings_ms": self.timings,
            "left_out": self.problems,
            "cpu": self.cpu,
            "measured_at": self.measured_at,
            "cached": self.cached,
        }


def forced_info(engine: str, lang: str = "en") -> dict[str, Any]:
    """What ``to_dict`` says of an engine the settings name (``auto`` chose nothing)."""
    reason = t("{engine}: set by SMARTALBUM_ENGINE or --engine", engine=engine)
    return {"engine": engine, "reason": reason.render(lang)}


Opener = Callable[[str], Any]  # an engine's name -> the opened engine (raises if it cannot)


def remembered(cache_dir: Path, key: str, candidates: list[str]) -> dict[str, Any] | None:
    """The choice remembered for ``key``, if it names one of ``candidates``."""
    cached = _read_cache(cache_dir).get(key)
    if isinstance(cached, dict) and cached.get("engine") in candidates:
        return cached
    return None


def choose(candidates: list[str], open_engine: Opener, cache_dir: Path, key: str) -> Choice:
    """The remembered choice for ``key``, or one measured now among ``candidates``."""
    cached = remembered(cache_dir, key, candidates)
    if cached is not None:
        return Choice(
            cached["engine"],
            cached["timings"],
            cached["cpu"],
            cached["measured_at"],
            cached=True,
            problems=cached.get("problems", {}),
        )
    choice = measure(candidates, open_engine)
    _write_cache(cache_dir, key, choice)
    log.info("engine auto: %s", choice.reason.render("en"))
    return choice


def measure(candidates: list[str], open_engine: Opener) -> Choice:
    """Time every candidate on one fixed batch; the fastest whose answers match the reference."""
    engine = open_engine(REFERENCE)
    batch = fixed_batch(engine.spec.input_size)
    reference = engine.run(batch)
    timings: dict[str, float | None] = {}
    problems: dict[str, str] = {}
    for name in candidates:
        try:
            # One engine open at a time: the first start's memory stays near one engine's.
            engine = engine if name == REFERENCE and engine is not None else open_engine(name)
            logits = engine.run(batch)  # the warm-up run (OpenVINO compiles for this shape)
            problem = _parity_problem(reference, logits)
            if problem:
                timings[name], problems[name] = None, problem
                continue
            timings[name] = _time(engine, batch)
        except Exception as exc:  # one engine that cannot run here must not stop the choice
            timings[name], problems[name] = None, str(exc)
        finally:
            engine = None
            gc.collect()
    timed = {name: ms for name, ms in timings.items() if ms is not None}
    best = min(timed, key=lambda name: timed[name]) if timed else REFERENCE
    return Choice(best, timings, cpu_summary(), time.time(), problems=problems)


def fixed_batch(size: int) -> np.ndarray:
    """Eight smooth, seeded, photo-like inputs (blocks of colour, not white noise)."""
    rng = np.random.default_rng(20261201)
    cells = -(-size // 32)
    low = rng.standard_normal((BATCH, 3, cells, cells)).astype(np.float32) * 0.8
    return np.ascontiguousarray(
        np.repeat(np.repeat(low, 32, axis=2), 32, axis=3)[..., :size, :size]
    )


def _parity_problem(reference: np.ndarray, logits: np.ndarray) -> str | None:
    if logits.shape != reference.shape or not np.isfinite(logits).all():
        return f"answers of shape {logits.shape} or not finite"
    cosine = (reference * logits).sum(1) / (
        np.linalg.norm(reference, axis=1) * np.linalg.norm(logits, axis=1) + 1e-12
    )
    # The reference's best class among the candidate's top 5: a near tie between two
    # classes on a made-up input may fall either way, a wrong engine's answers do not.
    top5 = np.argsort(-logits, axis=1)[:, :5]
    agree = int(sum(r in row for r, row in zip(reference.argmax(1), top5, strict=True)))
    if cosine.min() < MIN_COSINE or agree < MIN_TOP5:
        return f"differs from {REFERENCE}: cosine {cosine.min():.3f}, top-5 {agree}/{BATCH}"
    return None


def _time(engine: Any, batch: np.ndarray) -> float:
    runs: list[float] = []
    deadline = time.perf_counter() + BUDGET_S
    while len(runs) < MIN_RUNS or time.perf_counter() < deadline:
        start = time.perf_counter()
        engine.run(batch)
        runs.append(time.perf_counter() - start)
    return round(float(np.median(runs)) * 1000 / BATCH, 3)


def choice_key(files: list[Path], threads: int) -> str:
    """What a choice depends on: the CPU, the runtimes, the model files and the threads."""
    versions: dict[str, str | None] = {}
    for runtime in RUNTIMES:
        try:
            versions[runtime] = importlib.metadata.version(runtime)
        except importlib.metadata.PackageNotFoundError:
            versions[runtime] = None
    facts = {
        "cpu": cpu_summary(),
        "runtimes": versions,
        "files": sorted(f.name for f in files),
        "threads": threads,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def _read_cache(cache_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((cache_dir / CACHE_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(cache_dir: Path, key: str, choice: Choice) -> None:
    data = _read_cache(cache_dir)
    data[key] = {
        "engine": choice.engine,
        "timings": choice.timings,
        "cpu": choice.cpu,
        "measured_at": choice.measured_at,
        "problems": choice.problems,
    }
    path = cache_dir / CACHE_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache: measured again next time, not an error
        log.warning("could not remember the engine choice in %s: %s", path, exc)
