"""One understood part of a query, and how it reads back as words (a chip removed or flipped)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartalbum.search.understand.spans import TimeSpan
from smartalbum.search.understand.what import Concept
from smartalbum.search.understand.where import PlaceRef
from smartalbum.text import has_chinese


@dataclass(frozen=True)
class Part:
    """One understood part of a query: a "what", "where" or "when", or a word we do not know."""

    kind: str  # "what", "where", "when", "unknown"; "any" (alternatives of mixed kinds); "op"
    text: str  # the words of the query it was read from (normalized)
    en: str
    zh: str
    concepts: tuple[Concept, ...] = ()  # what: any of these
    places: tuple[PlaceRef, ...] = ()  # where (or, for a what that is also a place, either)
    span: TimeSpan | None = None  # when
    alternatives: tuple[Part, ...] = ()  # any of these ("cats or dogs"): see logic.py
    all_of: tuple[Part, ...] = ()  # every one of these: an AND synonym beside a connector
    negated: str = ""  # the word that excludes the part's photos ("not", "不要"), if any

    @property
    def classes(self) -> frozenset[int]:
        """Every class the part's concepts name."""
        return frozenset().union(*(c.classes for c in self.concepts))

    @property
    def albums(self) -> tuple[str, ...]:
        """Every album the part's concepts name."""
        return tuple(dict.fromkeys(a for c in self.concepts for a in c.albums))

    @property
    def scene(self) -> bool:
        """Whether the part also matches the photos of a moment with its scene."""
        return any(c.scene for c in self.concepts)

    def to_dict(self) -> dict[str, Any]:
        """JSON: kind, text, names and what the part stands for."""
        found: dict[str, Any] = {
            "kind": self.kind,
            "text": said(self),
            "en": self.en,
            "zh": self.zh,
            "negated": bool(self.negated),
            "flip": flipped(self),
        }
        if self.alternatives:
            found["alternatives"] = [a.to_dict() for a in self.alternatives]
        if self.all_of:
            found["all_of"] = [a.to_dict() for a in self.all_of]
        if self.concepts:
            found["concepts"] = [c.to_dict() for c in self.concepts]
            found["scene"] = self.scene
        if self.places:
            found["places"] = [p.to_dict() for p in self.places]
        if self.span is not None:
            found |= self.span.to_dict()
        return found


def said(part: Part) -> str:
    """The part's words as a query would say them again, its negation included."""
    return f"{part.negated} {part.text}" if part.negated else part.text


def flipped(part: Part) -> str:
    """The part's words with its negation flipped: "not cats" for "cats", and back."""
    if part.negated:
        return part.text
    return f"{'不要' if has_chinese(part.text) else 'not'} {part.text}"
