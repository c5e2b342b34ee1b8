"""People as album rules see them: ``people = ["Alice", "妈妈"]`` in a rule.

A photo in which a named, visible person has a face counts for each of their names, like a
taught category the photo is certainly in (``who:alice`` among the rule's categories), so a
rule may combine people with classes, categories and marks. Names are matched when album
rows are written, not when the rules are read: renaming a person regroups their photos.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.catalog.people import Face, Person

PREFIX = "who:"  # a person's key among a rule's categories: who:alice


def person_key(name: str) -> str | None:
    """The key of a person named in a rule (any case, spaces folded), or None for no name."""
    name = " ".join(name.split()).casefold()
    return PREFIX + name if name else None


def names_people(categories: frozenset[str]) -> bool:
    """Whether a rule's categories name a person."""
    return any(key.startswith(PREFIX) for key in categories)


def people_of(session: Session, photo_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Photo id -> {person key: 1.0} for each name of each visible person with a face in it."""
    found: dict[int, dict[str, float]] = defaultdict(dict)
    ids = list(photo_ids)
    for start in range(0, len(ids), 10_000):
        rows = session.execute(
            select(Face.photo_id, Person.name, Person.name_zh)
            .join(Person, Person.id == Face.person_id)
            .where(Face.photo_id.in_(ids[start : start + 10_000]), Person.hidden.is_(False))
            .distinct()
        )
        for photo_id, *names in rows:
            for name in names:
                key = person_key(name or "")
                if key is not None:
                    found[photo_id][key] = 1.0
    return dict(found)
