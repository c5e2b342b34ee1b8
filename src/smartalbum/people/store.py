"""The face pass's writes: a batch's faces into the catalog, each placed with its person.

Called by the indexer's writer inside the batch's transaction, so a photo is never
committed without its faces, and by the backfill job for photos indexed before.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from smartalbum.catalog import table
from smartalbum.catalog.people import Face, FaceRejection, FaceScan, Person
from smartalbum.people.faces import FoundFace
from smartalbum.people.grouping import FaceIndex, regroup

VERSION = 1  # of the face pass: a photo scanned by an older one is scanned again
FACES, SCANS = table(Face), table(FaceScan)
SAME_FACE = 0.5  # box overlap (IoU) that says a re-found face is the one seen before


def faces_of(batch: Sequence[Any], ids: Mapping[str, int]) -> dict[int, list[FoundFace]]:
    """Photo id -> faces, for the analysed files of a batch whose faces were looked for."""
    return {
        ids[a.path]: a.faces
        for a in batch
        if a.path in ids and a.error is None and a.faces is not None
    }


def people_stamp(session: Session) -> tuple[Any, ...]:
    """What changes when a person edits people (names, merges, faces moved)."""
    row = session.execute(select(func.count(Person.id), func.max(Person.updated_at))).one()
    return tuple(row)


def load_index(session: Session) -> FaceIndex:
    """Every face with its person, and what each face was taken out of."""
    index = FaceIndex()
    rows = session.execute(select(Face.id, Face.embedding, Face.person_id).order_by(Face.id))
    for face_id, blob, person in rows:
        index.add(face_id, np.frombuffer(blob, "<f4"), person)
    for face_id, person in session.execute(select(FaceRejection.face_id, FaceRejection.person_id)):
        index.rejected.setdefault(face_id, set()).add(person)
    return index


class FaceWriter:
    """Writes found faces and keeps people in step, for one writer (one run, one worker)."""

    def __init__(self) -> None:
        self.index: FaceIndex | None = None
        self.stamp: tuple[Any, ...] | None = None

    def _fresh_index(self, session: Session) -> FaceIndex:
        """The index, reloaded when people were edited or other writers added faces."""
        stamp = people_stamp(session)
        newest = session.scalar(select(func.max(Face.id))) or 0
        index = self.index
        if index is None or stamp != self.stamp or newest > max(index.ids, default=0):
            index = self.index = load_index(session)
            self.stamp = stamp
        return index

    def write(
        self, session: Session, found: Mapping[int, Sequence[FoundFace]], now: float | None = None
    ) -> int:
        """The faces of these photos (photo id -> faces) replace what they had; returns how many.

        A face found again where one was before keeps its person if a person put it there,
        and never goes back to a person it was taken out of.
        """
        if not found:
            return 0
        now = time.time() if now is None else now
        index = self._fresh_index(session)
        kept = _remembered(session, list(found))
        if kept:
            old = [face_id for face_id, *_ in kept]
            index.forget(set(old))
            session.execute(delete(FaceRejection).where(FaceRejection.face_id.in_(old)))
        session.execute(delete(Face).where(Face.photo_id.in_(list(found))))
        session.execute(delete(FaceScan).where(FaceScan.photo_id.in_(list(found))))
        rows = [{"photo_id": photo, **face.as_row()} for photo, faces in found.items()
                for face in faces]  # fmt: skip
        scans = [{"photo_id": photo, "version": VERSION, "faces": len(faces), "scanned_at": now}
                 for photo, faces in found.items()]  # fmt: skip
        session.execute(insert(SCANS), scans)
        if not rows:
            return 0
        # In the order of the rows, which the ids are zipped with (PostgreSQL too).
        returning = insert(FACES).returning(FACES.c.id, sort_by_parameter_order=True)
        ids = list(session.scalars(returning, rows))
        carried = _carry(session, kept, rows, ids)
        self._place(session, index, rows, ids, carried, now)
        self.stamp = people_stamp(session)
        return len(ids)

    def _place(
        self,
        session: Session,
        index: FaceIndex,
        rows: list[dict[str, Any]],
        ids: list[int],
        carried: Mapping[int, tuple[int | None, bool, set[int]]],
        now: float,
    ) -> None:
        updates: list[dict[str, Any]] = []
        for row, face_id in zip(rows, ids, strict=True):
            vector = np.frombuffer(row["embedding"], "<f4")
            person, confirmed, rejected = carried.get(face_id, (None, False, set()))
            if rejected:
                index.rejected[face_id] = rejected
            if person is not None:
                index.add(face_id, vector, person)
                updates.append({"id": face_id, "person_id": person, "confirmed": confirmed})
                continue
            person, partners = index.place(face_id, vector)
            if person is None and partners:
                person = _new_person(session, now)
            if partners:
                index.settle([face_id, *partners], person)  # type: ignore[arg-type]
                updates += [{"id": f, "person_id": person} for f in partners]
            if person is not None:
                updates.append({"id": face_id, "person_id": person})
        for update_row in updates:
            values = {k: v for k, v in update_row.items() if k != "id"}
            session.execute(FACES.update().where(FACES.c.id == update_row["id"]).values(**values))


def _new_person(session: Session, now: float) -> int:
    person = Person(hidden=False, created_at=now, updated_at=now)
    session.add(person)
    session.flush()
    return person.id


def _remembered(
    session: Session, photos: list[int]
) -> list[tuple[int, int, tuple[float, float, float, float], int | None, bool, set[int]]]:
    """The faces these photos had, with what a person said about them (to carry over)."""
    rows = session.execute(
        select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, Face.person_id,
               Face.confirmed).where(Face.photo_id.in_(photos))
    ).all()  # fmt: skip
    if not rows:
        return []
    rejected: dict[int, set[int]] = {}
    ids = [r[0] for r in rows]
    for face_id, person in session.execute(
        select(FaceRejection.face_id, FaceRejection.person_id).where(FaceRejection.face_id.in_(ids))
    ):
        rejected.setdefault(face_id, set()).add(person)
    return [
        (r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], bool(r[7]), rejected.get(r[0], set()))
        for r in rows
    ]


def _carry(
    session: Session,
    kept: list[tuple[int, int, tuple[float, float, float, float], int | None, bool, set[int]]],
    rows: list[dict[str, Any]],
    ids: list[int],
) -> dict[int, tuple[int | None, bool, set[int]]]:
    """What the user said of a face before, for the new face in the same place of its photo."""
    carried: dict[int, tuple[int | None, bool, set[int]]] = {}
    for _, photo, box, person, confirmed, rejected in kept:
        if not confirmed and not rejected:
            continue
        best, best_overlap = None, SAME_FACE
        for row, face_id in zip(rows, ids, strict=True):
            if row["photo_id"] != photo:
                continue
            overlap = iou(box, (row["x"], row["y"], row["w"], row["h"]))
            if overlap >= best_overlap:
                best, best_overlap = face_id, overlap
        if best is not None:
            carried[best] = (person if confirmed else None, confirmed, rejected)
            if rejected:
                session.execute(
                    insert(table(FaceRejection)),
                    [{"face_id": best, "person_id": p} for p in rejected],
                )
    return carried


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def regroup_library(session: Session, now: float | None = None) -> dict[str, int]:
    """Group every face again from scratch, keeping named people and their confirmed faces.

    A group holding a named person's confirmed face is that person; another group takes
    the unnamed person most of its faces had (or a new one); no face goes to a person it
    was taken out of; unnamed people left without faces are deleted.
    """
    now = time.time() if now is None else now
    index = load_index(session)
    if not len(index):
        return {"faces": 0, "people": 0}
    named = set(session.scalars(select(Person.id).where(
        (Person.name.is_not(None)) | (Person.name_zh.is_not(None)))))  # fmt: skip
    confirmed = set(session.scalars(select(Face.id).where(Face.confirmed.is_(True))))
    seeds = np.array([p if (p in named and f in confirmed) else -1
                      for f, p in zip(index.ids, index.people, strict=True)])  # fmt: skip
    labels = regroup(index.matrix, seeds)
    count = len(index)
    owner = _owners(labels, index.people, named, count)
    updates, kept = [], set()
    for face_id, label, before in zip(index.ids, labels, index.people, strict=True):
        person = owner.get(int(label)) if label >= 0 else None
        if person is None and label >= 0:
            person = owner[int(label)] = _new_person(session, now)
        if person is not None and person in index.rejected.get(face_id, set()):
            person = None
        if person is not None:
            kept.add(person)
        if person != (before if before >= 0 else None):
            updates.append({"id": face_id, "person_id": person})
    for row in updates:
        moved = FACES.update().where(FACES.c.id == row["id"]).values(person_id=row["person_id"])
        session.execute(moved)
    session.execute(delete(Person).where(Person.id.not_in(kept | named)))
    return {"faces": count, "people": len(kept), "moved": len(updates)}


def _owners(labels: np.ndarray, people: list[int], named: set[int], count: int) -> dict[int, int]:
    """Each group's person: its seed's, else the unnamed person most of its faces had."""
    owner: dict[int, int] = {}
    votes: dict[int, dict[int, int]] = {}
    for label, before in zip(labels, people, strict=True):
        if label >= count:
            owner[int(label)] = int(label) - count
        elif label >= 0 and before >= 0 and before not in named:
            votes.setdefault(int(label), {}).setdefault(before, 0)
            votes[int(label)][before] += 1
    taken = set(owner.values())
    for label, tally in sorted(votes.items(), key=lambda kv: -max(kv[1].values())):
        if label in owner:
            continue
        for person, _ in sorted(tally.items(), key=lambda kv: -kv[1]):
            if person not in taken:
                owner[label] = person
                taken.add(person)
                break
    return owner
