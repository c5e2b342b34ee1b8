"""Search's numpy paths give what the plain Python they replaced gave, to the last float."""

from __future__ import annotations

import random

import numpy as np
import pytest

from smartalbum.search import found_logic
from smartalbum.search.arrays import ranked, rounded

Found = dict[int, float]


def _python_ranked(
    found: list[Found], is_what: list[bool], times: dict[int, str]
) -> list[tuple[int, float]]:
    """The ranking as it was written before numpy: three stable sorts."""
    ids = set(found[0]).intersection(*found[1:])
    whats = [f for f, what in zip(found, is_what, strict=True) if what]
    hits = [(i, round(sum(f[i] for f in whats) / len(whats), 4) if whats else 1.0) for i in ids]
    hits.sort(key=lambda hit: hit[0])
    hits.sort(key=lambda hit: times.get(hit[0]) or "", reverse=True)
    hits.sort(key=lambda hit: -hit[1])
    return hits


def _python_union(found: list[Found]) -> Found:
    merged: Found = {}
    for each in found:
        for photo_id, score in each.items():
            merged[photo_id] = max(merged.get(photo_id, 0.0), score)
    return merged


def _random_found(rng: random.Random, size: int) -> Found:
    # Few distinct scores and times, so ties decide much of the order.
    return {rng.randrange(size * 2): rng.choice([0.1, 0.25, 1 / 3, 0.5, 0.7, 1.0])
            for _ in range(size)}  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("is_what", [[True], [True, False], [True, True, False], [False, False]])
def test_ranked_is_the_three_sorts(seed: int, is_what: list[bool]) -> None:
    rng = random.Random(seed)
    found = [_random_found(rng, 400) for _ in is_what]
    times = {i: rng.choice(["", "2024-01-01T10:00:00", "2023-05-02T08:00:00"]) for i in range(600)}
    assert ranked(found, is_what, times, 1.0) == _python_ranked(found, is_what, times)


def test_ranked_of_one_photo_and_of_none() -> None:
    assert ranked([{7: 0.123456}], [True], {}, 1.0) == [(7, 0.1235)]
    assert ranked([{7: 0.5}, {8: 0.5}], [True, True], {}, 1.0) == []


@pytest.mark.parametrize("seed", range(5))
def test_union_is_each_photos_best_score(seed: int) -> None:
    rng = random.Random(seed)
    found = [_random_found(rng, 300) for _ in range(rng.randint(1, 4))] + [{}, {5: -0.2}]
    assert found_logic.union(found) == _python_union(found)
    assert found_logic.union([{3: 0.4}]) == {3: 0.4}
    assert found_logic.union([]) == {}


def test_rounded_is_pythons_round() -> None:
    rng = random.Random(0)
    # Random scores, the halves numpy's scaling gets wrong (0.00015 * 1e4 is 1.4999...),
    # and means of two or three label sums as the ranking makes them.
    scores = [rng.random() for _ in range(20_000)] + [k / 20_000 for k in range(20_001)]
    scores += [(rng.random() + rng.random() + rng.random()) / 3 for _ in range(20_000)]
    assert rounded(np.array(scores)).tolist() == [round(s, 4) for s in scores]
