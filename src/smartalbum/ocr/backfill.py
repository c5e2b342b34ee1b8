"""The text pass over photos indexed before it (or by an older version of it).

Resumable by construction: each photo read is recorded with the pass's version in the
same transaction as its lines, so a run stopped at any point carries on with the photos
still unread. A file that cannot be read now is left for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.ocr.reader import Line, read_photo
from smartalbum.ocr.store import count_unread, unread, write_text

BATCH = 4  # photos a transaction: a run asked to stop (an import waits) ends within seconds


@dataclass
class Backfilled:
    """What one run did."""

    total: int = 0  # photos unread when it started
    read: int = 0
    with_text: int = 0
    failed: int = 0


def backfill(
    sessions: sessionmaker[Session],
    max_pixels: int,
    fast: bool,
    progress: Callable[[Backfilled], bool] = lambda _done: True,
    then: Callable[[Session, list[int]], None] | None = None,
) -> Backfilled:
    """Read the text of every live photo the pass has not read; ``progress`` is told after
    each batch and stops the run by answering False. ``then`` runs in each batch's
    transaction with the photos read (their albums are brought up to date there)."""
    with sessions() as session:
        done = Backfilled(total=count_unread(session))
    after = 0
    while True:
        with sessions() as session:
            batch = unread(session, after, BATCH)
        if not batch:
            return done
        found: dict[int, list[Line]] = {}
        for photo_id, path in batch:
            try:
                data = Path(path).read_bytes()
            except OSError:
                done.failed += 1
                continue
            lines = read_photo(data, path, max_pixels, fast)
            if lines is None:
                done.failed += 1
                continue
            found[photo_id] = lines
        with sessions.begin() as session:
            write_text(session, found)
            if then is not None and found:
                then(session, sorted(found))
        done.read += len(found)
        done.with_text += sum(bool(lines) for lines in found.values())
        after = batch[-1][0]
        if not progress(done):
            return done
