"""The motion that goes with a still: what ties an iPhone Live Photo's still to its MOV, and
where a Google Motion Photo's video sits inside its JPEG.

Apple writes one ContentIdentifier (a UUID) into the still's MakerNote (tag 17) and into the
MOV's QuickTime metadata (``com.apple.quicktime.content.identifier``); the MOV also says when
it was shot (``com.apple.quicktime.creationdate``, local time with its offset). Google appends
an MP4 to the JPEG and says how long it is in the XMP: ``GCamera:MicroVideoOffset`` (bytes
from the end), or a ``Container:Directory`` whose MotionPhoto item has its ``Length``.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

_APPLE = b"Apple iOS\x00"
_CONTENT_IDENTIFIER = 0x0011
_KEY_ID = b"com.apple.quicktime.content.identifier"
_KEY_DATE = b"com.apple.quicktime.creationdate"
_QUICKTIME_EPOCH = datetime(1904, 1, 1)
_MAX_MOOV = 16 * 1024 * 1024  # a phone's moov is kilobytes; a bigger one is not read
_MICRO_VIDEO = re.compile(rb"GCamera:MicroVideoOffset(?:=\"|>)(\d+)")
_MOTION_ITEM = re.compile(
    rb"<Container:Item\b[^>]*?Item:Semantic=\"MotionPhoto\"[^>]*?Item:Length=\"(\d+)\""
    rb"|<Container:Item\b[^>]*?Item:Length=\"(\d+)\"[^>]*?Item:Semantic=\"MotionPhoto\""
)
_XMP_SPAN = 256 * 1024  # the XMP is in the JPEG's first segments


@dataclass(frozen=True)
class Clip:
    """What a QuickTime file says of itself: Apple's content identifier and when it was shot
    (local time as ISO 8601 without offset, as the catalog's ``taken_at``)."""

    content_id: str | None
    taken_at: str | None


def apple_content_id(maker_note: bytes) -> str | None:
    """The ContentIdentifier in an Apple MakerNote (tag 17), or None."""
    if not maker_note.startswith(_APPLE) or len(maker_note) < 16:
        return None
    endian = ">" if maker_note[12:14] == b"MM" else "<"
    try:
        (count,) = struct.unpack_from(endian + "H", maker_note, 14)
        for index in range(min(count, 256)):
            tag, kind, length, value = struct.unpack_from(
                endian + "HHI4s", maker_note, 16 + 12 * index
            )
            if tag != _CONTENT_IDENTIFIER or kind != 2:
                continue
            if length > 4:  # offsets count from the MakerNote's start
                (offset,) = struct.unpack(endian + "I", value)
                value = maker_note[offset : offset + length]
            return _text(value[:length])
    except struct.error:  # a MakerNote cut short
        return None
    return None


def motion_photo_offset(data: bytes) -> int | None:
    """Where the MP4 of a Motion Photo starts in its JPEG's bytes, or None if it has none."""
    if not data.startswith(b"\xff\xd8"):
        return None
    head = data[:_XMP_SPAN]
    found = _MICRO_VIDEO.search(head)
    match = found or _MOTION_ITEM.search(head)
    if match is None:
        return None
    length = int(next(group for group in match.groups() if group))
    start = len(data) - length
    # The video must be there: an MP4 box, its type right after its size.
    if 0 < start < len(data) - 8 and data[start + 4 : start + 8] == b"ftyp":
        return start
    return None


def clip(path: Path) -> Clip:
    """The content identifier and time of a MOV/MP4 file; nothing when it has neither."""
    try:
        moov = read_moov(path)
    except (OSError, struct.error):
        return Clip(None, None)
    if moov is None:
        return Clip(None, None)
    values = apple_keys(moov)
    taken = _local_time(values.get(_KEY_DATE)) or _header_time(moov)
    return Clip(values.get(_KEY_ID), taken)


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """(type, start of body, end) of each box in data[start:end]."""
    end = len(data) if end is None else end
    found = []
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, start + 8)
            header = 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            break
        found.append((kind, start + header, start + size))
        start += size
    return found


def read_moov(path: Path) -> bytes | None:
    """The movie box of a QuickTime/MP4 file (read alone, wherever it is in the file)."""
    with path.open("rb") as stream:
        while header := stream.read(8):
            if len(header) < 8:
                return None
            size, kind = struct.unpack(">I4s", header)
            skip = size - 8
            if size == 1:
                skip = struct.unpack(">Q", stream.read(8))[0] - 16
            elif size == 0:
                return stream.read(_MAX_MOOV) if kind == b"moov" else None
            if kind == b"moov":
                return stream.read(skip) if skip <= _MAX_MOOV else None
            if skip < 0:
                return None
            stream.seek(skip, 1)
    return None


def apple_keys(moov: bytes) -> dict[bytes, str]:
    """The moov's meta keys and their text values (QuickTime's ``mdta`` metadata)."""
    meta = _meta(moov)
    if meta is None:
        return {}
    start, end = meta
    if moov[start : start + 4] == b"\x00\x00\x00\x00":  # an MP4 meta: version and flags
        start += 4
    inner = {kind: (s, e) for kind, s, e in boxes(moov, start, end)}
    if b"keys" not in inner or b"ilst" not in inner:
        return {}
    start, end = inner[b"keys"]
    names = [moov[s:e] for _, s, e in boxes(moov, start + 8, end)]  # after version, count
    values: dict[bytes, str] = {}
    for kind, s, e in boxes(moov, *inner[b"ilst"]):
        index = int.from_bytes(kind, "big") - 1  # items are typed by their key's number
        data = next(((ds, de) for dk, ds, de in boxes(moov, s, e) if dk == b"data"), None)
        if 0 <= index < len(names) and data is not None:
            text = _text(moov[data[0] + 8 : data[1]])  # after type and locale
            if text:
                values[names[index]] = text
    return values


def _meta(moov: bytes) -> tuple[int, int] | None:
    """Where the metadata box is: in the movie box (a phone's), or in its user data (ffmpeg's)."""
    for kind, start, end in boxes(moov):
        if kind == b"meta":
            return start, end
        if kind == b"udta":
            inside = [(s, e) for k, s, e in boxes(moov, start, end) if k == b"meta"]
            if inside:
                return inside[0]
    return None


def _header_time(moov: bytes) -> str | None:
    """The movie header's creation time (UTC: a phone writes no zone here), or None."""
    header = next(((s, e) for kind, s, e in boxes(moov) if kind == b"mvhd"), None)
    if header is None:
        return None
    version = moov[header[0]]
    fmt = ">Q" if version == 1 else ">I"
    (seconds,) = struct.unpack_from(fmt, moov, header[0] + 4)
    if not seconds:
        return None

    return (_QUICKTIME_EPOCH + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def _local_time(text: str | None) -> str | None:
    """``2024-07-01T18:05:09-0700`` as the local time it names, ``2024-07-01T18:05:09``."""
    if text is None:
        return None
    match = re.match(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})", text)
    return match.group(1) if match else None


def _text(value: bytes) -> str | None:
    cleaned = value.split(b"\x00")[0].decode("utf-8", "replace").strip()
    return cleaned[:64] or None
