"""Albums a person makes: titles in English and Chinese, photos put in by hand, a cover, an order.

They live beside the smart albums (which rules fill) and never mix with them: a person's
album holds exactly the photos someone put there. Each has an owner (who made it); any
editor may change it (the web's roles say who may write). Every change is one transaction
and one entry in the activity log. A photo in the trash drops out of every listing and
comes back with a restore; an archived one stays, since someone chose it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from smartalbum.catalog import Photo, live
from smartalbum.catalog.schema import BY_DATE, BY_HAND, UserAlbum, UserAlbumPhoto
from smartalbum.errors import NotFoundError, RequestError
from smartalbum.i18n import t
from smartalbum.library import activity
from smartalbum.library.pages import page_size

ORDERS = (BY_DATE, BY_HAND)
MAX_TITLE = 200


def clean_title(title: str, chinese: bool = False) -> str:
    """A title trimmed (unless that leaves nothing); RequestError if empty or too long."""
    title = title.strip() or title
    if title and len(title) <= MAX_TITLE:
        return title
    if chinese:
        raise RequestError(t("an album's Chinese title has 1 to {n} characters", n=MAX_TITLE))
    raise RequestError(t("an album's title has 1 to {n} characters", n=MAX_TITLE))


def parse_album_id(text: str) -> int:
    """A person's album id from the text of a path or a command; NotFoundError otherwise."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NotFoundError(t("no album {album_id!r}", album_id=text))
    return int(text)


class UserAlbums:
    """The albums people made in one catalog."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # -- reads ------------------------------------------------------------------------------

    def listed(self) -> list[dict[str, Any]]:
        """Every person's album, newest first: titles, owner, count, cover, order."""
        with self.sessions() as session:
            albums = session.scalars(select(UserAlbum).order_by(UserAlbum.id.desc())).all()
            counts = dict(
                session.execute(
                    select(UserAlbumPhoto.album_id, func.count())
                    .where(_is_live(UserAlbumPhoto.photo_id))
                    .group_by(UserAlbumPhoto.album_id)
                ).all()
            )
            return [_summary(session, a, counts.get(a.id, 0)) for a in albums]

    def album(self, album_id: int, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """One album and a page of its photos, in its order."""
        with self.sessions() as session:
            album = _get(session, album_id)
            ids = photo_ids(session, album)
            page = ids[max(0, offset) : max(0, offset) + page_size(limit)]
            paths = dict(
                session.execute(select(Photo.id, Photo.path).where(Photo.id.in_(page))).all()
            )
            return {
                **_summary(session, album, len(ids)),
                "offset": offset,
                "photos": [{"id": i, "path": paths[i], "name": Path(paths[i]).name} for i in page],
            }

    def ids(self, album_id: int) -> list[int]:
        """Every present photo of an album, in its order (for a download)."""
        with self.sessions() as session:
            return photo_ids(session, _get(session, album_id))

    def contains(self, album_id: int, photo_id: int) -> bool:
        """Whether a present photo is in the album."""
        with self.sessions() as session:
            found = session.scalar(
                select(UserAlbumPhoto.photo_id)
                .join(Photo, Photo.id == UserAlbumPhoto.photo_id)
                .where(UserAlbumPhoto.album_id == album_id, UserAlbumPhoto.photo_id == photo_id,
                       live())
            )  # fmt: skip
        return found is not None

    # -- writes -----------------------------------------------------------------------------

    def create(
        self, title: str, title_zh: str | None, by: str | None, ids: Sequence[int] = ()
    ) -> dict[str, Any]:
        """A new album (with these photos, if given), owned by ``by``."""
        title = clean_title(title)
        zh = clean_title(title_zh, chinese=True) if title_zh else None
        now = time.time()
        with self.sessions.begin() as session:
            album = UserAlbum(title=title, title_zh=zh, owner=by, sort=BY_DATE,
                              created_at=now, updated_at=now)  # fmt: skip
            session.add(album)
            session.flush()
            added = _add(session, album, ids, now)
            activity.record(session, by, activity.ALBUM_CREATE,
                            f"album {album.id} {title!r}" + _photos_part(added))  # fmt: skip
            album_id = album.id
        return self.album(album_id, 0, 1)

    def update(self, album_id: int, by: str | None, **changes: Any) -> dict[str, Any]:
        """Rename (title, title_zh: "" removes it), choose the cover (a photo in it) or the
        order ("date" or "manual"); only what is given changes."""
        with self.sessions.begin() as session:
            album = _get(session, album_id)
            said = []
            if changes.get("title") is not None:
                album.title = clean_title(changes["title"])
                said.append(f"title {album.title!r}")
            if changes.get("title_zh") is not None:
                given = changes["title_zh"]
                album.title_zh = clean_title(given, chinese=True) if given.strip() else None
                said.append(f"title_zh {album.title_zh!r}")
            if changes.get("cover") is not None:
                album.cover_id = _member(session, album.id, changes["cover"])
                said.append(f"cover {album.cover_id}")
            if changes.get("order") is not None:
                album.sort = _order(changes["order"])
                said.append(f"order {album.sort}")
            album.updated_at = time.time()
            activity.record(
                session, by, activity.ALBUM_EDIT, f"album {album.id}: " + ", ".join(said)
            )
        return self.album(album_id, 0, 1)

    def delete(self, album_id: int, by: str | None) -> None:
        """Delete an album (its photos stay in the library)."""
        with self.sessions.begin() as session:
            album = _get(session, album_id)
            subject = f"album {album.id} {album.title!r}"
            session.execute(delete(UserAlbumPhoto).where(UserAlbumPhoto.album_id == album.id))
            session.delete(album)
            activity.record(session, by, activity.ALBUM_DELETE, subject)

    def add(self, album_id: int, ids: Sequence[int], by: str | None) -> dict[str, Any]:
        """Put photos in an album (those in it already stay where they are)."""
        with self.sessions.begin() as session:
            album = _get(session, album_id)
            added = _add(session, album, ids, time.time())
            album.updated_at = time.time()
            activity.record(
                session, by, activity.ALBUM_ADD, f"album {album.id}" + _photos_part(added)
            )
        return {"album": album_id, "added": added, "already": sorted(set(ids) - set(added))}

    def remove(self, album_id: int, ids: Sequence[int], by: str | None) -> dict[str, Any]:
        """Take photos out of an album (they stay in the library); unknown ones are ignored."""
        with self.sessions.begin() as session:
            album = _get(session, album_id)
            inside = set(session.scalars(
                select(UserAlbumPhoto.photo_id).where(UserAlbumPhoto.album_id == album.id,
                                                      UserAlbumPhoto.photo_id.in_(set(ids)))
            ))  # fmt: skip
            session.execute(
                delete(UserAlbumPhoto).where(
                    UserAlbumPhoto.album_id == album.id, UserAlbumPhoto.photo_id.in_(inside)
                )
            )
            if album.cover_id in inside:
                album.cover_id = None
            album.updated_at = time.time()
            removed = sorted(inside)
            activity.record(
                session, by, activity.ALBUM_REMOVE, f"album {album.id}" + _photos_part(removed)
            )
        return {"album": album_id, "removed": removed}

    def reorder(self, album_id: int, ids: Sequence[int], by: str | None) -> dict[str, Any]:
        """Order an album by hand: these photos first, in this order, the rest after them as
        they were; the album's order becomes "manual"."""
        with self.sessions.begin() as session:
            album = _get(session, album_id)
            rows = {r.photo_id: r for r in session.scalars(
                select(UserAlbumPhoto).where(UserAlbumPhoto.album_id == album.id))}  # fmt: skip
            unknown = [i for i in ids if i not in rows]
            if unknown:
                raise NotFoundError(t("photo {photo_id} is not in this album", photo_id=unknown[0]))
            first = list(dict.fromkeys(ids))
            rest = sorted(
                (r for i, r in rows.items() if i not in set(first)), key=lambda r: r.position
            )
            for position, row in enumerate([rows[i] for i in first] + rest):
                row.position = position
            album.sort = BY_HAND
            album.updated_at = time.time()
            activity.record(session, by, activity.ALBUM_EDIT, f"album {album.id}: order by hand")
        return self.album(album_id, 0, 1)


def photo_ids(session: Session, album: UserAlbum) -> list[int]:
    """The present photos of an album in its order: by date (undated last) or by hand."""
    return list(session.scalars(ids_query(album)))


def ids_query(album: UserAlbum) -> Select[int]:
    """The query of ``photo_ids``."""
    if album.sort == BY_HAND:
        query = (
            select(Photo.id)
            .join(UserAlbumPhoto, UserAlbumPhoto.photo_id == Photo.id)
            .where(UserAlbumPhoto.album_id == album.id, live())
            .order_by(UserAlbumPhoto.position, Photo.id)
        )
    else:
        # The members by id, not a join: joined, SQLite walked every live photo in date
        # order looking for the album's (0.28 s for 300 of 100,000; now 1 ms).
        members = select(UserAlbumPhoto.photo_id).where(UserAlbumPhoto.album_id == album.id)
        query = (
            select(Photo.id)
            .where(Photo.id.in_(members), live())
            .order_by(Photo.taken_at.is_(None), Photo.taken_at, Photo.id)
        )
    return query


def _get(session: Session, album_id: int) -> UserAlbum:
    album = session.get(UserAlbum, album_id)
    if album is None:
        raise NotFoundError(t("no album {album_id!r}", album_id=str(album_id)))
    return album


def _summary(session: Session, album: UserAlbum, count: int) -> dict[str, Any]:
    cover = album.cover_id
    if cover is None or not _is_present(session, cover):
        first = photo_ids(session, album)[:1] if count else []
        cover = first[0] if first else None
    return {
        "id": album.id, "title": album.title, "title_zh": album.title_zh or album.title,
        "owner": album.owner, "count": count, "cover": cover, "order": album.sort,
        "created_at": album.created_at, "updated_at": album.updated_at,
    }  # fmt: skip


def _is_live(photo_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """``live()`` of the photo a member row names, tested per member row: joined, the planner
    walked every live photo to count a few albums' members."""
    return select(Photo.id).where(Photo.id == photo_id, live()).exists()


def _is_present(session: Session, photo_id: int) -> bool:
    return bool(session.scalar(select(_is_live(literal(photo_id)))))


def _present(session: Session, ids: Sequence[int]) -> list[int]:
    """The ids, once each, in order; NotFoundError naming the first that is no present photo."""
    wanted = list(dict.fromkeys(ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 10_000):
        chunk = wanted[start : start + 10_000]
        found |= set(session.scalars(select(Photo.id).where(Photo.id.in_(chunk), live())))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFoundError(t("no photo {photo_id} in the library", photo_id=missing[0]))
    return wanted


def _add(session: Session, album: UserAlbum, ids: Sequence[int], now: float) -> list[int]:
    wanted = _present(session, ids)
    had = set(session.scalars(
        select(UserAlbumPhoto.photo_id).where(UserAlbumPhoto.album_id == album.id)))  # fmt: skip
    last = session.scalar(
        select(func.max(UserAlbumPhoto.position)).where(UserAlbumPhoto.album_id == album.id)
    )
    fresh = [i for i in wanted if i not in had]
    start = -1 if last is None else last
    session.add_all(
        UserAlbumPhoto(album_id=album.id, photo_id=i, position=start + n, added_at=now)
        for n, i in enumerate(fresh, 1)
    )
    return fresh


def _member(session: Session, album_id: int, photo_id: int) -> int:
    inside = session.scalar(
        select(UserAlbumPhoto.photo_id).where(
            UserAlbumPhoto.album_id == album_id, UserAlbumPhoto.photo_id == photo_id
        )
    )
    if inside is None or not _is_present(session, photo_id):
        raise NotFoundError(t("photo {photo_id} is not in this album", photo_id=photo_id))
    return photo_id


def _order(order: str) -> str:
    if order not in ORDERS:
        raise RequestError(
            t("an album is ordered by {choices}, not {order!r}", choices=" or ".join(ORDERS),
              order=order)
        )  # fmt: skip
    return order


def _photos_part(ids: Sequence[int]) -> str:
    return ": " + activity.photos_subject(list(ids)) if ids else ""
