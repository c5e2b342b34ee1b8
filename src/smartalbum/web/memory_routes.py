"""Ways back into the library besides albums and search: on this day, and the map.

Reads only: every answer is computed from the catalog and the timeline's cached moments.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from smartalbum.moments.geo_clusters import MAX_ZOOM, Box, clusters, photos_in
from smartalbum.moments.onthisday import on_this_day
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import Holder, Offset, PageSize
from smartalbum.web.search_params import Day

router = APIRouter(prefix="/api")

Today = Annotated[
    Day | None,
    Query(description="the day whose earlier years are shown, YYYY-MM-DD (default: today)"),
]


@router.get("/on-this-day", responses=error_responses(422, 503))
def on_this_day_route(
    holder: Holder,
    today: Today = None,
    limit: Annotated[int, Query(ge=1, le=100, description="photos shown per year")] = 12,
) -> dict[str, Any]:
    """Photos taken on this month and day in earlier years, by year, newest first.

    Each year: its titles ("3 years ago", "三年前的今天"), how many photos, the moments
    they belong to, and up to ``limit`` photos, favourites and moment covers first.
    """
    day = today or date.today()
    return on_this_day(holder.get(), holder.timeline().moments_of, day, limit)


Lat = Annotated[float, Query(ge=-90, le=90, description="degrees north")]
Lon = Annotated[float, Query(ge=-180, le=180, description="degrees east")]


def map_box(south: Lat = -90.0, west: Lon = -180.0, north: Lat = 90.0, east: Lon = 180.0) -> Box:
    """south=, west=, north=, east=: the box to look in (west > east: across the 180th meridian)."""
    return Box(south, west, north, east)


MapBox = Annotated[Box, Depends(map_box)]
Zoom = Annotated[int, Query(ge=0, le=MAX_ZOOM, description="0: cells of 40°; each level halves")]


@router.get("/map/clusters", responses=error_responses(422, 503))
def map_clusters(
    holder: Holder,
    box: MapBox,
    zoom: Zoom = 0,
) -> dict[str, Any]:
    """The photos with GPS in the box as clusters, one per cell of the zoom level, biggest first.

    Each: its mean position, count, cover (the newest photo), place in English and Chinese
    (the most common among its photos) and the box its photos span.
    """
    return clusters(holder.get(), zoom, box)


@router.get("/map/photos", responses=error_responses(422, 503))
def map_photos(
    holder: Holder, box: MapBox, offset: Offset = 0, limit: PageSize = 100
) -> dict[str, Any]:
    """A page of the photos with GPS in the box (a cluster's bounds), newest first."""
    return photos_in(holder.get(), box, offset, limit)
