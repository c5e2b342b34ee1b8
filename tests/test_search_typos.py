"""Typos forgiven in English names (search/understand/typos.py)."""

from __future__ import annotations

import pytest

from smartalbum.search.understand.typos import by_initial, nearest, osa

NAMES = by_initial(["restaurant", "mountain", "mountains", "church", "pizza", "cat", "bat",
                    "beach", "bench", "monkey", "donkey", "butterfly", "dessert"])  # fmt: skip


@pytest.mark.parametrize(("typed", "meant"), [
    ("restaraunt", "restaurant"), ("moutain", "mountain"), ("moutains", "mountains"),
    ("chruch", "church"), ("pizaa", "pizza"), ("butterfy", "butterfly"),
    ("cats", None),  # too short to tell from a typo
    ("beech", None),  # as near to beach as to bench
    ("donkye", "donkey"), ("mnokey", "monkey"),
    ("xestaurant", None),  # the first letter is kept
    ("restaurantrestaurant", None), ("mount4in", None),
    ("money", None), ("desert", None),  # real words, not typos of monkey and dessert
    ("dessrt", "dessert"),
])  # fmt: skip
def test_the_one_nearest_name_within_the_edits_allowed(typed: str, meant: str | None) -> None:
    assert nearest(typed, NAMES) == meant


def test_a_swap_is_one_edit_and_the_distance_stops_past_its_limit() -> None:
    assert osa("chruch", "church", 2) == 1
    assert osa("abcdef", "ghijkl", 1) == 2
    assert osa("pizza", "pizza", 1) == 0
