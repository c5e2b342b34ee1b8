"""A query read into parts: what, where and when, each with its English and Chinese names.

Times are cut out first. The rest is read word by word in English (the longest run of
words that names something wins: "new south wales" before "wales") and, in Chinese,
which has no spaces, by the longest name in our own vocabulary at each position
("去年冬天|在|日本|滑雪"). Noise ("the", "的", "照片") is skipped; a word that names
nothing is kept as an "unknown" part, which constrains nothing but is shown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from smartalbum.search.understand.logic import OPERATORS, operator, structure
from smartalbum.search.understand.normalize import key, normalize
from smartalbum.search.understand.part import Part
from smartalbum.search.understand.what import Concept, WhatVocabulary, noise_words
from smartalbum.search.understand.when import find_times
from smartalbum.search.understand.where import (
    PlaceRef,
    Places,
    chosen,
    country_refs,
    present_places,
)

__all__ = ["Part", "Understanding", "Vocabulary", "understand"]
from smartalbum.text import has_chinese

_TOKEN = re.compile(r"[\u3400-\u9fff]+|/|[a-z0-9\u00c0-\u024f][a-z0-9\u00c0-\u024f'’.\-]*")
MAX_WORDS = 5  # the longest English name read as one: "united states of america"
MAX_CHARS = 12  # the longest Chinese one


@dataclass(frozen=True)
class Understanding:
    """A query's parts in the order written, and the noise words skipped."""

    text: str
    parts: tuple[Part, ...]
    skipped: tuple[str, ...] = ()

    def of(self, kind: str) -> list[Part]:
        """The parts of one kind."""
        return [p for p in self.parts if p.kind == kind]

    @property
    def understood(self) -> bool:
        """Whether any part constrains the search."""
        return any(p.kind != "unknown" for p in self.parts)


@dataclass
class Vocabulary:
    """Everything a query is read against: what, the library's places, the geocoder's."""

    what: WhatVocabulary
    library: Places
    known: Places
    noise: frozenset[str] = field(default_factory=noise_words)
    years: tuple[int, ...] = ()  # the years the library has photos from (every year's holiday)

    def meaning(self, term: str) -> list[Part] | None:
        """The parts a term names, or None; the library's places before the world's."""
        name = key(term)
        if name in OPERATORS:  # "or", "不要": applied by logic.structure
            return [operator(name)]
        if name in self.noise:
            return []
        if name in self.what.terms:
            meaning = self.what.terms[name]
            places = self.library.get(name, ()) if len(meaning) == 1 else ()
            return [_what(name, concepts, places) for concepts in meaning]
        for found in (
            self.library.get(name),
            country_refs(self.what.place_aliases.get(name, ())),
            self.known.get(name),
        ):
            if found:
                places = chosen((*found, *self.known.get(name, ())), self.present)
                return [Part("where", name, places[0].en, places[0].zh, places=places)]
        return None

    @functools.cached_property
    def present(self) -> frozenset[PlaceRef]:
        """The places the library has photos of, which win a name they share with others."""
        return present_places(self.library)


def _what(text: str, concepts: tuple[Concept, ...], places: tuple[PlaceRef, ...]) -> Part:
    first = concepts[0]
    return Part("what", text, first.en, first.zh, concepts=concepts, places=places)


def understand(text: str, vocabulary: Vocabulary, today: date) -> Understanding:
    """The parts of a query, read against the vocabulary, times against ``today``."""
    query = normalize(text)
    whole = vocabulary.meaning(query)
    # The whole query names something: "Winter travel" is an album, not a season.
    if whole and _whole_wins(query, whole, vocabulary, today):
        return Understanding(text, tuple(whole))
    found: list[tuple[int, Part]] = []
    times, rest = find_times(query, today, vocabulary.years)
    position = 0
    for words, span in times:
        position = query.find(words, position)
        found.append((position, Part("when", words, span.en, span.zh, span=span)))
    skipped: list[str] = []
    for start, token in _runs(rest):
        reader = _chinese if has_chinese(token) or token == "/" else _english
        for offset, part in reader(token, vocabulary, skipped):
            found.append((start + offset, part))
    found.sort(key=lambda item: item[0])
    parts, dropped = structure([part for _, part in found])
    return Understanding(text, tuple(parts), tuple(skipped + dropped))


def _whole_wins(query: str, whole: list[Part], vocabulary: Vocabulary, today: date) -> bool:
    """Whether a query read as one name is that name: not a connector, and not a town far
    away whose name is a time ("sunrise" is Sunrise, Florida only among the library's)."""
    if whole[0].kind == "op":
        return False
    if all(p.kind == "where" for p in whole) and key(query) not in vocabulary.library:
        times, rest = find_times(query, today, vocabulary.years)
        return not times or bool(rest.strip())
    return True


def _runs(text: str) -> Iterator[tuple[int, str]]:
    """Runs of Chinese, and runs of English words between punctuation, with their offsets."""
    english: list[re.Match[str]] = []
    for m in _TOKEN.finditer(text):
        gap = text[english[-1].end() : m.start()] if english else ""
        # punctuation ends a run
        if english and (has_chinese(m.group()) or m.group() == "/" or gap.strip()):
            yield english[0].start(), text[english[0].start() : english[-1].end()]
            english = []
        if has_chinese(m.group()) or m.group() == "/":  # "/" is "or": a run of its own
            yield m.start(), m.group()
        else:
            english.append(m)
    if english:
        yield english[0].start(), text[english[0].start() : english[-1].end()]


def _english(run: str, vocabulary: Vocabulary, skipped: list[str]) -> Iterator[tuple[int, Part]]:
    """The longest run of words naming something, at each word; plurals read as singular."""
    words = [(m.start(), m.group().strip(".'’")) for m in re.finditer(r"\S+", run)]
    i = 0
    while i < len(words):
        for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
            term = " ".join(w for _, w in words[i : i + n])
            parts = _with_singular(term, vocabulary)
            if parts is not None:
                break
        else:
            term, parts, n = (
                words[i][1],
                [Part("unknown", words[i][1], words[i][1], words[i][1])],
                1,
            )
        if not parts:
            skipped.append(term)
        for part in parts:
            yield words[i][0], part
        i += n


def _with_singular(term: str, vocabulary: Vocabulary) -> list[Part] | None:
    found = vocabulary.meaning(term)
    if found is not None:
        return found
    for plural, singular in (("ies", "y"), ("es", ""), ("s", "")):
        if term.endswith(plural) and len(term) > len(plural) + 2:
            found = vocabulary.meaning(term[: -len(plural)] + singular)
            if found is not None:
                return found
    if " " not in term and (meant := vocabulary.what.typo(term)) is not None:
        return [_as_typed(p, term) for p in vocabulary.meaning(meant) or []]  # "moutains"
    return None


def _as_typed(part: Part, typed: str) -> Part:
    """A part read from a misspelt word: the words are the query's, the names the right ones."""
    return Part(part.kind, typed, part.en, part.zh, concepts=part.concepts, places=part.places)


def _chinese(run: str, vocabulary: Vocabulary, skipped: list[str]) -> Iterator[tuple[int, Part]]:
    """Forward maximum matching against our own names; characters naming nothing are unknown."""
    i, unknown = 0, ""
    while i < len(run):
        for n in range(min(MAX_CHARS, len(run) - i), 0, -1):
            parts = vocabulary.meaning(run[i : i + n])
            if parts is not None:
                break
        else:
            unknown += run[i]
            i += 1
            continue
        if unknown:
            yield i - len(unknown), Part("unknown", unknown, unknown, unknown)
            unknown = ""
        if not parts:
            skipped.append(run[i : i + n])
        for part in parts:
            yield i, part
        i += n
    if unknown:
        yield len(run) - len(unknown), Part("unknown", unknown, unknown, unknown)
