"""Which photos are in which album: computed from stored labels and corrections, never the model.

Each photo records the digest of the rules its album rows were computed with; the
indexer clears it when it writes new labels, a correction clears it, and a change of
rules makes every digest stale. ``sync`` redoes exactly the stale photos.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums.marks import marks_of, with_marks
from smartalbum.albums.people import people_of
from smartalbum.albums.rules import RuleSet
from smartalbum.catalog import (
    CONFIRM,
    OK,
    REJECT,
    SET,
    AlbumMember,
    Correction,
    Photo,
    PhotoLabel,
    State,
    claim_photos,
    live,
    put_state,
)
from smartalbum.categories.store import members_of
from smartalbum.ocr import bodies_of

Labels = list[tuple[int, float]]  # (class index, probability), best first
SYNCED_KEY = "albums_digest"
CHUNK = 2000


def effective_labels(model: Labels, corrections: Iterable[tuple[int, str]]) -> Labels:
    """The model's labels with a person's corrections applied, best first.

    A class set by a person replaces the model's labels; a confirmed class counts as
    certain; a rejected class is gone for good.
    """
    corrections = list(corrections)
    rejected = {index for index, action in corrections if action == REJECT}
    certain = [index for index, action in corrections if action in (SET, CONFIRM)]
    if any(action == SET for _, action in corrections):
        model = []
    labels = {index: p for index, p in model if index not in rejected}
    for index in certain:
        labels[index] = 1.0
    return sorted(labels.items(), key=lambda item: (-item[1], item[0]))


def labels_of(session: Session, photo_ids: Sequence[int]) -> dict[int, Labels]:
    """Effective labels of each photo (corrections applied); photos with none are absent."""
    model: dict[int, Labels] = defaultdict(list)
    rows = session.execute(
        select(PhotoLabel.photo_id, PhotoLabel.class_index, PhotoLabel.probability)
        .where(PhotoLabel.photo_id.in_(photo_ids))
        .order_by(PhotoLabel.photo_id, PhotoLabel.rank)
    )
    for photo_id, index, probability in rows:
        model[photo_id].append((index, probability))
    corrections: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for photo_id, index, action in session.execute(
        select(Correction.photo_id, Correction.class_index, Correction.action).where(
            Correction.photo_id.in_(photo_ids)
        )
    ):
        corrections[photo_id].append((index, action))
    result = {}
    for photo_id in set(model) | set(corrections):
        labels = effective_labels(model.get(photo_id, []), corrections.get(photo_id, []))
        if labels:
            result[photo_id] = labels
    return result


def sync(sessions: sessionmaker[Session], rules: RuleSet) -> int:
    """Recompute the album rows of every stale photo; returns how many photos were redone.

    A write, for where things change: a rules reload, or opening a catalog whose albums were
    grouped under other rules. Nothing is written when every photo is up to date.
    """
    with sessions() as session:
        state = session.get(State, SYNCED_KEY)
        stale: ColumnElement[bool] = Photo.albums_digest.is_(None)
        if state is None or state.value != rules.digest:
            stale = or_(stale, Photo.albums_digest != rules.digest)
        # Photos in the trash too: they keep album rows under the rules in force, so a
        # restore is exact (every read leaves them out by ``live()``).
        ids = list(session.scalars(select(Photo.id).where(Photo.status == OK, stale)))
        up_to_date = state is not None and state.value == rules.digest
    for start in range(0, len(ids), CHUNK):
        with sessions.begin() as session:
            chunk = ids[start : start + CHUNK]
            # Claim the rows first (in the one order every writer claims them): the labels
            # read next cannot change under us before the album rows are written.
            claim_photos(session, chunk)
            write_members(session, chunk, rules)
    if not up_to_date:
        with sessions.begin() as session:
            put_state(session, SYNCED_KEY, rules.digest)
    return len(ids)


def write_members(session: Session, photo_ids: Sequence[int], rules: RuleSet) -> None:
    """Recompute these photos' album rows under ``rules``, in the caller's transaction.

    The one writer of album rows: the indexer calls it for each batch it writes, a
    correction for its photo, ``sync`` for every photo a change of rules made stale.
    The caller has claimed the photos' rows (``claim_photos``).
    """
    session.execute(update(Photo).where(Photo.id.in_(photo_ids)).values(albums_digest=rules.digest))
    labels = labels_of(session, photo_ids)
    categories = _categories(session, photo_ids, rules)
    said = bodies_of(session, photo_ids) if rules.reads_text else {}
    session.execute(delete(AlbumMember).where(AlbumMember.photo_id.in_(photo_ids)))
    rows = [
        {"album_id": album_id, "photo_id": photo_id, "score": score}
        for photo_id in sorted(set(labels) | set(categories) | set(said))
        for album_id, score in rules.memberships(
            labels.get(photo_id, []), categories.get(photo_id), said.get(photo_id)
        ).items()
    ]
    if rows:
        session.execute(insert(AlbumMember), rows)


def _categories(
    session: Session, photo_ids: Sequence[int], rules: RuleSet
) -> dict[int, dict[str, float]]:
    """Each photo's taught categories, marks and (when a rule names people) people."""
    found = with_marks(members_of(session, photo_ids), marks_of(session, photo_ids))
    return with_marks(found, people_of(session, photo_ids)) if rules.reads_people else found


def is_synced(session: Session, rules: RuleSet) -> bool:
    """Whether every album row was computed under ``rules`` (so a read can trust them)."""
    state = session.get(State, SYNCED_KEY)
    if state is None or state.value != rules.digest:
        return False
    stale = select(Photo.id).where(Photo.status == OK, Photo.albums_digest.is_(None)).limit(1)
    return session.scalar(stale) is None


def preview(sessions: sessionmaker[Session], rules: RuleSet) -> dict[str, set[int]]:
    """Album id -> photo ids under ``rules``, computed in memory; nothing is written."""
    members: dict[str, set[int]] = defaultdict(set)
    with sessions() as session:
        ids = list(session.scalars(select(Photo.id).where(live())))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            categories = _categories(session, chunk, rules)
            said = bodies_of(session, chunk) if rules.reads_text else {}
            labels = labels_of(session, chunk)
            for photo_id in set(labels) | set(categories) | set(said):
                found = rules.memberships(
                    labels.get(photo_id, []), categories.get(photo_id), said.get(photo_id)
                )
                for album_id in found:
                    members[album_id].add(photo_id)
    return members


def compare(
    sessions: sessionmaker[Session], current: RuleSet, candidate: RuleSet
) -> list[dict[str, Any]]:
    """Album by album, what ``candidate`` rules would change against the stored album rows."""
    with sessions() as session:
        before = current_members(session)
    after = preview(sessions, candidate)
    dropped = [a for a in current.albums if not candidate.get(a.id)]
    rows = []
    for album in [*candidate.albums, *dropped]:
        old, new = before.get(album.id, set()), after.get(album.id, set())
        rows.append(
            {
                "id": album.id,
                "title": album.title,
                "title_zh": album.title_zh,
                "before": len(old),
                "after": len(new) if candidate.get(album.id) else 0,
                "added": len(new - old),
                "removed": len(old - new),
            }
        )
    return rows


def current_members(session: Session) -> dict[str, set[int]]:
    """Album id -> photo ids as the catalog holds them now (live photos only)."""
    members: dict[str, set[int]] = defaultdict(set)
    rows = session.execute(
        select(AlbumMember.album_id, AlbumMember.photo_id)
        .join(Photo, Photo.id == AlbumMember.photo_id)
        .where(live())
    )
    for album_id, photo_id in rows:
        members[album_id].add(photo_id)
    return members


def photo_albums(session: Session, photo_id: int) -> dict[str, float]:
    """Album id -> score for one photo."""
    rows = session.execute(
        select(AlbumMember.album_id, AlbumMember.score).where(AlbumMember.photo_id == photo_id)
    )
    return {album_id: score for album_id, score in rows}
