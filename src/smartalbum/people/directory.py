"""What the API and the CLI read and change about people: list, name, merge, take a face out,
hide, delete, and whose photos are whose.

Every change bumps the person's ``updated_at``: the indexers' face indexes see it and
reload before they place another face.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, live
from smartalbum.catalog.people import Face, FaceRejection, Person
from smartalbum.errors import NotFoundError, RequestError
from smartalbum.i18n import t

MAX_NAME = 64
BEST_SCORE = Face.size * (1 - func.abs(Face.yaw))  # large and frontal
_BEST_FIRST = (BEST_SCORE.desc(), Face.id)


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(t("no person {person_id}", person_id=person_id))
    return person


def _face(session: Session, face_id: int) -> Face:
    face = session.get(Face, face_id)
    if face is None:
        raise NotFoundError(t("no face {face_id}", face_id=face_id))
    return face


def person_dict(person: Person, faces: int, photos: int, cover: int | None) -> dict[str, Any]:
    """A person as the API shows it."""
    return {
        "id": person.id, "name": person.name, "name_zh": person.name_zh,
        "hidden": bool(person.hidden), "faces": faces, "photos": photos, "cover_face": cover,
    }  # fmt: skip


def list_people(session: Session, hidden: bool = False) -> list[dict[str, Any]]:
    """Every person with faces in a live photo: named ones first by name, then unnamed
    groups largest first; hidden people only when asked for."""
    counts = (
        select(
            Face.person_id,
            func.count(Face.id).label("faces"),
            func.count(func.distinct(Face.photo_id)).label("photos"),
            func.max(Face.id).label("cover"),
        )
        .join(Photo, Photo.id == Face.photo_id)
        .where(live(), Face.person_id.is_not(None))
        .group_by(Face.person_id)
        .subquery()
    )
    query = select(Person, counts.c.faces, counts.c.photos, counts.c.cover).join(
        counts, counts.c.person_id == Person.id
    )
    if not hidden:
        query = query.where(Person.hidden.is_(False))
    best = _best_faces(session)  # one query for everyone, not one per person
    found = [person_dict(p, f, n, best.get(p.id) or c)
             for p, f, n, c in session.execute(query)]  # fmt: skip
    named = sorted((p for p in found if p["name"] or p["name_zh"]),
                   key=lambda p: (p["name"] or p["name_zh"]).casefold())  # fmt: skip
    unnamed = sorted((p for p in found if not (p["name"] or p["name_zh"])),
                     key=lambda p: (-p["faces"], p["id"]))  # fmt: skip
    return named + unnamed


def _best_face(session: Session, person_id: int) -> int | None:
    """The face that shows a person best: large, sharp and frontal."""
    return session.scalar(select(Face.id).where(Face.person_id == person_id)
                          .order_by(*_BEST_FIRST).limit(1))  # fmt: skip


def best_faces_query() -> Select[int | None, int]:
    """Each person's best face (as ``_best_face``): (person id, face id), read from the
    faces' ``ix_faces_people`` alone."""
    rank = func.row_number().over(partition_by=Face.person_id, order_by=_BEST_FIRST)
    ranked = (select(Face.person_id, Face.id, rank.label("rank"))
              .where(Face.person_id.is_not(None)).subquery())  # fmt: skip
    return select(ranked.c.person_id, ranked.c.id).where(ranked.c.rank == 1)


def _best_faces(session: Session) -> dict[int, int]:
    """Each person's best face, in one query for everyone: person id to face id."""
    rows = session.execute(best_faces_query())
    return {person_id: face_id for person_id, face_id in rows if person_id is not None}


def person_page(session: Session, person_id: int) -> dict[str, Any]:
    """A person with their faces, newest photo first (each face: id, photo, box, confirmed)."""
    person = _person(session, person_id)
    rows = session.execute(
        select(Face, Photo.taken_at)
        .join(Photo, Photo.id == Face.photo_id)
        .where(Face.person_id == person_id, live())
        .order_by(Photo.taken_at.desc(), Face.id)
    ).all()
    faces = [face_dict(face) | {"taken_at": taken} for face, taken in rows]
    photos = len({f["photo_id"] for f in faces})
    return person_dict(person, len(faces), photos, _best_face(session, person_id)) | {
        "face_list": faces
    }


def face_dict(face: Face) -> dict[str, Any]:
    """A face as the API shows it: box as fractions of the photo, quality, person."""
    return {
        "id": face.id, "photo_id": face.photo_id,
        "box": [round(v, 4) for v in (face.x, face.y, face.w, face.h)],
        "score": face.score, "size": face.size, "blur": face.blur, "yaw": face.yaw,
        "person_id": face.person_id, "confirmed": bool(face.confirmed),
    }  # fmt: skip


def faces_in_photo(session: Session, photo_id: int) -> list[dict[str, Any]]:
    """The faces of one photo, each with its person's names (None for nobody, or hidden)."""
    rows = session.execute(
        select(Face, Person).outerjoin(Person, Person.id == Face.person_id)
        .where(Face.photo_id == photo_id).order_by(Face.x)
    ).all()  # fmt: skip
    shown = []
    for face, person in rows:
        named = person is not None and not person.hidden
        shown.append(face_dict(face) | {
            "name": person.name if named else None,
            "name_zh": person.name_zh if named else None,
        })  # fmt: skip
    return shown


def _clean(name: str | None, what: str) -> str | None:
    if name is None:
        return None
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise RequestError(t("{what} is longer than {most} characters", what=what, most=MAX_NAME))
    return name or None


def rename(
    session: Session, person_id: int, name: str | None, name_zh: str | None
) -> dict[str, Any]:
    """Name a person in English and/or Chinese (None leaves a name as it is, "" clears it).

    The faces the person holds now count as confirmed: they stay through any regroup.
    """
    person = _person(session, person_id)
    if name is not None:
        person.name = _clean(name, "name")
    if name_zh is not None:
        person.name_zh = _clean(name_zh, "name_zh")
    person.updated_at = time.time()
    session.execute(update(Face).where(Face.person_id == person_id).values(confirmed=True))
    return {"id": person.id, "name": person.name, "name_zh": person.name_zh}


def hide(session: Session, person_id: int, hidden: bool) -> None:
    """Hide a person from the People page and searches (or show them again)."""
    person = _person(session, person_id)
    person.hidden = hidden
    person.updated_at = time.time()


def merge(session: Session, into: int, other: int) -> dict[str, Any]:
    """Move every face of ``other`` into ``into``, which keeps its names (or takes the
    other's where it has none); ``other`` is gone. A person merged with themselves stays."""
    keep, gone = _person(session, into), _person(session, other)
    if into == other:  # nothing to move: the person as they are
        return {"id": keep.id, "name": keep.name, "name_zh": keep.name_zh}
    keep.name = keep.name or gone.name
    keep.name_zh = keep.name_zh or gone.name_zh
    keep.updated_at = time.time()
    named = bool(keep.name or keep.name_zh)
    session.execute(
        update(Face).where(Face.person_id == other).values(person_id=into, confirmed=named)
    )
    # A face taken out of either person stays out of the merged one.
    moved = select(FaceRejection.face_id).where(FaceRejection.person_id == other)
    taken_out = set(session.scalars(moved))
    already = set(
        session.scalars(select(FaceRejection.face_id).where(FaceRejection.person_id == into))
    )
    session.add_all(FaceRejection(face_id=f, person_id=into) for f in taken_out - already)
    session.delete(gone)
    session.flush()
    return {"id": keep.id, "name": keep.name, "name_zh": keep.name_zh}


def remove_face(session: Session, face_id: int) -> None:
    """Take a face out of its person, for good: it never joins that person again."""
    face = _face(session, face_id)
    if face.person_id is None:
        return
    person = _person(session, face.person_id)
    if session.get(FaceRejection, (face.id, person.id)) is None:
        session.add(FaceRejection(face_id=face.id, person_id=person.id))
    face.person_id, face.confirmed = None, False
    person.updated_at = time.time()


def assign_face(session: Session, face_id: int, person_id: int) -> None:
    """Put a face in a person by hand (confirmed), even one it was taken out of before."""
    face, person = _face(session, face_id), _person(session, person_id)
    session.execute(
        delete(FaceRejection).where(
            FaceRejection.face_id == face_id, FaceRejection.person_id == person_id
        )
    )
    face.person_id, face.confirmed = person.id, True
    person.updated_at = time.time()


def delete_person(session: Session, person_id: int) -> int:
    """Delete a person and their faces, embeddings included; returns how many faces went.

    The photos stay scanned: their faces are not looked for again until a file changes.
    """
    person = _person(session, person_id)
    ids = list(session.scalars(select(Face.id).where(Face.person_id == person_id)))
    if ids:
        session.execute(delete(FaceRejection).where(FaceRejection.face_id.in_(ids)))
        session.execute(delete(Face).where(Face.id.in_(ids)))
    session.delete(person)
    session.flush()
    return len(ids)


def forget_all(session: Session) -> int:
    """Delete every face, person and rejection (recognition turned off); returns the faces."""
    from smartalbum.catalog.people import FaceScan

    count = session.scalar(select(func.count(Face.id))) or 0
    for model in (FaceRejection, Face, Person, FaceScan):
        session.execute(delete(model))
    return count


def named(session: Session, text: str) -> list[int]:
    """The visible people a text names exactly (English, any case, or Chinese)."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return []
    query = select(Person.id).where(
        Person.hidden.is_(False),
        or_(func.lower(Person.name) == wanted, Person.name_zh == wanted),
    )
    return list(session.scalars(query))


def names(session: Session) -> list[tuple[int, str | None, str | None]]:
    """(id, English name, Chinese name) of every visible named person."""
    query = select(Person.id, Person.name, Person.name_zh).where(
        Person.hidden.is_(False), or_(Person.name.is_not(None), Person.name_zh.is_not(None))
    )
    return [(i, n, z) for i, n, z in session.execute(query)]


def photos_with(session: Session, people: Sequence[int]) -> set[int]:
    """The live photos in which every one of these people has a face."""
    if not people:
        return set()
    query = (
        select(Face.photo_id)
        .join(Photo, Photo.id == Face.photo_id)
        .where(live(), Face.person_id.in_(list(people)))
        .group_by(Face.photo_id)
        .having(func.count(func.distinct(Face.person_id)) == len(set(people)))
    )
    return set(session.scalars(query))


PERSON_PREFIX = "person:"  # a person as a search concept ("person:12"), found like an album


def person_concepts(session: Session) -> list[tuple[int, str, str | None]]:
    """(id, English or Chinese name, Chinese name) of the people search knows by name."""
    return [(i, en or zh or "", zh) for i, en, zh in names(session)]


def person_photos(session: Session, refs: Sequence[str]) -> list[tuple[int, str | None]]:
    """(photo id, taken_at) of the live photos of any person named by ``person:ID`` refs."""
    ids = [int(r.removeprefix(PERSON_PREFIX)) for r in refs if r.startswith(PERSON_PREFIX)]
    if not ids:
        return []
    query = (
        select(Photo.id, Photo.taken_at)
        .join(Face, Face.photo_id == Photo.id)
        .join(Person, Person.id == Face.person_id)
        .where(live(), Face.person_id.in_(ids), Person.hidden.is_(False))
        .distinct()
    )
    return [(i, taken) for i, taken in session.execute(query)]


def people_named(session: Session, ids: Sequence[int]) -> list[tuple[int, str | None, str | None]]:
    """(id, English name, Chinese name) of these visible people."""
    if not ids:
        return []
    query = select(Person.id, Person.name, Person.name_zh).where(
        Person.id.in_(list(ids)), Person.hidden.is_(False)
    )
    return [(i, en, zh) for i, en, zh in session.execute(query)]
