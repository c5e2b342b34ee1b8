"""Heat-maps: which part of a photo made the model name a class (class activation maps).

Both model families end in global average pooling and one linear layer, so the
linear layer applied at each position of the last feature map says how much each
part of the photo adds to a class's logit (Zhou et al., 2016): no gradients. The
maps come from a graph variant of their own (``ensure_fp32(files, "cam")``, with a
``class_maps`` output), run only when a heat-map is asked for: the classifying
graphs and their speed are unchanged.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from smartalbum import imaging
from smartalbum.engines import ModelFiles, ensure_fp32, memory
from smartalbum.imaging import ImageSource
from smartalbum.models.zoo import ModelSpec
from smartalbum.settings import Settings

if TYPE_CHECKING:
    from smartalbum.engines.classifier import Classifier

IDLE_SECONDS = 300.0  # a heat-map's model is let go after this long without one
OVERLAY_SIZE = 128  # pixels a side of the PNG overlay; the page scales it onto the crop
# Heat colours from cold to hot (blue, cyan, green, yellow, red), as (position, r, g, b).
_COLOURS = ((0.0, 0, 0, 255), (0.25, 0, 200, 255), (0.5, 0, 220, 60), (0.75, 255, 220, 0),
            (1.0, 255, 0, 0))  # fmt: skip


@dataclass(frozen=True)
class Heatmap:
    """One class's map over the crop the model saw, scaled to 0..1 (0: no evidence for it).

    ``box`` is that crop in fractions of the upright photo: (left, top, width, height).
    """

    index: int
    grid: np.ndarray
    box: tuple[float, float, float, float]

    def peak(self) -> tuple[float, float]:
        """The centre of the hottest cell, as (x, y) fractions of the photo."""
        rows, cols = self.grid.shape
        row, col = np.unravel_index(int(np.argmax(self.grid)), self.grid.shape)
        left, top, width, height = self.box
        return left + (col + 0.5) / cols * width, top + (row + 0.5) / rows * height

    def overlay_png(self, size: int = OVERLAY_SIZE) -> bytes:
        """The map as a translucent heat-coloured PNG, ``size`` pixels a side."""
        levels = np.clip(np.asarray(self._smooth(size)) * 255.0, 0, 255).astype(np.uint8)
        rgba = _heat_lut()[levels]
        out = io.BytesIO()
        Image.fromarray(rgba, mode="RGBA").save(out, format="PNG", optimize=True)
        return out.getvalue()

    def _smooth(self, size: int) -> Image.Image:
        """The grid resampled to ``size`` pixels a side (bilinear: bicubic overshoots at edges)."""
        grid = Image.fromarray(self.grid.astype(np.float32), mode="F")
        return grid.resize((size, size), Image.Resampling.BILINEAR)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the class index, the grid (rows of 0..1), the crop box, the PNG."""
        import base64

        png = base64.b64encode(self.overlay_png()).decode("ascii")
        return {
            "index": self.index,
            "grid": [[round(float(v), 3) for v in row] for row in self.grid],
            "box": [round(v, 4) for v in self.box],
            "overlay": f"data:image/png;base64,{png}",
        }


@functools.cache
def _heat_lut() -> np.ndarray:
    """256 RGBA colours: hue from the colour ramp, opacity rising with the value."""
    levels = np.linspace(0.0, 1.0, 256)
    stops = np.array(_COLOURS, dtype=np.float64)
    rgb = [np.interp(levels, stops[:, 0], stops[:, channel]) for channel in (1, 2, 3)]
    # Cold parts stay clear so the photo shows through; the hottest part is 70 % opaque.
    alpha = np.clip((levels - 0.1) / 0.9, 0.0, 1.0) * 180
    return np.stack([*rgb, alpha], axis=1).round().astype(np.uint8)


def normalised(class_map: np.ndarray) -> np.ndarray:
    """Positive evidence only, scaled so the hottest cell is 1 (all zeros when there is none)."""
    positive = np.maximum(class_map.astype(np.float32), 0.0)
    top = float(positive.max(initial=0.0))
    return positive / top if top > 0 else positive


def crop_box(spec: ModelSpec, width: int, height: int) -> tuple[float, float, float, float]:
    """The crop the model sees of a width x height photo, as fractions (left, top, w, h)."""
    left, top, right, bottom = spec.preprocess.source_box(width, height)
    return left / width, top / height, (right - left) / width, (bottom - top) / height


class Explainer:
    """Runs the class-maps graph with ONNX Runtime, whatever engine classifies."""

    def __init__(self, spec: ModelSpec, path: Path, threads: int = 1) -> None:
        from smartalbum.engines.onnx_engine import OnnxEngine

        self.spec = spec
        self.path = path
        # Lean: a heat-map is asked for now and then, so its activations are freed after each
        # run rather than kept in ONNX Runtime's arena (the same maps).
        self.session = OnnxEngine(spec, path, name="cam", threads=threads, lean=True).session

    @classmethod
    def from_files(cls, files: ModelFiles, threads: int = 1) -> Explainer:
        """The explainer of these weights (the graph is exported, with torch, the first time)."""
        return cls(files.spec, ensure_fp32(files, "cam"), threads)

    def class_maps(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits (N, classes) and every class's map (N, classes, h, w) for a float32 batch."""
        logits, maps = self.session.run(["logits", "class_maps"], {"input": batch})
        return logits, maps

    def explain(
        self, array: np.ndarray, size: tuple[int, int], classes: Sequence[int] | None = None
    ) -> tuple[np.ndarray, list[Heatmap]]:
        """One photo's logits and the heat-maps of ``classes`` (default: its top class).

        ``array`` is the photo's model input and ``size`` its upright (width, height).
        """
        logits, maps = self.class_maps(array[np.newaxis])
        wanted = [int(np.argmax(logits[0]))] if classes is None else list(classes)
        box = crop_box(self.spec, *size)
        return logits[0], [Heatmap(c, normalised(maps[0, c]), box) for c in wanted]


class LazyExplainer:
    """The configured model's explainer, made at first use (its graph may need exporting),
    kept while heat-maps are asked for and let go after ``idle_seconds`` without one: its
    weights and session are ~90 MB of a server's RSS (docs/performance.md)."""

    def __init__(self, settings: Settings, idle_seconds: float = IDLE_SECONDS) -> None:
        self.settings = settings
        self.idle_seconds = idle_seconds
        self._explainer: Explainer | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    @property
    def loaded(self) -> bool:
        """Whether the explainer is in memory now."""
        return self._explainer is not None

    def get(self) -> Explainer:
        """The explainer, loaded on the first call; ModelUnavailableError if it cannot load."""
        with self._lock:
            if self._explainer is None:
                from smartalbum.engines.classifier import model_files

                files = model_files(self.settings)
                self._explainer = Explainer.from_files(files, self.settings.threads)
            self._release_later()
            return self._explainer

    def _release_later(self) -> None:
        """(Re)start the idle clock: each use puts the release off by ``idle_seconds``."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.idle_seconds, self.release)
        self._timer.daemon = True  # a server stopping does not wait for it
        self._timer.start()

    def release(self) -> None:
        """Let the explainer go (a request still running keeps its own reference) and hand
        the freed memory back; the next ``get`` loads it again."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._explainer, self._timer = None, None
        memory.trim()


def photo_input(
    classifier: Classifier, source: ImageSource, name: str | None = None
) -> tuple[np.ndarray, tuple[int, int]]:
    """A photo's model input, as the classifier prepares it, and its upright size."""
    img = imaging.decode_for_model(
        source,
        classifier.preprocess,
        name=name,
        max_pixels=classifier.settings.max_pixels,
        fast=classifier.settings.fast_decode,
    )
    return imaging.model_input(img, classifier.preprocess, classifier.settings.enhance), img.size
