"""Structured filters beside (or instead of) a sentence: label=, album=, place=, from=, to=.

Each becomes one more part, combined with the sentence's by AND. A value that names
nothing finds nothing (and says so in the interpretation): a filter is never ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smartalbum.library.service import PhotoLibrary
from smartalbum.people.directory import PERSON_PREFIX, named, people_named
from smartalbum.search.understand import Part, Vocabulary
from smartalbum.search.understand.spans import days_span
from smartalbum.search.understand.what import Concept

EARLIEST, LATEST = date(1800, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Filters:
    """The structured parameters of a search; None where not given."""

    label: str | None = None  # a class by wnid, English or Chinese name
    album: str | None = None  # an album by id or title
    place: str | None = None  # a country, region or town, in English or Chinese
    date_from: date | None = None  # first day, included
    date_to: date | None = None  # last day, included
    text: str | None = None  # what the photo says (smartalbum.ocr)
    person: str | None = None  # a person by id, English or Chinese name

    @property
    def empty(self) -> bool:
        """Whether no filter is given."""
        return all(v is None for v in (self.label, self.album, self.place, self.date_from,
                                       self.date_to, self.text, self.person))  # fmt: skip


def structured_parts(library: PhotoLibrary, filters: Filters, words: Vocabulary) -> list[Part]:
    """One part per filter given."""
    parts = []
    if filters.label:
        c = library.labels.find(filters.label)
        concepts = (Concept("class", c.wnid, c.en, c.zh, frozenset({c.index})),) if c else ()
        en, zh = (c.en, c.zh) if c else (filters.label, filters.label)
        parts.append(Part("what", filters.label, en, zh, concepts=concepts))
    if filters.album:
        wanted = filters.album.strip().casefold()
        named = (a for a in library.rules.albums
                 if wanted in (a.id.casefold(), a.title.casefold(), a.title_zh))  # fmt: skip
        a = next(named, None)
        concepts = (Concept("album", a.id, a.title, a.title_zh, albums=(a.id,)),) if a else ()
        en, zh = (a.title, a.title_zh) if a else (filters.album, filters.album)
        parts.append(Part("what", filters.album, en, zh, concepts=concepts))
    if filters.place:
        found = [p for p in words.meaning(filters.place) or [] if p.kind == "where"]
        name = filters.place
        parts.append(found[0] if found else Part("where", name, name, name))
    if filters.person:
        parts.append(person_part(library, filters.person))
    if filters.date_from or filters.date_to:
        first = min(max(filters.date_from or EARLIEST, EARLIEST), LATEST)
        last = min(max(filters.date_to or LATEST, EARLIEST), LATEST)  # no day past date.max
        span = days_span(first, last)
        text = f"{filters.date_from or ''}–{filters.date_to or ''}"
        parts.append(Part("when", text, span.en, span.zh, span=span))
    if filters.text:
        parts.append(Part("text", filters.text, filters.text, filters.text))
    return parts


def person_part(library: PhotoLibrary, wanted: str) -> Part:
    """A person by id or name (any case, English or Chinese): a "what" finding their photos."""
    with library.sessions() as session:
        # An id is plain digits that SQLite's integers hold ("²" and 10**30 are names).
        as_id = wanted.isascii() and wanted.isdigit() and len(wanted) <= 15
        ids = [int(wanted)] if as_id else named(session, wanted)
        people = people_named(session, ids)
    concepts = tuple(
        Concept("person", f"{PERSON_PREFIX}{i}", en or zh or "", zh or en or "",
                albums=(f"{PERSON_PREFIX}{i}",))
        for i, en, zh in people
    )  # fmt: skip
    en = ", ".join(c.en for c in concepts) or wanted
    zh = "、".join(c.zh for c in concepts) or wanted
    return Part("what", wanted, en, zh, concepts=concepts)
