"""Moments and trips of a library, computed from the catalog on demand and cached until it changes.

Only the columns the timeline needs are read (time, offset, GPS, the stored place JSON,
each photo's top class and album rows), through Core rather than ORM objects; nothing
is geocoded here but the home setting.
The result is cached under a fingerprint of the catalog (its change count, which moves
with any change to photos, labels, corrections and album members, and the album rules),
so a second request costs one small query.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from smartalbum.albums.membership import CHUNK, labels_of
from smartalbum.catalog import AlbumMember, Correction, Photo, PhotoLabel, live, photos_stamp
from smartalbum.catalog.rows import plain_rows
from smartalbum.errors import NotFoundError
from smartalbum.i18n import t
from smartalbum.library.pages import page_of
from smartalbum.library.service import PhotoLibrary
from smartalbum.moments.build import Context, Moment, Trip, build_moment, build_trips
from smartalbum.moments.clustering import cut
from smartalbum.moments.naming import SCENES
from smartalbum.moments.photos import FILE_DATE, Photos
from smartalbum.moments.trips import Home, home_from_setting
from smartalbum.moments.undated import undated_groups
from smartalbum.places import geocoder
from smartalbum.places import stored as stored_place
from smartalbum.settings import Settings
from smartalbum.text import text_matches


@dataclass
class _Computed:
    moments: list[Moment]  # newest first
    trips: list[Trip]  # newest first
    home: Home | None
    by_id: dict[str, Moment] = field(default_factory=dict)
    of_photo: dict[int, Moment] = field(default_factory=dict)
    listed: list[tuple[dict[str, Any], list[int]]] | None = None  # for search, made on demand


class Timeline:
    """Moments and trips of one library under one set of settings; safe to share."""

    def __init__(self, library: PhotoLibrary, settings: Settings) -> None:
        self.library = library
        self.settings = settings
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Any, ...], _Computed] | None = None
        self._home_setting: Home | None = None

    # -- answers ---------------------------------------------------------------------------

    def moments(self) -> list[dict[str, Any]]:
        """Every moment, newest first."""
        return [m.to_dict() for m in self._current().moments]

    def page(self, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """A page of moments, newest first, and how many there are."""
        moments = self._current().moments
        chosen = page_of(moments, offset, limit)
        return {"total": len(moments), "offset": offset, "moments": [m.to_dict() for m in chosen]}

    def moment(self, moment_id: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """One moment and a page of its photos in time order; NotFoundError if there is none."""
        found = self._current().by_id.get(moment_id)
        if found is None:
            raise NotFoundError(t("no moment {moment_id!r}", moment_id=moment_id))
        ids = page_of(found.photo_ids, offset, limit)
        with self.library.sessions() as session:
            rows = session.execute(select(Photo.id, Photo.path).where(Photo.id.in_(ids))).all()
        paths = dict(rows)
        photos = [{"id": i, "path": paths[i]} for i in ids if i in paths]
        return {**found.to_dict(), "offset": offset, "photos": photos}

    def trips(self) -> list[dict[str, Any]]:
        """Every trip, newest first."""
        return [t.to_dict() for t in self._current().trips]

    def home(self) -> dict[str, Any] | None:
        """Where home is taken to be, or None without a setting or any GPS photo."""
        home = self._current().home
        return home.to_dict() if home else None

    def moment_of(self, photo_id: int) -> dict[str, Any] | None:
        """The moment a photo belongs to (id and titles), or None if it has no time."""
        found = self._current().of_photo.get(photo_id)
        return found.ref() if found else None

    def cover_of(self, moment_id: str) -> int | None:
        """The cover photo of a moment, or None if there is no such moment."""
        found = self._current().by_id.get(moment_id)
        return found.cover if found else None

    def moments_of(self, photo_ids: Iterable[int]) -> dict[int, tuple[dict[str, Any], int]]:
        """Each dated photo's moment (id and titles) and that moment's cover, in one look.

        One state of the catalog for them all: ``moment_of`` per photo checks the catalog's
        state each time, seconds for a day's few hundred photos at 100,000.
        """
        of_photo = self._current().of_photo
        found = ((i, of_photo.get(i)) for i in photo_ids)
        return {i: (m.ref(), m.cover) for i, m in found if m is not None}

    def groups(self) -> list[tuple[dict[str, Any], list[int]]]:
        """Every moment as listed, with its photo ids, newest first: what search groups by."""
        computed = self._current()
        if computed.listed is None:  # made once per state of the catalog, not per search
            computed.listed = [(m.to_dict(), m.photo_ids) for m in computed.moments]
        return computed.listed

    def stamp(self) -> tuple[Any, ...]:
        """The state of the catalog the moments were last computed from."""
        with self._lock:
            return self._cached[0] if self._cached is not None else self._fingerprint()

    def matching(self, text: str) -> list[dict[str, Any]]:
        """Moments whose places or titles the query names, newest first."""
        if not text.strip():
            return []
        computed = self._current()
        every_place = {raw for m in computed.moments for raw in m.places}
        named = {
            raw for raw in every_place if stored_place.matches(stored_place.parse(raw) or {}, text)
        }
        return [
            {**m.ref(), "count": len(m.photo_ids)}
            for m in computed.moments
            if m.places & named or text_matches(text, m.title) or text_matches(text, m.title_zh)
        ]

    # -- computing -------------------------------------------------------------------------

    def _current(self) -> _Computed:
        with self._lock:
            stamp = self._fingerprint()
            if self._cached is None or self._cached[0] != stamp:
                self._cached = (stamp, self._compute())
            return self._cached[1]

    def _fingerprint(self) -> tuple[Any, ...]:
        with self.library.sessions() as session:
            photos = photos_stamp(session)  # corrections and album members count in it too
        return (*photos, self.library.rules.digest)

    def _compute(self) -> _Computed:
        photos, undated = self._photos()
        lat, lon = photos.arrays()
        settings = self.settings
        bounds = cut(
            photos.seconds, lat, lon, settings.moment_gap_hours, settings.moment_distance_km
        )
        albums, tops = self._albums(), self._tops()
        context = Context(
            albums=albums,
            album_titles={a.id: (a.title, a.title_zh) for a in self.library.rules.albums},
            tops={photo_id: top[0] for photo_id, top in tops.items()},
            sure={photo_id: top[1] for photo_id, top in tops.items()},
            scenes={
                self.library.labels.index_of(wnid): scene
                for scene in SCENES
                for wnid in scene.wnids
            },
        )
        moments = [build_moment(photos, start, end, context) for start, end in bounds]
        home = self._home(photos)
        trips = build_trips(moments, home, settings.home_radius_km)
        listed = moments[::-1] + undated_groups(undated)  # undated: after every dated moment
        return _Computed(
            moments=listed,
            trips=trips[::-1],
            home=home,
            by_id={m.id: m for m in listed},
            of_photo={i: m for m in listed for i in m.photo_ids},
        )

    def _photos(self) -> tuple[Photos, list[tuple[int, str, float]]]:
        """Every present photo with a time, read in one query of the columns needed.

        Those dated only by their file come apart: (id, file date, indexed_at) of each.
        """
        query = select(
            Photo.id,
            Photo.taken_at,
            Photo.taken_at_offset,
            Photo.time_source,
            Photo.gps_lat,
            Photo.gps_lon,
            Photo.place,
            Photo.indexed_at,
        ).where(live(), Photo.taken_at.is_not(None), Photo.archived_at.is_(None))
        with self.library.sessions() as session:
            rows = plain_rows(session, query)
        dated = [row for row in rows if row[3] != FILE_DATE]
        undated = [(row[0], row[1], row[7]) for row in rows if row[3] == FILE_DATE]
        return Photos.from_rows(dated), undated

    def _albums(self) -> dict[str, dict[int, float]]:
        """Each album's photos and scores."""
        albums: dict[str, dict[int, float]] = {a.id: {} for a in self.library.rules.albums}
        with self.library.sessions() as session:
            rows = select(AlbumMember.photo_id, AlbumMember.album_id, AlbumMember.score)
            for photo_id, album_id, score in plain_rows(session, rows):
                if album_id in albums:
                    albums[album_id][photo_id] = score
        return albums

    def _tops(self) -> dict[int, tuple[int, float]]:
        """Each photo's top class and its probability, corrections applied."""
        with self.library.sessions() as session:
            query = select(PhotoLabel.photo_id, PhotoLabel.class_index, PhotoLabel.probability)
            rows = plain_rows(session, query.where(PhotoLabel.rank == 1))
            tops = {photo_id: (index, probability) for photo_id, index, probability in rows}
            corrected = list(session.scalars(select(Correction.photo_id).distinct()))
            for start in range(0, len(corrected), CHUNK):
                chunk = corrected[start : start + CHUNK]
                labels = labels_of(session, chunk)
                for photo_id in chunk:
                    if photo_id in labels:
                        tops[photo_id] = labels[photo_id][0]
                    else:
                        tops.pop(photo_id, None)
        return tops

    def _home(self, photos: Photos) -> Home | None:
        if self.settings.home:
            if self._home_setting is None:  # one lookup per process, not per request
                self._home_setting = home_from_setting(self.settings.home, geocoder().find)
            return self._home_setting
        counts = Counter(photos.places)
        counts.pop(None, None)
        if not counts:
            return None
        most = counts.most_common(1)[0][0]
        at = [i for i, place in enumerate(photos.places) if place == most]
        centre = _centre((photos.lat[i], photos.lon[i]) for i in at)
        if centre is None:
            return None
        return Home(centre[0], centre[1], "photos", stored_place.parse(most))


def _centre(points: Iterable[tuple[float | None, float | None]]) -> tuple[float, float] | None:
    """The mean of points on the sphere (right across the 180th meridian), or None."""
    x = y = z = 0.0
    for lat, lon in points:
        if lat is None or lon is None:
            continue
        phi, lam = math.radians(lat), math.radians(lon)
        x += math.cos(phi) * math.cos(lam)
        y += math.cos(phi) * math.sin(lam)
        z += math.sin(phi)
    if x == y == z == 0.0:
        return None
    return (
        math.degrees(math.atan2(z, math.hypot(x, y))),
        math.degrees(math.atan2(y, x)),
    )
