"""Photos with GPS as clusters on a world map, and the photos of one cluster's box.

A zoom level cuts the world into square cells of ``CELL_DEGREES / 2**zoom`` degrees of
latitude and longitude (40° at 0, about 1 km at 12); the photos of one cell make one
cluster, placed at their mean and named by the place most of them were taken at, in
English and Chinese. The map shows a cell as some 110 pixels at every zoom, so clusters
neither pile up nor scatter as you zoom. A box whose west is east of its east runs
across the 180th meridian (Fiji, the Aleutians).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from smartalbum.catalog import Photo, live
from smartalbum.library.service import PhotoLibrary
from smartalbum.moments.naming import place_names
from smartalbum.places import stored as stored_place

CELL_DEGREES = 40.0
MAX_ZOOM = 12


@dataclass(frozen=True)
class Box:
    """Where to look: south to north, west to east (west > east: across the 180th meridian)."""

    south: float = -90.0
    west: float = -180.0
    north: float = 90.0
    east: float = 180.0

    def clause(self) -> ColumnElement[bool]:
        """The photos inside, for a query; south and north are taken in either order."""
        low, high = sorted((self.south, self.north))
        lat = Photo.gps_lat.between(low, high)
        if self.west <= self.east:
            return and_(lat, Photo.gps_lon.between(self.west, self.east))
        return and_(lat, or_(Photo.gps_lon >= self.west, Photo.gps_lon <= self.east))


@dataclass
class _Cluster:
    ids: list[int]
    lats: list[float]
    lons: list[float]
    newest: tuple[str, int]  # (taken_at, id) of the newest photo: the cover
    places: Counter[str]


def cell_degrees(zoom: int) -> float:
    """The side of a cell at a zoom level, in degrees."""
    return CELL_DEGREES / float(2**zoom)


def clusters(library: PhotoLibrary, zoom: int, box: Box = Box()) -> dict[str, Any]:
    """The clusters of the GPS photos in ``box`` at ``zoom``, biggest first."""
    cell = cell_degrees(zoom)
    query = select(Photo.id, Photo.gps_lat, Photo.gps_lon, Photo.taken_at, Photo.place).where(
        live(),
        Photo.archived_at.is_(None),
        Photo.gps_lat.is_not(None),
        Photo.gps_lon.is_not(None),
        box.clause(),
    )
    cells: dict[tuple[int, int], _Cluster] = defaultdict(
        lambda: _Cluster([], [], [], ("", 0), Counter())
    )
    with library.sessions() as session:
        for photo_id, lat, lon, taken_at, place in session.execute(query):
            if lat is None or lon is None:  # the query asks for both; this tells mypy
                continue
            key = (math.floor((lat + 90.0) / cell), math.floor((lon + 180.0) / cell))
            found = cells[key]
            found.ids.append(photo_id)
            found.lats.append(lat)
            found.lons.append(lon)
            found.newest = max(found.newest, (taken_at or "", photo_id))
            if place:
                found.places[place] += 1
    listed = sorted(cells.values(), key=lambda c: (-len(c.ids), min(c.ids)))
    return {
        "zoom": zoom,
        "cell_degrees": cell,
        "count": sum(len(c.ids) for c in listed),
        "clusters": [_json(c) for c in listed],
    }


def _json(cluster: _Cluster) -> dict[str, Any]:
    raw = cluster.places.most_common(1)[0][0] if cluster.places else None
    name, name_zh = place_names(stored_place.parse(raw) if raw else None)
    return {
        "lat": round(sum(cluster.lats) / len(cluster.lats), 6),
        "lon": round(sum(cluster.lons) / len(cluster.lons), 6),
        "count": len(cluster.ids),
        "cover": cluster.newest[1],
        "place": name or None,
        "place_zh": name_zh or None,
        "bounds": {
            "south": min(cluster.lats), "west": min(cluster.lons),
            "north": max(cluster.lats), "east": max(cluster.lons),
        },
    }  # fmt: skip


def photos_in(library: PhotoLibrary, box: Box, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """A page of the GPS photos in ``box``, newest first, and how many there are."""
    where = (
        live(),
        Photo.archived_at.is_(None),
        Photo.gps_lat.is_not(None),
        Photo.gps_lon.is_not(None),
        box.clause(),
    )
    with library.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Photo).where(*where)) or 0
        rows = session.execute(
            select(Photo.id, Photo.path, Photo.taken_at)
            .where(*where)
            .order_by(Photo.taken_at.desc(), Photo.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
    photos = [{"id": i, "path": path, "taken_at": taken} for i, path, taken in rows]
    return {"count": count, "offset": offset, "photos": photos}
