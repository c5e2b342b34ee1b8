"""A few keyframes of an H.264/HEVC movie, decoded in our process by OpenCV's FFmpeg.

OpenCV's headless wheel (which rapidocr brings) bundles an LGPL build of FFmpeg's
libavcodec. Seeking through ``cv2.VideoCapture`` decodes from the keyframe before the one
asked for to it, a second of frames a seek; instead the keyframes' bytes are taken from the
file where the MP4 sample table says they are (``mp4.Track``), written as one Annex B
stream (each after the parameter sets), and that stream is decoded: one picture decode per
keyframe, no process started, no other byte of the file read. Anything unexpected is
``None``, and the caller asks ``ffmpeg``.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from smartalbum.media import mp4

_SUFFIX = {"h264": ".h264", "hevc": ".hevc"}  # what FFmpeg's raw demuxers are told by
_LARGEST_SAMPLE = 64 * 1024 * 1024  # a keyframe past this is a damaged table, not a picture
# FFmpeg's stream probe (avformat_find_stream_info) decodes the first keyframe once more
# before OpenCV's own decoder does: ~25 ms of a 1080p video's ~100. The raw stream's parser
# already knows the size and the pixel format, so the probe is given no decoder (the
# demuxer's codec whitelist is passed to the probe's decoder, not to OpenCV's), and FFmpeg's
# complaint about it is not printed (OpenCV reads the level once, at its first capture).
# Set at import, before any capture and any thread; a value the user set is kept.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "codec_whitelist;none")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "8")  # AV_LOG_FATAL


def frames(
    path: Path, track: mp4.Track, times: list[float], min_side: int
) -> list[Image.Image] | None:
    """The keyframes at or before these times, each once and in their order, their shorter
    side ``min_side`` as shown; None when this cannot decode them (another codec, a damaged
    table, no OpenCV). Two times in one keyframe's span (a short video) give one frame: the
    model would see the same picture twice."""
    if track.codec not in _SUFFIX or _cv2() is None:
        return None
    unique = sorted({track.keyframe(at) for at in times})
    samples = _samples(path, track, unique)
    stream = mp4.annex_b(track, samples) if samples is not None else None
    if stream is None:
        return None
    decoded = _decode(stream, _SUFFIX[track.codec], len(unique))
    if decoded is None:
        return None
    return [_shown(f, track.rotation, min_side) for f in decoded]


def _samples(path: Path, track: mp4.Track, picks: list[int]) -> list[bytes] | None:
    """The bytes of these samples, read where the table says they are."""
    found = []
    with path.open("rb") as stream:
        for sample in picks:
            size = int(track.sizes[sample])
            if not 0 < size <= _LARGEST_SAMPLE:
                return None
            stream.seek(int(track.offsets[sample]))
            data = stream.read(size)
            if len(data) != size:  # the file is shorter than its table says
                return None
            found.append(data)
    return found


def _decode(stream: bytes, suffix: str, count: int) -> list[np.ndarray] | None:
    """The ``count`` pictures of an Annex B stream (BGR), or None if fewer come out."""
    cv2 = _cv2()
    assert cv2 is not None  # frames() checked
    with tempfile.NamedTemporaryFile(prefix="smartalbum-keyframes-", suffix=suffix) as spool:
        spool.write(stream)
        spool.flush()
        # One thread: the indexer decodes several files at once already.
        capture = cv2.VideoCapture(spool.name, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
        try:
            pictures: list[np.ndarray] = []
            while len(pictures) < count and capture.isOpened():
                ok, picture = capture.read()
                if not ok:
                    break
                pictures.append(picture)
        finally:
            capture.release()
    return pictures if len(pictures) == count else None


def _shown(picture: np.ndarray, rotation: int, min_side: int) -> Image.Image:
    """A decoded picture turned as the player turns it, its shorter side ``min_side`` (the
    longer rounded to even, as ffmpeg's ``scale=-2``), in RGB."""
    cv2 = _cv2()
    assert cv2 is not None
    height, width = picture.shape[:2]
    if rotation % 180 == 90:
        width, height = height, width
    short, long = sorted((width, height))
    other = max(2, round(long * min_side / short / 2) * 2)
    size = (other, min_side) if width >= height else (min_side, other)
    if rotation % 180 == 90:
        size = size[::-1]  # resized before it is turned
    # Halved while that leaves the size asked for (OpenCV halves 1080p in under a millisecond;
    # each half averages 2x2 pixels), then one bilinear step of under 2x: 1.3 ms for 1080p,
    # where one INTER_AREA step of an odd ratio takes 7.5 ms and a last INTER_AREA one after
    # a single halving 2.8 ms.
    while min(picture.shape[:2]) >= 2 * min_side:
        half = (picture.shape[1] // 2, picture.shape[0] // 2)
        picture = cv2.resize(picture, half, interpolation=cv2.INTER_AREA)
    small = cv2.resize(picture, size, interpolation=cv2.INTER_LINEAR)
    small = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    turns = {90: 3, 180: 2, 270: 1}.get(rotation, 0)  # np.rot90 turns anticlockwise
    small = np.rot90(small, turns) if turns else small
    return Image.fromarray(np.ascontiguousarray(small))


@functools.cache
def decoder() -> str | None:
    """The in-process decoder ("OpenCV 5.1.0 (libavcodec 63.1.102)"), or None when OpenCV is
    missing or was built without FFmpeg."""
    cv2 = _cv2()
    if cv2 is None:
        return None
    found = re.search(r"avcodec:\s+YES \(([^)]+)\)", cv2.getBuildInformation())
    return f"OpenCV {cv2.__version__} (libavcodec {found[1]})" if found else None


def _cv2() -> Any:
    """OpenCV, imported when first needed (it takes a while); None if it is not installed."""
    try:
        import cv2
    except ImportError:
        return None
    return cv2
