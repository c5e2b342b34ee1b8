"""The text pass over a library's photos indexed before it: ``ocr.backfill``, with the albums
that count text brought up to date in each batch's transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.albums.membership import write_members
from smartalbum.catalog import claim_photos
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.sidecars import Landed, landing
from smartalbum.ocr.backfill import Backfilled, backfill
from smartalbum.settings import Settings


def read_library_text(
    library: PhotoLibrary,
    settings: Settings,
    progress: Callable[[Backfilled], bool] = lambda _done: True,
) -> Backfilled:
    """Read every live photo the text pass has not read; ``progress`` may stop it (False).
    With SMARTALBUM_XMP_WRITE on, the photos it moves between albums get their sidecars."""
    landed = landing(settings, library.sessions, library.rules)
    return read_text(library.sessions, settings, library.rules, progress, landed=landed)


def read_text(
    sessions: sessionmaker[Session],
    settings: Settings,
    rules: RuleSet,
    progress: Callable[[Backfilled], bool] = lambda _done: True,
    processes: int = 1,
    landed: Landed | None = None,
) -> Backfilled:
    """``read_library_text`` on a catalog's sessions, grouping the photos under ``rules``,
    in up to ``processes`` processes; ``landed`` is told the photos whose albums count text."""
    regrouped: list[int] = []

    def regroup(session: Session, ids: list[int]) -> None:
        claim_photos(session, ids)  # the one order every writer of photo rows claims them
        write_members(session, ids, rules)
        if landed is not None and rules.reads_text:
            regrouped.extend(ids)

    fast = settings.fast_decode
    budget = settings.index_memory_mb
    done = backfill(sessions, settings.max_pixels, fast, progress, regroup, processes, budget)
    if landed is not None:  # after their transactions: the sidecars name the albums committed
        landed(regrouped)
    return done
