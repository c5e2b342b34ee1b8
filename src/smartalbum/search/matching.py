"""The photos each part of a query finds, in the catalog: what by label sums, where, when.

Each part is looked up on its own (so each can say how many photos it finds alone);
the answer is the photos every part finds. A "what" scores a photo by the summed
probabilities of its classes (corrections applied) or its album score; a scene word
(beach, snow, mountains, city) also finds every photo of a moment where a quarter of
the photos show that scene. Where and when are certain: they score nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from smartalbum.albums.membership import CHUNK, labels_of
from smartalbum.catalog import AlbumMember, Correction, Photo, is_live, live
from smartalbum.categories.store import CONCEPT_PREFIX, concept_scores
from smartalbum.people.directory import PERSON_PREFIX, person_photos
from smartalbum.places import stored
from smartalbum.search.arrays import SearchArrays, label_sums, ranked, times_of
from smartalbum.search.colour_match import colour_scores
from smartalbum.search.understand.colours import PREFIX
from smartalbum.search.understand.parse import Part
from smartalbum.search.understand.spans import TimeSpan

# Below this a label is the model's noise, not a finding: a photo 0.06 % "pizza" is no pizza.
MIN_SCORE = 0.05
PLACE_SCORE = 1.0  # a photo taken in the place named is certainly a match
SCENE_SCORE = 0.5  # in a moment at the seaside, but not showing the sea itself
SCENE_SHARE = 0.25  # of a moment's photos must show the scene for the moment to have it

Found = dict[int, float]  # photo id -> score


class MomentSource(Protocol):
    """Moments as search needs them (the timeline): each with its photo ids, newest first."""

    def groups(self) -> list[tuple[dict[str, Any], list[int]]]:
        """(moment as listed, its photo ids) for every moment."""
        ...

    def stamp(self) -> tuple[Any, ...]:
        """What the moments were computed from: changes whenever the catalog does."""
        ...


@dataclass(frozen=True)
class PlaceIndex:
    """Where the present photos were taken: each stored place text parsed, and its photos."""

    parsed: dict[str, dict[str, Any]]  # damaged texts left out
    photos: dict[str, list[tuple[int, str]]]  # (id, taken_at) of each place's photos


# A photo's id and what ``is_live`` reads.
_LIVE = (Photo.id, Photo.status, Photo.trashed_at, Photo.companion_of)


def place_index(session: Session) -> PlaceIndex:
    """Read once per catalog state (search keeps it): a scan of the place column."""
    parsed: dict[str, dict[str, Any]] = {}
    photos: dict[str, list[tuple[int, str]]] = {}
    rows = session.execute(
        select(*_LIVE, Photo.place, Photo.taken_at).where(Photo.place.is_not(None))
    )
    for photo_id, status, trashed_at, companion_of, raw, taken_at in rows:
        if not is_live(status, trashed_at, companion_of) or raw is None:
            continue
        if raw not in photos:
            found = stored.parse(raw)
            if found is None:
                continue
            parsed[raw], photos[raw] = found, []
        photos[raw].append((photo_id, taken_at or ""))
    return PlaceIndex(parsed, photos)


def place_texts(part: Part, places: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The stored place texts that lie in any of the part's places."""
    return sorted(raw for raw, p in places.items() if any(r.matches(p) for r in part.places))


def where_found(index: PlaceIndex, texts: Sequence[str], times: dict[int, str]) -> Found:
    """Photos taken in these stored places: certain matches."""
    found: Found = {}
    for raw in texts:
        for photo_id, taken_at in index.photos.get(raw, ()):
            found[photo_id] = PLACE_SCORE
            times[photo_id] = taken_at
    return found


def _span_clause(span: TimeSpan) -> ColumnElement[bool]:
    taken, south = Photo.taken_at, Photo.gps_lat < 0
    if span.months:
        month = func.substr(taken, 6, 2)
        north_months = [f"{m:02d}" for m in span.months]
        south_months = [f"{m:02d}" for m in span.south_months]
        return or_(
            and_(or_(Photo.gps_lat.is_(None), ~south), month.in_(north_months)),
            and_(south, month.in_(south_months)),
        )
    if span.ranges:  # every year's holiday: any of its days
        return or_(*(and_(taken >= a.isoformat(), taken < b.isoformat()) for a, b in span.ranges))
    assert span.start is not None and span.end is not None
    north = and_(taken >= span.start.isoformat(), taken < span.end.isoformat())
    if span.south is None:
        return north
    far = and_(taken >= span.south[0].isoformat(), taken < span.south[1].isoformat())
    return or_(and_(or_(Photo.gps_lat.is_(None), ~south), north), and_(south, far))


def _outer(span: TimeSpan) -> ColumnElement[bool]:
    """A range of the taken_at index holding the span in both hemispheres, when it has one."""
    ranges = [(span.start, span.end)] + ([span.south] if span.south else [])
    first = min(r[0] for r in ranges if r[0] is not None)
    last = max(r[1] for r in ranges if r[1] is not None)
    return and_(Photo.taken_at >= first.isoformat(), Photo.taken_at < last.isoformat())


def when_found(session: Session, span: TimeSpan, times: dict[int, str]) -> Found:
    """Photos taken within the span, by the local time recorded (seasons by hemisphere).

    Whether a photo is live is checked here, not in SQL: nearly every photo is, and given
    the status index SQLite would walk all of them instead of the range of times.
    """
    clause = _span_clause(span) if span.months else and_(_outer(span), _span_clause(span))
    rows = session.execute(
        select(*_LIVE, Photo.taken_at).where(Photo.taken_at.is_not(None), clause)
    )
    found: Found = {}
    for photo_id, status, trashed_at, companion_of, taken_at in rows:
        if is_live(status, trashed_at, companion_of):
            found[photo_id] = PLACE_SCORE
            times[photo_id] = taken_at or ""
    return found


def label_scores(
    session: Session, classes: frozenset[int], times: dict[int, str], arrays: SearchArrays
) -> Found:
    """Summed probabilities of these classes per photo; corrected photos from their labels."""
    if not classes:
        return {}
    ids, sums = label_sums(arrays, classes)  # the labels held in memory (search/arrays.py)
    scores: Found = dict(zip(ids, sums, strict=True))
    times_of(arrays, ids, times)
    # The corrected photos first, then which are live: joined, SQLite would walk every live
    # photo by the status index to find the few corrected ones.
    corrected_ids = sorted(session.scalars(select(Correction.photo_id).distinct()))
    for start in range(0, len(corrected_ids), CHUNK):
        chunk = corrected_ids[start : start + CHUNK]
        rows = session.execute(select(Photo.id, Photo.taken_at).where(Photo.id.in_(chunk), live()))
        corrected = list(rows)
        found = labels_of(session, [photo_id for photo_id, _ in corrected])
        for photo_id, taken_at in corrected:
            scores[photo_id] = sum(p for i, p in found.get(photo_id, []) if i in classes)
            times[photo_id] = taken_at or ""
    return scores


def album_scores(
    session: Session, albums: Sequence[str], times: dict[int, str], arrays: SearchArrays
) -> Found:
    """Each photo's best score among these albums (and taught categories, "category:ID")."""
    found: Found = {}
    for photo_id, score, taken_at in concept_scores(session, albums):
        found[photo_id] = score
        times[photo_id] = taken_at or ""
    for photo_id, taken_at in person_photos(session, albums):  # a person named: certain
        found[photo_id] = 1.0
        times[photo_id] = taken_at or ""
    for photo_id, share, taken_at in colour_scores(arrays, albums):  # a colour: its share
        found[photo_id] = max(found.get(photo_id, 0.0), share)
        times[photo_id] = taken_at or ""
    albums = [a for a in albums if not a.startswith((CONCEPT_PREFIX, PERSON_PREFIX, PREFIX))]
    if not albums:
        return found
    best = (
        select(AlbumMember.photo_id, func.max(AlbumMember.score).label("score"))
        .where(AlbumMember.album_id.in_(albums))
        .group_by(AlbumMember.photo_id)
        .subquery()
    )
    rows = session.execute(
        select(best.c.photo_id, best.c.score, Photo.taken_at)
        .join(Photo, Photo.id == best.c.photo_id)
        .where(live())
    )
    for photo_id, score, taken_at in rows:
        found[photo_id] = max(found.get(photo_id, 0.0), float(score))
        times[photo_id] = taken_at or ""
    return found


def what_found(
    session: Session,
    part: Part,
    places: PlaceIndex,
    moments: Sequence[tuple[dict[str, Any], list[int]]],
    times: dict[int, str],
    arrays: SearchArrays,
) -> Found:
    """Photos a "what" finds, scored: its classes, its albums, a place of that name, its scene."""
    scores = label_scores(session, part.classes, times, arrays)
    for photo_id, score in album_scores(session, part.albums, times, arrays).items():
        scores[photo_id] = max(scores.get(photo_id, 0.0), score)
    if part.places:  # a word that is both a thing and a place here: either finds the photo
        texts = place_texts(part, places.parsed)
        for photo_id, score in where_found(places, texts, times).items():
            scores[photo_id] = max(scores.get(photo_id, 0.0), score)
    found = _at_least(scores, MIN_SCORE)
    if part.scene:
        for photo_id in scene_photos(found.keys(), moments):
            found[photo_id] = max(found.get(photo_id, 0.0), SCENE_SCORE)
    return found


def _at_least(scores: Found, least: float) -> Found:
    """The scores at least ``least``, each at most 1.0 (in numpy: tens of thousands)."""
    ids = np.fromiter(scores.keys(), np.int64, len(scores))
    values = np.fromiter(scores.values(), np.float64, len(scores))
    kept = values >= least
    return dict(zip(ids[kept].tolist(), np.minimum(values[kept], 1.0).tolist(), strict=True))


def scene_photos(shown: Iterable[int], moments: Sequence[tuple[Any, list[int]]]) -> set[int]:
    """Every photo of each moment in which at least a quarter of the photos show the scene."""
    showing = set(shown)
    found: set[int] = set()
    for _, ids in moments:
        if ids and sum(map(showing.__contains__, ids)) >= SCENE_SHARE * len(ids):
            found.update(ids)
    return found


def missing_times(session: Session, ids: Iterable[int], times: dict[int, str]) -> None:
    """Fill in the time of photos found only through their moment."""
    wanted = [i for i in ids if i not in times]
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(Photo.id, Photo.taken_at).where(Photo.id.in_(wanted[start : start + CHUNK]))
        )
        times.update((photo_id, taken_at or "") for photo_id, taken_at in rows)


def combine(
    found: Sequence[Found], is_what: Sequence[bool], times: Mapping[int, str]
) -> list[tuple[int, float]]:
    """Photos every part finds, by the mean of the "what" scores (1.0 with none), then newest."""
    if not found:
        return []
    return ranked(found, is_what, times, PLACE_SCORE)  # in numpy: half the library at once
