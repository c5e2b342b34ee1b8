"""``rating:4``, ``rating>=4``, ``rating=3``, ``rating<2`` in a query: the stars a photo has.

Written like ``is:favourite``, and taken out of the sentence the same way before it is read.
A photo's stars are its XMP rating (``xmp:Rating`` from digiKam, darktable, Lightroom: -1 is
rejected, no rating counts as 0), and five for the asker's own favourites, as a write-back
rates them. ``rating:N`` means N stars or more, as a star filter does; ``rating=N`` exactly N.
Chinese: ``评分``, ``星级``, and ``≥``, ``≤``, ``：``. Alone it lists those photos, newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo
from smartalbum.library import marks
from smartalbum.xmp import FAVOURITE_RATING

LOWEST, HIGHEST = -1, 5
_WORD = re.compile(
    r"(?<!\S)(?:rating|stars|评分|星级)\s*(>=|<=|≥|≤|[:：=><])\s*(-?\d)(?!\S)", re.IGNORECASE
)

Hits = list[tuple[int, float]]


@dataclass(frozen=True)
class Stars:
    """The stars asked for: from ``low`` to ``high``, both included."""

    low: int
    high: int

    def holds(self, stars: int) -> bool:
        """Whether a photo with these stars is asked for."""
        return self.low <= stars <= self.high


def _stars(sign: str, n: int) -> Stars:
    lows = {":": n, "：": n, ">=": n, "≥": n, ">": n + 1, "=": n}
    highs = {"<=": n, "≤": n, "<": n - 1, "=": n}
    return Stars(lows.get(sign, LOWEST), highs.get(sign, HIGHEST))


def split(text: str) -> tuple[str, Stars | None]:
    """The sentence without its rating words, and the stars they ask for (the last one wins)."""
    asked: list[Stars] = []

    def take(match: re.Match[str]) -> str:
        asked.append(_stars(match.group(1), int(match.group(2))))
        return " "

    rest = _WORD.sub(take, text)
    return (" ".join(rest.split()), asked[-1]) if asked else (text, None)


def kept(session: Session, hits: Hits, stars: Stars | None, user: str | None) -> Hits:
    """The hits with the stars asked for (all of them when none are)."""
    if stars is None or not hits:
        return hits
    ids = [i for i, _ in hits]
    few = len(ids) <= marks.CHUNK  # else one scan of the rated photos beats many id lists
    query = select(Photo.id, Photo.xmp_rating).where(Photo.xmp_rating.is_not(None))
    rows = session.execute(query.where(Photo.id.in_(ids)) if few else query)
    rated = {i: r for i, r in rows if r is not None}
    for photo_id in marks.favourite_ids(session, user, ids if few else None):
        rated[photo_id] = FAVOURITE_RATING
    return [h for h in hits if stars.holds(rated.get(h[0], 0))]
