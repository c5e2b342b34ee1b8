"""Where a query can name: countries, regions and towns, in English and Chinese.

From the geocoder's names (every country, our regions and towns, GeoNames' towns of
15,000+ people with their other Chinese spellings) and from the places the library's
photos were taken. A name leads to one or more ``PlaceRef``: "Paris" is the French one
and the Texan one, and a photo taken in either matches.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smartalbum.places.geocoding import known_names
from smartalbum.places.towns import town_names
from smartalbum.search.understand.normalize import key
from smartalbum.text import has_chinese

# Chinese names of divisions are often said without their kind: 托斯卡纳 for 托斯卡纳大区.
_KINDS = ("特别行政区", "自治区", "大区", "省", "州", "县")


@dataclass(frozen=True)
class PlaceRef:
    """A place as stored photos name it: a country, a region in it, or a town in a region."""

    country_code: str
    region: str | None = None
    city: str | None = None
    en: str = field(default="", compare=False)
    zh: str = field(default="", compare=False)

    def matches(self, place: Mapping[str, Any]) -> bool:
        """Whether a stored place (its parsed names) lies in this place."""
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
            "en": self.en,
            "zh": self.zh,
        }


Places = dict[str, tuple[PlaceRef, ...]]


def _add(found: dict[str, dict[PlaceRef, None]], name: str | None, ref: PlaceRef) -> None:
    # A one-character Chinese name (堺) would be found inside too many other words.
    if name and not (has_chinese(name) and len(name) < 2):
        found.setdefault(key(name), {})[ref] = None


def _region_names(zh: str) -> list[str]:
    return [zh] + [zh[: -len(kind)] for kind in _KINDS if zh.endswith(kind) and len(zh) > 3]


@functools.cache
def known_places() -> Places:
    """Every place the geocoder can name, by key: countries, regions, towns (built once)."""
    names = known_names()
    found: dict[str, dict[PlaceRef, None]] = {}
    for code, en in names.countries.items():
        zh = names.countries_zh.get(code, "")
        ref = PlaceRef(code, en=en, zh=zh or en)
        _add(found, en, ref)
        _add(found, zh, ref)
    for (code, kind, english, region), zh in names.places_zh.items():
        country_zh = names.countries_zh.get(code, "")
        if kind == "region":
            ref = PlaceRef(code, english, en=english, zh=country_zh + zh)
            for name in (english, *_region_names(zh)):
                _add(found, name, ref)
        else:
            ref = PlaceRef(code, region, english, en=english, zh=country_zh + zh)
            if region is None:  # the town of that name wherever it is in the country
                ref = PlaceRef(code, None, english, en=english, zh=country_zh + zh)
            _add(found, english, ref)
            _add(found, zh, ref)
    for town in town_names():
        country_zh = names.countries_zh.get(town.country_code, "")
        ref = PlaceRef(
            town.country_code, town.region, town.city, en=town.city, zh=country_zh + town.zh
        )
        for name in (town.city, town.zh, *town.aliases):
            _add(found, name, ref)
    return {name: tuple(refs) for name, refs in found.items()}


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
