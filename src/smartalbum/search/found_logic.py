"""The photos of a query's logic (search/understand/logic.py): alternatives and exclusions.

Alternatives find the photos any of them finds, each at its best score; an excluded part
takes away exactly the photos it would find on its own ("cats without dogs" is "cats"
less the photos "dogs" finds), so a query and its negation split the library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from smartalbum.search.matching import Found

Hits = list[tuple[int, float]]


def union(found: Iterable[Found]) -> Found:
    """The photos any alternative finds, each with its best score (0.0 at least)."""
    every = [f for f in found if f]
    if len(every) < 2:  # one alternative (or none): its own scores
        return {i: max(0.0, score) for f in every for i, score in f.items()}
    # In numpy: "cats or dogs" is tens of thousands of photos a side.
    ids = np.concatenate([np.fromiter(f.keys(), np.int64, len(f)) for f in every])
    scores = np.concatenate([np.fromiter(f.values(), np.float64, len(f)) for f in every])
    order = np.argsort(ids, kind="stable")
    ids, scores = ids[order], scores[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    best = np.maximum(np.maximum.reduceat(scores, starts), 0.0)
    return dict(zip(ids[starts].tolist(), best.tolist(), strict=True))


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
