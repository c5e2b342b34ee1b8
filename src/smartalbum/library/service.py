"""The library as people browse and correct it: albums, photos, files and corrections.

The one facade the web app and the command line share, opened one way (``open``); every
answer is plain JSON-able data, and every id that does not lead to a present photo is a
NotFoundError. Reads only read: album rows are brought up to date where things change
(an indexed batch, a correction, a change of rules: ``refresh``), never inside a read,
so a read-only catalog or a second process can serve every read.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import imaging, video
from smartalbum.albums import Groups, RuleSet, RulesWatcher, class_groups, membership
from smartalbum.catalog import (
    AlbumMember,
    Photo,
    PhotoBlob,
    Root,
    is_live,
    live,
    open_engine,
    photos_stamp,
    session_factory,
)
from smartalbum.errors import NotFoundError, RequestError
from smartalbum.i18n import t
from smartalbum.library import activity, companions, corrections
from smartalbum.library.pages import page_size
from smartalbum.library.photos import photo_cards, photo_json
from smartalbum.models.labels import ClassLabel, LabelSet, load_labels
from smartalbum.settings import Settings

log = logging.getLogger(__name__)
CARDS_AT_ONCE = 500  # ids per query of ``cards``: under every database's limit of parameters


class PhotoLibrary:
    """Albums, photos and corrections of one catalog under the album rules it was grouped by."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        labels: LabelSet,
        rules: RulesWatcher,
        groups: Groups | None = None,
    ) -> None:
        self.sessions = sessions
        self.labels = labels
        self.watcher = rules
        self.groups = groups or class_groups()
        self.engine: Engine | None = None  # set by ``open``, which owns it
        self._applied = rules.current()
        self._lock = threading.Lock()
        # The albums' listing and the catalog state and rules it was counted from.
        self._listed: tuple[tuple[Any, ...], list[dict[str, Any]]] | None = None

    @classmethod
    def open(
        cls, settings: Settings, watcher: RulesWatcher | None = None, regroup: bool = True
    ) -> PhotoLibrary:
        """The catalog of the settings under their album rules, regrouped if the rules changed.

        Without a ``watcher`` the rules are read here and a bad rules file is an error (the
        command line); a server passes its own, which keeps the built-in rules in force when
        the file is bad and says why in ``watcher.error``. A read-only catalog opens too;
        it is only not regrouped. ``regroup=False`` leaves that to the caller.
        """
        if watcher is None:
            labels = load_labels(overrides=settings.labels_file)
            watcher = RulesWatcher(settings.albums_file, labels, class_groups())
            if watcher.error is not None:
                raise watcher.error
        engine = open_engine(settings.library)
        library = cls(session_factory(engine), watcher.labels, watcher)
        library.engine = engine
        try:
            if regroup:
                library.refresh()
        except DBAPIError as exc:  # e.g. a read-only replica: serve what it holds
            log.warning("albums not regrouped under the current rules: %s", exc.orig)
        return library

    def close(self) -> None:
        """Give back the catalog's connections (of a library ``open`` made)."""
        if self.engine is not None:
            self.engine.dispose()

    # -- album rules: the writes of derived state ---------------------------------------------

    @property
    def rules(self) -> RuleSet:
        """The album rules the catalog's album rows were computed with."""
        return self._applied

    def refresh(self) -> int:
        """Re-read the rules file if it changed, and regroup every stale photo; how many."""
        with self._lock:
            rules = self.watcher.current()
            regrouped = membership.sync(self.sessions, rules)
            self._applied = rules
            return regrouped

    def reload_rules(self, by: str | None = None) -> int:
        """Re-read the rules file now and regroup; RulesError (the old rules stay) if it is bad.

        The reload is recorded in the activity log with ``by``, the account that asked.
        """
        with self._lock:
            self.watcher.reload()
        regrouped = self.refresh()
        activity.log_now(self.sessions, by, activity.RULES_RELOAD, self.rules.source)
        return regrouped

    # -- reads ------------------------------------------------------------------------------

    def albums(self) -> list[dict[str, Any]]:
        """Every album in rule order: id, titles, photo count and cover photo id.

        Counted again only when the catalog's change count or the rules moved: the counts
        read every member row (80 ms at 100,000 photos), and the gallery's first screen
        waits for them. Read in the same transaction as the count, so never older than it.
        """
        with self.sessions() as session:
            state = (*photos_stamp(session), self.rules.digest)
            listed = self._listed
            if listed is None or listed[0] != state:
                listed = self._listed = (state, self._count_albums(session))
        return [dict(album) for album in listed[1]]

    def _count_albums(self, session: Session) -> list[dict[str, Any]]:
        """Each album's live photos counted, and its best photo as its cover."""
        counts = dict(
            session.execute(
                select(AlbumMember.album_id, func.count())
                .join(Photo, Photo.id == AlbumMember.photo_id)
                .where(live())
                .group_by(AlbumMember.album_id)
            ).all()
        )
        result = []
        for album in self.rules.albums:
            count = counts.get(album.id, 0)
            cover = _album_photos(session, album.id, 0, 1) if count else []
            result.append(
                {
                    "id": album.id,
                    "title": album.title,
                    "title_zh": album.title_zh,
                    "count": count,
                    "cover": cover[0]["id"] if cover else None,
                }
            )
        return result

    def album(self, album_id: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """One album (by id or title) and a page of its photos, best score first."""
        album = self.rules.named(album_id)
        if album is None:
            raise NotFoundError(t("no album {album_id!r}", album_id=album_id))
        album_id = album.id
        with self.sessions() as session:
            total = session.scalar(
                select(func.count())
                .select_from(AlbumMember)
                .join(Photo, Photo.id == AlbumMember.photo_id)
                .where(AlbumMember.album_id == album_id, live())
            )
            photos = _album_photos(session, album_id, offset, page_size(limit))
        return {
            "id": album.id,
            "title": album.title,
            "title_zh": album.title_zh,
            "count": total or 0,
            "offset": offset,
            "photos": photos,
        }

    def album_ids(self, album_id: str) -> list[int]:
        """Every present photo of an album (by id or title), best first, as its pages list
        them: one query (page by page, a ZIP of 29,000 waited seconds for its first byte)."""
        album = self.rules.named(album_id)
        if album is None:
            raise NotFoundError(t("no album {album_id!r}", album_id=album_id))
        with self.sessions() as session:
            query = (
                select(Photo.id)
                .select_from(AlbumMember)
                .join(Photo, Photo.id == AlbumMember.photo_id)
                .where(AlbumMember.album_id == album.id, live())
                .order_by(AlbumMember.score.desc(), Photo.id)  # as _album_photos pages them
            )
            return list(session.scalars(query))

    def photo(self, photo_id: int) -> dict[str, Any]:
        """Everything known of one present photo: labels (corrected), albums, EXIF facts."""
        with self.sessions() as session:
            return photo_json(session, self.present(session, photo_id), self.labels, self.rules)

    def cards(self, photo_ids: list[int]) -> list[dict[str, Any]]:
        """What a page shows of each present photo (``photo_cards``), in the order asked."""
        found: dict[int, dict[str, Any]] = {}
        with self.sessions() as session:
            for start in range(0, len(photo_ids), CARDS_AT_ONCE):
                chunk = photo_ids[start : start + CARDS_AT_ONCE]
                found |= photo_cards(session, chunk, self.labels)
        missing = next((i for i in photo_ids if i not in found), None)
        if missing is not None:
            raise NotFoundError(t("no photo {photo_id} in the library", photo_id=missing))
        return [found[i] for i in photo_ids]

    def find(self, ref: str) -> int:
        """A photo id from an id or a file path (as the command line takes them)."""
        with self.sessions() as session:
            if ref.isdigit():
                return self.present(session, int(ref)).id
            path = str(Path(ref).expanduser().absolute())
            found = session.scalar(select(Photo.id).where(Photo.path == path, live()))
        if found is None:
            raise NotFoundError(t("{ref}: not a photo in the library", ref=ref))
        return found

    def thumbnail(self, photo_id: int) -> bytes:
        """The stored JPEG thumbnail of a present photo."""
        with self.sessions() as session:
            self.present(session, photo_id)
            data = session.scalar(select(PhotoBlob.thumbnail).where(PhotoBlob.photo_id == photo_id))
        if not data:
            raise NotFoundError(t("photo {photo_id} has no thumbnail", photo_id=photo_id))
        return data

    def original(self, photo_id: int) -> tuple[Path, str]:
        """The file of a present photo and its media type, only from inside an indexed folder."""
        with self.sessions() as session:
            photo = self.present(session, photo_id)
            roots = [os.path.realpath(r) for r in session.scalars(select(Root.path))]
        media_type = {**imaging.MEDIA_TYPES, **video.MEDIA_TYPES}.get(
            photo.format or "", "application/octet-stream"
        )
        real = os.path.realpath(photo.path)
        inside = any(os.path.commonpath([real, root]) == root for root in roots)
        if not inside or not os.path.isfile(real):
            raise NotFoundError(
                t("photo {photo_id}: the file is not inside an indexed folder", photo_id=photo_id)
            )
        return Path(real), media_type

    def motion(self, photo_id: int) -> companions.Motion:
        """Where a present item's motion is (a Live Photo's MOV, a Motion Photo's video)."""
        with self.sessions() as session:
            return companions.motion_of(session, self.present(session, photo_id))

    def preview(self, candidate: RuleSet) -> list[dict[str, Any]]:
        """What ``candidate`` rules would change, album by album, without writing anything."""
        return membership.compare(self.sessions, self.rules, candidate)

    def present(self, session: Session, photo_id: int) -> Photo:
        """The photo with this id if it is in the library (not missing, failed or in the trash)."""
        photo = session.get(Photo, photo_id)
        if photo is None or not is_live(photo.status, photo.trashed_at, photo.companion_of):
            raise NotFoundError(t("no photo {photo_id} in the library", photo_id=photo_id))
        return photo

    def label(self, ref: str) -> ClassLabel:
        """A class by wnid, English name or Chinese name; RequestError if there is none."""
        found = self.labels.find(ref)
        if found is None:
            raise RequestError(
                t("{ref!r} is not an ImageNet class (use a wnid like n02124075)", ref=ref)
            )
        return found

    # -- writes -----------------------------------------------------------------------------

    def correct(
        self, photo_id: int, action: str, class_ref: str, by: str | None = None
    ) -> dict[str, Any]:
        """Set, confirm, reject or clear one class of one photo; its albums follow at once."""
        if action not in corrections.ACTIONS:
            choices = ", ".join(corrections.ACTIONS)
            raise RequestError(
                t(
                    "unknown correction {action!r} (use one of {choices})",
                    action=action,
                    choices=choices,
                )
            )
        label = self.label(class_ref)
        with self.sessions.begin() as session:
            self.present(session, photo_id)
            corrections.correct(session, photo_id, action, label, self.rules, by)
        return self.photo(photo_id)


def _album_photos(session: Session, album_id: str, offset: int, limit: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Photo.id, Photo.path, AlbumMember.score, Photo.motion_path)
        .join(Photo, Photo.id == AlbumMember.photo_id)
        .where(AlbumMember.album_id == album_id, live())
        .order_by(AlbumMember.score.desc(), Photo.id)
        .offset(max(0, offset))
        .limit(limit)
    )
    return [
        {"id": i, "path": path, "score": round(score, 4), "motion": motion is not None}
        for i, path, score, motion in rows
    ]
