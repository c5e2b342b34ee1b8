"""Dominant colours for photos indexed before colours were (``smartalbum.colours``).

A new photo gets its colours at index time, from its thumbnail (library/analysis.py); this
pass gives them to the photos written before, from the thumbnails already in the catalog,
so no file is read again. Resumable by construction: a photo without colours has NULL, each
batch is one transaction, and a run stopped anywhere carries on with the photos still NULL.
It runs in each index run, under the library's lock (a read never writes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import colours
from smartalbum.catalog import Photo, PhotoBlob, claim_photos

BATCH = 500  # photos a transaction: ~1 s of work

log = logging.getLogger(__name__)


def _uncoloured(session: Session, after: int) -> list[tuple[int, bytes | None]]:
    """The next batch of photos with a thumbnail and no colours, by id."""
    rows = session.execute(
        select(Photo.id, PhotoBlob.thumbnail)
        .join(PhotoBlob, PhotoBlob.photo_id == Photo.id)
        .where(Photo.colours.is_(None), PhotoBlob.thumbnail.is_not(None), Photo.id > after)
        .order_by(Photo.id)
        .limit(BATCH)
    )
    return [(photo_id, thumbnail) for photo_id, thumbnail in rows]


def _of(photo_id: int, thumbnail: bytes | None) -> str:
    """A thumbnail's colours; a damaged one has none ("", so it is not tried again)."""
    try:
        return colours.of_thumbnail(thumbnail or b"")
    except Exception as exc:  # one bad thumbnail costs its colours, never the run
        log.warning("photo %d: thumbnail unreadable for colours (%r)", photo_id, exc)
        return ""


def colour_backfill(
    sessions: sessionmaker[Session], going: Callable[[int], bool] = lambda _done: True
) -> int:
    """Give every photo with a thumbnail and no colours its colours; the photos done.

    ``going`` is told the count after each batch; False stops the run there."""
    done, after = 0, 0
    while True:
        with sessions() as session, session.begin():
            batch = _uncoloured(session, after)
            if not batch:
                return done
            claim_photos(session, [photo_id for photo_id, _ in batch])
            for photo_id, thumbnail in batch:
                found = _of(photo_id, thumbnail)
                session.execute(update(Photo).where(Photo.id == photo_id).values(colours=found))
        done, after = done + len(batch), batch[-1][0]
        if not going(done):
            return done
