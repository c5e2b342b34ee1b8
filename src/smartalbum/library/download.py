"""Many originals as one ZIP, streamed as it is made: no temporary copy, no memory that grows.

The ZIP is written by the standard library's zipfile into a pipe that is emptied after
every chunk of every file, so the server holds one chunk at a time whatever the size of
the album (measured: tests/test_download.py). The files are stored, not compressed: photos
and videos are compressed already, and deflating them would cost the CPU for nothing. Each
keeps its own name; a name that comes twice gets " (2)", " (3)"... before its suffix.
"""

from __future__ import annotations

import logging
import os
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import Photo, Root, live
from smartalbum.library.roots import inside

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes read and sent at a time
MAX_IDS = 10_000  # photos one selection may download
PATHS_AT_ONCE = 500  # photos whose paths are read and resolved at a time
_EARLIEST = (1980, 1, 1, 0, 0, 0)  # a ZIP cannot date a file before 1980


class _Pipe:
    """What zipfile writes into: kept until taken, so each chunk leaves as soon as it is made.

    It has no ``tell`` or ``seek``, so zipfile writes a streaming ZIP (sizes after the data).
    """

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: ``take`` hands the bytes on."""

    def close(self) -> None:
        """Nothing to close: the last bytes are taken after the ZIP is closed."""

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def unique_names(paths: Sequence[Path]) -> list[str]:
    """Each file's own name, made unique (case aside) by " (2)", " (3)"... before its suffix."""
    taken: set[str] = set()
    return [_unique(path, taken) for path in paths]


def _unique(path: Path, taken: set[str]) -> str:
    name, n = path.name, 1
    while name.casefold() in taken:
        n += 1
        name = f"{path.stem} ({n}){path.suffix}"
    taken.add(name.casefold())
    return name


class Originals:
    """(name in the ZIP, real file) of each present photo of ``ids``, in that order.

    Only files inside an indexed folder are given (as ``PhotoLibrary.original`` serves
    them); a photo that is not present, or whose file is elsewhere, is left out. The paths
    are read and resolved as the ZIP takes them, a page at a time: the first byte of an
    album of 30,000 photos waits for the first page, not for every path to be checked.
    """

    def __init__(self, sessions: sessionmaker[Session], ids: Sequence[int]) -> None:
        self.sessions = sessions
        self.wanted = list(dict.fromkeys(ids))
        with sessions() as session:
            self.roots = [os.path.realpath(r) for r in session.scalars(select(Root.path))]
        self.given = 0  # files handed out by the last walk

    def __iter__(self) -> Iterator[tuple[str, Path]]:
        taken: set[str] = set()
        self.given = 0
        for start in range(0, len(self.wanted), PATHS_AT_ONCE):
            for path in self._files(self.wanted[start : start + PATHS_AT_ONCE]):
                self.given += 1
                yield _unique(path, taken), path

    def any(self) -> bool:
        """Whether there is a file to give (reads only up to the first one)."""
        return next(iter(self), None) is not None

    def _files(self, ids: Sequence[int]) -> list[Path]:
        with self.sessions() as session:
            query = select(Photo.id, Photo.path).where(Photo.id.in_(ids), live())
            paths = {photo_id: path for photo_id, path in session.execute(query)}
        files = [Path(os.path.realpath(paths[i])) for i in ids if i in paths]
        return [f for f in files if inside(str(f), self.roots)]


def zip_stream(files: Iterable[tuple[str, Path]]) -> Iterator[bytes]:
    """The bytes of a ZIP of these files, a chunk at a time; a file that cannot be read when
    its turn comes is left out (and logged): the answer has started, it cannot fail now."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, path in files:
            try:
                source = path.open("rb")
                info = os.fstat(source.fileno())
            except OSError as exc:
                log.warning("%s: left out of the download (%s)", path, exc.strerror)
                continue
            with source:
                entry = zipfile.ZipInfo(name, _zip_time(info.st_mtime))
                entry.file_size = info.st_size  # so a file past 4 GiB gets ZIP64 sizes
                with archive.open(entry, mode="w") as target:
                    while data := source.read(CHUNK):
                        target.write(data)
                        yield pipe.take()
            yield pipe.take()
    yield pipe.take()


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    when = time.localtime(mtime)[:6]
    return max(when, _EARLIEST)
