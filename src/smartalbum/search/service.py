"""A search of the library as the web and the command line answer it: photos, best first.

The query is read into parts (search/understand); each part finds its photos on its own
(search/matching); the answer is the photos every part finds, ranked by how well they
match the "what" (summed probabilities), then the newest first. When nothing matches,
the answer says which part found nothing and what the rest finds.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartalbum.albums.membership import labels_of
from smartalbum.catalog import Photo, photos_stamp
from smartalbum.categories.store import CONCEPT_PREFIX, best_category, category_names
from smartalbum.library.pages import page_of
from smartalbum.library.service import PhotoLibrary
from smartalbum.people.directory import PERSON_PREFIX, person_concepts
from smartalbum.places import stored as stored_place
from smartalbum.search import found_logic, in_text, keywords, marks, matching, ratings
from smartalbum.search.arrays import SearchArrays, search_arrays
from smartalbum.search.daytime import daytime_found
from smartalbum.search.explain import relaxed
from smartalbum.search.interpret import chinese_name, interpret
from smartalbum.search.structured import EARLIEST, LATEST, Filters, structured_parts
from smartalbum.search.taught import category_terms
from smartalbum.search.understand import Part, Vocabulary, understand
from smartalbum.search.understand.colours import beside_things, colour_terms
from smartalbum.search.understand.what import Concept, WhatVocabulary, what_vocabulary
from smartalbum.search.understand.where import PlaceRef, known_places, library_places


@dataclasses.dataclass(frozen=True)
class _Rules:
    """The vocabulary's cache key: the label set and groups by identity, the rules by digest."""

    library: PhotoLibrary = dataclasses.field(compare=False, hash=False)
    labels: int
    groups: int
    digest: str
    categories: tuple[tuple[int, str, str | None], ...] = ()  # taught: (id, name, name_zh)
    people: tuple[tuple[int, str, str | None], ...] = ()  # named people: (id, name, name_zh)


@functools.lru_cache(maxsize=8)
def _what(key: _Rules) -> WhatVocabulary:
    lib = key.library
    # A taught category is named like a class, its photos found like an album's; the classes
    # its name names too ("terriers": the category or any terrier, search/taught.py).
    taught = list(category_terms(key.categories, lib.labels, lib.groups, lib.rules))
    taught += [  # a named person: their photos found like an album's
        (name, Concept("person", ref, en, zh or en, albums=(ref,)))
        for i, en, zh in key.people
        for ref in [f"{PERSON_PREFIX}{i}"]
        for name in (en, zh)
        if name
    ]
    taught += colour_terms()  # "red", "白色": the photos a colour dominates
    return what_vocabulary(lib.labels, lib.groups, lib.rules, taught)


@dataclasses.dataclass(frozen=True)
class _Catalog:
    """The place index's cache key: the library by identity and the state of its catalog."""

    library: PhotoLibrary = dataclasses.field(compare=False, hash=False)
    identity: int
    stamp: tuple[Any, ...]


@functools.lru_cache(maxsize=4)
def _places(key: _Catalog) -> matching.PlaceIndex:
    with key.library.sessions() as session:
        return matching.place_index(session)


@functools.lru_cache(maxsize=2)
def _arrays(key: _Catalog) -> SearchArrays:
    with key.library.sessions() as session:
        return search_arrays(session)


@functools.lru_cache(maxsize=4)
def _keywords(key: _Catalog) -> keywords.KeywordIndex:
    with key.library.sessions() as session:
        return keywords.keyword_index(session)


def _stamp(library: PhotoLibrary) -> tuple[Any, ...]:
    """The state of the catalog, as the timeline fingerprints it, when there is no timeline."""
    with library.sessions() as session:
        return photos_stamp(session)


def vocabulary(library: PhotoLibrary, places: dict[str, dict[str, Any]]) -> Vocabulary:
    """What the library's queries are read against: names, its places, the world's."""
    with library.sessions() as session:
        taught = tuple(category_names(session))
        people = tuple(person_concepts(session))
        # Apart, each is one step down the taken_at index; together SQLite reads every row.
        first = session.scalar(select(func.min(Photo.taken_at)))
        last = session.scalar(select(func.max(Photo.taken_at)))
    key = _Rules(
        library, id(library.labels), id(library.groups), library.rules.digest, taught, people
    )
    years = _years(first, last)
    return Vocabulary(_what(key), library_places(places.values()), known_places(), years=years)


def _years(first: str | None, last: str | None) -> tuple[int, ...]:
    """The years from the first photo's to the last's (at most a lifetime: a stray 1800)."""
    if not (first and last and first[:4].isdigit() and last[:4].isdigit()):
        return ()
    return tuple(range(max(int(first[:4]), int(last[:4]) - 100), int(last[:4]) + 1))


def search(
    library: PhotoLibrary,
    text: str,
    offset: int = 0,
    limit: int = 100,
    *,
    filters: Filters | None = None,
    today: date | None = None,
    moments: matching.MomentSource | None = None,
    by_moment: bool = False,
    user: str | None = None,
) -> dict[str, Any]:
    """Photos matching every part of a sentence and of the structured filters, best first
    (archived ones only with ``is:archived``; ``is:favourite``: ``user``'s hearts;
    ``rating>=4``: the stars, a heart of ``user``'s being five)."""
    filters = filters or Filters()
    text, stars = ratings.split(text)
    text, wanted = marks.split(text)
    groups = moments.groups() if moments is not None else []
    stamp = moments.stamp() if moments is not None else _stamp(library)
    index = _places(_Catalog(library, id(library), stamp))
    tags = _keywords(_Catalog(library, id(library), stamp))
    arrays = _arrays(_Catalog(library, id(library), stamp))
    places = index.parsed
    with library.sessions() as session:
        words = vocabulary(library, places)
        # A day near date.min or date.max would overflow "yesterday": hold it to our calendar.
        day = min(max(today or date.today(), EARLIEST), LATEST)
        phrases, rest = in_text.quoted(text)  # a quoted phrase is text, whatever it names
        understood = understand(rest, words, day) if rest.strip() else None
        parts = list(understood.parts) if understood else []
        if understood is not None and any(p.kind == "unknown" for p in parts):
            parts = keywords.whole(tags, rest) or parts  # "garden party": a keyword as tagged
        if understood is not None and all(p.kind == "unknown" for p in parts):
            parts = _by_keyword(library, rest, places) or parts
        parts = keywords.unknown_as_keyword(tags, parts)
        parts = beside_things(parts)  # "red car": red as the car's colour
        parts = in_text.unknown_as_text(session, parts) + [in_text.text_part(p) for p in phrases]
        parts += structured_parts(library, filters, words)
        times: dict[int, str] = {}
        found = [
            _tagged(p, _found(session, p, (index, arrays), groups, times), tags, times)
            for p in parts
        ]
        # Nothing to look for (no words, no filters; "is:favourite" alone or only ?today=):
        # every photo with the marks asked for, newest first, as the schema's all-optional
        # parameters promise an answer.
        marks_only = not text.strip() and filters.empty
        wanted_parts = [(p, f) for p, f in zip(parts, found, strict=True) if not p.negated]
        # Only exclusions ("不要猫"): every photo, less theirs (found_logic.without).
        listed = marks_only or (not wanted_parts and len(parts) > 0)
        hits = _combined(*_unzip(wanted_parts), times) if not listed else None
        hits = marks.kept(session, hits, wanted, user)
        hits = ratings.kept(session, hits, stars, user)
        hits = found_logic.without(
            hits, [f for p, f in zip(parts, found, strict=True) if p.negated]
        )
        page = list(page_of(hits, offset, limit))
        answer = _answer(session, library, page, [p for p, _ in wanted_parts], places)
        extra = (
            None if hits else _wider(session, library, wanted_parts, (index, tags, arrays), times)
        )
    answer.update(
        query=text,
        interpretation=[
            p.to_dict() | {"matched": len(f)} for p, f in zip(parts, found, strict=True)
        ],
        skipped=list(understood.skipped) if understood else [],
        total=len(hits),
        offset=offset,
    )
    if extra is not None:
        answer["instead"] = extra
    if groups:
        _with_moments(answer, groups, by_moment)
    return answer


def _wider(
    session: Session,
    library: PhotoLibrary,
    wanted: list[tuple[Part, matching.Found]],
    indexes: tuple[matching.PlaceIndex, keywords.KeywordIndex, SearchArrays],
    times: dict[int, str],
) -> dict[str, Any] | None:
    """When nothing matches: what the rest of the query finds (search/explain.py), by what the
    photos themselves show, captioned as an answer's photos are.

    A scene word finds a photo through its moment beside the place and time the query named
    (the lake photo of a ski trip); a wider search without them would show any moment's (a
    blue sky, a sweater), so its parts are looked for again without moments.
    """
    index, tags, arrays = indexes
    alone = [
        (
            p,
            _tagged(p, _found(session, p, (index, arrays), [], times), tags, times)
            if p.scene
            else f,
        )
        for p, f in wanted
    ]
    extra = relaxed(*_unzip(alone), times)
    if extra is not None and extra["photos"]:
        shown = [(p["id"], p["score"]) for p in extra["photos"]]
        parts = [p for p, _ in wanted]
        extra["photos"] = _answer(session, library, shown, parts, index.parsed)["photos"]
    return extra


def _by_keyword(library: PhotoLibrary, text: str, places: dict[str, dict[str, Any]]) -> list[Part]:
    """A query read as no sentence: part of a name ("owl", "虎斑"), or a place as written."""
    found = interpret(text, library.labels, library.groups, library.rules)
    refs = tuple(
        PlaceRef(p["country_code"], p.get("region"), p.get("city"), en=text, zh=text)
        for p in places.values()
        if p.get("country_code") and stored_place.matches(p, text)
    )
    if not (found.classes or found.albums or refs):
        return []
    zh = chinese_name(text, found, library.labels, library.groups, library.rules)
    if not (found.classes or found.albums):
        return [Part("where", text, text, text, places=refs)]
    concept = Concept("keyword", text, text, zh, found.classes, found.albums)
    return [Part("what", text, text, zh, concepts=(concept,), places=refs)]


def _found(
    session: Session,
    part: Part,
    indexes: tuple[matching.PlaceIndex, SearchArrays],
    moments: list[tuple[dict[str, Any], list[int]]],
    times: dict[int, str],
) -> matching.Found:
    index, arrays = indexes
    if part.all_of:  # "snowy mountains or beach": the synonym's parts together
        return found_logic.every([_found(session, a, indexes, moments, times) for a in part.all_of])
    if part.alternatives:  # "cats or dogs": either (understand/logic.py)
        return found_logic.union(
            _found(session, a, indexes, moments, times) for a in part.alternatives
        )
    if part.kind == "what":
        return matching.what_found(session, part, index, moments, times, arrays)
    if part.kind == "where":
        return matching.where_found(index, matching.place_texts(part, index.parsed), times)
    if part.kind == "when" and part.span is not None and part.span.day_part:
        return daytime_found(arrays, part.span.day_part, times)
    if part.kind == "when" and part.span is not None:
        return matching.when_found(session, part.span, times)
    if part.kind == "text":
        return in_text.text_found(session, part)
    return {}  # a word we do not know constrains nothing


def _tagged(
    part: Part, found: matching.Found, tags: keywords.KeywordIndex, times: dict[int, str]
) -> matching.Found:
    """What a part finds, with the photos another tool tagged with its words (a keyword, a
    "what", a quoted phrase)."""
    if part.kind not in (keywords.KIND, "what", "text"):
        return found
    return {**found, **keywords.tagged(tags, keywords.names(part), times)}


def _unzip(pairs: list[tuple[Part, matching.Found]]) -> tuple[list[Part], list[matching.Found]]:
    return [p for p, _ in pairs], [f for _, f in pairs]


def _combined(
    parts: list[Part], found: list[matching.Found], times: dict[int, str]
) -> list[tuple[int, float]]:
    """Photos every known part finds, scored by the mean of the "what" scores, best first."""
    return matching.combine(
        [f for p, f in zip(parts, found, strict=True) if p.kind != "unknown"],
        # text and keywords score too, and alternatives of mixed kinds ("any")
        [p.kind in ("what", "text", "any", keywords.KIND) for p in parts if p.kind != "unknown"],
        times,
    )


def _answer(
    session: Session,
    library: PhotoLibrary,
    page: list[tuple[int, float]],
    parts: list[Part],
    places: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The page's photos with the label that explains each, and the names the query matched."""
    ids = [photo_id for photo_id, _ in page]
    rows = {i: (path, place) for i, path, place in session.execute(
        select(Photo.id, Photo.path, Photo.place).where(Photo.id.in_(ids)))}  # fmt: skip
    named = {raw for p in parts if p.places for raw in matching.place_texts(p, places)}
    counted = set().union(*(p.classes for p in parts if p.kind == "what"))
    for album_id in (a for p in parts if p.kind == "what" for a in p.albums):
        if (album := library.rules.get(album_id)) is not None:
            counted |= album.classes
    labels = labels_of(session, ids)
    what = [c for p in parts if p.kind == "what" for c in p.concepts]
    # Every taught category the "what" finds photos by: named as one, or among a keyword's.
    taught = [int(a.removeprefix(CONCEPT_PREFIX)) for c in what for a in c.albums
              if a.startswith(CONCEPT_PREFIX)]  # fmt: skip
    # A photo found through a taught category says so, with its cosine there: shown as the
    # category's score, never as a percent like a label's.
    in_taught = best_category(session, sorted(set(taught)), ids)
    photos = []
    for photo_id, score in page:
        path, place = rows[photo_id]
        mine = labels.get(photo_id, [])
        best = next((i for i, _ in mine if i in counted), mine[0][0] if mine else None)
        c = library.labels[best] if best is not None else None
        photos.append(
            {"id": photo_id, "path": path, "score": score,
             "label": c.en if c else None, "label_zh": c.zh if c else None,
             "wnid": c.wnid if c else None,
             # where it was taken, when that is what the query named
             "place": stored_place.parse(place) if place in named else None,
             "category": in_taught.get(photo_id)}
        )  # fmt: skip
    return {
        "groups": list(dict.fromkeys(c.id for c in what if c.kind == "group")),
        "albums": list(
            dict.fromkeys(
                a for c in what if c.kind not in ("category", "person", "colour") for a in c.albums
            )
        ),
        "people": list(dict.fromkeys(c.id for c in what if c.kind == "person")),
        "colours": list(dict.fromkeys(c.id for c in what if c.kind == "colour")),
        "categories": list(dict.fromkeys(c.id for c in what if c.kind == "category")),
        "places": [places[raw] for raw in sorted(named)],
        "photos": photos,
    }


# The last moments listed and each photo's moment among them: the timeline keeps one list per
# state of the catalog, so the map is made once per state, not per search.
_moments_of: tuple[object, dict[int, dict[str, Any]]] = (None, {})


def _of_photo(groups: list[tuple[dict[str, Any], list[int]]]) -> dict[int, dict[str, Any]]:
    global _moments_of  # one reference, swapped whole: safe across threads
    listed, of_photo = _moments_of
    if listed is not groups:
        of_photo = {i: m for m, ids in groups for i in ids}
        _moments_of = (groups, of_photo)
    return of_photo


def _with_moments(
    answer: dict[str, Any], groups: list[tuple[dict[str, Any], list[int]]], by_moment: bool
) -> None:
    """Each photo's moment, and with ``by_moment`` the page's photos under their moments."""
    of_photo = _of_photo(groups)
    sections: dict[str, dict[str, Any]] = {}
    for photo in answer["photos"]:
        moment = of_photo.get(photo["id"])
        photo["moment"] = {k: moment[k] for k in ("id", "title", "title_zh")} if moment else None
        if by_moment:
            key = moment["id"] if moment else ""
            section = sections.setdefault(key, {"moment": moment, "photos": []})
            section["photos"].append(photo)
    if by_moment:
        answer["by_moment"] = list(sections.values())
