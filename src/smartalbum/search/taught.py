"""Taught categories beside the classes (issue 28): a word naming both finds either's photos.

A category taught as "Terriers" is named by "terriers" and "terrier" alike, and so is what
those words name among the classes: "terriers" finds the category's photos OR the photos
of every terrier class, as "terrier" alone finds the classes (search/interpret.py, whole
English words, parts of Chinese names). A name that is a class, group or album exactly
("Dogs") is merged with it by the vocabulary itself (what.py's ``add``: OR).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from smartalbum.albums.groups import Groups
from smartalbum.albums.rules import RuleSet
from smartalbum.categories.store import CONCEPT_PREFIX
from smartalbum.models.labels import LabelSet
from smartalbum.search.interpret import chinese_name, interpret
from smartalbum.search.understand.what import Concept
from smartalbum.text import has_chinese


def forms(name: str) -> list[str]:
    """The name as written and, in English, its singular or plural: Terriers, terrier."""
    word = " ".join(name.lower().split())
    if has_chinese(word) or not word:
        return [word] if word else []
    if word.endswith("ies") and len(word) > 4:
        other = word[:-3] + "y"
    elif word.endswith(("ches", "shes", "sses", "xes")):
        other = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        other = word[:-1]
    else:
        other = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return [word, other]


def category_terms(
    categories: Iterable[tuple[int, str, str | None]],
    labels: LabelSet,
    groups: Groups,
    rules: RuleSet,
) -> Iterator[tuple[str, Concept]]:
    """(word, concept) for the vocabulary: each category by its names in both numbers, and
    beside it the classes those words name."""
    for i, en, zh in categories:
        ref = f"{CONCEPT_PREFIX}{i}"
        concept = Concept("category", ref, en, zh or en, albums=(ref,))
        for name in (en, zh):
            words = forms(name or "")
            classes = _named_classes(words, labels, groups, rules)
            for word in words:
                yield word, concept
                if classes is not None:
                    yield word, classes


def _named_classes(
    words: list[str], labels: LabelSet, groups: Groups, rules: RuleSet
) -> Concept | None:
    """The classes the first of the words that names any does, as a keyword would find them."""
    for word in words:
        if has_chinese(word) and len(word) < 2:  # one character is part of too many names
            continue
        found = interpret(word, labels, groups, rules)
        if found.classes:
            zh = chinese_name(word, found, labels, groups, rules)
            return Concept("keyword", word, word, zh, found.classes)
    return None
