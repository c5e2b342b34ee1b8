"""Who did what: sign-ins, imports, rules reloads, share links, the trash, people's albums and
what was done to a selection of photos (hearts, archive, labels), one row each, newest first.

A row is written in the same transaction as the change it records (or, for an import,
when it is queued), so the log never claims a change that did not happen.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import Activity

IMPORT, RULES_RELOAD = "import", "rules.reload"
SHARE_CREATE, SHARE_REVOKE = "share.create", "share.revoke"
SIGN_IN = "sign_in"  # its subject: the address signed in from
TRASH_DELETE, TRASH_RESTORE, TRASH_PURGE = "trash.delete", "trash.restore", "trash.purge"
# A file gone from disk puts its photo in the trash; the file back brings it back.
TRASH_VANISHED, TRASH_RETURNED = "trash.vanished", "trash.returned"
# A person's albums, and what a selection of photos had done to it at once.
ALBUM_CREATE, ALBUM_EDIT, ALBUM_DELETE = "album.create", "album.edit", "album.delete"
ALBUM_ADD, ALBUM_REMOVE = "album.add", "album.remove"
ARCHIVE, UNARCHIVE, RELABEL = "photos.archive", "photos.unarchive", "photos.label"
FAVOURITE, UNFAVOURITE = "photos.favourite", "photos.unfavourite"


def photos_subject(ids: list[int]) -> str:
    """The photos an entry is about, by id: "photos 12 13 20" (``record`` cuts it at 2000)."""
    return "photos " + " ".join(map(str, sorted(ids)))


def record(session: Session, user: str | None, action: str, subject: str) -> None:
    """Add one row to the log, inside the caller's transaction."""
    session.add(Activity(at=time.time(), user=user, action=action, subject=subject[:2000]))


def log_now(sessions: sessionmaker[Session], user: str | None, action: str, subject: str) -> None:
    """Add one row to the log in a transaction of its own."""
    with sessions.begin() as session:
        record(session, user, action, subject)


def recent(sessions: sessionmaker[Session], limit: int = 100) -> list[dict[str, Any]]:
    """The newest rows of the log: when, who, what, to what."""
    with sessions() as session:
        rows = session.scalars(select(Activity).order_by(Activity.id.desc()).limit(limit)).all()
        return [
            {"at": a.at, "user": a.user, "action": a.action, "subject": a.subject} for a in rows
        ]
