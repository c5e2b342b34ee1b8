"""Degraded versions of a photo, made on the fly and seeded: blur, low light, glare, JPEG, noise.

Strengths are set at the model's scale: a photo decoded larger than the model's input is
blurred in proportion, so "mild blur" means the same to the model whatever the file's size.
The noise is seeded by the photo's name, so every run makes the same pixels.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

SEED = 17
MODEL_SIDE = 256  # the shorter side the models resize to before their crop (224-260 px)


@dataclass(frozen=True)
class Condition:
    """One way a photo can be poor, named in English and Chinese."""

    id: str
    en: str
    zh: str
    apply: Callable[[Image.Image, np.random.Generator], Image.Image]


def _scale(img: Image.Image) -> float:
    return min(img.size) / MODEL_SIDE


def _blur(radius: float) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def apply(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        return img.filter(ImageFilter.GaussianBlur(radius * _scale(img)))

    return apply


def _tone(curve: Callable[[np.ndarray], np.ndarray]) -> Callable[..., Image.Image]:
    """A change of every pixel's level (0..1), through a 256-entry table."""
    table = np.clip(curve(np.arange(256) / 255.0) * 255.0 + 0.5, 0, 255).astype(np.uint8)

    def apply(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        return Image.fromarray(table[np.asarray(img)])

    return apply


def _jpeg(quality: int) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def apply(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=quality)
        return Image.open(io.BytesIO(out.getvalue())).convert("RGB")

    return apply


def _noise(sigma: float) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def apply(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        pixels = np.asarray(img, dtype=np.float32)
        noisy = pixels + rng.normal(0.0, sigma, pixels.shape).astype(np.float32)
        return Image.fromarray(np.clip(noisy + 0.5, 0, 255).astype(np.uint8))

    return apply


def _small(side: int) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def apply(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        factor = side / min(img.size)
        size = (max(1, round(img.width * factor)), max(1, round(img.height * factor)))
        return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)

    return apply


CONDITIONS = (
    Condition("clean", "clean", "原图", lambda img, _rng: img),
    Condition("blur_mild", "blur (mild, σ 1.5 px)", "轻度模糊（σ 1.5 像素）", _blur(1.5)),
    Condition("blur_strong", "blur (strong, σ 4 px)", "重度模糊（σ 4 像素）", _blur(4.0)),
    Condition("dark_gamma", "low light (γ 2.5)", "暗光（γ 2.5）", _tone(lambda v: v**2.5)),
    Condition("dark_exposure", "low light (−2 EV)", "欠曝（−2 EV）", _tone(lambda v: v / 4)),
    Condition(
        "overexposed", "over-exposed (+1.5 EV)", "过曝（+1.5 EV）", _tone(lambda v: v * 2.83)
    ),
    Condition("jpeg", "strong JPEG (quality 10)", "强压缩（JPEG 质量 10）", _jpeg(10)),
    Condition("noise", "noise (σ 25)", "噪点（σ 25）", _noise(25.0)),
    Condition("small", "small (96 px)", "小尺寸（96 像素）", _small(96)),
)
LIGHTING = ("dark_gamma", "dark_exposure", "overexposed")


def rng_for(name: str, condition: str, seed: int = SEED) -> np.random.Generator:
    """The random numbers one photo gets under one condition: the same in every run."""
    return np.random.default_rng([seed, zlib.crc32(f"{condition}/{name}".encode())])


def degrade(img: Image.Image, condition: Condition, name: str) -> Image.Image:
    """The photo under the condition (seeded by its name)."""
    return condition.apply(img, rng_for(name, condition.id))
