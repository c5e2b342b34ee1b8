"""A query's text made comparable: full-width folded, Traditional read as Simplified, lower case.

OpenCC's Taiwan-phrase table converts words, not only characters (義大利 is 意大利,
腳踏車 is 自行车); it is the one used, loaded once.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc

from smartalbum.text import fold_name, has_chinese

_SPACES = re.compile(r"\s+")
_DASHES = str.maketrans({"—": "–", "‒": "–", "―": "–", "〜": "~", "～": "~"})


@functools.cache
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("tw2sp")


def simplified(text: str) -> str:
    """Traditional Chinese (and Taiwan's words) as Simplified; other text unchanged."""
    return _simplified().convert(text) if has_chinese(text) else text


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters), Simplified Chinese, case folded, one space."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _SPACES.sub(" ", simplified(text).casefold()).strip()


def key(text: str) -> str:
    """A vocabulary key: ``normalize`` plus accents dropped ("Île-de-France" = "ile-de-france")."""
    return fold_name(normalize(text))
