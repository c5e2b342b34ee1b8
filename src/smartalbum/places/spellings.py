"""Other ways to write a place's name: pinyin of Chinese names, short and local region names.

``data/pinyin.tsv`` is written by ``scripts/place_regions.py`` with ``pypinyin``: the
toneless pinyin of each Chinese name of a place in China, Taiwan, Hong Kong or Macau, a
country or a continent ("xi an" for 西安), where it differs from the English name. The
hand-written ``data/region_aliases.tsv`` gives first-level divisions the names people
use beside the official ones (加州 for California, Bayern for Bavaria). ``data/regions_zh.tsv``
(the same script, from ``pycountry``'s iso-codes translations) names in Chinese the
first-level divisions places_zh.tsv does not (清迈府 for Chiang Mai).
"""

from __future__ import annotations

import functools
from collections import defaultdict

from smartalbum.places.tables import bundled, tsv


def _rows(name: str, fields: int) -> list[list[str]]:
    """The rows of a bundled tab-separated table, each with exactly ``fields`` cells."""
    return tsv(bundled(name), fields, fields)


@functools.cache
def pinyin_names() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin, syllables spaced ("xi an"), -> the Chinese names it spells (read once)."""
    found: dict[str, list[str]] = defaultdict(list)
    for sound, chinese in _rows("pinyin.tsv", 2):
        found[sound].append(chinese)
    return {sound: tuple(names) for sound, names in found.items()}


@functools.cache
def region_aliases() -> tuple[tuple[str, str, str], ...]:
    """(country code, region as the data spells it, another name) for each alias (read once)."""
    return tuple((code, region, alias) for code, region, alias in _rows("region_aliases.tsv", 3))


@functools.cache
def regions_zh() -> dict[tuple[str, str], str]:
    """(country code, region as the data spells it) -> Chinese name, for the regions our own
    table lacks (read once)."""
    return {(code, region): zh for code, region, zh in _rows("regions_zh.tsv", 3)}
