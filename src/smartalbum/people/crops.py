"""A face's crop for the People page: cut from the photo file around the face's box."""

from __future__ import annotations

import io
from pathlib import Path

from smartalbum import imaging
from smartalbum.people.faces import FACE_SIDE

CROP_SIDE = 160  # pixels of the square crop sent
MARGIN = 0.3  # of the face's size, kept around it


def face_crop(path: Path, box: tuple[float, float, float, float], max_pixels: int) -> bytes:
    """A square JPEG of the face at ``box`` (fractions of the photo) with a margin around it."""
    img = imaging.decode(path, min_side=FACE_SIDE * 3 // 4, max_pixels=max_pixels)
    x, y, w, h = box
    side = max(w * img.width, h * img.height) * (1 + 2 * MARGIN)
    cx, cy = (x + w / 2) * img.width, (y + h / 2) * img.height
    left, top = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    right, bottom = min(img.width, round(cx + side / 2)), min(img.height, round(cy + side / 2))
    crop = img.crop((left, top, right, bottom)).resize((CROP_SIDE, CROP_SIDE))
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=85)
    return out.getvalue()
