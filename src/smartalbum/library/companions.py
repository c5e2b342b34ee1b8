"""Files that are one shot shown as one item: a RAW beside its JPEG, a Live Photo's still and
its MOV, a Motion Photo's JPEG and the video inside it.

A camera set to RAW+JPEG writes ``IMG_0001.CR2`` and ``IMG_0001.JPG`` at the same second:
the JPEG is the item (albums, search, moments, duplicates show it), the RAW its companion,
kept in the catalog but out of ``live()``. An iPhone writes ``IMG_0002.HEIC`` and
``IMG_0002.MOV`` sharing Apple's content identifier: the still is the item and the MOV its
motion, played from the item's page; without identifiers on both sides, the same name and
time (within a few seconds) decide. A Motion Photo's video is inside its JPEG: its motion is
the JPEG's own file from ``motion_offset`` on.

Pairs are made where a batch is written, in its transaction (the writer calls ``pair``), from
the files beside each photo: a photo with no sibling of the same name costs no query.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smartalbum.catalog import OK, Photo, Root
from smartalbum.errors import NotFoundError
from smartalbum.i18n import t
from smartalbum.media import motion, raw

RAW_KINDS = frozenset(raw.KIND_OF_SUFFIX.values())
STILLS = frozenset({"JPEG", "MPO", "HEIF"})  # what a camera develops, or a phone shoots
_STILL_SUFFIXES = frozenset({".jpg", ".jpeg", ".heic", ".heif", ".hif"})
_MOTION_SUFFIXES = frozenset({".mov"})
SAME_SHOT_RAW = 2.0  # seconds apart a RAW and its JPEG may say they were taken
SAME_SHOT_MOTION = 3.0  # a Live Photo's MOV starts before the still


@dataclass
class _Folders:
    """The names in each folder a batch touches, by lower-case stem: read once a batch."""

    names: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def siblings(self, path: str, suffixes: frozenset[str]) -> list[str]:
        """The other files of the same stem beside ``path`` whose suffix is one of these."""
        folder, name = os.path.split(path)
        if folder not in self.names:
            self.names[folder] = _by_stem(folder)
        stem = os.path.splitext(name)[0].lower()
        return [
            os.path.join(folder, other)
            for other in self.names[folder].get(stem, [])
            if other != name and os.path.splitext(other)[1].lower() in suffixes
        ]


def _by_stem(folder: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    try:
        names = os.listdir(folder)
    except OSError:  # gone since the scan: nothing pairs there
        return found
    for name in names:
        found.setdefault(os.path.splitext(name)[0].lower(), []).append(name)
    return found


def pair(session: Session, ids: Sequence[int]) -> None:
    """Make the pairs the photos of a written batch belong to (and undo ones they left)."""
    if not ids:
        return
    folders = _Folders()
    rows = session.execute(_PAIRING.where(Photo.id.in_(ids), Photo.status == OK)).all()
    for row in rows:
        if row.format in RAW_KINDS:
            _under_its_still(session, row, folders)
        elif row.format in STILLS:
            _over_its_raws(session, row, folders)
            _find_motion(session, row, folders)
        elif os.path.splitext(row.path)[1].lower() in _MOTION_SUFFIXES:
            _to_its_still(session, row, folders)
    _under_a_live_photo(session, [row.path for row in rows])


# What pairing reads of a photo.
_PAIRING = select(
    Photo.id, Photo.path, Photo.format, Photo.taken_at, Photo.content_id, Photo.motion_offset
)


def of(session: Session, items: Sequence[int]) -> list[int]:
    """The ids of these items' companions (their RAWs, their MOVs), lowest first."""
    if not items:
        return []
    found = session.scalars(select(Photo.id).where(Photo.companion_of.in_(list(items))))
    return sorted(found)


def moved(session: Session, before: str, after: str) -> None:
    """A companion MOV's file moved (into the trash folder or back): the still plays it there."""
    session.execute(update(Photo).where(Photo.motion_path == before).values(motion_path=after))


def release(session: Session, items: Sequence[int]) -> None:
    """The companions of items that are gone for good (purged, vanished) stand alone again."""
    if items:
        session.execute(
            update(Photo).where(Photo.companion_of.in_(list(items))).values(companion_of=None)
        )


def _under_its_still(session: Session, row: Any, folders: _Folders) -> None:
    """A RAW goes under the JPEG (or HEIF) of the same name and time beside it."""
    for path in folders.siblings(row.path, _STILL_SUFFIXES):
        still = session.execute(
            select(Photo.id, Photo.taken_at).where(
                Photo.path == path, Photo.status == OK, Photo.companion_of.is_(None)
            )
        ).first()
        if still is not None and _close(row.taken_at, still.taken_at, SAME_SHOT_RAW):
            _set(session, [row.id], companion_of=still.id)
            return


def _over_its_raws(session: Session, row: Any, folders: _Folders) -> None:
    """The RAWs of the same name and time beside a still go under it."""
    paths = folders.siblings(row.path, raw.SUFFIXES)
    if not paths:
        return
    raws = session.execute(
        select(Photo.id, Photo.taken_at).where(Photo.path.in_(paths), Photo.status == OK)
    ).all()
    under = [r.id for r in raws if _close(row.taken_at, r.taken_at, SAME_SHOT_RAW)]
    if under:
        _set(session, under, companion_of=row.id)


def _find_motion(session: Session, row: Any, folders: _Folders) -> None:
    """A still's motion: the video inside it, else the MOV of the same shot beside it."""
    found = row.path if row.motion_offset is not None else None
    for path in folders.siblings(row.path, _MOTION_SUFFIXES) if found is None else []:
        clip = motion.clip(Path(path))
        if row.content_id and clip.content_id:
            same = row.content_id == clip.content_id
        else:
            same = _close(row.taken_at, clip.taken_at, SAME_SHOT_MOTION)
        if same:
            found = path
            break
    if found is None:  # (the writer has cleared it, as every column it re-analyses)
        return
    _set(session, [row.id], motion_path=found)
    if found != row.path:  # the MOV's own row, where videos are indexed
        _under(session, found, row.id)


def _to_its_still(session: Session, row: Any, folders: _Folders) -> None:
    """A MOV indexed after its still (videos, where they are indexed): the still finds it now."""
    paths = folders.siblings(row.path, _STILL_SUFFIXES)
    stills = session.execute(_PAIRING.where(Photo.path.in_(paths), Photo.status == OK)).all()
    for still in stills:
        if still.format in STILLS:
            _find_motion(session, still, folders)


def _under_a_live_photo(session: Session, paths: list[str]) -> None:
    """A MOV written after its still goes under the still that plays it."""
    stills = session.execute(
        select(Photo.id, Photo.motion_path).where(
            Photo.motion_path.in_(paths), Photo.status == OK, Photo.companion_of.is_(None)
        )
    ).all()
    for still_id, path in stills:
        if path is not None:
            _under(session, path, still_id)


def _under(session: Session, path: str, item: int) -> None:
    """The file at ``path``, if catalogued, goes under the item ``item``."""
    session.execute(
        update(Photo).where(Photo.path == path, Photo.id != item).values(companion_of=item)
    )


def _set(session: Session, ids: Iterable[int], **values: Any) -> None:
    session.execute(update(Photo).where(Photo.id.in_(list(ids))).values(**values))


def _close(a: str | None, b: str | None, seconds: float) -> bool:
    """Whether two local times (ISO 8601) are at most ``seconds`` apart."""
    if a is None or b is None:
        return False
    try:
        gap = datetime.fromisoformat(a) - datetime.fromisoformat(b)
    except ValueError:
        return False
    return abs(gap.total_seconds()) <= seconds


# -- what an item shows of them -----------------------------------------------------------


def describe(session: Session, photo: Photo) -> dict[str, Any]:
    """An item's companions (its RAW, its MOV) and whether it has motion to play."""
    rows = session.execute(
        select(Photo.id, Photo.path, Photo.format).where(Photo.companion_of == photo.id)
    ).all()
    return {
        "companions": [
            {
                "id": row.id,
                "name": Path(row.path).name,
                "format": row.format,
                "kind": "raw" if row.format in RAW_KINDS else "motion",
            }
            for row in rows
        ],
        "motion": photo.motion_path is not None,
    }


@dataclass(frozen=True)
class Motion:
    """Where an item's motion is: a file, the byte it starts at, its length, its media type."""

    path: Path
    start: int
    length: int
    media_type: str


def motion_of(session: Session, photo: Photo) -> Motion:
    """The motion of a present item, only from inside an indexed folder; NotFoundError else."""
    if photo.motion_path is None:
        raise NotFoundError(t("photo {photo_id} has no motion", photo_id=photo.id))
    real = os.path.realpath(photo.motion_path)
    roots = [os.path.realpath(r) for r in session.scalars(select(Root.path))]
    inside = any(os.path.commonpath([real, root]) == root for root in roots)
    if not inside or not os.path.isfile(real):
        raise NotFoundError(
            t("photo {photo_id}: the file is not inside an indexed folder", photo_id=photo.id)
        )
    size = os.path.getsize(real)
    if photo.motion_offset is not None:  # a Motion Photo: the MP4 at the end of the JPEG
        start = min(photo.motion_offset, size)
        return Motion(Path(real), start, size - start, "video/mp4")
    return Motion(Path(real), 0, size, "video/quicktime")
