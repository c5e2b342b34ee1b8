"""Trips: runs of moments away from home, and where home is.

Home is the ``home`` setting (a town's name in English or Chinese, or "lat,lon"), else
the place most of your GPS photos were taken. A moment whose place lies farther than
``home_radius_km`` from home is away; a run of away moments is a trip. A moment at home
ends it, and so does a week without a photo: with nothing to say where you were, we
assume you went home. Moments without a place inside a trip stay in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from smartalbum.errors import ConfigError
from smartalbum.i18n import t
from smartalbum.places import Place, haversine_km
from smartalbum.settings import home_coordinates

TRIP_SILENCE = timedelta(days=7)


@dataclass(frozen=True)
class Home:
    """Where home is, and how we know: "setting" or "photos"."""

    lat: float
    lon: float
    source: str
    place: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """JSON: coordinates, source and the town's names when known."""
        return {"lat": self.lat, "lon": self.lon, "source": self.source, "place": self.place}


@dataclass(frozen=True)
class Stop:
    """A moment as trips see it: when it ran and the point of its place, if it has one."""

    start: datetime
    end: datetime
    where: tuple[float, float] | None


def home_from_setting(text: str, find: Callable[[str], Place | None]) -> Home:
    """The home setting as a point: "lat,lon", or a town looked up by ``find``."""
    point = home_coordinates(text)
    if point is not None:
        return Home(*point, "setting")
    place = find(text)
    if place is None:
        raise ConfigError(
            t(
                "home {text!r}: no town of that name (give a city in English or Chinese, "
                "or 'lat,lon')",
                text=text,
            )
        )
    return Home(place.latitude, place.longitude, "setting", place.to_dict())


def group_trips(
    stops: Sequence[Stop], home: tuple[float, float] | None, radius_km: float
) -> list[list[int]]:
    """Indices of the stops (in time order) that form each trip, in time order."""
    if home is None:
        return []
    trips: list[list[int]] = []
    current: list[int] = []
    pending: list[int] = []  # placeless moments since the last away one

    def close() -> None:
        if current:
            trips.append(list(current))
        current.clear()
        pending.clear()

    for i, stop in enumerate(stops):
        if current and stop.start - stops[(pending or current)[-1]].end > TRIP_SILENCE:
            close()
        if stop.where is None:
            if current:
                pending.append(i)
            continue
        if haversine_km(home[0], home[1], *stop.where) <= radius_km:
            close()
            continue
        current.extend(pending)
        pending.clear()
        current.append(i)
    close()
    return trips
