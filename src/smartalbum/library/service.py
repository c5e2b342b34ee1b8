"""The library as people browse it: albums, photos, search and corrections over the catalog.

The one facade the web app and the command line share; every answer is plain JSON-able
data, and every id that does not lead to a present photo is a NotFoundError.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import membership
from smartalbum.albums.groups import Groups, class_groups
from smartalbum.albums.rules import RuleSet, RulesWatcher
from smartalbum.catalog import (
    CONFIRM,
    OK,
    REJECT,
    SET,
    AlbumMember,
    Correction,
    Photo,
    PhotoBlob,
    Root,
    claim_photos,
)
from smartalbum.errors import NotFoundError, RequestError
from smartalbum.models.labels import LabelSet
from smartalbum.places import stored as stored_place
from smartalbum.search.query import best_labels, interpret, matching_places, search

ACTIONS = (SET, CONFIRM, REJECT, "clear")
MAX_PAGE = 500


class PhotoLibrary:
    """Albums, photos, search and corrections of one catalog under one set of rules."""

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

    @property
    def rules(self) -> RuleSet:
        """The album rules in force (re-read if their file changed)."""
        return self.watcher.current()

    def refresh(self) -> int:
        """Bring every album up to date with the rules and labels; photos regrouped."""
        return membership.sync(self.sessions, self.rules)

    def _synced(self) -> RuleSet:
        """The rules in force, with every album brought up to date under them first."""
        rules = self.rules
        membership.sync(self.sessions, rules)
        return rules

    def albums(self) -> list[dict[str, Any]]:
        """Every album in rule order: id, titles, photo count and cover photo id."""
        rules = self._synced()
        with self.sessions() as session:
            counts = dict(
                session.execute(
                    select(AlbumMember.album_id, func.count())
                    .join(Photo, Photo.id == AlbumMember.photo_id)
                    .where(Photo.status == OK)
                    .group_by(AlbumMember.album_id)
                ).all()
            )
            result = []
            for album in rules.albums:
                count = counts.get(album.id, 0)
                cover = self._album_photos(session, album.id, 0, 1) if count else []
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
        """One album and a page of its photos, best score first."""
        rules = self._synced()
        album = rules.get(album_id)
        if album is None:
            raise NotFoundError(f"no album {album_id!r}")
        with self.sessions() as session:
            total = session.scalar(
                select(func.count())
                .select_from(AlbumMember)
                .join(Photo, Photo.id == AlbumMember.photo_id)
                .where(AlbumMember.album_id == album_id, Photo.status == OK)
            )
            photos = self._album_photos(session, album_id, offset, _page(limit))
        return {
            "id": album.id,
            "title": album.title,
            "title_zh": album.title_zh,
            "count": total or 0,
            "offset": offset,
            "photos": photos,
        }

    def _album_photos(
        self, session: Session, album_id: str, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        rows = session.execute(
            select(Photo.id, Photo.path, AlbumMember.score)
            .join(Photo, Photo.id == AlbumMember.photo_id)
            .where(AlbumMember.album_id == album_id, Photo.status == OK)
            .order_by(AlbumMember.score.desc(), Photo.id)
            .offset(max(0, offset))
            .limit(limit)
        )
        return [{"id": i, "path": path, "score": round(score, 4)} for i, path, score in rows]

    def photo(self, photo_id: int) -> dict[str, Any]:
        """Everything known of one present photo: labels (corrected), albums, EXIF facts."""
        rules = self._synced()
        with self.sessions() as session:
            photo = self._present(session, photo_id)
            model = [(p.class_index, p.probability) for p in photo.predictions]
            corrections = session.scalars(
                select(Correction).where(Correction.photo_id == photo_id)
            ).all()
            labels = membership.effective_labels(
                model, [(c.class_index, c.action) for c in corrections]
            )
            sources = {c.class_index: c.action for c in corrections}
            in_albums = membership.photo_albums(session, photo_id)
            return {
                "id": photo.id,
                "path": photo.path,
                "name": Path(photo.path).name,
                "width": photo.width,
                "height": photo.height,
                "format": photo.format,
                "taken_at": photo.taken_at,
                "taken_at_offset": photo.taken_at_offset,
                "time_source": photo.time_source,
                "camera": " ".join(p for p in (photo.camera_make, photo.camera_model) if p) or None,
                "gps": {"lat": photo.gps_lat, "lon": photo.gps_lon, "alt": photo.gps_alt}
                if photo.gps_lat is not None
                else None,
                "place": stored_place.parse(photo.place),
                "model": photo.model,
                "labels": [
                    {
                        "rank": rank,
                        **self._class_json(index),
                        "probability": round(p, 4),
                        "source": {SET: "set", CONFIRM: "confirmed"}.get(
                            sources.get(index, ""), "model"
                        ),
                    }
                    for rank, (index, p) in enumerate(labels, 1)
                ],
                "corrections": [
                    {"action": c.action, **self._class_json(c.class_index)} for c in corrections
                ],
                "albums": [
                    {"id": a.id, "title": a.title, "title_zh": a.title_zh, "score": in_albums[a.id]}
                    for a in rules.albums
                    if a.id in in_albums
                ],
            }

    def _class_json(self, index: int) -> dict[str, Any]:
        c = self.labels[index]
        return {"index": c.index, "wnid": c.wnid, "label": c.en, "label_zh": c.zh}

    def search(self, text: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """Photos whose labels, groups, albums or places the query names, best first."""
        if not text.strip():
            raise RequestError("give something to search for, e.g. 'cat' or '猫'")
        rules = self._synced()
        wanted = interpret(text, self.labels, self.groups, rules)
        with self.sessions() as session:
            wanted = dataclasses.replace(wanted, places=matching_places(session, text))
            hits = search(session, wanted)
            page = hits[max(0, offset) : max(0, offset) + _page(limit)]
            ids = [photo_id for photo_id, _ in page]
            found = session.execute(
                select(Photo.id, Photo.path, Photo.place).where(Photo.id.in_(ids))
            )
            paths, places = {}, {}
            for photo_id, path, place in found:
                paths[photo_id], places[photo_id] = path, place
            why = best_labels(session, ids, wanted, rules)
        photos = []
        for photo_id, score in page:
            c = self.labels[why[photo_id]] if photo_id in why else None  # found by place alone
            photos.append(
                {
                    "id": photo_id,
                    "path": paths[photo_id],
                    "score": score,
                    "label": c.en if c else None,
                    "label_zh": c.zh if c else None,
                    "wnid": c.wnid if c else None,
                    # where it was taken, when that is what the query named
                    "place": stored_place.parse(places[photo_id])
                    if places[photo_id] in wanted.places
                    else None,
                }
            )
        return {
            "query": text,
            "groups": list(wanted.groups),
            "albums": list(wanted.albums),
            "places": [stored_place.parse(raw) for raw in wanted.places],
            "total": len(hits),
            "offset": offset,
            "photos": photos,
        }

    def correct(self, photo_id: int, action: str, class_ref: str) -> dict[str, Any]:
        """Set, confirm, reject or clear one class of one photo; its albums follow at once."""
        if action not in ACTIONS:
            raise RequestError(f"unknown correction {action!r} (use one of {', '.join(ACTIONS)})")
        index = self.class_index(class_ref)
        with self.sessions.begin() as session:
            self._present(session, photo_id)
            claim_photos(session, [photo_id])
            same = (Correction.photo_id == photo_id, Correction.class_index == index)
            session.execute(delete(Correction).where(*same))
            if action == SET:  # one right class per photo: a new one replaces the old
                session.execute(
                    delete(Correction).where(
                        Correction.photo_id == photo_id, Correction.action == SET
                    )
                )
            if action != "clear":
                session.add(
                    Correction(
                        photo_id=photo_id,
                        class_index=index,
                        wnid=self.labels[index].wnid,
                        action=action,
                        created_at=time.time(),
                    )
                )
            session.flush()  # the new correction is what the album rows are computed from
            membership.write_members(session, [photo_id], self.rules)
        return self.photo(photo_id)

    def class_index(self, ref: str) -> int:
        """A class by wnid, English name or Chinese name; RequestError if there is none."""
        text = ref.strip()
        try:
            return self.labels.index_of(text)
        except KeyError:
            pass
        for c in self.labels.classes:
            if text.lower() == c.en.lower() or text == c.zh:
                return c.index
        raise RequestError(f"{ref!r} is not an ImageNet class (use a wnid like n02124075)")

    def find(self, ref: str) -> int:
        """A photo id from an id or a file path (as the command line takes them)."""
        with self.sessions() as session:
            if ref.isdigit():
                return self._present(session, int(ref)).id
            path = str(Path(ref).expanduser().absolute())
            found = session.scalar(select(Photo.id).where(Photo.path == path, Photo.status == OK))
        if found is None:
            raise NotFoundError(f"{ref}: not a photo in the library")
        return found

    def thumbnail(self, photo_id: int) -> bytes:
        """The stored JPEG thumbnail of a present photo."""
        with self.sessions() as session:
            self._present(session, photo_id)
            data = session.scalar(select(PhotoBlob.thumbnail).where(PhotoBlob.photo_id == photo_id))
        if not data:
            raise NotFoundError(f"photo {photo_id} has no thumbnail")
        return data

    def original(self, photo_id: int) -> Path:
        """The file of a present photo, only if it really lies inside an indexed folder."""
        with self.sessions() as session:
            photo = self._present(session, photo_id)
            roots = [os.path.realpath(r) for r in session.scalars(select(Root.path))]
        real = os.path.realpath(photo.path)
        inside = any(os.path.commonpath([real, root]) == root for root in roots)
        if not inside or not os.path.isfile(real):
            raise NotFoundError(f"photo {photo_id}: the file is not inside an indexed folder")
        return Path(real)

    def preview(self, candidate: RuleSet) -> list[dict[str, Any]]:
        """What ``candidate`` rules would change, album by album, without writing anything."""
        rules = self._synced()
        with self.sessions() as session:
            before = membership.current_members(session)
        after = membership.preview(self.sessions, candidate)
        current = {a.id: a for a in rules.albums}
        rows = []
        for album in [*candidate.albums, *(a for a in current.values() if not candidate.get(a.id))]:
            old, new = before.get(album.id, set()), after.get(album.id, set())
            rows.append(
                {
                    "id": album.id,
                    "title": album.title,
                    "title_zh": album.title_zh,
                    "before": len(old),
                    "after": len(new) if candidate.get(album.id) else 0,
                    "added": len(new - old),
                    "removed": len(old - new),
                }
            )
        return rows

    def _present(self, session: Session, photo_id: int) -> Photo:
        photo = session.get(Photo, photo_id)
        if photo is None or photo.status != OK:
            raise NotFoundError(f"no photo {photo_id} in the library")
        return photo


def _page(limit: int) -> int:
    return max(1, min(MAX_PAGE, limit))
