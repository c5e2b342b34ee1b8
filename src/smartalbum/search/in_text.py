"""The text part of a query: what a photo says (``smartalbum.ocr``).

A quoted phrase ("boarding pass", “boarding pass”, 「登机牌」, 『发票』) is read as text
whatever else it could mean; a word that names no class, place or time is tried as text
before it is called not understood (收据 in 去年在东京的收据).
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from smartalbum.ocr import photos_saying
from smartalbum.search.matching import Found
from smartalbum.search.understand import Part

_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』|＂([^＂]*)＂')


def quoted(query: str) -> tuple[list[str], str]:
    """The quoted phrases of a query, and the query without them."""
    phrases = [phrase.strip() for m in _QUOTED.finditer(query) for phrase in m.groups() if phrase]
    return [p for p in phrases if p], _QUOTED.sub(" ", query)


def text_part(phrase: str) -> Part:
    """The part that finds the photos saying ``phrase``."""
    return Part("text", phrase, phrase, phrase)


def unknown_as_text(session: Session, parts: list[Part]) -> list[Part]:
    """The parts, each "unknown" one that some photo says read as text instead."""
    return [
        text_part(p.text) if p.kind == "unknown" and photos_saying(session, p.text) else p
        for p in parts
    ]


def text_found(session: Session, part: Part) -> Found:
    """The live photos that say the part's text: 1 as written, 0.5 with an OCR-like mistake."""
    return photos_saying(session, part.text)
