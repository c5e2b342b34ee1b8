"""The second phase of indexing: the passes that cost a second a photo (text, faces).

The first phase (the indexer, the upload feed) classifies and writes every photo at the
model's speed, so a photo is found by what it shows as soon as its batch commits; this phase
then reads its text (``ocr.backfill``) and looks for its faces (``people.scan``) in the photos
those passes have not seen. Each pass records what it did per photo with its results, in one
transaction a batch, so a run stopped anywhere (cancelled, giving way to a new import, the
process killed) carries on with the photos still unseen next time.

The distributed workers are the exception: there each worker runs every pass on its photos,
as they scale out over machines (``distributed.worker``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.albums.membership import write_members
from smartalbum.catalog import LibraryLock, claim_photos
from smartalbum.engines.memory import trim
from smartalbum.library.sidecars import Landed
from smartalbum.library.text_pass import read_text
from smartalbum.library.workers import usable_cores
from smartalbum.ocr.backfill import Backfilled
from smartalbum.settings import Settings

# A pass and its progress: (pass name, photos done, photos to do); False stops the run.
Progress = Callable[[str, int, int], bool]


@dataclass
class LaterReport:
    """What one run of the second phase did: each pass's figures (None: the pass is off)."""

    text: dict[str, Any] | None = None  # total, read, with_text, failed, seconds
    faces: dict[str, Any] | None = None  # photos, faces, failed, seconds
    stopped: bool = False  # stopped before the end (asked to, or giving way)

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary."""
        return asdict(self)

    @property
    def ran(self) -> bool:
        """Whether any pass is on."""
        return self.text is not None or self.faces is not None


def wanted(settings: Settings) -> bool:
    """Whether indexing has a second phase (a pass is on, and no distributed worker runs it)."""
    return (settings.text or settings.faces) and not settings.broker


def run_later_passes(
    sessions: sessionmaker[Session],
    library: str,
    settings: Settings,
    rules: RuleSet,
    progress: Progress = lambda _name, _done, _total: True,
    landed: Landed | None = None,
) -> LaterReport:
    """Read the text, then look for the faces, of the live photos those passes have not seen,
    under the library's lock (one indexer at a time, as the first phase). ``landed`` is told
    the photos a pass moved between albums (rules that count text or people: their sidecars)."""
    report = LaterReport()
    told = landed or (lambda _ids: None)
    trim()  # what the first phase freed goes back before the passes' processes start
    with LibraryLock(library):
        if settings.text:
            report.text = _timed(lambda: _text(sessions, settings, rules, progress, report, told))
        if settings.faces and not report.stopped:
            report.faces = _timed(lambda: _faces(sessions, settings, rules, progress, report, told))
    return report


def _timed(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A pass's figures, with the seconds it took."""
    started = time.perf_counter()
    figures = work()
    figures["seconds"] = round(time.perf_counter() - started, 2)
    return figures


def _text(
    sessions: sessionmaker[Session],
    settings: Settings,
    rules: RuleSet,
    progress: Progress,
    report: LaterReport,
    landed: Landed,
) -> dict[str, Any]:
    def told(done: Backfilled) -> bool:
        going = progress("text", done.read + done.failed, done.total)
        report.stopped = report.stopped or not going
        return going

    # A process a core, as the first phase (one reader's threads do not use two cores).
    processes = settings.index_processes or len(usable_cores())
    return asdict(read_text(sessions, settings, rules, told, processes, landed))


def _faces(
    sessions: sessionmaker[Session],
    settings: Settings,
    rules: RuleSet,
    progress: Progress,
    report: LaterReport,
    landed: Landed,
) -> dict[str, Any]:
    from smartalbum.people.scan import scan  # the face models' imports: only when faces are on

    regrouped: list[int] = []

    def regroup(session: Session, ids: list[int]) -> None:
        """A rule may name people: the batch's photos join their albums in its transaction."""
        if ids and rules.reads_people:
            claim_photos(session, ids)  # the one order every writer of photo rows claims them
            session.flush()
            write_members(session, ids, rules)
            regrouped.extend(ids)

    def told(items: Iterator[Any], total: int) -> Iterator[Any]:
        for done, item in enumerate(items):
            if not progress("faces", done, total):
                report.stopped = True
                return  # the scan writes the photos in hand and ends
            yield item
        progress("faces", total, total)

    scanned = scan(sessions, settings.max_pixels, told, regroup).to_dict()
    landed(regrouped)  # after their transactions: the sidecars name the albums committed
    return scanned
