"""A photo's dominant colours, named in English and Chinese, from its thumbnail.

The thumbnail is shrunk to 32 px on its long side; each pixel is converted to OKLab (a
perceptual space: equal distances look equally different) and named by its lightness,
chroma and hue (``_named``: a pale grey-blue sky is blue, a dark orange brown, a maroon
red). A colour's share is the fraction of pixels it names; the colours covering at least
``MIN_SHARE`` are kept, largest first, stored as ``"red:0.42 white:0.31"`` (an empty
text: no colour covers that much; None: not computed yet). ~1.5 ms of CPU a photo.

The rules were set by looking at contact sheets of the 1,000 sample photos, each colour's
photos by share: yellow-green grass is green, not yellow; tan and khaki are brown; a
magenta or a pale salmon pink; a light sky blue although pale.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

SIDE = 32  # pixels on the long side: 1,024 at most, enough for shares to the percent
MIN_SHARE = 0.10  # below this a colour is a detail, not what the photo looks like
KEPT = 4  # colours kept a photo at most
# name -> (English, Chinese)
NAMES = {
    "red": ("red", "红色"), "orange": ("orange", "橙色"), "yellow": ("yellow", "黄色"),
    "green": ("green", "绿色"), "blue": ("blue", "蓝色"), "purple": ("purple", "紫色"),
    "pink": ("pink", "粉色"), "brown": ("brown", "棕色"), "black": ("black", "黑色"),
    "white": ("white", "白色"), "grey": ("grey", "灰色"),
}  # fmt: skip
# OKLab hue angles (degrees) where each colour's range ends, going round from red.
_HUES = ((45, "red"), (70, "orange"), (115, "yellow"), (180, "green"), (290, "blue"),
         (340, "purple"), (360, "red"))  # fmt: skip
GREY_CHROMA = 0.04  # OKLab chroma below which a pixel is white, grey or black
WHITE, BLACK = 0.88, 0.32  # OKLab lightness of the greys called white, and black


def _srgb_to_oklab(rgb: np.ndarray) -> np.ndarray:
    """OKLab (Björn Ottosson, 2020) of sRGB values in 0-1, one row a colour."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lms = linear @ np.array(
        [[0.4122214708, 0.2119034982, 0.0883024619],
         [0.5363325363, 0.6806995451, 0.2817188376],
         [0.0514459929, 0.1073969566, 0.6299787005]]
    )  # fmt: skip
    lab: np.ndarray = np.cbrt(lms) @ np.array(
        [[0.2104542553, 1.9779984951, 0.0259040371],
         [0.7936177850, -2.4285922050, 0.7827717662],
         [-0.0040720468, 0.4505937099, -0.8086757660]]
    )  # fmt: skip
    return lab


_ORDER = tuple(NAMES)


def _named(lab: np.ndarray) -> np.ndarray:
    """Each OKLab pixel's colour, as an index into ``_ORDER`` (rules measured on the samples)."""
    lightness, a, b = lab.T
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a)) % 360
    by_hue = np.select([hue < end for end, _ in _HUES], [_ORDER.index(n) for _, n in _HUES])
    warm = (hue >= 20) & (hue < 100)
    grey = (chroma < GREY_CHROMA) | ((lightness > 0.93) & (chroma < 0.07))
    rules = [
        (lightness < 0.22) | ((lightness < BLACK) & (chroma < 0.06)),  # black
        grey & (lightness >= WHITE),  # white
        grey,  # grey (a dark grey is black, by the first rule)
        # pink: magentas and pale reds (a salmon), not a bright red
        (((hue >= 335) | (hue < 15)) & (lightness >= 0.55))
        | ((hue < 30) & (lightness >= 0.72) & (chroma < 0.12)),
        # brown: a dark orange or yellow (a dark red stays red: maroon) ...
        warm & (((lightness < 0.58) & (chroma < 0.08)) | ((hue >= 35) & (lightness < 0.6))),
        (hue >= 20) & (hue < 115) & (chroma < 0.08) & (lightness < WHITE),  # or muted (tan)
        (hue >= 100) & (hue < 115) & (lightness < 0.75),  # a darker yellow-green is grass
    ]
    names = [_ORDER.index(n) for n in ("black", "white", "grey", "pink", "brown", "brown", "green")]
    return np.select([r for r in rules], names, default=by_hue)


def colour_shares(img: Image.Image) -> list[tuple[str, float]]:
    """Every colour's share of the image (0-1), largest first; none below 0.5 %."""
    small = img.convert("RGB")
    small.thumbnail((SIDE, SIDE), Image.Resampling.BOX)
    rgb = np.asarray(small, dtype=np.float64).reshape(-1, 3) / 255.0
    lab = _srgb_to_oklab(rgb)
    counts = np.bincount(_named(lab), minlength=len(_ORDER)) / len(rgb)
    shares = [(_ORDER[i], round(float(counts[i]), 3)) for i in np.argsort(-counts, kind="stable")]
    return [(name, share) for name, share in shares if share >= 0.005]


def dominant(img: Image.Image) -> str:
    """The stored text of an image's dominant colours: "blue:0.52 white:0.21" ("" for none)."""
    kept = [(n, s) for n, s in colour_shares(img) if s >= MIN_SHARE][:KEPT]
    return " ".join(f"{name}:{share:.2f}" for name, share in kept)


def of_thumbnail(data: bytes) -> str:
    """``dominant`` of a stored thumbnail's JPEG bytes."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (SIDE * 2, SIDE * 2))  # the JPEG decoder shrinks as it reads
        return dominant(img)


def parse(stored: str | None) -> dict[str, float]:
    """The stored text read back: {name: share}; damaged entries are left out."""
    found: dict[str, float] = {}
    for entry in (stored or "").split():
        name, _, share = entry.partition(":")
        try:
            if name in NAMES:
                found[name] = float(share)
        except ValueError:
            continue
    return found
