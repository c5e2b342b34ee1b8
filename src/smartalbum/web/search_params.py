"""The parameters of ``GET /api/search`` beside ``q``: structured filters, the day, grouping."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BeforeValidator

from smartalbum.search.structured import Filters

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    # A day as the schema says (YYYY-MM-DD): pydantic alone would also read "0" or
    # "1700000000" as seconds since 1970.
    if isinstance(value, str) and not _ISO_DAY.match(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]


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
    date_from: Annotated[Day | None, Query(alias="from", description="first day, included")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="last day, included")] = None,
    text: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=1000,
            description="what the photo says, read in it: '发票', 'boarding pass'",
        ),
    ] = None,
    person: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="a person: id, English or Chinese name"),
    ] = None,
) -> Filters:
    """label=, album=, place=, from=, to=, text=, person=: each one more part, combined by AND."""
    return Filters(label, album, place, date_from, date_to, text, person)  # fmt: skip


Today = Annotated[
    Day | None, Query(description="the day 'last winter' and '上个月' count from (default: today)")
]
Grouping = Annotated[
    Literal["moment"] | None, Query(description="group the page's photos by moment")
]
