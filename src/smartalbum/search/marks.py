"""``is:favourite`` and ``is:archived`` in a query: the marks a person put on photos.

They are taken out of the sentence before it is read. Archived photos stay out of every
search unless it asks for them (then it finds only them); ``is:favourite`` keeps the asker's
own favourites. Either alone lists those photos, newest first.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, live
from smartalbum.library import marks

FAVOURITE, ARCHIVED = "favourite", "archived"
# What a person may write, in English or Chinese, and the mark each names.
WORDS = {"is:favourite": FAVOURITE, "is:favorite": FAVOURITE, "is:fav": FAVOURITE,
         "is:收藏": FAVOURITE, "is:archived": ARCHIVED, "is:archive": ARCHIVED,
         "is:归档": ARCHIVED, "is:已归档": ARCHIVED}  # fmt: skip
_WORD = re.compile(r"(?<!\S)is:\S+", re.IGNORECASE)

Hits = list[tuple[int, float]]


def split(text: str) -> tuple[str, frozenset[str]]:
    """The sentence without its ``is:`` words, and the marks they name (unknown ones stay)."""
    wanted = set()

    def take(match: re.Match[str]) -> str:
        mark = WORDS.get(match.group(0).casefold())
        if mark is None:
            return match.group(0)
        wanted.add(mark)
        return " "

    return " ".join(_WORD.sub(take, text).split()), frozenset(wanted)


def kept(session: Session, hits: Hits | None, wanted: frozenset[str], user: str | None) -> Hits:
    """The hits with the marks asked for (archived ones only when asked); ``hits`` None:
    every present photo with them, newest first."""
    archived = marks.archived_ids(session)
    if hits is None:
        hits = _every(session, archived if ARCHIVED in wanted else None)
    if ARCHIVED in wanted:
        hits = [h for h in hits if h[0] in archived]
    elif archived:
        hits = [h for h in hits if h[0] not in archived]
    if FAVOURITE in wanted:
        hearts = marks.favourite_ids(session, user, [i for i, _ in hits])
        hits = [h for h in hits if h[0] in hearts]
    return hits


def _every(session: Session, among: set[int] | None) -> Hits:
    query = (
        select(Photo.id).where(live()).order_by(Photo.taken_at.desc().nulls_last(), Photo.id.desc())
    )
    if among is not None:
        query = query.where(Photo.id.in_(sorted(among)[: marks.CHUNK]))
    return [(i, 1.0) for i in session.scalars(query)]
