"""Small typos in English names forgiven: "restaraunt" is restaurant, "moutains" mountains.

A word that names nothing is compared with our one-word English names that start with
the same letter (people rarely miss the first one) by their optimal string alignment
distance (a swap of two letters counts once): one edit allowed in a word of 5 to 7
letters, two from 8. Shorter words, or two names equally near, are left alone: "cats"
one letter from "bats" is no typo we can tell. rapidfuzz is not installed here, and
difflib's ratio forgives one letter in "moutain" but not in "chruch" or "pizaa".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MIN_LETTERS, MAX_LETTERS = 5, 24
# Real words one edit from a name, never corrected: found by trying ~300 common words of
# photo searches against our names (money is no monkey, a desert no dessert).
REAL_WORDS = frozenset({"money", "corner", "desert", "deserts", "canyon", "canyons"})


def allowed(word: str) -> int:
    """The edits forgiven in a word of this length."""
    return 0 if len(word) < MIN_LETTERS else 1 if len(word) < 8 else 2


def by_initial(terms: Iterable[str]) -> dict[str, list[str]]:
    """One-word ASCII names by their first letter."""
    found: dict[str, list[str]] = {}
    for term in terms:
        if term.isascii() and term.isalpha() and len(term) >= MIN_LETTERS - 1:
            found.setdefault(term[0], []).append(term)
    return found


def nearest(word: str, names: Mapping[str, list[str]]) -> str | None:
    """The one name within the edits forgiven, or None (none, or two as near)."""
    limit = allowed(word)
    if not limit or len(word) > MAX_LETTERS or not word.isalpha() or word in REAL_WORDS:
        return None
    best: list[tuple[int, str]] = []
    for name in names.get(word[0], ()):
        if abs(len(name) - len(word)) <= limit:
            distance = osa(word, name, limit)
            if distance <= limit:
                best.append((distance, name))
    best.sort()
    if not best or (len(best) > 1 and best[0][0] == best[1][0]):
        return None
    return best[0][1]


def osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, or ``limit + 1`` once it is past ``limit``."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]
