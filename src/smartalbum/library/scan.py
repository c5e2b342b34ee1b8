"""What a run must do, decided before any file is analysed: walk, compare, find moves.

A file is unchanged when its size and mtime match its record. A new file can only be
a moved copy of a record that vanished when it is exactly as large, so only those few
are hashed here; everything else new or changed is left for analysis. A record that
vanished from another folder before (missing, in the trash) counts too: a file moved
between folders keeps its record even when the two folders are scanned apart.

The trash's tombstones (purged photos whose files smartalbum did not write) are never
analysed again, and an uploaded file waiting in the trash folder is not "vanished".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import imaging, video
from smartalbum.catalog import MISSING, TRASH_PURGED, Photo
from smartalbum.library.analysis import Analysis, file_sha256
from smartalbum.library.roots import inside

SUFFIXES = imaging.SUPPORTED_SUFFIXES | video.SUFFIXES  # the files a walk picks up


class Known(NamedTuple):
    """What a re-scan needs to know of a catalogued file."""

    id: int
    path: str
    size: int
    mtime: float
    sha256: str | None
    status: str
    trash_reason: str | None = None
    trash_path: str | None = None

    @property
    def purged(self) -> bool:
        """A tombstone: the photo was purged from the trash; its file stays out."""
        return self.trash_reason == TRASH_PURGED


@dataclass
class Plan:
    """The work of one run: files to analyse, moves found, and what no longer exists."""

    scanned: int = 0
    warnings: list[str] = field(default_factory=list)
    known: dict[str, int] = field(default_factory=dict)  # path -> id of records under the roots
    work: list[Path] = field(default_factory=list)  # new or changed: to analyse
    moves: list[Analysis] = field(default_factory=list)  # hashed, ``moved_from`` set
    unchanged: int = 0
    vanished: list[int] = field(default_factory=list)  # ids to mark missing once the run ends


def walk(
    roots: Sequence[Path], confine: Sequence[Path] | None = None
) -> tuple[list[Path], list[str]]:
    """Every image file under the roots (hidden ones skipped), and what could not be walked.

    With ``confine``, links that lead outside those folders are not followed.
    """
    allowed = None if confine is None else [os.path.realpath(c) for c in confine]
    files: list[Path] = []
    warnings: list[str] = []
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        if not root.is_dir():
            warnings.append(f"{root}: not a folder")
            continue

        def report(error: OSError) -> None:
            warnings.append(f"{error.filename}: cannot read folder ({error.strerror})")

        for folder, dirs, names in os.walk(root, followlinks=True, onerror=report):
            stat = os.stat(folder)
            key = (stat.st_dev, stat.st_ino)
            if key in seen_dirs:
                warnings.append(f"{folder}: folder seen before (a symlink loop?), skipped")
                dirs[:] = []
                continue
            seen_dirs.add(key)
            if allowed is not None and not inside(os.path.realpath(folder), allowed):
                warnings.append(f"{folder}: leads outside the import roots, skipped")
                dirs[:] = []
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                path = Path(folder) / name
                if name.startswith(".") or path.suffix.lower() not in SUFFIXES:
                    continue
                # Its folder is inside: only a link can lead out.
                if (
                    allowed is not None
                    and os.path.islink(path)
                    and not inside(os.path.realpath(path), allowed)
                ):
                    warnings.append(f"{path}: leads outside the import roots, skipped")
                    continue
                files.append(path.absolute())
    return files, warnings


def known_records(sessions: sessionmaker[Session], roots: Sequence[Path]) -> dict[str, Known]:
    """The catalogued files under the roots, by path: only the columns a re-scan compares."""
    with sessions() as session:
        return {
            row.path: Known(*row)
            for row in session.execute(select(*_COLUMNS))
            if _under(row.path, roots)
        }


def missing_elsewhere(sessions: sessionmaker[Session], roots: Sequence[Path]) -> list[Known]:
    """Records already missing outside the roots: a new file here may be one of them, moved."""
    with sessions() as session:
        rows = session.execute(select(*_COLUMNS).where(Photo.status == MISSING))
        return [Known(*row) for row in rows if not _under(row.path, roots)]


_COLUMNS = (
    Photo.id, Photo.path, Photo.size, Photo.mtime, Photo.sha256, Photo.status,
    Photo.trash_reason, Photo.trash_path,
)  # fmt: skip


def plan(
    sessions: sessionmaker[Session],
    roots: Sequence[Path],
    reclassify: bool,
    confine: Sequence[Path] | None = None,
) -> Plan:
    """Walk the roots and compare with the catalog: what to analyse, what moved, what is gone."""
    files, warnings = walk(roots, confine)
    known = known_records(sessions, roots)
    result = Plan(len(files), warnings, {path: k.id for path, k in known.items()})
    present = {str(f) for f in files}
    # An uploaded file waiting in the trash folder is where it should be, not vanished.
    vanished = [k for k in known.values() if k.path not in present and k.trash_path is None]
    elsewhere = missing_elsewhere(sessions, roots)
    gone = {k.sha256: k.id for k in [*elsewhere, *vanished] if k.sha256}
    # Only a new file as large as a vanished record can be its copy: few get hashed.
    gone_sizes = {k.size for k in [*elsewhere, *vanished] if k.sha256}
    candidates: list[Path] = []
    for path in files:
        record = known.get(str(path))
        try:
            stat = path.stat()
        except OSError:
            result.work.append(path)  # analysis will record why
            continue
        if record is not None and (record.purged or _same(record, stat, reclassify)):
            result.unchanged += 1
        elif record is None and stat.st_size in gone_sizes:
            candidates.append(path)
        else:
            result.work.append(path)
    result.moves, unmoved = find_moves(candidates, gone)
    result.work += unmoved
    moved = {a.moved_from for a in result.moves}
    result.vanished = [
        k.id for k in vanished if k.id not in moved and k.status != MISSING and not k.purged
    ]
    return result


def _same(record: Known, stat: os.stat_result, reclassify: bool) -> bool:
    """Whether a present file needs no analysis: as recorded, and not asked to redo it."""
    return (
        not reclassify
        and record.status != MISSING
        and record.size == stat.st_size
        and record.mtime == stat.st_mtime
    )


def find_moves(candidates: list[Path], gone: dict[str, int]) -> tuple[list[Analysis], list[Path]]:
    """Of new files, those whose hash is a vanished record's (moves), and the rest."""
    rest: list[Path] = []
    moves = []
    with ThreadPoolExecutor(2, "smartalbum-hash") as pool:
        hashed = pool.map(hashed_file, candidates)
        for path, analysis in zip(candidates, hashed, strict=True):
            record = gone.pop(analysis.sha256, None) if analysis.sha256 else None
            if record is None:
                rest.append(path)
            else:
                analysis.moved_from = record
                moves.append(analysis)
    return moves, rest


def hashed_file(path: Path) -> Analysis:
    """A file's size, mtime and sha256, read a chunk at a time (a video can be gigabytes);
    without a sha256 when it cannot be read (it is then analysed, which says why)."""
    try:
        stat = path.stat()
        digest = file_sha256(path)
    except OSError:
        return Analysis(str(path), 0, 0.0)
    analysis = Analysis(str(path), stat.st_size, stat.st_mtime)
    analysis.sha256 = digest
    return analysis


def _under(path: str, roots: Sequence[Path]) -> bool:
    return any(
        path == str(r.absolute()) or path.startswith(str(r.absolute()) + os.sep) for r in roots
    )
