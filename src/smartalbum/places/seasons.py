"""One calendar of seasons, by hemisphere: what moments are titled with and what search reads.

A season runs three months (winter is December to February in the north). The one
that runs from December into February spans two years and is named by both: "Winter
2024–25" / "2024–25年冬" in the north, "Summer 2024–25" in the south; the others lie
within one year. A season is identified by its kind and the year it starts in.
"""

from __future__ import annotations

from datetime import date

from smartalbum.places.geocoding import hemisphere

SEASONS = ("winter", "spring", "summer", "autumn")
NAMES = {"winter": ("Winter", "冬"), "spring": ("Spring", "春"), "summer": ("Summer", "夏"),
         "autumn": ("Autumn", "秋")}  # fmt: skip
# The months of each season in the north; the south's season of a month is the opposite one.
NORTH_MONTHS = {"winter": (12, 1, 2), "spring": (3, 4, 5), "summer": (6, 7, 8),
                "autumn": (9, 10, 11)}  # fmt: skip
OPPOSITE = {"winter": "summer", "summer": "winter", "spring": "autumn", "autumn": "spring"}
_OF_MONTH = {month: name for name, months in NORTH_MONTHS.items() for month in months}


def season_of(day: date, lat: float | None) -> tuple[str, int]:
    """(kind, starting year) of the season of a date where the place is (north when unknown)."""
    kind = _OF_MONTH[day.month]
    if lat is not None and hemisphere(lat) == "south":
        kind = OPPOSITE[kind]
    return kind, day.year - 1 if day.month in (1, 2) else day.year


def season_names(kind: str, start: int, spans_years: bool) -> tuple[str, str]:
    """("Winter 2024–25", "2024–25年冬"), or ("Spring 2025", "2025年春")."""
    en, zh = NAMES[kind]
    year = two_years(start) if spans_years else str(start)
    return f"{en} {year}", f"{year}年{zh}"


def two_years(start: int) -> str:
    """Two years as a season names them: 2025 gives "2025–26"."""
    return f"{start}–{(start + 1) % 100:02d}"


def months_span(months: tuple[int, ...], start: int) -> tuple[date, date]:
    """[first day, day after) of three months starting in ``start`` (December runs on)."""
    first = date(start, months[0], 1)
    end_year = start + 1 if months[0] >= 10 else start
    last_month = months[-1] + 1
    return first, date(end_year + (last_month > 12), (last_month - 1) % 12 + 1, 1)
