"""One meaning in both languages: a word and its translation name the same concepts (issue 28).

Our names come from several lists that overlap unevenly: "ski" is a class and one of the
winter group's search words, its Chinese name 滑雪板 only the class; 滑雪 is a winter
word and our synonym of the class, "skiing" only the synonym. So 滑雪 found every winter
photo and "skiing" the skis alone. ``agree`` evens them out after the vocabulary is built:

- a class's English and Chinese names mean what either means, among the class itself and
  the groups it belongs to (the winter group holds the ski class): "ski" and 滑雪板 both
  find the class and the winter group. A group the class is not in is another sense of the
  word, not a translation ("plane" is also an aircraft; 刨子 only the tool) and stays apart;
- a synonym of one class (skiing, 滑雪, 冰激凌, cathedral) means what the class's name
  means, with its own other meanings: "skiing" is "ski";
- a group's English and Chinese names mean what either means ("animals" and 动物 both the
  animal group and the Wildlife album).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from smartalbum.albums.groups import Groups
from smartalbum.models.labels import LabelSet
from smartalbum.search.understand.normalize import key

if TYPE_CHECKING:  # what.py calls ``agree`` as it builds the vocabulary
    from smartalbum.search.understand.what import Concept, WhatVocabulary


def agree(
    vocabulary: WhatVocabulary,
    labels: LabelSet,
    groups: Groups,
    synonyms: Iterable[tuple[str, list[list[str]]]],
) -> None:
    """Give each word and its translation the same concepts, in place."""
    for c in labels.classes:
        _share(vocabulary, (c.en, c.zh), _within({c.wnid, *groups.of_class[c.index]}))
    for term, refs in synonyms:
        if len(refs) == 1 and len(refs[0]) == 1 and refs[0][0].startswith("class:"):
            found = labels.find(refs[0][0].removeprefix("class:"))
            if found is not None:
                _share(vocabulary, (term, found.en), lambda _concept: True, one_way=True)
    for g in groups.by_id.values():
        _share(vocabulary, (g.en, g.zh), lambda _concept: True)


def _within(ids: set[str]) -> Callable[[Concept], bool]:
    """Keeps the concepts of these ids: the class and the groups it is in."""
    return lambda concept: concept.id in ids


def _share(
    vocabulary: WhatVocabulary,
    words: tuple[str, str],
    shared: Callable[[Concept], bool],
    one_way: bool = False,
) -> None:
    """Both words mean the union of their concepts that ``shared`` keeps (with ``one_way``,
    only the first word gains the second's)."""
    meanings = [vocabulary.terms.get(key(w)) for w in words]
    if any(m is None or len(m) != 1 for m in meanings):  # unknown, or an AND synonym (雪山)
        return
    union: dict[Concept, None] = {}
    for meaning in meanings:
        assert meaning is not None
        union.update((c, None) for c in meaning[0] if shared(c))
    for word, meaning in zip(words[: 1 if one_way else 2], meanings, strict=False):
        assert meaning is not None
        vocabulary.terms[key(word)] = (tuple(dict.fromkeys((*meaning[0], *union))),)
