"""Share links: a read-only link to one album (smart or a person's) or moment, for people
without an account.

A link is a random token shown once; the catalog keeps its sha256 only, so a copy of the
catalog opens no link. A link may expire and may need a password (argon2id, as accounts).
Revoking deletes it: the link then answers 404 like one that never existed. Making and
revoking a link are recorded in the activity log with who did it. Opening one writes
nothing (reads never write): the catalog does not learn who looked, or when.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import ALBUM, MOMENT, USER_ALBUM, Photo, ShareLink
from smartalbum.errors import NotFoundError, RequestError
from smartalbum.i18n import t
from smartalbum.library import activity
from smartalbum.library.accounts import check_password, digest

KINDS = (ALBUM, MOMENT, USER_ALBUM)
MAX_LIFETIME = 3650 * 86400.0  # ten years: longer is "never", which is no expiry at all


@dataclass(frozen=True)
class OpenLink:
    """A link that exists and has not expired: what it shows, and whether it is locked."""

    id: int
    kind: str
    target: str
    expires_at: float | None
    password_hash: str | None
    allow_upload: bool = False  # whether its guests may add photos
    upload_budget_mb: int | None = None  # how much they may add in all
    created_by: str | None = None  # the sharer: guests' photos go to their folder
    allow_download: bool = False  # whether its guests may take everything as one ZIP

    @property
    def locked(self) -> bool:
        """Whether the link needs its password before it shows anything."""
        return self.password_hash is not None


class ShareLinks:
    """The share links of one catalog."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.hasher = PasswordHasher()

    def create(
        self,
        kind: str,
        target: str,
        by: str | None,
        lifetime: float | None = None,
        password: str | None = None,
        upload_budget_mb: int | None = None,
        allow_download: bool = False,
    ) -> dict[str, Any]:
        """A new link to an album or moment (the caller checked it exists); the token once.

        With ``upload_budget_mb`` its guests may add photos, up to that many MB in all; with
        ``allow_download`` they may download its photos as one ZIP.
        """
        if kind not in KINDS:
            raise RequestError(
                t("a share link shows an album or a moment, not {kind!r}", kind=kind)
            )
        if lifetime is not None and not 0 < lifetime <= MAX_LIFETIME:
            raise RequestError(t("a share link expires after 1 second to 10 years"))
        if password is not None:
            check_password(password)
        token = "sh_" + secrets.token_urlsafe(24)
        now = time.time()
        with self.sessions.begin() as session:
            link = ShareLink(
                digest=digest(token),
                kind=kind,
                target=target,
                password_hash=self.hasher.hash(password) if password else None,
                created_by=by,
                created_at=now,
                expires_at=now + lifetime if lifetime else None,
                allow_upload=upload_budget_mb is not None,
                upload_budget_mb=upload_budget_mb,
                allow_download=allow_download,
            )
            session.add(link)
            session.flush()
            activity.record(session, by, activity.SHARE_CREATE, f"{kind} {target} (link {link.id})")
            shown = _json(link)
        return {**shown, "token": token, "url": f"/s/{token}"}

    def listed(self, kind: str | None = None, target: str | None = None) -> list[dict[str, Any]]:
        """The links (of one album or moment, if named), newest first, without their tokens."""
        query = select(ShareLink).order_by(ShareLink.id.desc())
        if kind is not None:
            query = query.where(ShareLink.kind == kind, ShareLink.target == target)
        with self.sessions() as session:
            return [_json(link) for link in session.scalars(query)]

    def revoke(self, link_id: int, by: str | None) -> None:
        """Delete a link: from now on it answers 404. NotFoundError if there is none."""
        with self.sessions.begin() as session:
            link = session.get(ShareLink, link_id)
            if link is None:
                raise NotFoundError(t("no share link {link_id}", link_id=link_id))
            subject = f"{link.kind} {link.target} (link {link.id})"
            session.execute(delete(ShareLink).where(ShareLink.id == link_id))
            activity.record(session, by, activity.SHARE_REVOKE, subject)

    def open(self, token: str) -> OpenLink:
        """The link a token names, if it exists and has not expired; else NotFoundError."""
        now = time.time()
        with self.sessions() as session:
            link = session.scalar(select(ShareLink).where(ShareLink.digest == digest(token)))
        if link is None or (link.expires_at is not None and now > link.expires_at):
            raise NotFoundError(t("this share link does not exist, was revoked or has expired"))
        return OpenLink(
            link.id, link.kind, link.target, link.expires_at, link.password_hash,
            bool(link.allow_upload), link.upload_budget_mb, link.created_by,
            bool(link.allow_download),
        )  # fmt: skip

    def unlock(self, link: OpenLink, token: str, password: str) -> str | None:
        """The pass (a cookie's value) for a locked link if the password is right, else None."""
        if link.password_hash is None:
            return _pass(token, "")
        try:
            self.hasher.verify(link.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return _pass(token, link.password_hash)

    def guest_photos(self, link_id: int) -> list[dict[str, Any]]:
        """The photos a link's guests added (not in the trash), newest first."""
        query = (
            select(Photo.id, Photo.path, Photo.taken_at, Photo.indexed_at)
            .where(Photo.upload_link_id == link_id, Photo.trashed_at.is_(None))
            .order_by(Photo.id.desc())
        )
        with self.sessions() as session:
            return [
                {"id": id_, "name": Path(path).name, "taken_at": taken, "added_at": added}
                for id_, path, taken, added in session.execute(query)
            ]

    def check_guest_photo(self, link_id: int, photo_id: int) -> None:
        """NotFoundError unless the link's guests added this photo and it is not in the trash
        (the sharer's right to take it out: the trash then does it)."""
        with self.sessions() as session:
            photo = session.get(Photo, photo_id)
            if photo is None or photo.upload_link_id != link_id or photo.trashed_at is not None:
                raise NotFoundError(
                    t("no photo {photo_id} added through share link {link_id}",
                      photo_id=photo_id, link_id=link_id)
                )  # fmt: skip

    @staticmethod
    def admits(link: OpenLink, token: str, sent: str | None) -> bool:
        """Whether a request may see the link: it is not locked, or it sends a right pass."""
        if link.password_hash is None:
            return True
        return sent is not None and hmac.compare_digest(sent, _pass(token, link.password_hash))


def _pass(token: str, password_hash: str) -> str:
    # Bound to the token and the password's hash: a new password or a revoke voids it, and
    # nobody can make one without both.
    return hashlib.sha256(f"{token}\n{password_hash}".encode()).hexdigest()


def _json(link: ShareLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "kind": link.kind,
        "target": link.target,
        "password": link.password_hash is not None,
        "created_by": link.created_by,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "allow_upload": bool(link.allow_upload),
        "upload_budget_mb": link.upload_budget_mb,
        "allow_download": bool(link.allow_download),
    }
