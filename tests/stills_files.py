"""Still-image files the tests write with real encoders: HEIC now, camera RAW below.

HEIC is written with pillow-heif's x265 encoder, a dev-only dependency (GPLv2: never in the
run install, which decodes with pi-heif; tests/test_licences.py checks which is which).
"""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image


def heic(img: Image.Image, *, quality: int = 95, exif: bytes | None = None) -> bytes:
    """``img`` as a HEIC file's bytes (pillow-heif's encoder; its opener stays unregistered)."""
    out = io.BytesIO()
    params: dict[str, object] = {"quality": quality}
    if exif is not None:
        params["exif"] = exif
    pillow_heif.from_pillow(img).save(out, **params)
    return out.getvalue()
