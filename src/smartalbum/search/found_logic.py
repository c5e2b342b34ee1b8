"""The photos of a query's logic (search/understand/logic.py): alternatives and exclusions.

Alternatives find the photos any of them finds, each at its best score; an excluded part
takes away exactly the photos it would find on its own ("cats without dogs" is "cats"
less the photos "dogs" finds), so a query and its negation split the library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smartalbum.search.matching import Found

Hits = list[tuple[int, float]]


def union(found: Iterable[Found]) -> Found:
    """The photos any alternative finds, each with its best score."""
    merged: Found = {}
    for each in found:
        for photo_id, score in each.items():
            merged[photo_id] = max(merged.get(photo_id, 0.0), score)
    return merged


def every(found: Sequence[Found]) -> Found:
    """The photos every part finds, each scored by the mean of their scores."""
    if not found:
        return {}
    ids = set(found[0]).intersection(*found[1:])
    return {i: sum(f[i] for f in found) / len(found) for i in ids}


def without(hits: Hits, excluded: Sequence[Found]) -> Hits:
    """The hits no excluded part finds, in their order."""
    if not excluded:
        return hits
    out = set().union(*excluded)
    return [hit for hit in hits if hit[0] not in out]
