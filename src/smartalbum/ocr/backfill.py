"""The text pass over photos indexed before it (or by an older version of it).

Resumable by construction: each photo read is recorded with the pass's version in the
same transaction as its lines, so a run stopped at any point carries on with the photos
still unread. A file that cannot be read now is left for the next run.

With many photos to read the work goes to a few processes, a photo each at a time: one
reader's threads do not use two cores (docs/text.md), and two readers in one process
would take turns on their models. How many: as many as fit in the index's memory budget,
a core each at most (``ocr.lanes``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.ocr.lanes import Lanes
from smartalbum.ocr.reader import Line, read_photo
from smartalbum.ocr.store import count_unread, unread, write_text

BATCH = 4  # photos a transaction (a process): a run asked to stop ends within seconds
MIN_PER_PROCESS = 16  # photos a process at least: each loads the models (~2-6 s) first

Reader = Callable[[list[str]], list[list[Line] | None]]


@dataclass
class Backfilled:
    """What one run did."""

    total: int = 0  # photos unread when it started
    read: int = 0
    with_text: int = 0
    failed: int = 0


def read_file(path: str, max_pixels: int, fast: bool) -> list[Line] | None:
    """The lines of a photo file; None when it cannot be read now."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return read_photo(data, path, max_pixels, fast)


@contextlib.contextmanager
def readers(processes: int, max_pixels: int, fast: bool, budget_mb: int = 0) -> Iterator[Reader]:
    """Read a list of files here (``processes`` 1) or in up to that many processes, as many
    as fit under ``budget_mb`` (0: no budget) with the others of this process's tree."""
    read = partial(read_file, max_pixels=max_pixels, fast=fast)
    if processes <= 1:
        yield lambda paths: [read(p) for p in paths]
        return
    lanes = Lanes(processes, budget_mb, read)
    try:
        yield lanes
    finally:
        lanes.close()


def backfill(
    sessions: sessionmaker[Session],
    max_pixels: int,
    fast: bool,
    progress: Callable[[Backfilled], bool] = lambda _done: True,
    then: Callable[[Session, list[int]], None] | None = None,
    processes: int = 1,
    budget_mb: int = 0,
) -> Backfilled:
    """Read the text of every live photo the pass has not read; ``progress`` is told after
    each batch and stops the run by answering False. ``then`` runs in each batch's
    transaction with the photos read (their albums are brought up to date there). Up to
    ``processes`` processes read, when there are enough photos for them and they fit in
    ``budget_mb`` (0: no budget)."""
    with sessions() as session:
        done = Backfilled(total=count_unread(session))
    processes = max(1, min(processes, done.total // MIN_PER_PROCESS))
    after = 0
    with readers(processes, max_pixels, fast, budget_mb) as read:
        while True:
            with sessions() as session:
                batch = unread(session, after, BATCH * processes)
            if not batch:
                return done
            _write(sessions, batch, read([path for _, path in batch]), done, then)
            after = batch[-1][0]
            if not progress(done):
                return done


def _write(
    sessions: sessionmaker[Session],
    batch: list[tuple[int, str]],
    lines: list[list[Line] | None],
    done: Backfilled,
    then: Callable[[Session, list[int]], None] | None,
) -> None:
    """One batch's lines in one transaction; the files that could not be read counted."""
    found = {i: said for (i, _), said in zip(batch, lines, strict=True) if said is not None}
    with sessions.begin() as session:
        write_text(session, found)
        if then is not None and found:
            then(session, sorted(found))
    done.failed += len(batch) - len(found)
    done.read += len(found)
    done.with_text += sum(bool(said) for said in found.values())
