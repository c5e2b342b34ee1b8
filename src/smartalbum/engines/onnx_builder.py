"""Build a zoo model's ONNX graph from its weights file with numpy and ``onnx``: no torch.

The graphs are those ``export.py`` writes with torch (input ``input``, outputs
``logits`` and ``embedding``, and ``class_maps`` for the heat-map variant; dynamic
batch), made from the layouts in ``models/layouts.py`` and the weights as
``models/state_dict.py`` reads them. Batch norm is folded into the convolution
before it, and TensorFlow's SAME padding is a Conv's own (asymmetric) pads.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from smartalbum.errors import ModelUnavailableError
from smartalbum.i18n import t
from smartalbum.models.layouts import (
    LITE,
    LITE_BN_EPS,
    LITE_HEAD,
    RESNET18_STAGES,
    RESNET_BN_EPS,
    LiteBlock,
    lite_blocks,
    same_padding,
)
from smartalbum.models.state_dict import read_state_dict
from smartalbum.models.zoo import ModelSpec

log = logging.getLogger(__name__)

CLASSES = 1000  # both families are built for ImageNet-1k
IR_VERSION = 8  # what ONNX Runtime and OpenVINO read for opset 17 (the torch exporter's too)


class _Graph:
    """Nodes and initializers of one graph, with the weights it takes from a state_dict."""

    def __init__(self, state: dict[str, np.ndarray]) -> None:
        self.state = state
        self.used: set[str] = set()
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def weight(self, key: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """The state_dict entry ``key`` (KeyError or ValueError when absent or misshapen)."""
        if key not in self.state:
            raise KeyError(f"missing key {key}")
        value = self.state[key]
        if shape is not None and value.shape != shape:
            raise ValueError(f"{key} has shape {tuple(value.shape)}, expected {shape}")
        self.used.add(key)
        return value.astype(np.float64)

    def const(self, name: str, array: np.ndarray) -> str:
        """Add an fp32 initializer and return its name."""
        self.initializers.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        """Add a node with one output named after it and return that output's name."""
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv_bn(
        self,
        x: str,
        conv: str,
        bn: str,
        eps: float,
        shape: tuple[int, int, int, int],
        stride: int = 1,
        pads: tuple[int, int] | int = 0,
        group: int = 1,
    ) -> str:
        """``conv`` (no bias; weights of ``shape``) then batch norm ``bn``, as one Conv with the
        norm folded in."""
        weight = self.weight(f"{conv}.weight", shape)
        cout = shape[0]
        gamma = self.weight(f"{bn}.weight", (cout,))
        beta = self.weight(f"{bn}.bias", (cout,))
        mean = self.weight(f"{bn}.running_mean", (cout,))
        var = self.weight(f"{bn}.running_var", (cout,))
        self.used.add(f"{bn}.num_batches_tracked")
        scale = gamma / np.sqrt(var + eps)
        before, after = (pads, pads) if isinstance(pads, int) else pads
        folded_weight = self.const(f"{conv}.weight", weight * scale[:, None, None, None])
        folded_bias = self.const(f"{conv}.bias", beta - mean * scale)
        return self.node(
            "Conv",
            [x, folded_weight, folded_bias],
            f"/{conv}/Conv",
            kernel_shape=list(shape[2:]),
            strides=[stride, stride],
            pads=[before, before, after, after],
            group=group,
        )

    def relu(self, x: str) -> str:
        """max(x, 0)."""
        return self.node("Relu", [x], f"{x}/Relu")

    def relu6(self, x: str) -> str:
        """min(max(x, 0), 6), as the torch export writes it (Clip)."""
        low = self.const(f"{x}/Clip/min", np.array(0.0))
        high = self.const(f"{x}/Clip/max", np.array(6.0))
        return self.node("Clip", [x, low, high], f"{x}/Clip")

    def check_all_used(self) -> None:
        """ValueError naming the weights no layer took (the file is another model's)."""
        unused = sorted(set(self.state) - self.used)
        if unused:
            raise ValueError(f"unexpected keys {', '.join(unused[:3])}")


def _resnet18(g: _Graph, x: str) -> str:
    """TorchVision's ResNet-18 up to its last feature map."""
    x = g.relu(g.conv_bn(x, "conv1", "bn1", RESNET_BN_EPS, (64, 3, 7, 7), stride=2, pads=3))
    x = g.node("MaxPool", [x], "/maxpool/MaxPool", kernel_shape=[3, 3], strides=[2, 2],
               pads=[1, 1, 1, 1])  # fmt: skip
    inplanes, eps = 64, RESNET_BN_EPS
    for stage, (planes, stride) in enumerate(RESNET18_STAGES, start=1):
        for index in range(2):
            p = f"layer{stage}.{index}"
            s = stride if index == 0 else 1
            identity = x
            if s != 1 or inplanes != planes:
                projection = (planes, inplanes, 1, 1)
                identity = g.conv_bn(
                    x, f"{p}.downsample.0", f"{p}.downsample.1", eps, projection, s
                )
            y = g.conv_bn(x, f"{p}.conv1", f"{p}.bn1", eps, (planes, inplanes, 3, 3), s, pads=1)
            y = g.conv_bn(g.relu(y), f"{p}.conv2", f"{p}.bn2", eps, (planes, planes, 3, 3), pads=1)
            x = g.relu(g.node("Add", [y, identity], f"/{p}/Add"))
            inplanes = planes
    return x


def _lite_block(g: _Graph, x: str, p: str, block: LiteBlock) -> str:
    """One inverted residual: 1x1 expand, depthwise, 1x1 project, skip when shapes allow."""
    y, eps = x, LITE_BN_EPS
    mid = block.cin * block.expand
    if block.expand != 1:
        y = g.relu6(g.conv_bn(y, f"{p}._expand_conv", f"{p}._bn0", eps, (mid, block.cin, 1, 1)))
    pads = same_padding(block.image_size, block.kernel, block.stride)
    depthwise = (mid, 1, block.kernel, block.kernel)
    y = g.conv_bn(y, f"{p}._depthwise_conv", f"{p}._bn1", eps, depthwise, block.stride, pads, mid)
    y = g.conv_bn(g.relu6(y), f"{p}._project_conv", f"{p}._bn2", eps, (block.cout, mid, 1, 1))
    return g.node("Add", [y, x], f"/{p}/Add") if block.residual else y


def _lite(g: _Graph, x: str, name: str) -> str:
    """An EfficientNet-Lite network up to its last feature map."""
    config = LITE[name]
    stem = same_padding(config.image_size, 3, 2)
    x = g.relu6(g.conv_bn(x, "_conv_stem", "_bn0", LITE_BN_EPS, (32, 3, 3, 3), 2, stem))
    blocks, last, _ = lite_blocks(config)
    for index, block in enumerate(blocks):
        x = _lite_block(g, x, f"_blocks.{index}", block)
    return g.relu6(g.conv_bn(x, "_conv_head", "_bn1", LITE_BN_EPS, (LITE_HEAD, last, 1, 1)))


def _heads(g: _Graph, feature_map: str, fc: str, channels: int, class_maps: bool) -> list[str]:
    """Pooled embedding, logits and (for heat-maps) every class's map: the classifier at
    each position of the last feature map, without its bias."""
    pooled = g.node("GlobalAveragePool", [feature_map], "/pool/GlobalAveragePool")
    embedding = g.node("Flatten", [pooled], "embedding", axis=1)
    weight = g.weight(f"{fc}.weight", (CLASSES, channels))
    bias = g.weight(f"{fc}.bias", (CLASSES,))
    linear = g.const(f"{fc}.weight", weight)
    logits = g.node("Gemm", [embedding, linear, g.const(f"{fc}.bias", bias)], "logits", transB=1)
    if not class_maps:
        return [logits, embedding]
    kernel = g.const(f"{fc}.weight_1x1", weight[:, :, None, None])
    maps = g.node("Conv", [feature_map, kernel], "class_maps", kernel_shape=[1, 1])
    return [logits, embedding, maps]


def build_graph(spec: ModelSpec, state: dict[str, np.ndarray], opset: int, class_maps: bool) -> Any:
    """The ONNX model of a zoo entry with these weights (ValueError/KeyError if they do not fit)."""
    g = _Graph(state)
    if spec.name == "resnet18":
        feature_map, fc = _resnet18(g, "input"), "fc"
    elif spec.name in LITE:
        feature_map, fc = _lite(g, "input", spec.name), "_fc"
    else:
        raise ValueError(f"no graph builder for {spec.name}")
    outputs = _heads(g, feature_map, fc, spec.embedding_size, class_maps)
    g.check_all_used()
    size = spec.input_size
    shapes: dict[str, list[int | str]] = {
        "logits": ["batch", CLASSES],
        "embedding": ["batch", spec.embedding_size],
    }
    if class_maps:
        side = _feature_side(spec)
        shapes["class_maps"] = ["batch", CLASSES, side, side]
    graph = helper.make_graph(
        g.nodes,
        spec.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, size, size])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[o]) for o in outputs],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        ir_version=IR_VERSION,
        producer_name="smartalbum",
    )
    # The weights join the model one at a time: make_graph and make_model copy what they
    # are given, and these are most of the file.
    g.initializers.reverse()
    while g.initializers:
        model.graph.initializer.append(g.initializers.pop())
    return model


def _feature_side(spec: ModelSpec) -> int:
    """Side of the last feature map: the input size over the network's stride of 32."""
    if spec.name in LITE:
        return lite_blocks(LITE[spec.name])[2]
    return -(-spec.input_size // 32)


def build_onnx(
    spec: ModelSpec, weights: Path, target: Path, opset: int, class_maps: bool = False
) -> Path:
    """Write the model's ONNX graph (as ``export.export_onnx`` does) to a temp file beside
    ``target`` and return it; the caller moves it into place."""
    try:
        model = build_graph(spec, read_state_dict(weights), opset, class_maps)
    except (KeyError, ValueError) as exc:  # every weight's shape is checked as it is taken
        raise ModelUnavailableError(
            t(
                "{path}: does not fit {model} ({detail})",
                path=weights,
                model=spec.name,
                detail=str(exc).strip("'\""),
            )
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        onnx.save(model, str(tmp_path))
        del model  # the checker reads the file: one copy of the weights in memory, not three
        onnx.checker.check_model(str(tmp_path))
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    log.info("built the ONNX graph of %s from %s", spec.name, weights.name)
    return tmp_path
