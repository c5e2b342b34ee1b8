"""ONNX Runtime engines (fp32 and static INT8): the fast serving path, free of torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from smartalbum.engines import SharedEngine
from smartalbum.errors import ModelUnavailableError
from smartalbum.i18n import t
from smartalbum.models.zoo import ModelSpec


class OnnxEngine:
    """Runs an exported model file with ONNX Runtime on the CPU."""

    def __init__(
        self, spec: ModelSpec, path: Path, name: str = "onnx", threads: int = 1, lean: bool = False
    ):
        self.spec = spec
        self.name = name
        self.path = path
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle inference threads sleep rather than spin: decoding shares these cores, and
        # spinning took ~15 % of the end-to-end throughput from it (docs/performance.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if lean:  # a session run now and then: its activations freed after each run, not kept
            options.enable_cpu_mem_arena = False
            options.enable_mem_pattern = False
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            problem = t("{path}: cannot load ONNX model ({reason})", path=path, reason=exc)
            raise ModelUnavailableError(problem) from None

    @property
    def shared(self) -> SharedEngine:
        """The file this engine runs: a worker process opens its own session on it."""
        return SharedEngine(self.spec, self.name, self.path)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Logits for a float32 batch (N, 3, H, W)."""
        (logits,) = self.session.run(["logits"], {"input": batch})
        return logits  # type: ignore[no-any-return]

    def embed(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits and pooled embeddings for a float32 batch (N, 3, H, W)."""
        logits, features = self.session.run(["logits", "embedding"], {"input": batch})
        return logits, features
