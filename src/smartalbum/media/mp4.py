"""An MP4 or QuickTime movie read in Python: its facts, and where its keyframes are.

Enough of ISO/IEC 14496-12 and Apple's QuickTime to replace ``ffprobe`` for what a phone
records: the movie's duration and creation time (``mvhd``), its place (``©xyz`` in the user
data, or Apple's ``com.apple.quicktime.location.ISO6709`` key), the video track's codec,
size and rotation, and its sample table, from which a keyframe's bytes are found without
reading anything else of the file. Only the ``moov`` box is read (kilobytes for a minute).
Anything this cannot make sense of is ``None``; the caller then asks ffmpeg.
"""

from __future__ import annotations

import math
import struct
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from smartalbum.media.motion import apple_keys, boxes, read_moov

_QUICKTIME_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
# ffprobe's codec names for the sample entries a phone or a camera writes
CODECS = {
    b"avc1": "h264", b"avc3": "h264", b"hvc1": "hevc", b"hev1": "hevc", b"mp4v": "mpeg4",
    b"jpeg": "mjpeg", b"av01": "av1", b"vp09": "vp9", b"apcn": "prores", b"ap4h": "prores",
}  # fmt: skip
_CONFIGS = {b"avcC", b"hvcC"}  # the decoder configuration an H.264/HEVC entry carries
_VISUAL_ENTRY = 78  # bytes of a visual sample entry before its child boxes
_START = b"\x00\x00\x00\x01"  # an Annex B start code


@dataclass(frozen=True)
class Track:
    """The video track: codec, coded size, rotation and the sample table's columns."""

    fourcc: bytes
    width: int
    height: int
    rotation: int  # degrees clockwise the player turns the picture
    timescale: int
    config: bytes  # the avcC/hvcC box's body, or b""
    times: np.ndarray  # each sample's decode time, in timescale ticks
    sync: np.ndarray | None  # 0-based keyframe samples; None: every sample is one
    offsets: np.ndarray  # each sample's byte offset in the file
    sizes: np.ndarray  # and its length

    @property
    def codec(self) -> str:
        """ffprobe's name for the codec ("h264"), or the sample entry's four letters."""
        return CODECS.get(self.fourcc, self.fourcc.decode("latin-1").strip())

    def keyframe(self, seconds: float) -> int:
        """The sample of the keyframe at or before a time (as ``ffmpeg -ss`` seeks)."""
        sample = max(0, bisect_right(self.times.tolist(), seconds * self.timescale) - 1)
        if self.sync is None:
            return sample
        at = bisect_right(self.sync.tolist(), sample) - 1
        return int(self.sync[max(at, 0)])


@dataclass(frozen=True)
class Movie:
    """A movie's facts (tags named as ffprobe names them) and its video track, if any."""

    duration: float | None
    tags: dict[str, str] = field(default_factory=dict)
    video: Track | None = None


def read(path: Path) -> Movie | None:
    """The facts and the video track of an MP4/QuickTime file; None if it is not one we read."""
    try:
        moov = read_moov(path)
        return None if moov is None else _movie(moov)
    except (OSError, struct.error, ValueError, IndexError):  # cut short, or not what it says
        return None


def _movie(moov: bytes) -> Movie:
    top = boxes(moov)
    header = next(((s, e) for kind, s, e in top if kind == b"mvhd"), None)
    if header is None:
        raise ValueError("no movie header")
    duration, created = _mvhd(moov[header[0] : header[1]])
    tags = {key.decode("latin-1").lower(): value for key, value in apple_keys(moov).items()}
    if created:
        tags.setdefault("creation_time", created)
    for kind, start, end in top:
        if kind == b"udta":
            place = _user_string(moov, start, end, b"\xa9xyz") or _loci(moov, start, end)
            if place:
                tags.setdefault("location", place)
    tracks = [_track(moov, s, e) for kind, s, e in top if kind == b"trak"]
    video = next((t for t in tracks if t is not None), None)
    return Movie(duration, tags, video)


def _mvhd(body: bytes) -> tuple[float | None, str | None]:
    """(duration in seconds, creation time as ISO 8601 UTC) of a movie header."""
    if body[0] == 1:
        created, _, scale, length = struct.unpack_from(">QQIQ", body, 4)
    else:
        created, _, scale, length = struct.unpack_from(">IIII", body, 4)
    duration = length / scale if scale and length and length != 0xFFFFFFFF else None
    when = _QUICKTIME_EPOCH + timedelta(seconds=created) if created else None
    return (
        round(duration, 3) if duration and math.isfinite(duration) else None,
        when.isoformat() if when else None,
    )


def _user_string(moov: bytes, start: int, end: int, kind: bytes) -> str | None:
    """A QuickTime user-data text (its 16-bit length and language, then the text)."""
    for found, s, e in boxes(moov, start, end):
        if found == kind and e - s > 4:
            (length,) = struct.unpack_from(">H", moov, s)
            return moov[s + 4 : min(e, s + 4 + length)].decode("utf-8", "replace").strip()
    return None


def _loci(moov: bytes, start: int, end: int) -> str | None:
    """3GPP's location box (what ffmpeg writes in an MP4) as ISO 6709, as ffprobe gives it."""
    for found, s, e in boxes(moov, start, end):
        if found == b"loci":
            name_end = moov.index(b"\x00", s + 6, e)  # after version, flags, language: the name
            longitude, latitude = struct.unpack_from(">ii", moov, name_end + 2)  # after the role
            return f"{latitude / 65536:+08.4f}{longitude / 65536:+09.4f}/"
    return None


def _track(moov: bytes, start: int, end: int) -> Track | None:
    """The track if it is video (not a cover picture or timecode): None otherwise."""
    inner = {kind: (s, e) for kind, s, e in boxes(moov, start, end)}
    if b"tkhd" not in inner or b"mdia" not in inner:
        return None
    media = {kind: (s, e) for kind, s, e in boxes(moov, *inner[b"mdia"])}
    if b"hdlr" not in media or moov[media[b"hdlr"][0] + 8 : media[b"hdlr"][0] + 12] != b"vide":
        return None
    timescale = _timescale(moov[slice(*media[b"mdhd"])])
    info = {kind: (s, e) for kind, s, e in boxes(moov, *media[b"minf"])}
    table = {kind: moov[s:e] for kind, s, e in boxes(moov, *info[b"stbl"])}
    fourcc, width, height, config = _entry(table[b"stsd"])
    sizes = _sizes(table[b"stsz"])
    if not sizes.size or not timescale:
        return None
    chunks = _chunk_offsets(table.get(b"stco"), table.get(b"co64"))
    return Track(
        fourcc, width, height, _rotation(moov[slice(*inner[b"tkhd"])]), timescale, config,
        times=_times(table[b"stts"], sizes.size),
        sync=_sync(table.get(b"stss")),
        offsets=_offsets(table[b"stsc"], chunks, sizes),
        sizes=sizes,
    )  # fmt: skip


def _timescale(mdhd: bytes) -> int:
    return int(struct.unpack_from(">I", mdhd, 20 if mdhd[0] == 1 else 12)[0])


def _rotation(tkhd: bytes) -> int:
    """Degrees clockwise, from the track header's display matrix."""
    at = 4 + (32 if tkhd[0] == 1 else 20) + 8 + 8  # times, ids and durations; layer, volume
    a, b = struct.unpack_from(">ii", tkhd, at)
    return round(math.degrees(math.atan2(b, a))) % 360


def _entry(stsd: bytes) -> tuple[bytes, int, int, bytes]:
    """(four letters, width, height, decoder configuration) of the first sample entry."""
    entry = boxes(stsd, 8)[0]  # after version and count
    fourcc, start, end = entry
    width, height = struct.unpack_from(">HH", stsd, start + 24)
    config = next(
        (stsd[s:e] for kind, s, e in boxes(stsd, start + _VISUAL_ENTRY, end) if kind in _CONFIGS),
        b"",
    )
    return fourcc, width, height, config


def _sizes(stsz: bytes) -> np.ndarray:
    same, count = struct.unpack_from(">II", stsz, 4)
    if same:
        return np.full(count, same, dtype=np.int64)
    return np.frombuffer(stsz, ">u4", count, 12).astype(np.int64)


def _times(stts: bytes, samples: int) -> np.ndarray:
    (count,) = struct.unpack_from(">I", stts, 4)
    runs = np.frombuffer(stts, ">u4", 2 * count, 8).reshape(-1, 2).astype(np.int64)
    deltas = np.repeat(runs[:, 1], runs[:, 0])[:samples]
    return np.concatenate([[0], np.cumsum(deltas)[:-1]]) if deltas.size else deltas


def _sync(stss: bytes | None) -> np.ndarray | None:
    if stss is None:
        return None
    (count,) = struct.unpack_from(">I", stss, 4)
    return np.frombuffer(stss, ">u4", count, 8).astype(np.int64) - 1


def _chunk_offsets(stco: bytes | None, co64: bytes | None) -> np.ndarray:
    body, kind = (stco, ">u4") if stco is not None else (co64, ">u8")
    if body is None:
        raise ValueError("no chunk offsets")
    (count,) = struct.unpack_from(">I", body, 4)
    return np.frombuffer(body, kind, count, 8).astype(np.int64)


def _offsets(stsc: bytes, chunks: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each sample's offset: its chunk's, plus the samples before it in the chunk."""
    (count,) = struct.unpack_from(">I", stsc, 4)
    runs = np.frombuffer(stsc, ">u4", 3 * count, 8).reshape(-1, 3).astype(np.int64)
    firsts = np.append(runs[:, 0] - 1, chunks.size)
    per_chunk = np.repeat(runs[:, 1], np.diff(firsts))
    first_sample = np.concatenate([[0], np.cumsum(per_chunk)[:-1]])
    sample = np.arange(sizes.size)
    chunk = np.searchsorted(first_sample, sample, side="right") - 1
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.asarray(chunks[chunk] + before - before[first_sample[chunk]], dtype=np.int64)


# -- keyframes as an Annex B stream -----------------------------------------------------------


def annex_b(track: Track, samples: list[bytes]) -> bytes | None:
    """H.264/HEVC samples as one Annex B stream, each after the parameter sets; None when
    the track is of another codec or its configuration cannot be read."""
    parsed = _parameter_sets(track)
    if parsed is None:
        return None
    length_size, sets = parsed
    head = b"".join(_START + nal for nal in sets)
    stream = bytearray()
    for sample in samples:
        stream += head
        at = 0
        while at + length_size <= len(sample):
            size = int.from_bytes(sample[at : at + length_size], "big")
            at += length_size
            if size <= 0 or at + size > len(sample):
                return None
            stream += _START + sample[at : at + size]
            at += size
    return bytes(stream)


def _parameter_sets(track: Track) -> tuple[int, list[bytes]] | None:
    """(NAL length size, parameter sets) from an avcC or hvcC configuration."""
    config = track.config
    try:
        if track.codec == "h264" and config:
            return (config[4] & 3) + 1, _avc_sets(config)
        if track.codec == "hevc" and config:
            return (config[21] & 3) + 1, _hevc_sets(config)
    except (IndexError, struct.error):
        return None
    return None


def _avc_sets(config: bytes) -> list[bytes]:
    sets, at = [], 5
    for mask in (0x1F, 0xFF):  # the sequence parameter sets, then the picture ones
        count = config[at] & mask
        at += 1
        for _ in range(count):
            (size,) = struct.unpack_from(">H", config, at)
            sets.append(config[at + 2 : at + 2 + size])
            at += 2 + size
    return sets


def _hevc_sets(config: bytes) -> list[bytes]:
    sets, at = [], 23
    for _ in range(config[22]):  # arrays of VPS, SPS, PPS, SEI
        (count,) = struct.unpack_from(">H", config, at + 1)
        at += 3
        for _ in range(count):
            (size,) = struct.unpack_from(">H", config, at)
            sets.append(config[at + 2 : at + 2 + size])
            at += 2 + size
    return sets
