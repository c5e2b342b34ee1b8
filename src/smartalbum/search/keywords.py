"""Keywords another tool gave a photo (XMP ``dc:subject``, ``lr:hierarchicalSubject``, and
its ``dc:title``) in a query: found as written, in any case or width.

A word the query reads as a class ("cat") also finds the photos tagged with it, or with its
name in the other language ("猫"); a word that names nothing else ("Grandma") is read as a
keyword when some photo has it; a whole query that is one photo's keyword ("garden party")
is read as that. A keyword is a person's word: a photo tagged with it is a certain match.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, is_live
from smartalbum.search.matching import Found
from smartalbum.search.understand import Part

SCORE = 1.0
KIND = "keyword"


@dataclass(frozen=True)
class KeywordIndex:
    """The present photos by each folded keyword and title (kept per catalog state)."""

    photos: dict[str, list[tuple[int, str]]]  # (id, taken_at) of each keyword's photos


def fold(word: str) -> str:
    """A keyword as compared: width and case folded, spaces collapsed ("Ｇａｒｄｅｎ": "garden")."""
    return " ".join(unicodedata.normalize("NFKC", word).casefold().split())


def keyword_index(session: Session) -> KeywordIndex:
    """Read once per catalog state: the photos that have XMP keywords or a title."""
    photos: dict[str, list[tuple[int, str]]] = {}
    rows = session.execute(
        select(Photo.id, Photo.status, Photo.trashed_at, Photo.companion_of, Photo.taken_at,
               Photo.xmp_keywords, Photo.xmp_title)
        .where((Photo.xmp_keywords.is_not(None)) | (Photo.xmp_title.is_not(None)))
    )  # fmt: skip
    for photo_id, status, trashed_at, companion_of, taken_at, keywords, title in rows:
        if not is_live(status, trashed_at, companion_of):
            continue
        words = {fold(w) for w in [*(keywords or "").split("\n"), title or ""]} - {""}
        for word in words:
            photos.setdefault(word, []).append((photo_id, taken_at or ""))
    return KeywordIndex(photos)


def tagged(index: KeywordIndex, words: Iterable[str], times: dict[int, str]) -> Found:
    """The photos with any of these keywords (or titles): certain matches."""
    found: Found = {}
    for word in {fold(w) for w in words}:
        for photo_id, taken_at in index.photos.get(word, ()):
            found[photo_id] = SCORE
            times[photo_id] = taken_at
    return found


def names(part: Part) -> list[str]:
    """What a part may be tagged as: its words, and its names in English and Chinese."""
    return [part.text, part.en, part.zh, *(n for c in part.concepts for n in (c.en, c.zh))]


def keyword_part(text: str) -> Part:
    """The part that finds the photos tagged ``text``."""
    return Part(KIND, text, text, text)


def whole(index: KeywordIndex, query: str) -> list[Part]:
    """The query as one keyword part, when some photo has it as a keyword; else nothing."""
    return [keyword_part(" ".join(query.split()))] if fold(query) in index.photos else []


def unknown_as_keyword(index: KeywordIndex, parts: list[Part]) -> list[Part]:
    """The parts, each "unknown" one that some photo is tagged with read as a keyword."""
    return [
        keyword_part(p.text) if p.kind == "unknown" and fold(p.text) in index.photos else p
        for p in parts
    ]
