"""OpenVINO engines: the exported ONNX files compiled for the instructions of this CPU.

``openvino`` compiles the fp32 file and ``openvino-int8`` the QDQ INT8 file that
``onnx-int8`` runs. Both run at bf16 where the CPU has it natively (AMX-BF16 or
AVX512-BF16: the fp32 file's convolutions on AMX tiles, the INT8 file's float
remainder at bf16), at f32 elsewhere. One model is compiled per batch size, when
that size is first seen: a static shape ran up to 30 % faster than a dynamic batch
(docs/performance.md). Importing openvino happens here only, so neither the fork
server nor another engine's process pays for it. Threads are pinned to the cores
the process may use: ``library.workers`` gives each worker process its core before
it loads an engine, or OpenVINO puts two workers' threads on one core.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov

from smartalbum.engines import SharedEngine
from smartalbum.engines.machine import cpu_flags
from smartalbum.errors import ModelUnavailableError
from smartalbum.i18n import t
from smartalbum.models.zoo import ModelSpec

BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
PRECISIONS = ("bf16", "f32")
# Compiled batch sizes kept at once: each costs 25-45 MB of memory (Lite0, ResNet-18).
MAX_SHAPES = 4


def default_precision(flags: frozenset[str] | None = None) -> str:
    """``bf16`` where the CPU computes bf16 natively, else ``f32`` (emulated bf16 is slower)."""
    return "bf16" if (cpu_flags() if flags is None else flags) & BF16_FLAGS else "f32"


class OpenVinoEngine:
    """Runs an exported model file with OpenVINO on the CPU, one compiled model per batch size."""

    def __init__(
        self,
        spec: ModelSpec,
        path: Path,
        name: str = "openvino",
        threads: int = 1,
        precision: str | None = None,
    ) -> None:
        self.spec = spec
        self.name = name
        self.path = path
        self.precision = precision or default_precision()
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")
        self.core = ov.Core()
        self.config = {
            "INFERENCE_NUM_THREADS": threads,
            "INFERENCE_PRECISION_HINT": self.precision,
            "PERFORMANCE_HINT": "LATENCY",
            # Threads pinned within the process's own affinity mask, which a worker sets
            # to its one core before loading: its threads then stay there (tested).
            "ENABLE_CPU_PINNING": True,
        }
        try:
            self.model = self.core.read_model(str(path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses of its own
            problem = t("{path}: cannot load ONNX model ({reason})", path=path, reason=exc)
            raise ModelUnavailableError(problem) from None
        self._compiled: OrderedDict[int, Any] = OrderedDict()  # batch size -> InferRequest
        # A request runs one inference at a time, and the web's inference thread and an
        # index job may share this engine.
        self._lock = threading.Lock()

    @property
    def shared(self) -> SharedEngine:
        """The file and precision this engine runs: a worker process compiles its own."""
        return SharedEngine(self.spec, self.name, self.path, precision=self.precision)

    @property
    def compiled_sizes(self) -> list[int]:
        """The batch sizes compiled so far, least recently used first."""
        return list(self._compiled)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Logits for a float32 batch (N, 3, H, W)."""
        return self.embed(batch)[0]

    def embed(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits and pooled embeddings for a float32 batch (N, 3, H, W)."""
        count = len(batch)
        with self._lock:
            size, request = self._request(count)
            if size > count:  # rows are independent: the padding's results are dropped
                padding = np.zeros((size - count, *batch.shape[1:]), np.float32)
                batch = np.concatenate([batch, padding])
            request.infer({0: np.ascontiguousarray(batch, dtype=np.float32)}, share_inputs=True)
            logits = request.get_tensor("logits").data[:count].copy()
            features = request.get_tensor("embedding").data[:count].copy()
        return logits, features

    def _request(self, count: int) -> tuple[int, Any]:
        """The compiled batch size to run ``count`` inputs in, and its request.

        A compile costs 0.2-0.7 s (docs/performance.md), so a batch smaller than one
        already compiled, but at least half its size (an indexing run's last batch),
        runs padded in it; anything else gets its own compiled size.
        """
        fits = [size for size in self._compiled if count <= size <= 2 * count]
        size = min(fits) if fits else count
        if size not in self._compiled:
            if len(self._compiled) >= MAX_SHAPES:
                self._compiled.popitem(last=False)
            self._compiled[size] = self._compile(size)
        self._compiled.move_to_end(size)
        return size, self._compiled[size]

    def _compile(self, size: int) -> Any:
        model = self.model.clone()
        shape = [size, 3, self.spec.input_size, self.spec.input_size]
        model.reshape({model.input(0).get_any_name(): shape})
        try:
            compiled = self.core.compile_model(model, "CPU", self.config)
        except Exception as exc:  # an operator this OpenVINO cannot compile, say
            problem = t("{path}: cannot load ONNX model ({reason})", path=self.path, reason=exc)
            raise ModelUnavailableError(problem) from None
        return compiled.create_infer_request()
