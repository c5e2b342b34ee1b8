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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

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
    count: int
    lat_sum: float
    lon_sum: float
    south: float
    north: float
    west: float
    east: float
    first: int  # the smallest id: the order of equal counts
    newest_taken: (
        str  # the latest taken_at ("" for none): its photo with the largest id is the cover
    )
    cover: int = 0
    place: tuple[int, int, str] | None = None  # (-count, first id, place): the most common first

    def add(self, other: _Cluster) -> None:
        """Take in the photos of another part of the same cell (another place)."""
        self.count += other.count
        self.lat_sum += other.lat_sum
        self.lon_sum += other.lon_sum
        self.south, self.north = min(self.south, other.south), max(self.north, other.north)
        self.west, self.east = min(self.west, other.west), max(self.east, other.east)
        self.first = min(self.first, other.first)
        self.newest_taken = max(self.newest_taken, other.newest_taken)


def cell_degrees(zoom: int) -> float:
    """The side of a cell at a zoom level, in degrees."""
    return CELL_DEGREES / float(2**zoom)


def clusters(library: PhotoLibrary, zoom: int, box: Box = Box()) -> dict[str, Any]:
    """The clusters of the GPS photos in ``box`` at ``zoom``, biggest first.

    The catalog bins and sums the photos (GROUP BY their cell): 100,000 rows are not read
    into Python to make a few hundred clusters; then the cells' places and covers.
    """
    cell = cell_degrees(zoom)
    with library.sessions() as session:
        query = cells_query(cell, box, session.get_bind().dialect.name)
        cells = _cells(session, query)
        _covers(session, cells, cell, _where(box))
    listed = sorted(cells.values(), key=lambda c: (-c.count, c.first))
    return {
        "zoom": zoom,
        "cell_degrees": cell,
        "count": sum(c.count for c in listed),
        "clusters": [_json(c) for c in listed],
    }


def _where(box: Box) -> tuple[ColumnElement[bool], ...]:
    return (live(), Photo.archived_at.is_(None), Photo.gps_lat.is_not(None),
            Photo.gps_lon.is_not(None), box.clause())  # fmt: skip


def cells_query(cell: float, box: Box, dialect: str) -> Select[*tuple[Any, ...]]:
    """Per cell of ``cell`` degrees and place: count, sums, bounds, first id, latest time.

    Read from ``ix_photos_map`` alone (it holds every column asked), never the rows.
    """
    floor = _floor(dialect)
    # Constants inline, not bound: PostgreSQL takes the GROUP BY for the SELECT's own
    # expression only if its text is the same (two bound parameters are two values).
    lat = floor((Photo.gps_lat + literal_column("90.0")) / literal_column(repr(cell)))
    lon = floor((Photo.gps_lon + literal_column("180.0")) / literal_column(repr(cell)))
    return (
        select(lat, lon, Photo.place, func.count(), func.sum(Photo.gps_lat),
               func.sum(Photo.gps_lon), func.min(Photo.gps_lat), func.max(Photo.gps_lat),
               func.min(Photo.gps_lon), func.max(Photo.gps_lon), func.min(Photo.id),
               func.max(func.coalesce(Photo.taken_at, "")))
        .where(*_where(box)).group_by(lat, lon, Photo.place)
    )  # fmt: skip


def _floor(dialect: str) -> Callable[[ColumnElement[Any]], ColumnElement[int]]:
    """floor() in SQL: SQLite has it only when built with its math functions."""
    if dialect != "sqlite":
        return lambda x: cast(func.floor(x), Integer)

    def floor(x: ColumnElement[Any]) -> ColumnElement[int]:
        whole = cast(x, Integer)  # toward zero: one less below zero, unless already whole
        return whole - cast(x < whole, Integer)

    return floor


def _cells(session: Session, query: Select[*tuple[Any, ...]]) -> dict[tuple[int, int], _Cluster]:
    """Each cell's count, sums, bounds, first id and latest time, and its most common place
    (of two as common, the one met first: the smaller id), from one pass over the photos."""
    cells: dict[tuple[int, int], _Cluster] = {}
    rows: Any = session.execute(query)  # sums and bounds of rows that all have both
    for x, y, place, *part in rows:
        found = cells.get((x, y))
        if found is None:
            found = cells[(x, y)] = _Cluster(*part)
        else:
            found.add(_Cluster(*part))
        if place and (found.place is None or (-part[0], part[7]) < found.place[:2]):
            found.place = (-part[0], part[7], place)
    return cells


def _covers(
    session: Session,
    cells: dict[tuple[int, int], _Cluster],
    cell: float,
    where: tuple[ColumnElement[bool], ...],
) -> None:
    """Each cell's newest photo (the largest id of its latest taken_at): read by taken_at."""
    latest = sorted({c.newest_taken for c in cells.values()})
    for start in range(0, len(latest), 500):
        chunk = latest[start : start + 500]
        taken: ColumnElement[bool] = Photo.taken_at.in_(chunk)
        if "" in chunk:
            taken = or_(taken, Photo.taken_at.is_(None))
        query = select(Photo.id, Photo.gps_lat, Photo.gps_lon, Photo.taken_at).where(*where, taken)
        for photo_id, lat, lon, taken_at in session.execute(query):
            if lat is None or lon is None:  # the query asks for both; this tells mypy
                continue
            found = cells.get((math.floor((lat + 90.0) / cell), math.floor((lon + 180.0) / cell)))
            if found is not None and (taken_at or "") == found.newest_taken:
                found.cover = max(found.cover, photo_id)


def _json(cluster: _Cluster) -> dict[str, Any]:
    raw = cluster.place[2] if cluster.place else None
    name, name_zh = place_names(stored_place.parse(raw) if raw else None)
    return {
        "lat": round(cluster.lat_sum / cluster.count, 6),
        "lon": round(cluster.lon_sum / cluster.count, 6),
        "count": cluster.count,
        "cover": cluster.cover,
        "place": name or None,
        "place_zh": name_zh or None,
        "bounds": {
            "south": cluster.south, "west": cluster.west,
            "north": cluster.north, "east": cluster.east,
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
