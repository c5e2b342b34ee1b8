"""The live photos' labels and colours as numpy arrays, read once per catalog state.

A "what" over a big group ("dogs": 120 classes, half the library) summed in SQL costs a
sort of every matching label row per query; held here, the sums are one ``bincount``.
The arrays are kept per state of the catalog (search/service.py), as the place index is:
a read builds them, nothing is written.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, PhotoLabel, is_live
from smartalbum.catalog.rows import plain_rows
from smartalbum.colours import parse

_LABEL_TYPES = (np.int64, np.int64, np.float64)
Ids = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SearchArrays:
    """Each live photo's labels (sorted by photo, then class) and dominant colours."""

    ids: Ids  # every live photo, ascending
    taken: list[str]  # their taken_at ("" without), in the same order
    label_at: npt.NDArray[np.intp]  # each label row's photo, as a position in ``ids``
    label_class: npt.NDArray[np.int32]
    label_probability: Floats
    colours: dict[str, tuple[Ids, Floats]]  # colour name -> (photo ids, shares), by id
    hour: npt.NDArray[np.int8]  # the local clock hour of taken_at, -1 without
    offset: list[str | None]  # the UTC offset recorded with taken_at
    lat: Floats  # NaN without a position
    lon: Floats
    derived: dict[str, Floats] = field(default_factory=dict, compare=False)  # made on demand


def search_arrays(session: Session) -> SearchArrays:
    """Read once per catalog state: every live photo's time, labels and colours."""
    ids, taken, colours, (hour, offset, lat, lon) = _photos(session)
    # Every label row as stored, then in numpy: sorted by photo and class (the order SQL sums
    # them in), those of photos not live left out. (numpy reads a list of rows slowly:
    # column by column it is a hundredth of the time.)
    rows = plain_rows(
        session, select(PhotoLabel.photo_id, PhotoLabel.class_index, PhotoLabel.probability)
    )
    photo, klass, probability = (
        (np.array(c, dtype=t) for c, t in zip(zip(*rows, strict=True), _LABEL_TYPES, strict=True))
        if rows
        else (np.empty(0, t) for t in _LABEL_TYPES)
    )
    order = np.lexsort((klass, photo))
    photo, klass, probability = photo[order], klass[order], probability[order]
    at = np.minimum(np.searchsorted(ids, photo), max(len(ids) - 1, 0))
    shown = ids[at] == photo if len(ids) else np.zeros(len(photo), dtype=bool)
    return SearchArrays(
        ids=ids,
        taken=taken,
        label_at=at[shown],
        label_class=klass[shown].astype(np.int32),
        label_probability=probability[shown],
        colours=colours,
        hour=hour,
        offset=offset,
        lat=lat,
        lon=lon,
    )


_Clock = tuple[npt.NDArray[np.int8], list[str | None], Floats, Floats]


def _photos(session: Session) -> tuple[Ids, list[str], dict[str, tuple[Ids, Floats]], _Clock]:
    found: list[int] = []
    taken: list[str] = []
    shares: dict[str, tuple[list[int], list[float]]] = {}
    clock: tuple[list[int], list[str | None], list[float], list[float]] = ([], [], [], [])
    rows = plain_rows(session,
        select(Photo.id, Photo.status, Photo.trashed_at, Photo.companion_of, Photo.taken_at,
               Photo.colours, Photo.taken_at_offset, Photo.gps_lat, Photo.gps_lon)
        .order_by(Photo.id)
    )  # fmt: skip
    for photo_id, status, trashed_at, companion_of, taken_at, stored, offset, lat, lon in rows:
        if not is_live(status, trashed_at, companion_of):
            continue
        found.append(photo_id)
        taken.append(taken_at or "")
        for name, share in parse(stored).items():
            of_colour = shares.setdefault(name, ([], []))
            of_colour[0].append(photo_id)
            of_colour[1].append(share)
        hour = (taken_at or "")[11:13]  # as SQL's substr(taken_at, 12, 2) reads it
        clock[0].append(int(hour) if len(hour) == 2 and hour.isascii() and hour.isdigit() else -1)
        clock[1].append(offset)
        clock[2].append(math.nan if lat is None else lat)
        clock[3].append(math.nan if lon is None else lon)
    colours = {
        name: (np.array(ids, dtype=np.int64), np.array(values, dtype=np.float64))
        for name, (ids, values) in shares.items()
    }
    hours, offsets, lats, lons = clock
    arrays = (np.array(hours, dtype=np.int8), offsets, np.array(lats), np.array(lons))
    return np.array(found, dtype=np.int64), taken, colours, arrays


def label_sums(arrays: SearchArrays, classes: Iterable[int]) -> tuple[list[int], list[float]]:
    """The photos with any of these classes and the summed probabilities, by photo id."""
    wanted = np.isin(arrays.label_class, np.fromiter(classes, dtype=np.int32))
    at = arrays.label_at[wanted]
    # Summed in label order (by class within a photo), as SQL sums them: the same floats.
    sums = np.bincount(at, weights=arrays.label_probability[wanted], minlength=len(arrays.ids))
    present = np.bincount(at, minlength=len(arrays.ids)) > 0
    return arrays.ids[present].tolist(), sums[present].tolist()


def times_of(arrays: SearchArrays, ids: Iterable[int], times: dict[int, str]) -> None:
    """Record the taken_at of these live photos (ids ascending, as ``label_sums`` gives them)."""
    wanted = np.fromiter(ids, dtype=np.int64)
    positions = np.searchsorted(arrays.ids, wanted).tolist()
    times.update(zip(wanted.tolist(), [arrays.taken[p] for p in positions], strict=True))


def colour_shares(
    arrays: SearchArrays, wanted: Mapping[str, float]
) -> list[tuple[int, float, str]]:
    """(photo id, best share, taken_at) of the photos any colour covers its least share of."""
    best: dict[int, float] = {}
    for name, least in wanted.items():
        ids, shares = arrays.colours.get(name, (np.empty(0, np.int64), np.empty(0)))
        kept = shares >= least
        for photo_id, share in zip(ids[kept].tolist(), shares[kept].tolist(), strict=True):
            best[photo_id] = max(best.get(photo_id, 0.0), share)
    ordered = sorted(best)
    positions = np.searchsorted(arrays.ids, np.array(ordered, dtype=np.int64)).tolist()
    return [(i, best[i], arrays.taken[p]) for i, p in zip(ordered, positions, strict=True)]


def ranked(
    found: Sequence[Mapping[int, float]],
    is_what: Sequence[bool],
    times: Mapping[int, str],
    certain: float,
) -> list[tuple[int, float]]:
    """Photos every part finds, by the mean of the "what" scores (``certain`` with none),
    then newest, then by id: numpy over the ids, each score summed and rounded as Python's
    ``sum`` and ``round`` make it, so the order is the one three stable sorts gave."""
    ids = list(set(found[0]).intersection(*found[1:]))
    if not ids:
        return []
    whats = [f for f, what in zip(found, is_what, strict=True) if what]
    scores = _mean_scores(ids, whats) if whats else np.full(len(ids), certain)
    at = np.array(ids, dtype=np.int64)
    taken = np.array([t or "" for t in map(times.get, ids)])
    newest = np.lexsort((-at, taken))[::-1]  # time descending, then id ascending
    order = newest[np.argsort(-scores[newest], kind="stable")]
    return list(zip(at[order].tolist(), scores[order].tolist(), strict=True))


def _mean_scores(ids: list[int], whats: Sequence[Mapping[int, float]]) -> Floats:
    pick = operator.itemgetter(*ids)
    total = np.zeros(len(ids))
    for f in whats:  # added part by part, as ``sum`` adds them: the same floats
        total += np.array(pick(f) if len(ids) > 1 else [pick(f)], dtype=np.float64)
    return rounded(total / len(whats))


def rounded(scores: Floats, places: int = 4) -> Floats:
    """Python's ``round(score, places)`` of each score: numpy's rounding, and Python's own
    where a score lies so near a half that numpy's scaling could round it the other way."""
    scale = 10.0**places
    scaled = scores * scale
    found = np.rint(scaled) / scale
    near = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    found[near] = [round(float(x), places) for x in scores[near]]
    return found
