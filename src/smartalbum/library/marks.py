"""Favourites (a heart per person) and the archive (out of the timeline, moments and search).

A favourite is a person's own: each account has its own hearts ("" stands for the one
person of a server nobody signs in to). Archiving hides a photo from everyone's timeline,
moments and search (until asked for with ``is:archived``). Either is one transaction and
one activity entry per request, however many photos it names.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet, membership
from smartalbum.albums.marks import PREFIX
from smartalbum.catalog import Photo, claim_photos, live
from smartalbum.catalog.schema import Favourite
from smartalbum.errors import NotFoundError
from smartalbum.i18n import t
from smartalbum.library import activity

CHUNK = 10_000  # ids a statement: PostgreSQL takes at most 65,535 parameters
ONE_PERSON = ""  # the favourites' owner on a server nobody signs in to


def present(session: Session, ids: Sequence[int]) -> list[int]:
    """The ids once each, sorted; NotFoundError naming the first that is no present photo."""
    wanted = sorted(set(ids))
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found |= set(session.scalars(select(Photo.id).where(Photo.id.in_(chunk), live())))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFoundError(t("no photo {photo_id} in the library", photo_id=missing[0]))
    return wanted


def set_favourite(
    sessions: sessionmaker[Session],
    user: str | None,
    ids: Sequence[int],
    on: bool,
    rules: RuleSet | None = None,
) -> list[int]:
    """Put (or take off) ``user``'s heart on these photos, all or none; the ids changed.
    Under ``rules`` their albums follow (a rule may name ``marks = ["favourite"]``)."""
    owner = user or ONE_PERSON
    with sessions.begin() as session:
        wanted = present(session, ids)
        claim_photos(session, wanted)
        had = favourite_ids(session, owner, wanted)
        if on:
            changed = [i for i in wanted if i not in had]
            now = time.time()
            session.add_all(Favourite(user=owner, photo_id=i, created_at=now) for i in changed)
        else:
            changed = sorted(had)
            for start in range(0, len(changed), CHUNK):
                chunk = changed[start : start + CHUNK]
                session.execute(
                    delete(Favourite).where(Favourite.user == owner, Favourite.photo_id.in_(chunk))
                )
        if changed:
            action = activity.FAVOURITE if on else activity.UNFAVOURITE
            activity.record(session, user, action, activity.photos_subject(changed))
            regroup(session, changed, rules)
        return changed


def favourite_ids(
    session: Session, user: str | None, among: Sequence[int] | None = None
) -> set[int]:
    """The photos ``user`` put a heart on (of ``among``, if given)."""
    query = select(Favourite.photo_id).where(Favourite.user == (user or ONE_PERSON))
    if among is None:
        return set(session.scalars(query))
    found: set[int] = set()
    for start in range(0, len(among), CHUNK):
        found |= set(
            session.scalars(query.where(Favourite.photo_id.in_(among[start : start + CHUNK])))
        )
    return found


def set_archived(
    sessions: sessionmaker[Session],
    by: str | None,
    ids: Sequence[int],
    on: bool,
    rules: RuleSet | None = None,
) -> list[int]:
    """Archive (or bring back) these photos, all or none, in one transaction and one
    activity entry; the ids changed. Under ``rules`` their albums follow."""
    with sessions.begin() as session:
        wanted = present(session, ids)
        claim_photos(session, wanted)
        state = Photo.archived_at.is_(None) if on else Photo.archived_at.is_not(None)
        changed = sorted(
            i
            for start in range(0, len(wanted), CHUNK)
            for i in session.scalars(
                select(Photo.id).where(Photo.id.in_(wanted[start : start + CHUNK]), state)
            )
        )
        for start in range(0, len(changed), CHUNK):
            session.execute(
                update(Photo)
                .where(Photo.id.in_(changed[start : start + CHUNK]))
                .values(archived_at=time.time() if on else None)
            )
        if changed:
            action = activity.ARCHIVE if on else activity.UNARCHIVE
            activity.record(session, by, action, activity.photos_subject(changed))
            regroup(session, changed, rules)
        return changed


def regroup(session: Session, ids: list[int], rules: RuleSet | None) -> None:
    """The albums of photos whose marks changed, under ``rules`` (if any rule names a mark)."""
    if rules is not None and any(k.startswith(PREFIX) for a in rules.albums for k in a.categories):
        session.flush()  # album rows are computed from the marks as they are now
        membership.write_members(session, ids, rules)


def archived_ids(session: Session) -> set[int]:
    """Every archived photo (the library keeps few: a scan of an index)."""
    return set(session.scalars(select(Photo.id).where(Photo.archived_at.is_not(None))))
