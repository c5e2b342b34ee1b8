"""People: the faces in each photo, grouped into people the user can name and search by.

``faces`` finds and embeds faces, ``grouping`` groups them, ``store`` writes them with
the indexer's batches; ``directory`` is what the API and the CLI read and change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PIL import Image

from smartalbum import imaging
from smartalbum.people.faces import FACE_SIDE, FoundFace, find_faces
from smartalbum.people.grouping import LINK

__all__ = ["FoundFace", "faces_in_frames", "find_faces", "look_for_faces"]

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


def faces_in_frames(frames: Sequence[Image.Image], path: str) -> list[FoundFace] | None:
    """The faces of a video's frames, each person once; None if the pass failed."""
    try:
        found = [(i, face) for i, frame in enumerate(frames) for face in find_faces(frame)]
    except Exception as exc:  # the video is indexed all the same; its faces wait for a scan
        log.warning("%s: no faces looked for (%r)", path, exc)
        return None
    return distinct(found)


def distinct(found: Sequence[tuple[int, FoundFace]]) -> list[FoundFace]:
    """One face per person among (frame, face) pairs: the sharpest-seen of the faces that lie
    within LINK of each other in different frames (two faces of one frame are two people)."""
    kept: list[tuple[int, FoundFace]] = []
    for frame, face in sorted(found, key=lambda pair: -pair[1].size * pair[1].score):
        seen = any(
            other != frame and float(np.linalg.norm(face.embedding - k.embedding)) < LINK
            for other, k in kept
        )
        if not seen:
            kept.append((frame, face))
    return [face for _, face in kept]
