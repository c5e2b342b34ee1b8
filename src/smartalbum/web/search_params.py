"""The parameters of ``GET /api/search`` beside ``q``: structured filters, the day, grouping."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query

from smartalbum.search.structured import Filters


def search_filters(
    label: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="a class: wnid, English or Chinese name"),
    ] = None,
    album: Annotated[
        str | None, Query(min_length=1, max_length=200, description="an album: id or title")
    ] = None,
    place: Annotated[
        str | None,
        Query(
            min_length=1, max_length=200, description="a country, region or town, 'Japan', '北海道'"
        ),
    ] = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="first day, included")
    ] = None,
    date_to: Annotated[date | None, Query(alias="to", description="last day, included")] = None,
) -> Filters:
    """label=, album=, place=, from=, to=: each one more part, combined by AND."""
    return Filters(label, album, place, date_from, date_to)  # fmt: skip


Today = Annotated[
    date | None, Query(description="the day 'last winter' and '上个月' count from (default: today)")
]
Grouping = Annotated[
    Literal["moment"] | None, Query(description="group the page's photos by moment")
]
