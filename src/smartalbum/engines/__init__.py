"""Inference engines behind one small Protocol, picked by name in ``load_engine``."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from smartalbum.errors import ConfigError
from smartalbum.models.zoo import ModelSpec

ENGINES = ("torch",)


class Engine(Protocol):
    """Runs a model on a batch of preprocessed inputs (N, 3, H, W) float32."""

    name: str
    spec: ModelSpec

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Logits, shape (N, classes)."""
        ...

    def embed(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits and the pooled embedding, shapes (N, classes) and (N, embedding_size)."""
        ...


def load_engine(spec: ModelSpec, weights: Path, engine: str = "auto", threads: int = 1) -> Engine:
    """Build the named engine (``auto``: the fastest available) for a model and its weights."""
    if engine in ("auto", "torch"):
        from smartalbum.engines.torch_engine import TorchEngine

        return TorchEngine(spec, weights, threads=threads)
    raise ConfigError(f"unknown engine {engine!r}; choose one of: auto, {', '.join(ENGINES)}")
