"""Reading the text in a photo: PP-OCR's detection and recognition models, run by RapidOCR.

The models (PP-OCRv6 small detection and recognition, Chinese and English, ONNX) ship in
the ``rapidocr`` wheel and run on our own ONNX Runtime: nothing is downloaded. Most
photos hold no text, so a photo is first probed by the detector at a small size
(``PROBE_SIDE``) and read in full only when the probe finds a text region; measured in
docs/text.md, with the recall that costs. The direction classifier is not run: upright
and sideways text are read as they are (EXIF orientation is applied before), and
upside-down text is rare in photos.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

READ_SIDE = 960  # the detector's input: the photo's long side at most this
PROBE_SIDE = 416  # the probe's: a fifth of the pixels, enough to see that text is there
PROBE_THRESHOLD = 0.3  # the probe keeps fainter regions than a read (0.5): a miss costs more
MAX_SIDE = 1600  # the photo is read at most this large (lines are cut out of it)
DECODE_SIDE = 720  # a large JPEG is decoded at reduced scale, its short side at least this
MIN_CONFIDENCE = 0.5  # recognised lines below this are noise more often than text
TEXT_VERSION = 1  # the text pass's version: a photo read by an older one is read again

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """One line of text read in a photo: its text, its box and the recogniser's confidence.

    The box is four corners (x, y), clockwise from the top left, as fractions of the
    photo's width and height, so it holds at any size the photo is shown.
    """

    text: str
    box: tuple[float, ...]
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON: text, box (x1, y1, ... x4, y4 in fractions of the photo) and confidence."""
        return {"text": self.text, "box": list(self.box), "confidence": self.confidence}

    def box_json(self) -> str:
        """The box as the catalog keeps it."""
        return json.dumps(list(self.box))


class TextReader:
    """PP-OCR on one or more threads of this process; ``read`` may be called from several.

    On OpenVINO, as the classifier prefers: it read the test set's photos 1.9 times as fast as
    ONNX Runtime, line for line the same (docs/text.md); ONNX Runtime where it cannot load.
    rapidocr gives each OpenVINO model one infer request, which two threads must not share:
    there, reads take turns (the indexer's worker processes read on one thread each anyway).
    """

    def __init__(self, threads: int = 1, probe: bool = True, engine: str = "openvino") -> None:
        try:
            self._build(threads, probe, engine)
        except Exception as exc:  # OpenVINO missing or refusing this CPU: the reference runtime
            if engine == "onnxruntime":
                raise
            log.warning(
                "text in photos: %s cannot run PP-OCR (%r); using ONNX Runtime", engine, exc
            )
            self._build(threads, probe, "onnxruntime")

    def _build(self, threads: int, probe: bool, engine: str) -> None:
        from rapidocr import RapidOCR  # ~0.3 s of imports (OpenCV): only when text is read
        from rapidocr.utils.typings import EngineType

        kind = EngineType(engine)

        def reader(side: int, **extra: Any) -> Any:
            params = {
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.max_side_len": MAX_SIDE,
                "Det.limit_side_len": side,
                "Det.limit_type": "max",
                "Det.engine_type": kind,
                "Rec.engine_type": kind,
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "EngineConfig.openvino.inference_num_threads": threads,
                **extra,
            }
            return RapidOCR(params=params)

        self.engine = engine
        self._turns = threading.Lock() if engine == "openvino" else contextlib.nullcontext()
        self.full = reader(READ_SIDE)
        probing = {"Global.use_rec": False, "Det.box_thresh": PROBE_THRESHOLD}
        self.probe = reader(PROBE_SIDE, **probing) if probe else None
        # The models load on first use: loaded here, a runtime that cannot run them says so now.
        blank = np.zeros((64, 256, 3), np.uint8)
        blank[20:44, 20:236] = 255
        self.full(blank)
        self.full.recognize_txt([blank])
        if self.probe is not None:
            self.probe(blank)
            _share_detector(self.probe, self.full)

    def read(self, image: Image.Image) -> list[Line]:
        """The lines of text in an upright RGB image, top to bottom; [] when it has none."""
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])  # BGR
        if self.probe is not None and not self.has_text(pixels):
            return []
        with self._turns:
            found = self.full(pixels)
        if found.boxes is None or found.txts is None:
            return []
        height, width = pixels.shape[:2]
        lines = []
        for box, text, score in zip(found.boxes, found.txts, found.scores, strict=True):
            text = " ".join(str(text).split())
            if text and score >= MIN_CONFIDENCE:
                lines.append(Line(text, _fractions(box, width, height), round(float(score), 4)))
        return lines

    def has_text(self, pixels: np.ndarray) -> bool:
        """Whether the small probe sees any text region in a BGR image."""
        assert self.probe is not None
        with self._turns:
            return self.probe(pixels).boxes is not None


def _share_detector(probe: Any, full: Any) -> None:
    """The probe runs the full read's detection model (the same file, the same runtime; only
    the input size and the box threshold differ, which are rapidocr's own steps): one model
    and one set of the runtime's buffers, ~60 MB less a reader, the lines the same
    (docs/performance.md). Where rapidocr is laid out otherwise, each keeps its own."""
    probing, reading = getattr(probe, "text_det", None), getattr(full, "text_det", None)
    if hasattr(probing, "session") and hasattr(reading, "session"):
        probing.session = reading.session  # type: ignore[union-attr]


def _fractions(box: Any, width: int, height: int) -> tuple[float, ...]:
    corners = np.asarray(box, dtype=np.float64).reshape(4, 2)
    corners[:, 0] = np.clip(corners[:, 0] / max(width, 1), 0, 1)
    corners[:, 1] = np.clip(corners[:, 1] / max(height, 1), 0, 1)
    return tuple(round(float(v), 4) for v in corners.reshape(-1))


_BUILDING = threading.Lock()  # the index threads' first reads would build the models at once


def shared_reader(threads: int = 1, probe: bool = True) -> TextReader:
    """One reader per process and setting (the models load once, ~0.3 s)."""
    with _BUILDING:  # one build, and the native runtimes' first calls, on one thread
        return _reader(threads, probe)


@functools.cache
def _reader(threads: int, probe: bool) -> TextReader:
    return TextReader(threads, probe)


def read_photo(data: bytes, name: str, max_pixels: int, fast: bool) -> list[Line] | None:
    """The lines of text in a photo file's bytes; None (logged) when they cannot be read,
    which costs the photo its text only."""
    from smartalbum import imaging

    try:
        image = imaging.decode(
            data, name=name, min_side=DECODE_SIDE, max_pixels=max_pixels, fast=fast, colour=False
        )
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        return shared_reader().read(image)
    except Exception as exc:
        log.warning("%s: cannot read its text (%r)", name, exc)
        return None
