"""Marks a person puts on photos, as album rules see them: ``marks = ["favourite"]`` in a rule.

A favourite here is a heart from anyone (an album is everyone's); ``archived`` is a photo in
the archive. Each counts like a taught category a photo is certainly in (``is:favourite``,
``is:archived`` in the rule's categories), so a rule may combine them with classes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo
from smartalbum.catalog.schema import Favourite

MARKS = ("favourite", "archived")
PREFIX = "is:"  # a mark's key among a rule's categories: is:favourite


def mark_key(name: str) -> str | None:
    """The key of a mark named in a rule ("favourite", "is:favourite", "favorite"), or None."""
    name = name.strip().casefold().removeprefix(PREFIX)
    name = {"favorite": "favourite", "archive": "archived"}.get(name, name)
    return PREFIX + name if name in MARKS else None


def marks_of(session: Session, photo_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Photo id -> {mark key: 1.0} for the photos with a mark (others are absent)."""
    found: dict[int, dict[str, float]] = defaultdict(dict)
    ids = list(photo_ids)
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        for photo_id in session.scalars(
            select(Favourite.photo_id).where(Favourite.photo_id.in_(chunk)).distinct()
        ):
            found[photo_id][PREFIX + "favourite"] = 1.0
        for photo_id in session.scalars(
            select(Photo.id).where(Photo.id.in_(chunk), Photo.archived_at.is_not(None))
        ):
            found[photo_id][PREFIX + "archived"] = 1.0
    return dict(found)


def with_marks(
    categories: dict[int, dict[str, float]], marks: dict[int, dict[str, float]]
) -> dict[int, dict[str, float]]:
    """Each photo's taught categories and its marks, in one mapping as rules score them."""
    merged = {photo_id: dict(found) for photo_id, found in categories.items()}
    for photo_id, found in marks.items():
        merged.setdefault(photo_id, {}).update(found)
    return merged
