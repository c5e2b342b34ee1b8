"""Export a zoo model to ONNX with torch: the reference ``onnx_builder`` is tested against.

Serving builds its graphs with ``onnx_builder`` (no torch); this export stays for the
tests (tests/test_onnx_builder.py compares the two graphs' inputs, outputs and values).
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

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


class _WithClassMaps(torch.nn.Module):
    """Also expose every class's activation map: the classifier applied at each position.

    The maps are the last feature map weighted by the linear layer (a 1x1 convolution
    without the bias); their mean over positions plus the bias is the logit (Zhou et al.,
    "Learning Deep Features for Discriminative Localization", 2016).
    """

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        feature_map = self.model.feature_map(x)  # type: ignore[operator]
        features = feature_map.mean(dim=(2, 3))
        linear = _linear_of(self.model)
        maps = torch.einsum("kc,nchw->nkhw", linear.weight, feature_map)
        return linear(features), features, maps


def _linear_of(model: torch.nn.Module) -> torch.nn.Linear:
    """The classifier layer both model families end with (``_fc`` or ``fc``)."""
    linear = getattr(model, "_fc", None) or getattr(model, "fc", None)
    if not isinstance(linear, torch.nn.Linear):
        raise TypeError(f"{type(model).__name__} has no final linear layer")
    return linear


def export_onnx(
    spec: ModelSpec, weights: Path, target: Path, opset: int, class_maps: bool = False
) -> Path:
    """Write the model as ONNX (input ``input``, outputs ``logits``, ``embedding``) to a temp
    file beside ``target`` and return it; the caller moves it into place.

    With ``class_maps`` the graph has a third output, ``class_maps`` (N, classes, h, w),
    for heat-maps: a separate file, so the classifying graph stays as it was.
    """
    log.warning("exporting %s to ONNX (once; cached in %s)", spec.name, target.parent)
    model = load_state_dict(spec, weights)
    wrapped = _WithClassMaps(model) if class_maps else _WithEmbedding(model)
    outputs = ["logits", "embedding", *(["class_maps"] if class_maps else [])]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    dummy = torch.zeros(1, 3, spec.input_size, spec.input_size)
    with warnings.catch_warnings():
        # The exporter's notes on constant folding are about its internals, not our model.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            (dummy,),
            str(tmp_path),
            input_names=["input"],
            output_names=outputs,
            dynamic_axes={"input": {0: "batch"}, **{name: {0: "batch"} for name in outputs}},
            opset_version=opset,
            dynamo=False,
        )
    _fold_pads_into_convs(tmp_path)
    return tmp_path


def _constants_folded(path: Path) -> Any:
    """The model at ``path`` with the exporter's shape arithmetic folded into constants."""
    import onnx
    import onnxruntime as ort

    folded = path.with_suffix(".folded")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.log_severity_level = 3  # its notes on initializers it drops are expected here
    options.optimized_model_filepath = str(folded)
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    model = onnx.load(str(folded))
    folded.unlink()
    return model


def _fold_pads_into_convs(path: Path) -> None:
    """Rewrite ``Pad(zeros) -> Conv`` as one Conv with asymmetric pads, in place.

    TensorFlow's SAME padding exports as Pad nodes computed from shape arithmetic;
    ONNX Runtime keeps them as separate ops that stop its blocked-layout convolution
    path, and the model runs at half speed (EfficientNet-Lite0 batch-1: 17.8 ms with
    them, 8.7 ms without; docs/performance.md). Conv takes asymmetric pads: they fold away.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = _constants_folded(path)
    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    removed = []
    for pad in [n for n in graph.node if n.op_type == "Pad"]:
        mode = next((a.s for a in pad.attribute if a.name == "mode"), b"constant")
        pads = constants.get(pad.input[1]) if len(pad.input) > 1 else None
        value = constants.get(pad.input[2]) if len(pad.input) > 2 and pad.input[2] else 0
        users = consumers.get(pad.output[0], [])
        if (
            mode != b"constant"
            or pads is None
            or pads.shape != (8,)
            or value is None
            or float(value) != 0.0
            or any(pads[[0, 1, 4, 5]])  # batch or channel padding: not a Conv's job
            or len(users) != 1
            or users[0].op_type != "Conv"
        ):
            continue
        conv = users[0]
        old = next((list(a.ints) for a in conv.attribute if a.name == "pads"), [0, 0, 0, 0])
        new = [old[0] + pads[2], old[1] + pads[3], old[2] + pads[6], old[3] + pads[7]]
        kept = [a for a in conv.attribute if a.name != "pads"]
        del conv.attribute[:]
        conv.attribute.extend([*kept, helper.make_attribute("pads", [int(p) for p in new])])
        conv.input[0] = pad.input[0]
        removed.append(pad)
    for pad in removed:
        graph.node.remove(pad)
    used = {name for node in graph.node for name in node.input}
    unused = [init for init in graph.initializer if init.name not in used]
    for init in unused:
        graph.initializer.remove(init)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
