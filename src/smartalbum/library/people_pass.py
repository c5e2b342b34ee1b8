"""People and the library: the face pass over photos indexed before it, and the albums that
name people (``people = [...]`` in a rule) kept in step with every change to people."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from smartalbum.albums.membership import write_members
from smartalbum.albums.rules import RuleSet
from smartalbum.catalog import claim_photos
from smartalbum.catalog.people import Face
from smartalbum.library.service import PhotoLibrary
from smartalbum.people.directory import forget_all
from smartalbum.people.scan import ScanReport, Wrap, scan
from smartalbum.people.store import regroup_library
from smartalbum.settings import Settings

T = TypeVar("T")


def photos_of(session: Session, people: Iterable[int] = (), faces: Iterable[int] = ()) -> list[int]:
    """The photos in which these people, or these faces, are."""
    people, faces = list(people), list(faces)
    if not people and not faces:
        return []
    query = select(Face.photo_id).where(or_(Face.person_id.in_(people), Face.id.in_(faces)))
    return sorted(set(session.scalars(query.distinct())))


def regroup_photos(session: Session, photo_ids: list[int], rules: RuleSet) -> None:
    """These photos' albums, when a rule names people (their people changed)."""
    if photo_ids and rules.reads_people:
        session.flush()  # album rows are computed from the people as they are now
        write_members(session, photo_ids, rules)


def edit_people(
    library: PhotoLibrary,
    change: Callable[[Session], T],
    people: Iterable[int] = (),
    faces: Iterable[int] = (),
) -> T:
    """Run ``change`` to people in one transaction, with the albums of the photos of these
    people and faces (as they were before it) brought up to date in the same one."""
    with library.sessions.begin() as session:
        photos = photos_of(session, people, faces) if library.rules.reads_people else []
        claim_photos(session, photos)  # the one order every writer of photo rows claims them
        done = change(session)
        regroup_photos(session, photos, library.rules)
    return done


def scan_library_faces(
    library: PhotoLibrary,
    settings: Settings,
    wrap: Wrap = lambda items, _total: items,
) -> ScanReport:
    """Look for faces in every live photo the face pass has not scanned (resumable: each
    batch is committed with its albums); ``wrap`` sees each photo go by and may stop early."""

    def regroup(session: Session, ids: list[int]) -> None:
        claim_photos(session, ids)
        regroup_photos(session, ids, library.rules)

    return scan(library.sessions, settings.max_pixels, wrap, regroup)


def regroup_library_people(library: PhotoLibrary) -> dict[str, int]:
    """Group every face again (``people.store.regroup_library``), albums kept in step."""
    with library.sessions.begin() as session:
        with_faces = _photos_with_faces(session, library.rules)
        done = regroup_library(session)
        regroup_photos(session, with_faces, library.rules)
    return done


def forget_people(library: PhotoLibrary) -> int:
    """Delete every face and person (recognition turned off), albums kept in step; the faces."""
    with library.sessions.begin() as session:
        with_faces = _photos_with_faces(session, library.rules)
        gone = forget_all(session)
        regroup_photos(session, with_faces, library.rules)
    return gone


def _photos_with_faces(session: Session, rules: RuleSet) -> list[int]:
    """Every photo with a face, claimed, when a rule names people (else none is needed)."""
    if not rules.reads_people:
        return []
    found = sorted(set(session.scalars(select(Face.photo_id).distinct())))
    claim_photos(session, found)
    return found
