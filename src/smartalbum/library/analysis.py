"""What the indexer learns from one file: hash, pixels for the model, thumbnail, EXIF.

Pure per-file work with no shared state, so it runs the same in the indexer's threads
and in its worker processes; ``embed`` then runs the model on a batch of them.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from smartalbum import colours, imaging, video
from smartalbum.engines import Engine
from smartalbum.engines.classifier import calibrated
from smartalbum.errors import ImageDecodeError, SmartalbumError
from smartalbum.i18n import Message, t
from smartalbum.metadata import PhotoMetadata, read_metadata
from smartalbum.ocr import Line, read_photo
from smartalbum.people import FoundFace, faces_in_frames, look_for_faces
from smartalbum.xmp import XmpFacts, embedded_packet, read_facts

THUMBNAIL_SIDE = 256
THUMBNAIL_MAX_BYTES = 20 * 1024
THUMBNAIL_MAX_ICC = 4 * 1024  # larger profiles are applied rather than carried along
MAX_REASON = 200  # characters of an unexpected exception's message kept in the catalog
ANALYSING = t("analysing")
RUNNING_THE_MODEL = t("running the model")

log = logging.getLogger(__name__)


@dataclass
class Analysis:
    """One file's facts; ``error`` says why there are none, ``array`` waits for the model."""

    path: str
    size: int
    mtime: float
    sha256: str | None = None
    meta: PhotoMetadata | None = None
    thumbnail: bytes | None = None
    dhash: str | None = None
    colours: str | None = None  # dominant colours, from the thumbnail (smartalbum.colours)
    array: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    embedding: np.ndarray | None = None
    error: SmartalbumError | None = None
    moved_from: int | None = None  # id of the record this file is a moved copy of
    kind: str = "photo"  # or "video": then ``array`` holds a frame a row, pooled by ``embed``
    duration: float | None = None  # a video's seconds
    codec: str | None = None  # a video's codec (h264, hevc, vp9, ...)
    text: list[Line] | None = None  # the text pass's lines (None: not read)
    xmp: XmpFacts | None = None  # its sidecars' and embedded XMP's keywords, rating, title
    xmp_warnings: list[str] | None = None
    faces: list[FoundFace] | None = None  # None: not looked for (recognition off, or failed)

    def fail(self, exc: Exception, doing: Message = ANALYSING) -> None:
        """Record ``exc`` as this file's failure, and drop what was learnt before it."""
        self.error = failure(self.path, exc, doing)
        self.meta = self.thumbnail = self.dhash = self.colours = None
        self.array = self.probabilities = self.embedding = None
        self.text = None
        self.faces = None


@dataclass(frozen=True)
class Decoding:
    """How to decode for the model: its preprocessing and the decoder limits."""

    preprocess: imaging.Preprocess
    max_pixels: int
    fast: bool
    enhance: str = "off"  # hard-light correction (settings.enhance)
    text: bool = False  # run the text pass (settings.text)
    faces: bool = False  # run the face pass (settings.faces)


def read_and_hash(path: Path) -> tuple[Analysis, bytes | None]:
    """The file's size, mtime, bytes and sha256, or an Analysis that says why it cannot be read."""
    try:
        stat = path.stat()
        data = path.read_bytes()
    except OSError as exc:
        reason = t("file vanished") if isinstance(exc, FileNotFoundError) else exc.strerror
        error = ImageDecodeError(str(path), t("cannot read ({reason})", reason=reason))
        return Analysis(str(path), 0, 0.0, error=error), None
    analysis = Analysis(str(path), stat.st_size, stat.st_mtime)
    analysis.sha256 = hashlib.sha256(data).hexdigest()
    return analysis, data


def analyze(path: Path, decoding: Decoding) -> Analysis:
    """Everything but the model's output for one file; any failure is recorded, never raised."""
    analysis = Analysis(str(path), 0, 0.0)
    try:
        if video.sniff_file(path) is not None:
            analysis = Analysis(str(path), 0, 0.0, kind="video")
            _learn_video(analysis, path, decoding)
            return analysis
        analysis, data = read_and_hash(path)
        if data is not None:
            _learn(analysis, data, decoding)
            if decoding.text:  # the text pass, on the bytes already read (smartalbum.ocr)
                analysis.text = read_photo(data, analysis.path, decoding.max_pixels, decoding.fast)
    except Exception as exc:  # whatever breaks on one file costs that file, not its batch
        analysis.fail(exc)
    return analysis


def _learn(analysis: Analysis, data: bytes, decoding: Decoding) -> None:
    """Pixels for the model, thumbnail, dhash and EXIF of a file's bytes; raises on failure."""
    img = imaging.decode_for_model(
        data,
        decoding.preprocess,
        name=analysis.path,
        max_pixels=decoding.max_pixels,
        fast=decoding.fast,
    )
    analysis.array = imaging.model_input(img, decoding.preprocess, decoding.enhance)
    if decoding.faces:  # the face pass: never costs the photo, at worst its faces
        analysis.faces = look_for_faces(img, data, analysis.path, decoding.max_pixels)
    analysis.thumbnail, small = make_thumbnail(img)
    analysis.dhash = imaging.dhash(small)  # as good on 256 px, for a tenth of the work
    analysis.colours = colours.dominant(small)  # ~1.5 ms
    try:
        analysis.meta = read_metadata(data)
    except Exception:  # pixels decoded; a header we cannot read costs only metadata
        analysis.meta = PhotoMetadata(img.width, img.height, "?")
    analysis.xmp, analysis.xmp_warnings = read_facts(Path(analysis.path), embedded_packet(data))


def _learn_video(analysis: Analysis, path: Path, decoding: Decoding) -> None:
    """A video's hash, facts, poster thumbnail and frames for the model; raises on failure."""
    stat = path.stat()
    analysis.size, analysis.mtime = stat.st_size, stat.st_mtime
    if not stat.st_size:
        raise ImageDecodeError(str(path), t("empty file (0 bytes)"))
    analysis.sha256 = file_sha256(path)  # streamed: a video can be gigabytes
    clip = video.read(
        path, name=str(path), min_side=decoding.preprocess.resize_size,
        max_pixels=decoding.max_pixels,
    )  # fmt: skip
    analysis.meta, analysis.duration, analysis.codec = clip.meta, clip.duration, clip.codec
    analysis.thumbnail, small = make_thumbnail(clip.frames[0])
    analysis.dhash = imaging.dhash(small)  # the poster's: a copy of the video is a duplicate
    analysis.colours = colours.dominant(small)
    frames = [imaging.model_input(f, decoding.preprocess, decoding.enhance) for f in clip.frames]
    analysis.array = np.stack(frames)
    if decoding.faces:  # the face pass over the same frames: each person once
        analysis.faces = faces_in_frames(clip.frames, analysis.path)


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 of a file read a chunk at a time into one buffer (OpenSSL's, SHA-NI)."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk)  # reused: a new megabyte a read costs page faults, ~4 % more
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as stream:
        while read := stream.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


def embed(engine: Engine, batch: list[Analysis]) -> None:
    """Run the model on the decoded files of a batch: probabilities and embeddings, in place.

    If the model fails on the batch, each file is tried alone: only a file the model
    cannot take fails, with the model's reason.
    """
    decoded = [a for a in batch if a.array is not None]
    if not decoded:
        return
    try:
        _embed(engine, decoded)
        return
    except Exception as exc:
        if len(decoded) == 1:
            decoded[0].fail(exc, RUNNING_THE_MODEL)
            return
        log.warning("the model failed on a batch of %d (%r); trying each alone", len(decoded), exc)
    for analysis in decoded:
        try:
            _embed(engine, [analysis])
        except Exception as exc:
            analysis.fail(exc, RUNNING_THE_MODEL)


def _embed(engine: Engine, decoded: list[Analysis]) -> None:
    # A photo is one row of the model's batch, a video one row a frame.
    arrays = [_rows(a.array) for a in decoded]
    rows = sum(len(a) for a in arrays)
    logits, features = engine.embed(np.concatenate(arrays))
    probabilities = calibrated(logits, engine.spec)
    # Checked before anything is set: a wrong answer must not be taken for a right one.
    if probabilities.shape[0] != rows or features.shape[0] != rows:
        raise ValueError(f"the engine answered {probabilities.shape[0]} rows for {rows} inputs")
    start = 0
    for analysis, array in zip(decoded, arrays, strict=True):
        end = start + len(array)
        analysis.array = None
        # A video's frames pooled by their mean: what the video shows most of the time.
        analysis.probabilities = probabilities[start:end].mean(axis=0)
        analysis.embedding = features[start:end].mean(axis=0)
        start = end


def _rows(array: np.ndarray | None) -> np.ndarray:
    assert array is not None, "only decoded files are embedded"
    return array if array.ndim == 4 else array[np.newaxis]


def failure(path: str, exc: Exception, doing: Message = ANALYSING) -> SmartalbumError:
    """``exc`` as one file's error: our own errors as they are, anything else logged and named."""
    if isinstance(exc, SmartalbumError):
        return exc
    detail = (str(exc).strip().splitlines() or [""])[0][:MAX_REASON]
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    log.warning("%s: unexpected failure while %s (%s)", path, doing, what)
    return ImageDecodeError(
        path, t("unexpected failure while {doing} ({what})", doing=doing, what=what)
    )


def make_thumbnail(img: Image.Image) -> tuple[bytes, Image.Image]:
    """A JPEG of at most 20 KB whose long side is 256 px, and the small image it encodes.

    Shrink first, then colour-manage only the small image. A small non-sRGB profile is
    embedded instead of applied: browsers apply it when they draw, at no cost to us.
    """
    width, height = img.size
    scale = THUMBNAIL_SIDE / max(width, height)
    small = img
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = img.resize(size, Image.Resampling.BOX)
    icc = small.info.get("icc_profile") if small.mode == "RGB" else None
    extra: dict[str, Any] = {}
    if icc and not imaging.is_srgb(icc) and len(icc) <= THUMBNAIL_MAX_ICC:
        extra["icc_profile"] = icc
    else:
        small = imaging.srgb(small)
    data = b""
    for quality in (75, 65, 55, 45, 35):
        out = io.BytesIO()
        small.save(out, "JPEG", quality=quality, **extra)
        data = out.getvalue()
        if len(data) <= THUMBNAIL_MAX_BYTES:
            break
    return data, small
