"""How well categories are learned from K photos: mean average precision on a labelled folder.

Each class group (dogs, birds, vehicles...) with at least MIN_GROUP photos in the folder
stands in for a category a person teaches: K of its photos, drawn at random, are the
examples, and every other photo of the folder is scored. Two baselines are measured on
the same draws: the mean of the centred, unit embeddings (cosine), and the same with
the top-5 probabilities appended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from smartalbum.categories import features, learner
from smartalbum.models.labels import LabelSet

MIN_GROUP = 15
SHOTS = (1, 3, 5, 10)
TOP = 5  # probabilities the second baseline appends, as the catalog stores them

Scorer = Callable[[np.ndarray], np.ndarray]  # example rows -> a score for every photo


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> float:
    """AP of a ranking by ``scores`` (higher first) against a boolean relevance vector."""
    order = np.argsort(-scores, kind="stable")
    hits = relevant[order]
    if not hits.any():
        return 0.0
    found = np.cumsum(hits)
    return float((found[hits] / (np.flatnonzero(hits) + 1)).sum() / hits.sum())


def _top(probabilities: np.ndarray, k: int) -> np.ndarray:
    kept = np.zeros_like(probabilities)
    best = np.argsort(-probabilities, axis=1)[:, :k]
    rows = np.arange(len(probabilities))[:, None]
    kept[rows, best] = probabilities[rows, best]
    return kept


def scorers(
    embeddings: np.ndarray, probabilities: np.ndarray, temperature: float = 1.0
) -> dict[str, Scorer]:
    """The learner and the two baselines, each over the whole folder as its library.

    ``temperature``: the one the probabilities were computed at (the model's calibration).
    """
    centred = features.unit(embeddings - embeddings.mean(axis=0))
    with_top = features.unit(np.hstack([centred, _top(probabilities, TOP)]))
    basis = features.fit(embeddings, probabilities, len(embeddings), temperature)
    library = basis.project(embeddings, probabilities, temperature)

    def prototype(rows: np.ndarray, space: np.ndarray) -> np.ndarray:
        scores: np.ndarray = space @ space[rows].mean(axis=0)
        return scores

    def learned(rows: np.ndarray) -> np.ndarray:
        empty = np.zeros((0, library.shape[1]), np.float32)
        return learner.train(library[rows], empty, library).score(library)

    return {
        "learned": learned,
        "prototype": lambda rows: prototype(rows, centred),
        "prototype_top5": lambda rows: prototype(rows, with_top),
    }


@dataclass(frozen=True)
class GroupResult:
    """Mean AP of one group, per method, at one K."""

    group: str
    photos: int
    ap: dict[str, float]


def evaluate(
    embeddings: np.ndarray,
    probabilities: np.ndarray,
    classes: Sequence[int],
    groups: Iterable[tuple[str, frozenset[int]]],
    shots: int,
    draws: int = 5,
    seed: int = 0,
    temperature: float = 1.0,
) -> list[GroupResult]:
    """Mean AP per group at ``shots`` examples, over ``draws`` random draws per group.

    ``groups``: (id, class indices) of each class group (the albums' groups, in practice).
    """
    methods = scorers(embeddings, probabilities, temperature)
    index = np.asarray(classes)
    rng = np.random.default_rng(seed)
    results = []
    for group_id, group_classes in sorted(groups, key=lambda g: g[0]):
        relevant = np.isin(index, sorted(group_classes))
        members = np.flatnonzero(relevant)
        if len(members) < MIN_GROUP:
            continue
        totals = dict.fromkeys(methods, 0.0)
        for _ in range(draws):
            rows = rng.choice(members, min(shots, len(members) - 1), replace=False)
            others = np.ones(len(index), bool)
            others[rows] = False
            for name, method in methods.items():
                totals[name] += average_precision(method(rows)[others], relevant[others])
        ap = {name: round(total / draws, 4) for name, total in totals.items()}
        results.append(GroupResult(group_id, len(members), ap))
    return results


def summary(results: Sequence[GroupResult]) -> dict[str, float]:
    """Mean AP over groups, per method."""
    if not results:
        return {}
    names = results[0].ap
    return {name: round(float(np.mean([r.ap[name] for r in results])), 4) for name in names}


def class_indices(labels: LabelSet, wnids: Sequence[str]) -> list[int]:
    """Each wnid's class index (-1 for one the label set does not know)."""
    found = [labels.find(wnid) for wnid in wnids]
    return [c.index if c is not None else -1 for c in found]
