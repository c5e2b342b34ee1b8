"""``smartalbum eval-people DIR``: how well faces are found and grouped, on photos whose folders
name the person in them (a photo in DIR itself has no labelled face).

Each photo's labelled face is the largest one; it is placed as the indexer places a new
face (``FaceIndex.place``, one photo after another), and the whole set is also regrouped
at once (``regroup``). Both are scored by pairwise precision and recall: of the pairs of
faces put together, how many are one person; of the pairs of one person, how many were
put together.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from smartalbum import imaging
from smartalbum.people.faces import FACE_SIDE, FoundFace, find_faces
from smartalbum.people.grouping import FaceIndex, regroup

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
Wrap = Callable[[Iterator[Any], int], Iterator[Any]]


def labelled_photos(folder: Path) -> list[tuple[Path, str | None]]:
    """(photo, the person its folder names, or None for a photo of DIR itself)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in PHOTO_SUFFIXES and path.is_file():
            person = None if path.parent == folder else path.parent.name
            found.append((path, person))
    return found


def pairwise(truth: Sequence[str], groups: Sequence[int]) -> dict[str, float]:
    """Pairwise precision and recall of ``groups`` (-1: no group) against ``truth``."""
    together = same = both = 0
    for a, b in itertools.combinations(range(len(truth)), 2):
        grouped = groups[a] >= 0 and groups[a] == groups[b]
        alike = truth[a] == truth[b]
        together += grouped
        same += alike
        both += grouped and alike
    return {
        "precision": round(both / together, 4) if together else 1.0,
        "recall": round(both / same, 4) if same else 1.0,
    }


def _summary(truth: Sequence[str], groups: Sequence[int]) -> dict[str, Any]:
    sizes: dict[int, int] = {}
    for group in groups:
        if group >= 0:
            sizes[group] = sizes.get(group, 0) + 1
    placed = sum(1 for g in groups if g >= 0 and sizes[g] >= 2)
    return pairwise(truth, groups) | {
        "people_found": sum(1 for size in sizes.values() if size >= 2),
        "unassigned": round(1 - placed / len(groups), 4) if groups else 0.0,
    }


def evaluate(folder: Path, wrap: Wrap = lambda items, _total: items) -> dict[str, Any]:
    """The report: detection, then grouping (incremental and regrouped), with timings."""
    photos = labelled_photos(folder)
    truth: list[str] = []
    vectors: list[np.ndarray] = []
    faces = missed = false_faces = 0
    started = time.perf_counter()
    for path, person in wrap(iter(photos), len(photos)):
        found = _faces(path)
        faces += len(found)
        if person is None:
            false_faces += len(found)
            continue
        if not found:
            missed += 1
            continue
        truth.append(person)
        vectors.append(max(found, key=lambda f: f.box[2] * f.box[3]).embedding)
    seconds = time.perf_counter() - started
    labelled = sum(1 for _, person in photos if person is not None)
    report: dict[str, Any] = {
        "photos": len(photos),
        "people": len(set(truth)),
        "faces": faces,
        "detection_recall": round(1 - missed / labelled, 4) if labelled else 1.0,
        "faces_in_photos_without_people": false_faces,
        "photos_per_second": round(len(photos) / seconds, 2) if seconds else 0.0,
        "faces_per_second": round(faces / seconds, 2) if seconds else 0.0,
    }
    if vectors:
        report["incremental"] = _summary(truth, _incremental(vectors))
        report["regrouped"] = _summary(truth, [int(g) for g in regroup(np.stack(vectors))])
    return report


def _faces(path: Path) -> list[FoundFace]:
    img = imaging.decode(path, min_side=FACE_SIDE * 3 // 4)
    return find_faces(img)


def _incremental(vectors: list[np.ndarray]) -> list[int]:
    """Each face placed in turn, as the indexer does; its group (-1: none)."""
    index = FaceIndex()
    next_person = 0
    for face_id, vector in enumerate(vectors):
        person, partners = index.place(face_id, vector)
        if person is None and partners:
            person, next_person = next_person, next_person + 1
        if partners and person is not None:
            index.settle([face_id, *partners], person)
    return index.people
