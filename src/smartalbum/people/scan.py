"""The face pass over photos already in the library: those never scanned, or by an older pass.

Resumable by construction: each batch of photos is written (faces, people, the scan
record) in one transaction, and the next run takes only the photos still without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import imaging, video
from smartalbum.catalog import Photo, live
from smartalbum.catalog.people import FaceScan
from smartalbum.people import faces_in_frames
from smartalbum.people.faces import FACE_SIDE, FoundFace, find_faces
from smartalbum.people.store import VERSION, FaceWriter

BATCH = 16  # photos a transaction
log = logging.getLogger(__name__)

Wrap = Callable[[Iterator[Any], int], Iterator[Any]]
Then = Callable[[Session, list[int]], None]


@dataclass
class ScanReport:
    """What one scan did."""

    photos: int = 0
    faces: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary."""
        return asdict(self)


def unscanned(session: Session) -> list[tuple[int, str]]:
    """(id, path) of the live photos the current face pass has not looked at."""
    done = select(FaceScan.photo_id).where(FaceScan.version >= VERSION)
    query = select(Photo.id, Photo.path).where(live(), Photo.id.not_in(done)).order_by(Photo.id)
    return [(i, p) for i, p in session.execute(query)]


def count_unscanned(session: Session) -> int:
    """How many live photos the current face pass has not looked at."""
    done = select(FaceScan.photo_id).where(FaceScan.version >= VERSION)
    return session.scalar(select(func.count(Photo.id)).where(live(), Photo.id.not_in(done))) or 0


def faces_in_file(path: str, max_pixels: int) -> list[FoundFace] | None:
    """The faces of a photo on disk; None when it cannot be read (it is tried again later)."""
    try:
        if video.sniff_file(Path(path)) is not None:  # a video: its frames, each person once
            clip = video.read(Path(path), name=path, min_side=FACE_SIDE * 3 // 4,
                              max_pixels=max_pixels)  # fmt: skip
            return faces_in_frames(clip.frames, path)
        img = imaging.decode(path, min_side=FACE_SIDE * 3 // 4, max_pixels=max_pixels)
        return find_faces(img)
    except Exception as exc:  # one photo's failure costs its faces, not the scan
        log.warning("%s: no faces looked for (%s)", path, exc)
        return None


def scan(
    sessions: sessionmaker[Session],
    max_pixels: int,
    wrap: Wrap = lambda items, _total: items,
    then: Then | None = None,
) -> ScanReport:
    """Look for faces in every photo that needs it; ``wrap`` sees each photo go by (and may
    stop early: what was found is written). ``then`` runs in each batch's transaction with
    its photos (their albums are brought up to date there)."""
    with sessions() as session:
        todo = unscanned(session)
    report = ScanReport()
    writer = FaceWriter()
    batch: dict[int, list[FoundFace]] = {}
    for photo_id, path in wrap(iter(todo), len(todo)):
        found = faces_in_file(path, max_pixels)
        if found is None:
            report.failed += 1
            continue
        batch[photo_id] = found
        if len(batch) >= BATCH:
            report.faces += _write(sessions, writer, batch, then)
            report.photos += len(batch)
            batch = {}
    if batch:
        report.faces += _write(sessions, writer, batch, then)
        report.photos += len(batch)
    return report


def _write(
    sessions: sessionmaker[Session],
    writer: FaceWriter,
    batch: dict[int, list[FoundFace]],
    then: Then | None,
) -> int:
    with sessions.begin() as session:
        count = writer.write(session, batch)
        if then is not None:
            then(session, sorted(batch))
        return count
