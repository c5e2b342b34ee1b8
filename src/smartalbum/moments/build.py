"""Moments and trips built from the timeline's columns: place, albums, cover, scene and titles.

Nothing here touches the catalog; ``timeline`` reads it and hands over the columns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smartalbum.moments.naming import (
    SCENES,
    Scene,
    moment_titles,
    place_names,
    trip_titles,
    when_names,
)
from smartalbum.moments.photos import Photos
from smartalbum.moments.trips import Home, Stop, group_trips
from smartalbum.places import stored as stored_place


@dataclass(frozen=True)
class Context:
    """What naming a moment needs besides its photos."""

    albums: dict[str, dict[int, float]]  # album -> photo -> score, in rule order
    album_titles: dict[str, tuple[str, str]]
    tops: dict[int, int]  # photo -> top class, corrections applied
    scenes: dict[int, Scene]  # class index -> the activity it shows
    sure: dict[int, float] = field(default_factory=dict)  # photo -> its top class's probability
    parsed: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    named: dict[str, tuple[str, str]] = field(default_factory=dict)

    def place(self, raw: str | None) -> dict[str, Any] | None:
        """A stored place text parsed, each distinct text once (a library has few)."""
        if raw is None:
            return None
        if raw not in self.parsed:
            self.parsed[raw] = stored_place.parse(raw)
        return self.parsed[raw]

    def names(self, raw: str | None) -> tuple[str, str]:
        """The place's names for titles ("Hokkaido, Japan", "日本北海道"), made once per place."""
        if raw is None:
            return "", ""
        if raw not in self.named:
            self.named[raw] = place_names(self.place(raw))
        return self.named[raw]


@dataclass
class Moment:
    """Photos taken close together in time and place, with their names and facts."""

    id: str
    photo_ids: list[int]  # in time order
    start: str  # ISO 8601, with the offset when the photo recorded one
    end: str
    first: datetime  # sort keys: UTC when the offset is known, else local
    last: datetime
    place: dict[str, Any] | None
    where: tuple[float, float] | None  # a photo taken at ``place``
    places: frozenset[str]  # every stored place text among its photos
    albums: list[str]
    cover: int
    title: str
    title_zh: str
    file_date: bool  # every time in it is a file date, not a capture time
    trip: Trip | None = None
    imported: str | None = None  # an undated group's day of import, ISO 8601

    def to_dict(self) -> dict[str, Any]:
        """JSON for lists: no photos, the trip as a reference."""
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "count": len(self.photo_ids),
            "place": self.place,
            "albums": self.albums,
            "cover": self.cover,
            "title": self.title,
            "title_zh": self.title_zh,
            "time_is_file_date": self.file_date,
            "imported": self.imported,
            "trip": self.trip.ref() if self.trip else None,
        }

    def ref(self) -> dict[str, Any]:
        """The short form other answers point to a moment with."""
        return {"id": self.id, "title": self.title, "title_zh": self.title_zh}


@dataclass
class Trip:
    """Consecutive moments away from home."""

    id: str
    moments: list[Moment]
    place: dict[str, Any] | None
    title: str
    title_zh: str

    def ref(self) -> dict[str, Any]:
        """The short form a moment points to its trip with."""
        return {"id": self.id, "title": self.title, "title_zh": self.title_zh}

    def to_dict(self) -> dict[str, Any]:
        """JSON: titles, span, its moments' ids (in time order), photo count and place."""
        return {
            **self.ref(),
            "start": self.moments[0].start,
            "end": self.moments[-1].end,
            "moments": [m.id for m in self.moments],
            "count": sum(len(m.photo_ids) for m in self.moments),
            "place": self.place,
        }


def build_moment(photos: Photos, start: int, end: int, context: Context) -> Moment:
    """The moment of photos ``start:end`` (in time order)."""
    # Counting over slices and map() runs at C speed: 100,000 photos are a few passes.
    ids = photos.ids[start:end]
    places: Counter[str] = Counter(filter(None, photos.places[start:end]))
    raw_place = places.most_common(1)[0][0] if places else None  # the first of the most
    where = None
    if raw_place is not None:
        at = photos.places.index(raw_place, start, end)
        lat, lon = photos.lat[at], photos.lon[at]
        where = (lat, lon) if lat is not None and lon is not None else None
    counts = {
        album: sum(map(members.__contains__, ids)) for album, members in context.albums.items()
    }
    ranked = sorted((a for a in counts if counts[a]), key=lambda a: -counts[a])  # stable: rules
    scene = _scene(Counter(map(context.tops.get, ids)), context.scenes)
    named = (scene.en, scene.zh) if scene else context.album_titles[ranked[0]] if ranked else None
    title, title_zh = moment_titles(
        when_names(photos.local(start).date(), where[0] if where else None),
        context.names(raw_place),
        named,
    )
    return Moment(
        id=f"m{ids[0]}",
        photo_ids=ids,
        start=photos.iso(start),
        end=photos.iso(end - 1),
        first=photos.when(start),
        last=photos.when(end - 1),
        place=context.place(raw_place),
        where=where,
        places=frozenset(places),
        albums=ranked,
        cover=_cover(ids, scene, ranked, context),
        title=title,
        title_zh=title_zh,
        file_date=photos.only_file_dates(start, end),
    )


def _cover(ids: list[int], scene: Scene | None, ranked: list[str], context: Context) -> int:
    """A photo of what the title names: the scene's surest photo, else the first album's best.

    The earliest of equals; with neither, the first photo.
    """
    if scene is not None:
        showing = [i for i in ids if context.scenes.get(context.tops.get(i, -1)) is scene]
        return max(showing, key=lambda i: context.sure.get(i, 0.0))
    if ranked:
        scores = context.albums[ranked[0]]
        return max(filter(scores.__contains__, ids), key=scores.__getitem__)
    return ids[0]


def _scene(classes: Counter[int | None], scenes: dict[int, Scene]) -> Scene | None:
    """The activity of the moment's most common top class, if it names one.

    An activity's classes count together (seashore and sandbar are both the beach), and
    a tie goes to an activity: it says more about the moment than a thing does.
    """
    classes.pop(None, None)
    totals: Counter[Scene] = Counter()
    for index in scenes.keys() & classes.keys():
        totals[scenes[index]] += classes[index]
    if not totals:
        return None
    best = max(totals, key=lambda scene: (totals[scene], -SCENES.index(scene)))
    # An activity's total is at least each of its classes, so only a thing can beat it.
    return best if totals[best] >= max(classes.values()) else None


def build_trips(moments: list[Moment], home: Home | None, radius_km: float) -> list[Trip]:
    """Trips over moments in time order, oldest first; each moment learns its trip."""
    stops = [Stop(m.first, m.last, m.where) for m in moments]
    trips = []
    for indices in group_trips(stops, (home.lat, home.lon) if home else None, radius_km):
        members = [moments[i] for i in indices]
        weights: Counter[tuple[Any, ...]] = Counter()
        for m in members:
            if m.place is not None:
                weights[tuple(m.place.values())] += len(m.photo_ids)
        place = None
        if weights:
            place = dict(zip(stored_place.KEYS, weights.most_common(1)[0][0], strict=True))
        first_day = datetime.fromisoformat(members[0].start).date()
        last_day = datetime.fromisoformat(members[-1].end).date()
        title, title_zh = trip_titles(first_day, last_day, place)
        trip = Trip(f"t{members[0].photo_ids[0]}", members, place, title, title_zh)
        for m in members:
            m.trip = trip
        trips.append(trip)
    return trips
