"""A person's corrections of a photo's labels: the one place they are written.

A set class replaces the model's labels, a confirmed one counts as certain, a rejected
one is never shown again; each change regroups the photo's albums in the same
transaction, so every read after it sees the photo where it now belongs.
"""

from __future__ import annotations

import time

from sqlalchemy import delete
from sqlalchemy.orm import Session

from smartalbum.albums import RuleSet, membership
from smartalbum.catalog import CONFIRM, REJECT, SET, Correction, claim_photos
from smartalbum.models.labels import ClassLabel

CLEAR = "clear"
ACTIONS = (SET, CONFIRM, REJECT, CLEAR)


def correct(
    session: Session,
    photo_id: int,
    action: str,
    label: ClassLabel,
    rules: RuleSet,
    by: str | None = None,
) -> None:
    """Record one correction of one present photo and regroup it, in the caller's transaction.

    ``by`` names the account that made it (None on a server nobody signs in to).
    """
    claim_photos(session, [photo_id])
    same = (Correction.photo_id == photo_id, Correction.class_index == label.index)
    session.execute(delete(Correction).where(*same))
    if action == SET:  # one right class per photo: a new one replaces the old
        session.execute(
            delete(Correction).where(Correction.photo_id == photo_id, Correction.action == SET)
        )
    if action != CLEAR:
        session.add(
            Correction(
                photo_id=photo_id,
                class_index=label.index,
                wnid=label.wnid,
                action=action,
                created_at=time.time(),
                author=by,
            )
        )
    session.flush()  # the album rows are computed from the corrections as they are now
    membership.write_members(session, [photo_id], rules)
