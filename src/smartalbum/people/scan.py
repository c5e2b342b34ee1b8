"""The face pass over photos already in the library: those never scanned, or by an older pass.

Resumable by construction: each batch of photos is written (faces, people, the scan
record) in one transaction, and the next run takes only the photos still without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import imaging
from smartalbum.catalog import Photo, live
from smartalbum.catalog.people import FaceScan
from smartalbum.people.faces import FACE_SIDE, FoundFace, find_faces
from smartalbum.people.store import VERSION, FaceWriter

BATCH = 16  # photos a transaction
log = logging.getLogger(__name__)

Wrap = Callable[[Iterator[Any], int], Iterator[Any]]


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


def faces_in_file(path: str, max_pixels: int) -> list[FoundFace] | None:
    """The faces of a photo on disk; None when it cannot be read (it is tried again later)."""
    try:
        img = imaging.decode(path, min_side=FACE_SIDE * 3 // 4, max_pixels=max_pixels)
        return find_faces(img)
    except Exception as exc:  # one photo's failure costs its faces, not the scan
        log.warning("%s: no faces looked for (%s)", path, exc)
        return None


def scan(
    sessions: sessionmaker[Session],
    max_pixels: int,
    wrap: Wrap = lambda items, _total: items,
) -> ScanReport:
    """Look for faces in every photo that needs it; ``wrap`` sees each photo go by."""
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
            report.faces += _write(sessions, writer, batch)
            report.photos += len(batch)
            batch = {}
    if batch:
        report.faces += _write(sessions, writer, batch)
        report.photos += len(batch)
    return report


def _write(
    sessions: sessionmaker[Session], writer: FaceWriter, batch: dict[int, list[FoundFace]]
) -> int:
    with sessions.begin() as session:
        return writer.write(session, batch)
