"""The architectures' shapes, without torch: what the torch modules and the ONNX builder share.

``efficientnet_lite.py`` builds its torch module from these records and
``engines/onnx_builder.py`` builds the same graph from them with numpy weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LITE_BN_EPS = 1e-3
LITE_HEAD = 1280  # the head's channels, the embedding, at every Lite size
RESNET_BN_EPS = 1e-5  # torch's BatchNorm2d default, which TorchVision's ResNet keeps

# (repeats, kernel, stride, expand ratio, in channels, out channels), before scaling.
LITE_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)

# ResNet-18's four stages: (channels, stride of the first block); two blocks each.
RESNET18_STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))


@dataclass(frozen=True)
class LiteConfig:
    """Width and depth multipliers and the input size a Lite variant was trained at."""

    width: float
    depth: float
    image_size: int


LITE = {
    "efficientnet_lite0": LiteConfig(1.0, 1.0, 224),
    "efficientnet_lite1": LiteConfig(1.0, 1.1, 240),
    "efficientnet_lite2": LiteConfig(1.1, 1.2, 260),
}


@dataclass(frozen=True)
class LiteBlock:
    """One inverted-residual block of a Lite network, at the input size it sees."""

    cin: int
    cout: int
    kernel: int
    stride: int
    expand: int
    image_size: int

    @property
    def residual(self) -> bool:
        """True when the block adds its input to its output."""
        return self.stride == 1 and self.cin == self.cout


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Channels scaled by the width multiplier, rounded to a multiple of ``divisor``."""
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:  # never round down by more than 10 %
        rounded += divisor
    return int(rounded)


def same_padding(image_size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's SAME padding (before, after) of one spatial axis of a known size."""
    out = math.ceil(image_size / stride)
    total = max((out - 1) * stride + kernel - image_size, 0)
    return total // 2, total - total // 2


def lite_blocks(config: LiteConfig) -> tuple[list[LiteBlock], int, int]:
    """The blocks of a Lite network, its last block's channels and the feature map's size."""
    size = math.ceil(config.image_size / 2)  # after the stride-2 stem
    blocks = []
    last = len(LITE_STAGES) - 1
    cout = 0
    for i, (repeats, kernel, stride, expand, cin, cout) in enumerate(LITE_STAGES):
        fixed = i in (0, last)  # Lite keeps the first and last stage as in lite0
        cin = 32 if i == 0 else round_filters(cin, config.width)
        cout = round_filters(cout, config.width)
        repeats = repeats if fixed else math.ceil(config.depth * repeats)
        for r in range(repeats):
            s = stride if r == 0 else 1
            blocks.append(LiteBlock(cin if r == 0 else cout, cout, kernel, s, expand, size))
            size = math.ceil(size / s)
    return blocks, cout, size
