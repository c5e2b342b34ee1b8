"""Bilingual text matching: one rule for English words and Chinese names, used everywhere.

An English query matches whole words ("cat" is in "tiger cat", not in "catamaran");
a Chinese one matches any part of a name (Chinese has no spaces between words).
"""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u9fff]")


def has_chinese(text: str) -> bool:
    """Whether the text holds a Chinese character."""
    return _CJK.search(text) is not None


def fold_name(text: str) -> str:
    """Case, accents and spacing dropped: "  reykjavík " and "Reykjavik" compare equal."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_matches(query: str, name: str) -> bool:
    """A Chinese query matches any part of a name; an English one matches whole words."""
    if has_chinese(query):
        return query in name
    return re.search(rf"(?<![a-z]){re.escape(query)}(?![a-z])", name) is not None


def text_matches(query: str, text: str) -> bool:
    """``name_matches`` ignoring case, accents and spacing: "winter" in "Winter 2025 · Paris"."""
    return name_matches(fold_name(query), fold_name(text))
