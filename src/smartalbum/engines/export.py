"""Export a zoo model to ONNX (needs torch; run once, then cached)."""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import torch

from smartalbum.engines.torch_engine import load_state_dict
from smartalbum.models.zoo import ModelSpec

log = logging.getLogger(__name__)


class _WithEmbedding(torch.nn.Module):
    """Expose logits and the pooled embedding as the two graph outputs."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.model.features(x)  # type: ignore[operator]
        return self.model.head(features), features  # type: ignore[operator]


def export_onnx(spec: ModelSpec, weights: Path, target: Path, opset: int) -> Path:
    """Write the model as ONNX (input ``input``, outputs ``logits``, ``embedding``) to a temp
    file beside ``target`` and return it; the caller moves it into place."""
    log.warning("exporting %s to ONNX (once; cached in %s)", spec.name, target.parent)
    model = _WithEmbedding(load_state_dict(spec, weights))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    dummy = torch.zeros(1, 3, spec.input_size, spec.input_size)
    with warnings.catch_warnings():
        # The exporter's notes on constant folding are about its internals, not our model.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp_path),
            input_names=["input"],
            output_names=["logits", "embedding"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
    return tmp_path
