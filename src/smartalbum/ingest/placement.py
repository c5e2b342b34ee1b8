"""Where an uploaded file goes: ``<root>/<user>/<year>/<month>/<name>``, never over another.

The name is the client's, made safe: no folders, no leading dot (the scanner skips hidden
files), no control characters, at most 200 bytes, and a suffix the scanner indexes. A
name already taken gets a number (``IMG_0042 (2).HEIC``). The file is linked into place
from its temporary name, which fails rather than replace anything, and the folder is
fsynced, so after a crash the file is either wholly there or not at all.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from smartalbum import video
from smartalbum.imaging import SUPPORTED_SUFFIXES
from smartalbum.media import raw
from smartalbum.metadata import read_metadata

MAX_NAME_BYTES = 200  # well under the 255 bytes a file name may have, room for " (99)"
# The suffix a name without one gets, by the format sniffed from its bytes.
SUFFIX_OF = {
    "JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif",
    "BMP": ".bmp", "DIB": ".bmp", "TIFF": ".tif", "HEIF": ".heic", "AVIF": ".avif",
    **{container: f".{container.lower()}" for container in video.CONTAINERS},
    **raw.SUFFIX_OF,
}  # fmt: skip
INDEXED_SUFFIXES = SUPPORTED_SUFFIXES | video.SUFFIXES  # what an upload may be called
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
_DATE = re.compile(r"^(\d{4})-(\d{2})")


def safe_name(name: str, fmt: str | None = None) -> str:
    """The client's file name as one harmless file name with an indexable suffix."""
    base = re.split(r"[/\\]", name)[-1]  # "../../etc/passwd" -> "passwd"
    base = _UNSAFE.sub("", base).strip().lstrip(".").strip()
    stem, suffix = os.path.splitext(base)
    if suffix.lower() not in INDEXED_SUFFIXES:
        stem, suffix = base, SUFFIX_OF.get(fmt or "", ".jpg")
    stem = stem or "upload"
    while len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix


def month_folder(taken_at: str | None, modified: float | None, now: float) -> tuple[str, str]:
    """(year, month) of the photo's own date: its EXIF time, else the client's file time,
    else now."""
    if taken_at is not None and (match := _DATE.match(taken_at)):
        return match.group(1), match.group(2)
    when = datetime.fromtimestamp(modified if modified is not None else now)
    return f"{when.year:04d}", f"{when.month:02d}"


def taken_at_of(path: Path, fmt: str | None = None, data: bytes | None = None) -> str | None:
    """The EXIF date of a photo file (its header only), or a video's from its container; None
    if it has none we can read. ``fmt``: the format sniffed already (the file is not opened
    again to tell a video); ``data``: the file's bytes, when in memory (it is not opened)."""
    try:
        is_video = fmt in video.CONTAINERS if fmt is not None else video.sniff_file(path)
        if is_video:  # not the client's file date: the video's own
            return video.taken_at(path)
        if data is not None:
            return read_metadata(data, motion_photo=False).taken_at
        return read_metadata(path).taken_at
    except Exception:  # no date is not an error: the upload falls back to the file's time
        return None


def candidates(folder: Path, name: str) -> Iterator[Path]:
    """The names to try in turn: ``IMG.jpg``, ``IMG (2).jpg``, ... ``IMG (999).jpg`` (made
    as they are asked for: almost always the first is free)."""
    stem, suffix = os.path.splitext(name)
    yield folder / name
    for n in range(2, 1000):
        yield folder / f"{stem} ({n}){suffix}"


def place(source: Path, folder: Path, name: str) -> Path:
    """Link ``source`` into ``folder`` under ``name`` or the first free numbered variant;
    never replaces a file. Returns where it went; ``source`` stays (the caller removes it)."""
    if not os.path.isdir(folder):  # a look is cheaper than making it again each time
        folder.mkdir(parents=True, exist_ok=True)
    for target in candidates(folder, name):
        try:
            _link(source, target)
        except FileExistsError:
            continue
        fsync_folder(folder)
        return target
    raise FileExistsError(f"{folder / name}: 999 files of this name already")


def _link(source: Path, target: Path) -> None:
    """A hard link: atomic, and it refuses an existing target."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        _copy_in(source, target)


def _copy_in(source: Path, target: Path) -> None:
    """Copy to a hidden name beside the target (the scanner skips it), then rename it in
    if the target is still free: a crash leaves no half photo under the target's name."""
    hidden = target.with_name(f".{target.name}.{os.getpid()}.copy")
    with source.open("rb") as src, open(hidden, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())
    if target.exists():
        hidden.unlink()
        raise FileExistsError(target)
    os.replace(hidden, target)


def fsync_folder(folder: Path) -> None:
    """Make a folder's entries (a new or removed name) durable."""
    with contextlib.suppress(OSError):  # some file systems cannot open a folder; nothing to do
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
