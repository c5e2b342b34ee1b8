"""Hard light: auto-levels, and the contrast-limited adaptive equalisation (CLAHE) and gamma
it was measured against.

Applied, when asked (``SMARTALBUM_ENHANCE``), to the small crop the model sees, never to
the photo itself: ``off`` never, ``always`` every photo, ``auto`` only photos whose
histogram says dark or washed out. On the sample photos auto-levels did best under low
light and glare and cost nothing on clean photos (docs/performance.md, "Hard light"), so
it is the one applied. The CLAHE here is OpenCV's algorithm on the luminance in numpy
(tiles, clipped histograms, bilinear blending of the tiles' mappings; equal to OpenCV's
within one level), so no image library is added for it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from smartalbum.settings import ENHANCE_MODES

MODES = ENHANCE_MODES
CLIP_LIMIT = 2.0  # OpenCV's default: a tile's histogram bin holds at most 2x its fair share
TILES = 8  # OpenCV's default grid, 8 x 8 tiles

# What ``auto`` calls dark or washed out (chosen on the sample photos: docs/performance.md,
# "Hard light"): a dark photo's mean luminance is under a quarter; a washed-out one has a
# fifth of its pixels burnt to white. 4 % and 1.5 % of the clean samples are either.
DARK_MEAN = 0.25
BURNT_LEVEL, BURNT_SHARE = 250, 0.2


def clahe(luma: np.ndarray, clip_limit: float = CLIP_LIMIT, tiles: int = TILES) -> np.ndarray:
    """CLAHE of a uint8 greyscale image (H, W), as OpenCV computes it (within rounding)."""
    height, width = luma.shape
    tile_h, tile_w = -(-height // tiles), -(-width // tiles)
    padded = np.pad(luma, ((0, tile_h * tiles - height), (0, tile_w * tiles - width)), "reflect")
    blocks = padded.reshape(tiles, tile_h, tiles, tile_w).transpose(0, 2, 1, 3)
    offsets = (np.arange(tiles * tiles) * 256).reshape(tiles, tiles, 1, 1)
    hist = np.bincount((blocks + offsets).ravel(), minlength=tiles * tiles * 256)
    hist = hist.reshape(tiles, tiles, 256)
    area = tile_h * tile_w
    limit = max(int(clip_limit * area / 256), 1)
    excess = np.maximum(hist - limit, 0).sum(axis=2, keepdims=True)
    # The clipped counts are spread evenly, the remainder one count every few bins.
    hist = np.minimum(hist, limit) + excess // 256
    residual = excess[..., 0] % 256
    step = np.maximum(256 // np.maximum(residual, 1), 1)
    bins = np.arange(256)
    hist += (bins % step[..., None] == 0) & (bins // step[..., None] < residual[..., None])
    luts = np.clip(np.round(np.cumsum(hist, axis=2) * (255.0 / area)), 0, 255)
    return _blend(luts, luma, tile_h, tile_w)


def _blend(luts: np.ndarray, luma: np.ndarray, tile_h: int, tile_w: int) -> np.ndarray:
    """Each pixel mapped by the four nearest tiles' tables, weighted by distance."""
    tiles = luts.shape[0]

    def axis(n: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        position = np.arange(n) / size - 0.5
        low = np.floor(position).astype(int)
        weight = position - low
        return np.clip(low, 0, tiles - 1), np.clip(low + 1, 0, tiles - 1), weight

    y0, y1, wy = axis(luma.shape[0], tile_h)
    x0, x1, wx = axis(luma.shape[1], tile_w)
    y0, y1, wy = y0[:, None], y1[:, None], wy[:, None]
    top = luts[y0, x0, luma] * (1 - wx) + luts[y0, x1, luma] * wx
    bottom = luts[y1, x0, luma] * (1 - wx) + luts[y1, x1, luma] * wx
    blended: np.ndarray = np.clip(top * (1 - wy) + bottom * wy + 0.5, 0, 255)
    return blended.astype(np.uint8)


def _on_luminance(img: Image.Image, change: Callable[[np.ndarray], np.ndarray]) -> Image.Image:
    """Apply a change to the luminance (Y of YCbCr), keeping the colours."""
    y, cb, cr = img.convert("YCbCr").split()
    changed = Image.fromarray(change(np.asarray(y)))
    return Image.merge("YCbCr", (changed, cb, cr)).convert("RGB")


def clahe_rgb(img: Image.Image) -> Image.Image:
    """CLAHE on an RGB image's luminance."""
    return _on_luminance(img, clahe)


def auto_levels(img: Image.Image) -> Image.Image:
    """Stretch the luminance so its 1st and 99th percentiles become black and white."""

    def stretch(luma: np.ndarray) -> np.ndarray:
        low, high = np.percentile(luma, (1, 99))
        if high - low < 1:
            return luma
        scaled: np.ndarray = (luma.astype(np.float32) - low) * (255.0 / (high - low))
        return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)

    return _on_luminance(img, stretch)


def auto_gamma(img: Image.Image) -> Image.Image:
    """A gamma that brings the mean luminance to mid-grey."""

    def correct(luma: np.ndarray) -> np.ndarray:
        mean = float(luma.mean()) / 255.0
        if not 0.02 < mean < 0.98:
            return luma
        gamma = np.log(0.5) / np.log(mean)
        table = np.clip((np.arange(256) / 255.0) ** gamma * 255.0 + 0.5, 0, 255)
        return table.astype(np.uint8)[luma]  # type: ignore[no-any-return]

    return _on_luminance(img, correct)


METHODS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "clahe": clahe_rgb,
    "levels": auto_levels,
    "gamma": auto_gamma,
}
SHIPPED = "levels"  # the method SMARTALBUM_ENHANCE applies


def hard_light(img: Image.Image) -> bool:
    """Whether a photo's histogram says dark or washed out (what ``auto`` corrects)."""
    counts = np.asarray(img.convert("L").histogram(), dtype=np.float64)
    total = counts.sum()
    mean = float(counts @ np.arange(256)) / total / 255.0
    return bool(mean < DARK_MEAN or counts[BURNT_LEVEL:].sum() > BURNT_SHARE * total)


def enhanced(img: Image.Image, mode: str, method: str = SHIPPED) -> Image.Image:
    """The image as the model should see it under ``mode`` (off, auto or always)."""
    if mode == "off" or (mode == "auto" and not hard_light(img)):
        return img
    return METHODS[method](img)
