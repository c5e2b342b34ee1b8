"""Ways back into the library besides albums and search: on this day (and, later, the map).

Reads only: every answer is computed from the catalog and the timeline's cached moments.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from smartalbum.moments.onthisday import on_this_day
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import Holder
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
    timeline = holder.timeline()
    day = today or date.today()
    return on_this_day(holder.get(), timeline.moment_of, timeline.cover_of, day, limit)
