"""What a query can name: classes, groups, albums and our synonyms, by English or Chinese name.

The one place where "what" concepts are resolved. Custom categories (issue 16) join here:
they become ``Concept`` rows passed to ``what_vocabulary`` as ``extra``, and every query
then finds them by name like any class or album.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources

from smartalbum.albums.groups import Groups
from smartalbum.albums.rules import RuleSet
from smartalbum.models.labels import LabelSet
from smartalbum.search.understand.normalize import key
from smartalbum.search.understand.parity import agree
from smartalbum.search.understand.typos import by_initial, nearest

# Groups that are a setting more than a thing: they also match a photo through its moment
# (the dog in a moment at the seaside is on the beach although its labels say only dog).
SCENE_GROUPS = frozenset({"seaside", "mountain", "winter", "landscape", "water", "building"})


@dataclass(frozen=True)
class Concept:
    """One thing a query can name, and what finds it: classes, album rows, or both."""

    kind: str  # "class", "group", "album" (and later "category")
    id: str  # a wnid, a group id, an album id
    en: str
    zh: str
    classes: frozenset[int] = frozenset()
    albums: tuple[str, ...] = ()
    scene: bool = False  # also matches the photos of a moment with this scene

    def to_dict(self) -> dict[str, str]:
        """JSON: kind, id and names."""
        return {"kind": self.kind, "id": self.id, "en": self.en, "zh": self.zh}


# A term's meaning: parts that must all hold (AND), each a choice of concepts (OR).
Meaning = tuple[tuple[Concept, ...], ...]


@dataclass
class WhatVocabulary:
    """Every "what" term by its key, and the place aliases our synonyms name."""

    terms: dict[str, Meaning] = field(default_factory=dict)
    place_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> countries
    _spellings: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def typo(self, word: str) -> str | None:
        """The one name a misspelt English word means ("moutain": mountain), or None."""
        if self._spellings is None:  # built at the first typo, kept with the vocabulary
            self._spellings = by_initial(self.terms)
        return nearest(word, self._spellings)

    def add(self, term: str, concepts: Iterable[Concept]) -> None:
        """One more name for concepts: a name already known means all of them (OR)."""
        name = key(term)
        if not name:
            return
        known = self.terms.get(name, ((),))
        if len(known) > 1:  # an AND synonym (雪山) is what it says, whatever else is named so
            return
        merged = tuple(dict.fromkeys((*known[0], *concepts)))
        self.terms[name] = (merged,)


def what_vocabulary(
    labels: LabelSet, groups: Groups, rules: RuleSet, extra: Iterable[tuple[str, Concept]] = ()
) -> WhatVocabulary:
    """Every name of a class, group, album and synonym; ``extra`` adds (name, concept) pairs."""
    vocabulary = WhatVocabulary()
    for c in labels.classes:
        concept = Concept("class", c.wnid, c.en, c.zh, frozenset({c.index}))
        vocabulary.add(c.en, [concept])
        vocabulary.add(c.zh, [concept])
    by_group = {}
    for g in groups.by_id.values():
        by_group[g.id] = Concept("group", g.id, g.en, g.zh, g.classes, scene=g.id in SCENE_GROUPS)
        for name in g.names():
            vocabulary.add(name, [by_group[g.id]])
    scenery = frozenset().union(*(groups[g].classes for g in SCENE_GROUPS if g in groups))
    by_album = {}
    for a in rules.albums:
        scene = bool(a.classes) and a.classes <= scenery
        by_album[a.id] = Concept("album", a.id, a.title, a.title_zh, albums=(a.id,), scene=scene)
        for name in (a.id, a.title, a.title_zh):
            vocabulary.add(name, [by_album[a.id]])
    for term, refs in _synonyms():
        _add_synonym(vocabulary, term, refs, labels, by_group, by_album)
    agree(vocabulary, labels, groups, _synonyms())  # "skiing" and 滑雪 mean the same (parity.py)
    for name, concept in extra:
        vocabulary.add(name, [concept])
    return vocabulary


def _add_synonym(
    vocabulary: WhatVocabulary,
    term: str,
    refs: list[list[str]],
    labels: LabelSet,
    by_group: dict[str, Concept],
    by_album: dict[str, Concept],
) -> None:
    """A synonyms.tsv row: concepts OR'd within a part, parts AND'd; place refs aside."""
    parts = []
    for part in refs:
        concepts = []
        for ref in part:
            kind, _, name = ref.partition(":")
            if kind == "place":
                vocabulary.place_aliases[key(term)] = (
                    *vocabulary.place_aliases.get(key(term), ()),
                    name,
                )
            elif kind == "group" and name in by_group:
                concepts.append(by_group[name])
            elif kind == "album" and name in by_album:
                concepts.append(by_album[name])
            elif kind == "class" and (found := labels.find(name)) is not None:
                concepts.append(
                    Concept("class", found.wnid, found.en, found.zh, frozenset({found.index}))
                )
        if concepts:
            parts.append(tuple(concepts))
    if len(parts) == 1:
        vocabulary.add(term, parts[0])
    elif parts:
        vocabulary.terms[key(term)] = tuple(parts)


@functools.cache
def _synonyms() -> tuple[tuple[str, list[list[str]]], ...]:
    """(term, [[ref, ...], ...]) from search/data/synonyms.tsv."""
    rows = []
    for line in _data_lines("synonyms.tsv"):
        term, _, meaning = line.partition("\t")
        rows.append((term, [part.split() for part in meaning.split(" + ")]))
    return tuple(rows)


@functools.cache
def noise_words() -> frozenset[str]:
    """Words and particles a query may hold that name nothing ("the", "的", "照片")."""
    return frozenset(key(line) for line in _data_lines("noise.tsv"))


def _data_lines(name: str) -> Iterator[str]:
    text = resources.files("smartalbum.search").joinpath(f"data/{name}").read_text("utf-8")
    return (line.strip() for line in text.splitlines() if line.strip() and line[0] != "#")
