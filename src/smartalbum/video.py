"""Videos: which files are videos (by their first bytes), their facts and a few frames.

A phone's MP4 or MOV (H.264, HEVC) is read in our process: its facts from the ``moov`` box
(media/mp4.py), its keyframes cut out by the sample table and decoded by the LGPL FFmpeg
inside OpenCV's headless wheel (media/keyframes.py). Anything else goes to Debian's
``ffmpeg`` and ``ffprobe`` in a subprocess: PyAV's wheels link libx264 and libx265
(GPLv2+) into the libavcodec they load, the licence problem pillow-heif had
(docs/performance.md has the measurements and the call). A video yields its facts
(duration, codec, size, when and where it was shot) and up to ``count`` frames spread over
it, each the keyframe at or before its time: a keyframe decodes alone, so a one-minute
1080p video costs a handful of frame decodes, not a minute of them.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from smartalbum import imaging
from smartalbum.errors import ImageDecodeError, ImageTooLargeError, UnsupportedImageError
from smartalbum.i18n import Message, t
from smartalbum.media import keyframes, mp4
from smartalbum.metadata import PhotoMetadata

FRAMES = 4  # classified per video, one when its ends look alike; docs/performance.md has why
ALIKE = 0.5  # the L1 distance (0 to 2) of two frames' colour histograms under which they are alike
TIMEOUT = 120.0  # seconds ffprobe or ffmpeg may take on one file
HEAD = 64  # bytes read to tell a video from a photo
SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".3g2", ".mkv", ".webm", ".avi"})
# The media type a browser is told for each container (an M4V is an MP4 to it).
MEDIA_TYPES = {
    "MP4": "video/mp4", "MOV": "video/quicktime", "M4V": "video/mp4", "3GP": "video/3gpp",
    "MKV": "video/x-matroska", "WEBM": "video/webm", "AVI": "video/x-msvideo",
}  # fmt: skip
CONTAINERS = tuple(MEDIA_TYPES)
# ISO base media files that hold still images, not videos: HEIF/HEIC, AVIF, Canon CR3, JPEG 2000.
_STILL_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"mif2",
    b"msf1", b"miaf", b"avif", b"avis", b"avio", b"crx ", b"jp2 ", b"jpx ", b"jpm ",
}  # fmt: skip
_ISO_MEDIA = frozenset({"MP4", "MOV", "M4V", "3GP"})  # read by media.mp4, the rest by ffprobe
# Old QuickTime files start with an atom, not ``ftyp``.
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_EARLIEST_YEAR, _LATEST_YEAR = 1971, 2100  # MP4's "unset" is 1904 or 1970
_ISO6709 = re.compile(
    r"([+-])(\d{2,6})(\.\d+)?([+-])(\d{3,7})(\.\d+)?([+-]\d+(?:\.\d+)?)?(?:CRS[^/]*)?/?"
)
_PREFIX = re.compile(r"^(?:\[[^\]]*\]\s*)+|^file:.*?:\s+")  # "[mov,mp4 @ 0x..] " and the path


@dataclass(frozen=True)
class Clip:
    """One video: its container, codec, duration, facts as a photo's, and frames spread over it."""

    container: str
    codec: str | None
    duration: float | None
    meta: PhotoMetadata
    frames: list[Image.Image] = field(default_factory=list)  # the first is the poster


def sniff(head: bytes) -> str | None:
    """The video container of a file's first bytes (MP4, MOV, M4V, 3GP, MKV, WEBM, AVI), or None."""
    box = head[4:8]
    if box == b"ftyp":
        brand = head[8:12]
        if brand in _STILL_BRANDS:
            return None
        if brand == b"qt  ":
            return "MOV"
        if brand.startswith(b"M4V"):
            return "M4V"
        return "3GP" if brand.startswith((b"3gp", b"3g2")) else "MP4"
    if box in _QUICKTIME_ATOMS:
        return "MOV"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska, or WebM which is a subset
        return "WEBM" if b"webm" in head else "MKV"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "AVI"
    return None


def sniff_file(path: Path) -> str | None:
    """The video container of a file, from its first bytes; None if it is not a video we take."""
    try:
        with path.open("rb") as stream:
            return sniff(stream.read(HEAD))
    except OSError:
        return None  # the photo path reports why the file cannot be read


@functools.cache
def decoder() -> str | None:
    """The video decoder in use ("ffmpeg 5.1.9"), or None when ffmpeg or ffprobe is missing."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg is None or ffprobe is None:
        return None
    try:
        done = subprocess.run(
            [ffmpeg, "-hide_banner", "-version"], capture_output=True, timeout=TIMEOUT, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    words = done.stdout.decode("utf-8", "replace").split()
    return f"ffmpeg {words[2]}" if len(words) > 2 else "ffmpeg"


def decoders() -> dict[str, str | None]:
    """What decodes videos here (None: not available): in our process, a phone's H.264 and
    HEVC MP4s and MOVs (``video``); the ``ffmpeg`` program, every other video."""
    return {"video": keyframes.decoder(), "video_ffmpeg": decoder()}


def read(
    path: Path, *, name: str, min_side: int, count: int = FRAMES, max_pixels: int = 250_000_000
) -> Clip:
    """Facts and ``count`` frames (shorter side ``min_side``) of a video, or ImageDecodeError."""
    container = sniff_file(path)
    if container is None:
        raise UnsupportedImageError(name, t("not a video we decode ({containers})",
                                            containers=", ".join(CONTAINERS)))  # fmt: skip
    movie = mp4.read(path) if container in _ISO_MEDIA else None
    if movie is not None and movie.video is not None:  # a phone's: read here, no ffprobe
        probe = _as_probe(movie, movie.video)
        stream = _video_stream(probe, name)
        meta = _checked(_metadata(probe, stream, container), name, max_pixels)
        frames = _keyframes(path, movie.video, spread(movie.duration, count), min_side)
        if frames is not None:
            return Clip(container, movie.video.codec, movie.duration, meta, frames)
    if decoder() is None:
        raise ImageDecodeError(name, t("cannot decode videos: ffmpeg is not installed"))
    probe = _probe(path, name)
    stream = _video_stream(probe, name)
    meta = _checked(_metadata(probe, stream, container), name, max_pixels)
    duration = _duration(probe, stream)
    frames = _frames(path, name, spread(duration, count), min_side)
    return Clip(container, stream.get("codec_name"), duration, meta, frames)


def _keyframes(
    path: Path, track: mp4.Track, times: list[float], min_side: int
) -> list[Image.Image] | None:
    """The keyframes at the first and last of these times, and at those between only when
    these two do not look alike. One scene throughout costs two decodes, not four, and is
    its first frame: a second picture of the same scene would cost a row of the model."""
    ends = keyframes.frames(path, track, [times[0], times[-1]], min_side)
    if ends is None or len(ends) < 2:
        return ends
    if _alike(ends[0], ends[1]):
        return ends[:1]
    known = {track.keyframe(times[0]), track.keyframe(times[-1])}
    between = [at for at in times[1:-1] if track.keyframe(at) not in known]
    middle = keyframes.frames(path, track, between, min_side) if between else []
    return None if middle is None else [ends[0], *middle, ends[1]]


def _alike(one: Image.Image, other: Image.Image) -> bool:
    """Whether two frames show the same scene: their colours (64 bins) differ by under
    ALIKE. Framing does not count: a zoom from 1.1x to 1.6x over one photo differs by
    0.26, the ski and alp samples by 1.3."""
    histograms = []
    for frame in (one, other):
        levels = np.asarray(frame.convert("RGB").resize((64, 36), Image.Resampling.BOX)) // 64
        bins = (levels[..., 0] * 16 + levels[..., 1] * 4 + levels[..., 2]).ravel()
        histograms.append(np.bincount(bins, minlength=64) / bins.size)
    return float(np.abs(histograms[0] - histograms[1]).sum()) < ALIKE


def _checked(meta: PhotoMetadata, name: str, max_pixels: int) -> PhotoMetadata:
    """The facts, or ImageTooLargeError when the frames are over the decoder's limit."""
    if meta.width * meta.height > max_pixels:
        reason = t("video frames are {width}x{height}, over the limit of {limit:.0f} megapixels",
                   width=meta.width, height=meta.height, limit=max_pixels / 1e6)  # fmt: skip
        raise ImageTooLargeError(name, reason)
    return meta


def _as_probe(movie: mp4.Movie, track: mp4.Track) -> dict[str, Any]:
    """What ffprobe would have said of the movie, for the same readers of its facts."""
    stream = {"codec_type": "video", "codec_name": track.codec, "width": track.width,
              "height": track.height, "side_data_list": [{"rotation": track.rotation}]}  # fmt: skip
    return {"format": {"tags": movie.tags, "duration": movie.duration}, "streams": [stream]}


def taken_at(path: Path) -> str | None:
    """When a video says it was shot (local time, ISO 8601), from its container; None if it
    does not say, or cannot be read."""
    movie = mp4.read(path) if sniff_file(path) in _ISO_MEDIA else None
    if movie is not None:
        return _taken(movie.tags)[0]
    if decoder() is None:
        return None
    try:
        probe = _probe(path, path.name)
        stream = _video_stream(probe, path.name)
    except ImageDecodeError:
        return None
    return _taken({**_tags(stream), **_tags(probe.get("format", {}))})[0]


def model_input(
    source: imaging.ImageSource,
    preprocess: imaging.Preprocess,
    *,
    name: str,
    max_pixels: int,
    enhance: str = "off",
) -> np.ndarray | None:
    """A video's frames as the model's input, (frames, 3, size, size); None if it is no video."""
    if isinstance(source, bytes):  # an upload: ffmpeg seeks in a file, so it gets one
        if sniff(source[:HEAD]) is None:
            return None
        with tempfile.NamedTemporaryFile(prefix="smartalbum-video-") as spool:
            spool.write(source)
            spool.flush()
            clip = read(Path(spool.name), name=name, min_side=preprocess.resize_size,
                        max_pixels=max_pixels)  # fmt: skip
    elif isinstance(source, (str, os.PathLike)) and sniff_file(Path(source)) is not None:
        clip = read(Path(source), name=name, min_side=preprocess.resize_size, max_pixels=max_pixels)
    else:
        return None
    return np.stack([imaging.model_input(f, preprocess, enhance) for f in clip.frames])


def spread(duration: float | None, count: int) -> list[float]:
    """The times (s) of ``count`` frames spread evenly over a video, each amid its share."""
    if not duration or count < 1:
        return [0.0]
    return [round(duration * (i + 0.5) / count, 3) for i in range(count)]


# -- running ffprobe and ffmpeg -----------------------------------------------------------


def _run(command: list[str], name: str) -> bytes:
    """Run one ffmpeg tool; its complaint becomes this file's ImageDecodeError."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise ImageDecodeError(
            name, t("the video decoder took longer than {seconds:.0f} s", seconds=TIMEOUT)
        ) from None
    except OSError as exc:
        raise ImageDecodeError(name, t("cannot run ffmpeg ({error})", error=exc)) from None
    if done.returncode != 0:
        raise ImageDecodeError(name, _complaint(done.stderr))
    return done.stdout


def _complaint(stderr: bytes) -> Message:
    """The decoder's lines, without their path and component prefixes, as one reason."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    said = dict.fromkeys(_PREFIX.sub("", line) for line in lines if line)  # once each, in order
    detail = "; ".join(said)[:200] or "?"
    return t("not a readable video ({error})", error=detail)


def _source(path: Path) -> list[str]:
    """An input that ffmpeg reads as a local file only: no URL, no playlist leads elsewhere."""
    return ["-protocol_whitelist", "file", "-i", f"file:{path.absolute()}"]


def _probe(path: Path, name: str) -> dict[str, Any]:
    out = _run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", *_source(path)],
        name,
    )
    try:
        probe = json.loads(out)
    except ValueError:
        raise ImageDecodeError(name, t("not a readable video ({error})", error="ffprobe")) from None
    return probe if isinstance(probe, dict) else {}


def _video_stream(probe: dict[str, Any], name: str) -> dict[str, Any]:
    """The first real video stream (not a cover picture)."""
    for stream in probe.get("streams", []):
        picture = stream.get("disposition", {}).get("attached_pic")
        if stream.get("codec_type") == "video" and not picture and stream.get("width"):
            return dict(stream)
    raise ImageDecodeError(name, t("the file has no video stream"))


def _frames(path: Path, name: str, times: list[float], min_side: int) -> list[Image.Image]:
    """The keyframe at or before each time, scaled so its shorter side is ``min_side``.

    One ffmpeg for all of them: an input a time, each seeking to its keyframe and
    decoding keyframes only, an output picture each.
    """
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"]
    for at in times:
        command += ["-threads", "1", "-skip_frame", "nokey", "-noaccurate_seek", "-ss", f"{at}"]
        command += ["-an", "-sn", "-dn", *_source(path)]
    # After ffmpeg's own rotation: the shorter side as shown gets min_side pixels.
    scale = f"scale='if(gt(iw,ih),-2,{min_side})':'if(gt(iw,ih),{min_side},-2)',setsar=1"
    with tempfile.TemporaryDirectory(prefix="smartalbum-frames-") as folder:
        outputs = [Path(folder) / f"{i}.ppm" for i in range(len(times))]
        for i, out in enumerate(outputs):
            command += ["-map", f"{i}:v:0", "-frames:v", "1", "-vf", scale]
            command += ["-c:v", "ppm", "-f", "image2", "-update", "1", str(out)]
        _run(command, name)
        frames = []
        for out in outputs:
            if out.is_file() and out.stat().st_size:  # a seek past the last keyframe gives none
                with Image.open(out) as img:
                    frames.append(img.convert("RGB"))
    if not frames:
        raise ImageDecodeError(name, t("no frame of the video could be decoded"))
    return frames


# -- facts ---------------------------------------------------------------------------------


def _metadata(probe: dict[str, Any], stream: dict[str, Any], container: str) -> PhotoMetadata:
    """The video's facts in a photo's terms: size as shown, when, where, which camera."""
    tags = {**_tags(stream), **_tags(probe.get("format", {}))}  # the container's win
    width, height = int(stream["width"]), int(stream["height"])
    if _rotation(stream) % 180 == 90:
        width, height = height, width
    taken_at, offset, source = _taken(tags)
    position = _position(tags)
    lat, lon, alt = position if position else (None, None, None)
    make = tags.get("com.apple.quicktime.make") or tags.get("com.android.manufacturer")
    model = tags.get("com.apple.quicktime.model") or tags.get("com.android.model")
    return PhotoMetadata(
        width, height, container, taken_at=taken_at, taken_at_offset=offset, time_source=source,
        gps_lat=lat, gps_lon=lon, gps_alt=alt,
        camera_make=make[:64] if make else None, camera_model=model[:64] if model else None,
    )  # fmt: skip


def _tags(section: dict[str, Any]) -> dict[str, str]:
    """A section's tags, keys lower-cased and without a language suffix ("location-eng")."""
    tags = section.get("tags", {})
    found: dict[str, str] = {}
    for key, value in tags.items() if isinstance(tags, dict) else ():
        plain = re.sub(r"-[a-z]{3}$", "", str(key).lower())
        found.setdefault(plain, str(value).strip())
    return found


def _rotation(stream: dict[str, Any]) -> int:
    """Degrees the player turns the picture (display matrix, or the old ``rotate`` tag)."""
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    try:
        return int(_tags(stream).get("rotate", "0")) % 360
    except ValueError:
        return 0


def _duration(probe: dict[str, Any], stream: dict[str, Any]) -> float | None:
    for value in (probe.get("format", {}).get("duration"), stream.get("duration")):
        try:
            seconds = float(str(value))
        except (TypeError, ValueError):
            continue
        if math.isfinite(seconds) and seconds > 0:
            return round(seconds, 3)
    return None


def _taken(tags: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(local time, its UTC offset, which tag): Apple's local creation date, else MP4's UTC one."""
    for key, source in (("com.apple.quicktime.creationdate", "quicktime"),
                        ("creation_time", "creation_time")):  # fmt: skip
        value = tags.get(key)
        if not value:
            continue
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        if not _EARLIEST_YEAR <= when.year <= _LATEST_YEAR:
            continue
        offset = when.utcoffset()
        shown = None
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            shown = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return when.replace(tzinfo=None, microsecond=0).isoformat(), shown, source
    return None, None, None


def _position(tags: dict[str, str]) -> tuple[float, float, float | None] | None:
    """(lat, lon, alt) from Apple's ISO 6709 key or MP4's ``©xyz`` (ffmpeg's "location")."""
    for key in ("com.apple.quicktime.location.iso6709", "location"):
        value = tags.get(key)
        found = iso6709(value) if value else None
        if found is not None:
            return found
    return None


def iso6709(text: str) -> tuple[float, float, float | None] | None:
    """An ISO 6709 point ("+46.0190+007.7490+1200.5/", DDMM and DDMMSS too), or None."""
    match = _ISO6709.fullmatch(text.strip())
    if not match:
        return None
    lat_sign, lat_int, lat_frac, lon_sign, lon_int, lon_frac, alt = match.groups()
    lat = _degrees(lat_int, lat_frac or "", 2) * (-1 if lat_sign == "-" else 1)
    lon = _degrees(lon_int, lon_frac or "", 3) * (-1 if lon_sign == "-" else 1)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7), round(float(alt), 3) if alt else None


def _degrees(whole: str, fraction: str, width: int) -> float:
    """Degrees from ISO 6709's D..D, D..DMM or D..DMMSS with a decimal fraction of the last."""
    parts = [whole[:width], whole[width : width + 2], whole[width + 2 :]]
    parts = [p for p in parts if p]
    parts[-1] += fraction
    return sum(float(p) / 60.0**i for i, p in enumerate(parts))
