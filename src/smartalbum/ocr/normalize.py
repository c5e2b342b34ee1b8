"""Text made comparable, the same way for what a photo says and what a query asks.

NFKC folds full-width letters and digits (ＷｉＦｉ = WiFi); case is folded; Traditional
characters are read as Simplified (發票 = 发票), character by character, so a phrase keeps
its length and a substring of the photo's text stays a substring; runs of spaces become one.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc

from smartalbum.text import has_chinese

_SPACES = re.compile(r"\s+")


@functools.cache
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")  # characters, not Taiwan's words: lengths are kept


def fold(text: str) -> str:
    """NFKC, Simplified Chinese, case folded, one space between words."""
    text = unicodedata.normalize("NFKC", text)
    if has_chinese(text):
        text = _simplified().convert(text)
    return _SPACES.sub(" ", text.casefold()).strip()
