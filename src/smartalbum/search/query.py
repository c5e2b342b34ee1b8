"""Finding the photos an interpretation names, in the catalog: label sums, album rows, places."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartalbum.albums.membership import CHUNK, labels_of
from smartalbum.albums.rules import RuleSet
from smartalbum.catalog import OK, AlbumMember, Correction, Photo, PhotoLabel
from smartalbum.places import stored as stored_place
from smartalbum.search.interpret import Interpretation

# Below this a label is the model's noise, not a finding: a photo 0.06 % "pizza" is no pizza.
MIN_SCORE = 0.05
PLACE_SCORE = 1.0  # a photo taken in the place named is certainly a match


def matching_places(session: Session, text: str) -> tuple[str, ...]:
    """The stored place texts of present photos that the query names."""
    found: list[str] = []
    stored = session.scalars(
        select(Photo.place).where(Photo.status == OK, Photo.place.is_not(None)).distinct()
    )
    for raw in stored:
        place = stored_place.parse(raw)  # a damaged row names no place: found by labels only
        if raw is not None and place is not None and stored_place.matches(place, text):
            found.append(raw)
    return tuple(sorted(found))  # DISTINCT comes back in no set order


def find_photos(session: Session, wanted: Interpretation) -> list[tuple[int, float]]:
    """(photo id, score) of every present photo the interpretation finds, best first.

    Scores are summed in SQL from the label index; only photos a person corrected are
    recomputed from their corrected labels, so a broad query stays fast on a big library.
    """
    classes = sorted(wanted.classes)
    scores: dict[int, float] = {}
    if classes:
        rows = session.execute(
            select(PhotoLabel.photo_id, func.sum(PhotoLabel.probability))
            .join(Photo, Photo.id == PhotoLabel.photo_id)
            .where(PhotoLabel.class_index.in_(classes), Photo.status == OK)
            .group_by(PhotoLabel.photo_id)
        )
        scores = {photo_id: float(score) for photo_id, score in rows}
        corrected = list(
            session.scalars(
                select(Correction.photo_id)
                .join(Photo, Photo.id == Correction.photo_id)
                .where(Photo.status == OK)
                .distinct()
            )
        )
        for start in range(0, len(corrected), CHUNK):
            chunk = corrected[start : start + CHUNK]
            found = labels_of(session, chunk)
            for photo_id in chunk:
                labels = found.get(photo_id, [])
                scores[photo_id] = sum(p for index, p in labels if index in wanted.classes)
    if wanted.albums:
        rows = session.execute(
            select(AlbumMember.photo_id, func.max(AlbumMember.score))
            .join(Photo, Photo.id == AlbumMember.photo_id)
            .where(AlbumMember.album_id.in_(wanted.albums), Photo.status == OK)
            .group_by(AlbumMember.photo_id)
        )
        for photo_id, score in rows:
            scores[photo_id] = max(scores.get(photo_id, 0.0), float(score))
    if wanted.places:
        for photo_id in session.scalars(
            select(Photo.id).where(Photo.place.in_(wanted.places), Photo.status == OK)
        ):
            scores[photo_id] = max(scores.get(photo_id, 0.0), PLACE_SCORE)
    hits = [(i, round(min(score, 1.0), 4)) for i, score in scores.items() if score >= MIN_SCORE]
    hits.sort(key=lambda hit: (-hit[1], hit[0]))
    return hits


def best_labels(
    session: Session, photo_ids: list[int], wanted: Interpretation, rules: RuleSet
) -> dict[int, int]:
    """For each photo, the class that best explains why the query found it."""
    counted = set(wanted.classes)
    for album_id in wanted.albums:
        album = rules.get(album_id)
        if album is not None:
            counted |= album.classes
    best = {}
    for photo_id, labels in labels_of(session, photo_ids).items():
        matching = [index for index, _ in labels if index in counted]
        best[photo_id] = matching[0] if matching else labels[0][0]
    return best
