"""Search the library in English or Chinese: class names, group names and album titles."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.albums.groups import Groups
from smartalbum.albums.membership import CHUNK, labels_of
from smartalbum.albums.rules import RuleSet, keyword_classes
from smartalbum.catalog import CONFIRM, OK, SET, AlbumMember, Correction, Photo, PhotoLabel
from smartalbum.models.labels import LabelSet

_CJK = re.compile(r"[\u3400-\u9fff]")
# Below this a label is the model's noise, not a finding: a photo 0.06 % "pizza" is no pizza.
MIN_SCORE = 0.05


@dataclass(frozen=True)
class Interpretation:
    """What a query names: classes (directly or through groups) and albums."""

    classes: frozenset[int]
    groups: tuple[str, ...]
    albums: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    """One photo found, with the label that made it match."""

    id: int
    score: float
    class_index: int | None


def interpret(text: str, labels: LabelSet, groups: Groups, rules: RuleSet) -> Interpretation:
    """Exact names win ("猫" is the cat group, not each name with 猫 in it); else name parts."""
    query = " ".join(text.strip().lower().split())
    if not query:
        return Interpretation(frozenset(), (), ())
    classes = {c.index for c in labels.classes if query in (c.en.lower(), c.zh)}
    group_ids = [g.id for g in groups.by_id.values() if query in g.names()]
    albums = [a.id for a in rules.albums if query in (a.id, a.title.lower(), a.title_zh)]
    if not (classes or group_ids or albums):
        classes = keyword_classes(query, labels)
        group_ids = [g.id for g in groups.by_id.values() if any(_part(query, n) for n in g.names())]
        albums = [
            a.id for a in rules.albums if _part(query, a.title.lower()) or query in a.title_zh
        ]
    for group_id in group_ids:
        classes |= groups[group_id].classes
    return Interpretation(frozenset(classes), tuple(group_ids), tuple(albums))


def _part(query: str, name: str) -> bool:
    """A Chinese query matches inside a name; an English one matches whole words."""
    if _CJK.search(query):
        return query in name
    return re.search(rf"(?<![a-z]){re.escape(query)}(?![a-z])", name) is not None


def search(session: Session, wanted: Interpretation, rules: RuleSet) -> list[Hit]:
    """Every present photo the interpretation finds, best first (corrections applied)."""
    classes = sorted(wanted.classes)
    candidates: set[int] = set()
    if classes:
        candidates.update(
            session.scalars(
                select(PhotoLabel.photo_id)
                .join(Photo, Photo.id == PhotoLabel.photo_id)
                .where(PhotoLabel.class_index.in_(classes), Photo.status == OK)
            )
        )
        candidates.update(
            session.scalars(
                select(Correction.photo_id).where(
                    Correction.class_index.in_(classes), Correction.action.in_((SET, CONFIRM))
                )
            )
        )
    album_scores: dict[int, tuple[float, str]] = {}
    if wanted.albums:
        rows = session.execute(
            select(AlbumMember.photo_id, AlbumMember.score, AlbumMember.album_id)
            .join(Photo, Photo.id == AlbumMember.photo_id)
            .where(AlbumMember.album_id.in_(wanted.albums), Photo.status == OK)
        )
        for photo_id, score, album_id in rows:
            if score > album_scores.get(photo_id, (0.0, ""))[0]:
                album_scores[photo_id] = (score, album_id)
    ids = sorted(candidates | set(album_scores))
    hits = []
    for start in range(0, len(ids), CHUNK):
        for photo_id, labels in labels_of(session, ids[start : start + CHUNK]).items():
            matching = [(index, p) for index, p in labels if index in wanted.classes]
            best = (sum(p for _, p in matching), matching[0][0] if matching else None)
            if photo_id in album_scores:
                score, album_id = album_scores[photo_id]
                album = rules.get(album_id)
                counted = [i for i, _ in labels if album is not None and i in album.classes]
                if score > best[0]:
                    best = (score, counted[0] if counted else labels[0][0])
            if best[0] >= MIN_SCORE:
                hits.append(Hit(photo_id, round(min(best[0], 1.0), 4), best[1]))
    hits.sort(key=lambda h: (-h.score, h.id))
    return hits
