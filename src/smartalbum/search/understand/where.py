"""Where a query can name: continents, countries, regions and towns, in English and Chinese.

From the geocoder's names (every country, our regions and towns, GeoNames' towns of
15,000+ people with their other Chinese spellings), the continents, the pinyin of Chinese
names and other names of regions (places/spellings.py), and from the places the library's
photos were taken. A name can lead to several ``PlaceRef``; ``chosen`` keeps the one the
library has photos of, then the largest ("海南" is Hainan province, not Kainan in Japan),
with the places inside it ("Istanbul" the province and its town).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smartalbum.places.continents import continent_of, continents
from smartalbum.places.geocoding import known_names
from smartalbum.places.spellings import pinyin_names, region_aliases, regions_zh
from smartalbum.places.towns import town_names
from smartalbum.search.understand.normalize import key
from smartalbum.text import has_chinese

# Chinese names of divisions are often said without their kind: 托斯卡纳 for 托斯卡纳大区.
_KINDS = ("特别行政区", "自治区", "大区", "省", "州", "县", "府")


@dataclass(frozen=True)
class PlaceRef:
    """A place as stored photos name it: a continent, a country, a region in it, or a town."""

    country_code: str  # "" for a continent
    region: str | None = None
    city: str | None = None
    en: str = field(default="", compare=False)
    zh: str = field(default="", compare=False)
    continent: str | None = None  # set only for a continent: "EU"
    people: int = field(default=0, compare=False)  # a town's population, when known

    @property
    def size(self) -> tuple[int, int]:
        """How large a place is, to choose among places of one name: its level, then people."""
        level = 4 if self.continent else 3 if self.region is None and self.city is None else 2
        return (1 if self.city else level, self.people)

    def within(self, other: PlaceRef) -> bool:
        """Whether this place lies in ``other`` (or is it)."""
        if other.continent:
            return (self.continent or continent_of(self.country_code)) == other.continent
        return (
            not self.continent
            and self.country_code == other.country_code
            and other.region in (None, self.region)
            and other.city in (None, self.city)
        )

    def matches(self, place: Mapping[str, Any]) -> bool:
        """Whether a stored place (its parsed names) lies in this place."""
        if self.continent:
            return continent_of(place.get("country_code")) == self.continent
        return (
            place.get("country_code") == self.country_code
            and (self.region is None or place.get("region") == self.region)
            and (self.city is None or place.get("city") == self.city)
        )

    def to_dict(self) -> dict[str, str | None]:
        """JSON: the country code, region and town, and the names shown."""
        return {
            "country_code": self.country_code,
            "region": self.region,
            "city": self.city,
            "continent": self.continent,
            "en": self.en,
            "zh": self.zh,
        }


Places = dict[str, tuple[PlaceRef, ...]]


def _add(found: dict[str, dict[PlaceRef, None]], name: str | None, ref: PlaceRef) -> None:
    # A one-character Chinese name (堺) would be found inside too many other words.
    if name and not (has_chinese(name) and len(name) < 2):
        found.setdefault(key(name), {})[ref] = None
        if "’" in name:  # GeoNames writes Xi’an; people type Xi'an
            found.setdefault(key(name.replace("’", "'")), {})[ref] = None


def _region_names(zh: str) -> list[str]:
    return [zh] + [zh[: -len(kind)] for kind in _KINDS if zh.endswith(kind) and len(zh) > 2]


@functools.cache
def known_places() -> Places:
    """Every place the geocoder can name, by key: continents, countries, regions, towns, and
    their pinyin and other names (built once)."""
    found: dict[str, dict[PlaceRef, None]] = {}
    _continents(found)
    _countries_and_ours(found)
    _towns(found)
    _regions_by_other_names(found)
    _pinyin(found)
    return {name: tuple(refs) for name, refs in found.items()}


def _continents(found: dict[str, dict[PlaceRef, None]]) -> None:
    for continent in continents():
        ref = PlaceRef("", continent=continent.code, en=continent.en, zh=continent.zh[0])
        for name in (continent.en, *continent.zh):
            _add(found, name, ref)


def _countries_and_ours(found: dict[str, dict[PlaceRef, None]]) -> None:
    names = known_names()
    people: dict[tuple[str, str | None, str], int] = {
        (t.country_code, t.region, t.city): t.population for t in town_names()
    }
    for code, en in names.countries.items():
        zh = names.countries_zh.get(code, "")
        ref = PlaceRef(code, en=en, zh=zh or en)
        _add(found, en, ref)
        _add(found, zh, ref)
    regions = {(code, "region", en, None): zh for (code, en), zh in regions_zh().items()}
    for (code, kind, english, region), zh in (dict(names.places_zh) | regions).items():
        country, country_zh = names.countries.get(code, code), names.countries_zh.get(code, "")
        if kind == "region":
            ref = PlaceRef(code, english, en=f"{english}, {country}", zh=country_zh + zh,
                           people=_region_people().get((code, english), 0))  # fmt: skip
            for name in (english, *_region_names(zh)):
                _add(found, name, ref)
        else:  # region None: the town of that name wherever it is in the country
            ref = PlaceRef(code, region, english, en=f"{english}, {country}", zh=country_zh + zh,
                           people=people.get((code, region, english), 0))  # fmt: skip
            for name in (english, zh, _city(zh)):
                _add(found, name, ref)


def _city(zh: str) -> str:
    """A town's name as a city: 西安市 (the data drops 市; people often write it)."""
    return zh if zh.endswith("市") else zh + "市"


@functools.cache
def _region_people() -> dict[tuple[str, str], int]:
    """The people of a region's towns of 15,000+: enough to rank 河南 (Henan) above Hà Nam."""
    people: dict[tuple[str, str], int] = {}
    for town in town_names():
        place = (town.country_code, town.region)
        people[place] = people.get(place, 0) + town.population
    return people


def _towns(found: dict[str, dict[PlaceRef, None]]) -> None:
    names = known_names()
    for town in town_names():
        code = town.country_code
        ref = PlaceRef(
            code,
            town.region,
            town.city,
            en=f"{town.city}, {names.countries.get(code, code)}",
            zh=names.countries_zh.get(code, "") + town.zh,
            people=town.population,
        )
        for name in (town.city, town.zh, _city(town.zh), *town.aliases):
            _add(found, name, ref)


def _regions_by_other_names(found: dict[str, dict[PlaceRef, None]]) -> None:
    """加州 and Bayern: each alias names the region its official name names."""
    for code, region, alias in region_aliases():
        for ref in found.get(key(region), {}):
            if ref == PlaceRef(code, region):
                _add(found, alias, ref)


def _pinyin(found: dict[str, dict[PlaceRef, None]]) -> None:
    """ "xian" and "xi an" name what 西安 names: toneless pinyin is another spelling."""
    for sound, chinese in pinyin_names().items():
        refs = [ref for name in chinese for ref in found.get(key(name), {})]
        for spelling in (sound, sound.replace(" ", "")):
            for ref in refs:
                _add(found, spelling, ref)


def chosen(refs: tuple[PlaceRef, ...], present: frozenset[PlaceRef]) -> tuple[PlaceRef, ...]:
    """The places a name means: of those the library has photos of (if any), the largest,
    first, with the places inside it ("Istanbul": the province, then its town)."""
    largest: dict[PlaceRef, PlaceRef] = {}  # one of each place: its names, its people
    for ref in refs:
        if ref not in largest or ref.people > largest[ref].people:
            largest[ref] = ref
    refs = tuple(largest.values())
    here = [ref for ref in refs if ref in present] or list(refs)
    best = max(here, key=lambda ref: ref.size)
    inside = [ref for ref in here if ref != best and ref.within(best)]
    same = [r for r in here if r != best and r.size == best.size and r not in inside]
    return (best, *same, *inside)


def present_places(library: Places) -> frozenset[PlaceRef]:
    """Every place the library has photos of: its towns, regions, countries and continents."""
    refs = {ref for found in library.values() for ref in found}
    codes = {continent_of(ref.country_code) for ref in refs}
    return frozenset(refs | {PlaceRef("", continent=code) for code in codes if code})


def library_places(stored: Iterable[Mapping[str, Any]]) -> Places:
    """The names of the places the library's photos were taken, by key."""
    found: dict[str, dict[PlaceRef, None]] = {}
    for place in stored:
        code = place.get("country_code")
        if not code:
            continue
        country, country_zh = place.get("country") or code, place.get("country_zh") or ""
        ref = PlaceRef(code, en=country, zh=country_zh or country)
        _add(found, country, ref)
        _add(found, country_zh, ref)
        if region := place.get("region"):
            region_zh = place.get("region_zh") or ""
            ref = PlaceRef(code, region, en=f"{region}, {country}", zh=country_zh + region_zh)
            for name in (region, *(_region_names(region_zh) if region_zh else ())):
                _add(found, name, ref)
        if city := place.get("city"):
            city_zh = place.get("city_zh") or ""
            ref = PlaceRef(code, region, city, en=f"{city}, {country}", zh=country_zh + city_zh)
            _add(found, city, ref)
            _add(found, city_zh, ref)
    return {name: tuple(refs) for name, refs in found.items()}


def country_refs(codes: Iterable[str]) -> tuple[PlaceRef, ...]:
    """The countries an alias names (澳洲 is AU), with their names."""
    names = known_names()
    return tuple(
        PlaceRef(c, en=names.countries.get(c, c), zh=names.countries_zh.get(c, c)) for c in codes
    )
