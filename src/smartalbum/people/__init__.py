"""People: the faces in each photo, grouped into people the user can name and search by.

``faces`` finds and embeds faces, ``grouping`` groups them, ``store`` writes them with
the indexer's batches; ``directory`` is what the API and the CLI read and change.
"""

from __future__ import annotations

import logging

from PIL import Image

from smartalbum import imaging
from smartalbum.people.faces import FACE_SIDE, FoundFace, find_faces

__all__ = ["FoundFace", "find_faces", "look_for_faces"]

log = logging.getLogger(__name__)


def look_for_faces(
    img: Image.Image, data: bytes, path: str, max_pixels: int
) -> list[FoundFace] | None:
    """The faces of a photo the indexer decoded for its model; None if the pass failed.

    The model's decode is small (its short side ~256 px); a larger photo is decoded
    again at the detector's size, so a face in a group photo still has its pixels.
    """
    try:
        if max(img.size) < FACE_SIDE:
            img = imaging.decode(
                data, name=path, min_side=FACE_SIDE * 3 // 4, max_pixels=max_pixels
            )
        return find_faces(img)
    except Exception as exc:  # the photo is indexed all the same; its faces wait for a scan
        log.warning("%s: no faces looked for (%r)", path, exc)
        return None
