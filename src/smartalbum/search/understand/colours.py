"""Colour words a query can name: "red car", "白色的花", "蓝色" (smartalbum.colours names them).

Each colour is a "what" concept found like an album: ``colour:NAME`` in its albums, so
"red car" is a car and a photo red covers enough of (both parts hold), and "red" alone the
photos red dominates: beside a thing a colour needs a smaller share of the photo, as the
thing fills only part of it (``beside_things``; the shares in search/colour_match.py).
The Chinese names come with and without 色 (红色, 红); Traditional characters are read
as Simplified before (紅色 is 红色).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from smartalbum.colours import NAMES
from smartalbum.search.understand.part import Part
from smartalbum.search.understand.what import Concept

PREFIX = "colour:"
OF_A_THING = "+"  # "colour:red+": red as the colour of a thing the query names beside it
# name -> the other words for it, English and Chinese (NAMES gives red and 红色)
WORDS = {
    "red": ("红", "红的", "大红"),
    "orange": ("橙", "橘色", "橘黄色", "橙黄色"),
    "yellow": ("黄", "金黄色"),
    "green": ("绿", "翠绿"),
    "blue": ("蓝", "天蓝色", "湛蓝"),
    "purple": ("violet", "紫", "紫罗兰色"),
    "pink": ("粉", "粉红色", "粉红"),
    "brown": ("褐色", "咖啡色", "棕"),
    "black": ("黑",),
    "white": ("白",),
    "grey": ("gray", "灰"),
}


@dataclass(frozen=True)
class ColourConcept(Concept):
    """A colour named in a query: its photos are those it dominates (search/colour_match.py)."""

    def to_dict(self) -> dict[str, str]:
        """JSON: kind, id and names, and the class of its swatch (search.css)."""
        return super().to_dict() | {"swatch": f"colour-{self.id}"}


def colour(name: str) -> ColourConcept:
    """The concept of one of smartalbum.colours' names."""
    en, zh = NAMES[name]
    return ColourConcept("colour", name, en, zh, albums=(f"{PREFIX}{name}",))


def colour_terms() -> Iterator[tuple[str, Concept]]:
    """(word, concept) for every colour word, to add to the "what" vocabulary."""
    for name, (en, zh) in NAMES.items():
        concept = colour(name)
        for word in (en, zh, *WORDS[name]):
            yield word, concept


def beside_things(parts: Sequence[Part]) -> list[Part]:
    """The parts with each colour marked as a thing's colour when the query names a thing
    ("white flowers"); as they are when it names only colours ("white", "red or blue")."""
    if not any(_is_thing(p) for p in parts):
        return list(parts)
    return [_of_a_thing(p) for p in parts]


def _is_thing(part: Part) -> bool:
    if part.alternatives or part.all_of:
        return any(_is_thing(p) for p in (*part.alternatives, *part.all_of))
    return part.kind == "what" and any(c.kind != "colour" for c in part.concepts)


def _of_a_thing(part: Part) -> Part:
    concepts = tuple(
        dataclasses.replace(c, albums=(f"{PREFIX}{c.id}{OF_A_THING}",))
        if isinstance(c, ColourConcept) else c for c in part.concepts
    )  # fmt: skip
    return dataclasses.replace(
        part,
        concepts=concepts,
        alternatives=tuple(_of_a_thing(p) for p in part.alternatives),
        all_of=tuple(_of_a_thing(p) for p in part.all_of),
    )
