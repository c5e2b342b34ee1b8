"""The PyTorch reference engine: every faster engine is checked against this one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from smartalbum.errors import ModelUnavailableError
from smartalbum.i18n import t
from smartalbum.models.state_dict import unreadable
from smartalbum.models.zoo import ModelSpec


def load_state_dict(spec: ModelSpec, weights: Path) -> torch.nn.Module:
    """Build the model and load a weights file into it (strict: every key and shape must fit)."""
    model = spec.build()
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and tensor errors all mean "not a weights file"
        raise unreadable(weights, exc) from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ModelUnavailableError(
            t("{path}: holds a {kind}, not a state_dict", path=weights, kind=type(state).__name__)
        )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1:3]
        detail = " ".join(s.strip() for s in first)
        raise ModelUnavailableError(
            t(
                "{path}: does not fit {model} ({detail})",
                path=weights,
                model=spec.name,
                detail=detail,
            )
        ) from None
    return model.eval()


class TorchEngine:
    """PyTorch eager inference in inference mode, NHWC memory layout on the CPU."""

    name = "torch"

    def __init__(self, spec: ModelSpec, weights: Path, threads: int = 1) -> None:
        self.spec = spec
        torch.set_num_threads(threads)
        self.model = load_state_dict(spec, weights).to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    @property
    def shared(self) -> None:
        """Not shared with worker processes: each would import torch (seconds) and load weights."""
        return None

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Logits for a float32 batch (N, 3, H, W)."""
        return self.embed(batch)[0]

    def embed(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits and pooled embeddings for a float32 batch (N, 3, H, W)."""
        x = torch.from_numpy(batch).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            features = self.model.features(x)
            logits = self.model.head(features)
        return logits.numpy(), features.numpy()
