"""The trash: photos people deleted and photos whose files vanished; restore and purge.

A photo in the trash is a mark on its row (when, by whom, why). Every read leaves it out
(``catalog.live``); its labels, corrections, album and category rows stay as they were, so
a restore is exact. What happens to its file:

- a file smartalbum did not write is never touched on disk: deleting it hides it, and the
  purge keeps its row as a tombstone (no labels, blobs or corrections) so a re-scan does
  not bring it back;
- an uploaded file is moved into ``<upload root>/.trash/<id>/`` (a hidden folder: the
  scanner skips it) and back on restore, and is removed, with its row, at the purge;
- a vanished file's photo (put here by ``writer.mark_missing``) comes back by itself when
  its file does; the purge forgets it.

Each delete, restore and purge is one transaction and one entry in the activity log; files
are moved inside the transaction, last, and moved back if it fails.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from smartalbum.albums.membership import write_members
from smartalbum.catalog import (
    MISSING,
    OK,
    TRASH_DELETED,
    TRASH_PURGED,
    TRASH_VANISHED,
    AlbumMember,
    Correction,
    Photo,
    PhotoBlob,
    PhotoLabel,
    claim_photos,
)
from smartalbum.catalog.schema import CategoryExample, CategoryMember
from smartalbum.errors import NotFoundError, TrashConflictError
from smartalbum.i18n import t
from smartalbum.library import activity, companions
from smartalbum.library.pages import page_size
from smartalbum.library.roots import inside
from smartalbum.library.service import PhotoLibrary
from smartalbum.settings import Settings

log = logging.getLogger(__name__)

TRASH_FOLDER = ".trash"  # in the upload root; hidden, so no scan walks into it
DAY = 86400.0
CHUNK = 10_000  # photos a statement: PostgreSQL takes at most 65,535 parameters
DERIVED = (PhotoLabel, PhotoBlob, AlbumMember, CategoryMember, CategoryExample, Correction)


@dataclass
class _Moves:
    """Files to move in a transaction: done last, undone if anything fails."""

    planned: list[tuple[Path, Path]] = field(default_factory=list)
    done: list[tuple[Path, Path]] = field(default_factory=list)

    def run(self) -> None:
        """Move every planned file; a failure is a TrashConflictError naming the file."""
        for source, target in self.planned:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(source, target)
            except OSError as exc:
                raise TrashConflictError(
                    t("{path}: cannot move the file ({reason})", path=source, reason=exc.strerror)
                ) from None
            self.done.append((source, target))

    def undo(self) -> None:
        """Put back what was moved (the transaction did not commit)."""
        for source, target in reversed(self.done):
            try:
                shutil.move(target, source)
            except OSError:
                log.exception("could not move %s back to %s", target, source)
        self.done.clear()


def original_path(trash_path: str, photo_id: int) -> Path:
    """Where an uploaded file waiting at ``trash_path`` came from."""
    root, _, rest = trash_path.rpartition(_marker(photo_id))
    return Path(root) / rest


def trash_folder(trash_path: str, photo_id: int) -> Path:
    """The folder an uploaded file waits in: ``<upload root>/.trash/<id>``."""
    root = trash_path.rpartition(_marker(photo_id))[0]
    return Path(root, TRASH_FOLDER, str(photo_id))


def _marker(photo_id: int) -> str:
    return f"{os.sep}{TRASH_FOLDER}{os.sep}{photo_id}{os.sep}"


class Trash:
    """The trash of one library: what is in it, and delete, restore and purge."""

    def __init__(self, library: PhotoLibrary, settings: Settings) -> None:
        self.library = library
        self.sessions = library.sessions
        self.upload_root = settings.upload_root_path()
        self.days = settings.trash_days

    # -- reads ------------------------------------------------------------------------------

    def listing(self, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """The photos in the trash, newest first: why, when, by whom, days until the purge."""
        now = time.time()
        waiting = (Photo.trashed_at.is_not(None), Photo.trash_reason != TRASH_PURGED)
        columns = (Photo.id, Photo.path, Photo.trashed_at, Photo.trashed_by, Photo.trash_reason,
                   Photo.trash_path, Photo.uploaded_by)  # fmt: skip
        with self.sessions() as session:
            total = session.scalar(select(func.count()).select_from(Photo).where(*waiting))
            rows = session.execute(
                select(*columns)
                .where(*waiting)
                .order_by(Photo.trashed_at.desc(), Photo.id)
                .offset(max(0, offset))
                .limit(page_size(limit))
            ).all()
        return {
            "days": self.days,
            "total": total or 0,
            "offset": offset,
            "photos": [self._entry(row, now) for row in rows],
        }

    def _entry(self, row: Any, now: float) -> dict[str, Any]:
        photo_id, path, at, by, reason, trash_path, uploaded_by = row
        shown = original_path(trash_path, photo_id) if trash_path else Path(path)
        left = (at + self.days * DAY - now) / DAY
        return {
            "id": photo_id, "name": shown.name, "path": str(shown), "reason": reason,
            "trashed_at": at, "by": by, "days_left": max(0, math.ceil(left)),
            "uploaded": uploaded_by is not None,
        }  # fmt: skip

    def thumbnail(self, photo_id: int) -> bytes:
        """The thumbnail of a photo in the trash (for the trash page)."""
        with self.sessions() as session:
            self._in_trash(session, [photo_id])
            data = session.scalar(select(PhotoBlob.thumbnail).where(PhotoBlob.photo_id == photo_id))
        if not data:
            raise NotFoundError(t("photo {photo_id} has no thumbnail", photo_id=photo_id))
        return data

    # -- delete and restore -----------------------------------------------------------------

    def delete(self, ids: Sequence[int], by: str | None) -> dict[str, Any]:
        """Put these photos in the trash; uploaded files into the trash folder. Photos
        already there are left as they are; an unknown id refuses the whole request."""
        ids = sorted(set(ids))
        moves = _Moves()
        try:
            with self.sessions.begin() as session:
                claim_photos(session, ids)
                photos = _photos(session, ids)
                fresh = [p for p in photos if p.trashed_at is None]
                now = time.time()
                for photo in fresh + self._companions(session, fresh, ids, waiting=False):
                    photo.trashed_at, photo.trashed_by = now, by
                    photo.trash_reason = TRASH_DELETED
                    self._into_trash(session, photo, moves)
                if fresh:
                    subject = activity.photos_subject([p.id for p in fresh])
                    activity.record(session, by, activity.TRASH_DELETE, subject)
                session.flush()
                moves.run()
        except BaseException:
            moves.undo()
            raise
        trashed = {p.id for p in fresh}
        return {"trashed": sorted(trashed), "already": [i for i in ids if i not in trashed]}

    def _companions(
        self, session: Session, items: list[Photo], ids: Sequence[int], *, waiting: bool
    ) -> list[Photo]:
        """The companions (RAW, Live MOV) of these items that go into the trash with them
        (``waiting`` False) or come back out with them (True); those named themselves excepted."""
        found = [i for i in companions.of(session, [p.id for p in items]) if i not in set(ids)]
        claim_photos(session, found)
        return [
            photo
            for photo in _photos(session, found)
            if (photo.trashed_at is not None) == waiting
            and photo.trash_reason in (None, TRASH_DELETED)
        ]

    def _into_trash(self, session: Session, photo: Photo, moves: _Moves) -> None:
        """An uploaded file inside the upload root goes to its trash folder; others stay."""
        source = Path(photo.path)
        root = os.path.realpath(self.upload_root)
        if photo.uploaded_by is None or not inside(os.path.realpath(source), [root]):
            return
        if not source.is_file():
            return  # gone already: the next scan finds nothing to move
        target = Path(root, TRASH_FOLDER, str(photo.id), source.relative_to(root))
        moves.planned.append((source, target))
        photo.path = photo.trash_path = str(target)
        companions.moved(session, str(source), str(target))

    def restore(self, ids: Sequence[int], by: str | None) -> dict[str, Any]:
        """Take these photos out of the trash, whole: files back, albums as they were."""
        ids = sorted(set(ids))
        moves = _Moves()
        try:
            with self.sessions.begin() as session:
                claim_photos(session, ids)
                photos = self._in_trash(session, ids)
                followers = [
                    c
                    for c in self._companions(session, photos, ids, waiting=True)
                    if Path(c.path).is_file()  # a companion whose file is gone stays behind
                ]
                photos += followers
                ids = sorted(ids + [c.id for c in followers])
                for photo in photos:
                    self._back(session, photo, moves)
                    photo.trashed_at = photo.trashed_by = photo.trash_reason = None
                    photo.trash_path = None
                    if photo.status == MISSING:  # a scan missed it in the trash folder
                        photo.status = OK
                session.flush()
                write_members(session, ids, self.library.rules)
                activity.record(session, by, activity.TRASH_RESTORE, activity.photos_subject(ids))
                moves.run()
        except BaseException:
            moves.undo()
            raise
        return {"restored": ids}

    def _back(self, session: Session, photo: Photo, moves: _Moves) -> None:
        """Plan the file's way back; TrashConflictError if there is no file to bring back."""
        if photo.trash_reason == TRASH_VANISHED:
            raise TrashConflictError(
                t(
                    "photo {photo_id}: its file {path} is gone; it comes back by itself "
                    "when the file is back",
                    photo_id=photo.id,
                    path=photo.path,
                )
            )
        if not Path(photo.path).is_file():
            raise TrashConflictError(
                t("photo {photo_id}: its file {path} is gone", photo_id=photo.id, path=photo.path)
            )
        if photo.trash_path is not None:
            target = _free(session, original_path(photo.trash_path, photo.id))
            moves.planned.append((Path(photo.path), target))
            companions.moved(session, photo.path, str(target))
            photo.path = str(target)

    # -- purge ------------------------------------------------------------------------------

    def purge(self, ids: Sequence[int], by: str | None) -> dict[str, Any]:
        """Delete these photos of the trash for good (uploaded files from disk too)."""
        ids = sorted(set(ids))
        with self.sessions.begin() as session:
            claim_photos(session, ids)
            photos = self._in_trash(session, ids)
            photos += self._companions(session, photos, ids, waiting=True)  # gone with them
            folders = _purge(session, photos)
            activity.record(session, by, activity.TRASH_PURGE, activity.photos_subject(ids))
        _remove(folders)
        return {"purged": ids}

    def purge_expired(self, by: str | None = None, now: float | None = None) -> dict[str, Any]:
        """Purge what has been in the trash longer than the trash days (the daily task)."""
        cutoff = (time.time() if now is None else now) - self.days * DAY
        with self.sessions() as session:
            ids = list(
                session.scalars(
                    select(Photo.id).where(
                        Photo.trashed_at < cutoff, Photo.trash_reason != TRASH_PURGED
                    )
                )
            )
        for start in range(0, len(ids), CHUNK):
            self.purge(ids[start : start + CHUNK], by)
        return {"purged": len(ids), "orphans": self._sweep()}

    def _sweep(self) -> int:
        """Remove trash folders no photo waits in (a purge cut short after its commit)."""
        folder = self.upload_root / TRASH_FOLDER
        if not folder.is_dir():
            return 0
        names = [p.name for p in folder.iterdir() if p.name.isdigit()]
        with self.sessions() as session:
            waiting = set(
                session.scalars(
                    select(Photo.id).where(
                        Photo.id.in_([int(n) for n in names]), Photo.trash_path.is_not(None)
                    )
                )
            )
        orphans = [folder / n for n in names if int(n) not in waiting]
        for orphan in orphans:
            shutil.rmtree(orphan, ignore_errors=True)
        return len(orphans)

    def _in_trash(self, session: Session, ids: Sequence[int]) -> list[Photo]:
        photos = _photos(session, ids)
        for photo in photos:
            if photo.trashed_at is None or photo.trash_reason == TRASH_PURGED:
                raise NotFoundError(t("photo {photo_id} is not in the trash", photo_id=photo.id))
        return photos


def _photos(session: Session, ids: Sequence[int]) -> list[Photo]:
    """The photos with these ids; NotFoundError naming the first id that is none."""
    found: dict[int, Photo] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update((p.id, p) for p in session.scalars(select(Photo).where(Photo.id.in_(chunk))))
    for photo_id in ids:
        if photo_id not in found:
            raise NotFoundError(t("no photo {photo_id} in the library", photo_id=photo_id))
    return [found[i] for i in ids]


def _free(session: Session, wanted: Path) -> Path:
    """``wanted``, or ``name (2).ext``... if a file or another photo has it now."""
    candidate, n = wanted, 1
    while candidate.exists() or session.scalar(
        select(Photo.id).where(Photo.path == str(candidate))
    ):
        n += 1
        candidate = wanted.with_name(f"{wanted.stem} ({n}){wanted.suffix}")
    return candidate


def _purge(session: Session, photos: list[Photo]) -> list[Path]:
    """Purge rows in the caller's transaction; returns the trash folders to remove after it.

    An uploaded file in the trash folder goes with its row, and a vanished one's row is
    forgotten; a file smartalbum did not write keeps a tombstone row.
    """
    forget = [p.id for p in photos if p.trash_path is not None or p.trash_reason == TRASH_VANISHED]
    tombstones = [p.id for p in photos if p.id not in set(forget)]
    folders = [trash_folder(p.trash_path, p.id) for p in photos if p.trash_path is not None]
    session.expunge_all()  # the rows change under the ORM's feet from here
    companions.release(session, [p.id for p in photos])  # a purged JPEG's RAW is its own again
    if forget:
        session.execute(delete(Photo).where(Photo.id.in_(forget)))  # the rest cascades
    if tombstones:
        for model in DERIVED:
            session.execute(delete(model).where(model.photo_id.in_(tombstones)))
        session.execute(
            update(Photo).where(Photo.id.in_(tombstones)).values(trash_reason=TRASH_PURGED)
        )
    return folders


def _remove(folders: list[Path]) -> None:
    """Remove purged files' trash folders (what fails is logged; the daily sweep retries)."""

    def failed(_function: Any, path: str, _error: Any) -> None:
        log.error("could not remove the purged file %s", path)

    for folder in folders:
        if folder.exists():
            shutil.rmtree(folder, onerror=failed)
