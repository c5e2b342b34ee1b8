"""Who did what: imports, rules reloads and share links, one row each, newest first.

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
SHARE_REMOVE_GUEST_PHOTO = "share.remove_guest_photo"  # a sharer took out a guest's photo


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
