"""Camera RAW files (CR2, CR3, NEF, ARW, RAF, ORF, RW2, DNG) through rawpy, that is LibRaw.

A RAW file is the sensor's mosaic plus, nearly always, a JPEG the camera rendered from it.
That preview is what we show and classify when it has the pixels the caller needs: decoding
it costs a JPEG's time, where demosaicking costs seconds. Without one large enough, LibRaw
demosaics at half size (each 2x2 cell of the mosaic becomes a pixel: no interpolation, and
still 10 MP for a 40 MP sensor). A damaged preview falls back to the mosaic; only a file
whose preview and mosaic both fail is a failure, and its reason says both.

The kind is read from the bytes (a RAW's suffix is often lost on the way: uploads, bytes
sent to /predict): most makers sign their files; NEF, ARW and DNG are TIFFs known by their
first directory's Make or DNGVersion tag. A name's suffix is the last resort.
"""

from __future__ import annotations

import io
import os
import struct
from typing import IO, BinaryIO, cast

import rawpy
from PIL import Image

from smartalbum.errors import ImageDecodeError, UnsupportedImageError
from smartalbum.i18n import t

# The kind of each suffix; a kind is also the catalog's format for the file.
KIND_OF_SUFFIX = {
    ".cr2": "CR2", ".cr3": "CR3", ".nef": "NEF", ".arw": "ARW", ".raf": "RAF",
    ".orf": "ORF", ".rw2": "RW2", ".dng": "DNG",
}  # fmt: skip
SUFFIXES = frozenset(KIND_OF_SUFFIX)
SUFFIX_OF = {kind: suffix for suffix, kind in KIND_OF_SUFFIX.items()}
# What a browser is told an original is (it shows none of them: the thumbnail stands in).
MEDIA_TYPES = {
    "CR2": "image/x-canon-cr2", "CR3": "image/x-canon-cr3", "NEF": "image/x-nikon-nef",
    "ARW": "image/x-sony-arw", "RAF": "image/x-fuji-raf", "ORF": "image/x-olympus-orf",
    "RW2": "image/x-panasonic-rw2", "DNG": "image/x-adobe-dng",
}  # fmt: skip
# The preview's shorter side when the caller names no size (a full decode).
FULL_SIDE = 1024

_TIFF = (b"II*\x00", b"MM\x00*")
# Olympus and Panasonic write a TIFF under a magic of their own.
_TIFF_LIKE = {b"IIRO": b"II*\x00", b"IIRS": b"II*\x00", b"MMOR": b"MM\x00*", b"IIU\x00": b"II*\x00"}
_MAKE, _DNG_VERSION = 0x010F, 0xC612
_MAKERS = (("NIKON", "NEF"), ("SONY", "ARW"))
# LibRaw's flip (0, 3, 5, 6) as the transposition that makes the picture upright.
_UPRIGHT = {
    3: Image.Transpose.ROTATE_180,
    5: Image.Transpose.ROTATE_90,
    6: Image.Transpose.ROTATE_270,
}
# LibRaw's flip as an EXIF orientation (a RAW whose EXIF lacks one).
ORIENTATION_OF_FLIP = {0: 1, 3: 3, 5: 8, 6: 6}


def libraw_version() -> str:
    """The LibRaw inside rawpy, as "0.22.2"."""
    return ".".join(str(part) for part in rawpy.libraw_version)


def kind(stream: IO[bytes], name: str | None = None) -> str | None:
    """The RAW kind of a stream from its first bytes, else from ``name``'s suffix; None if it
    is not RAW. The stream is left at its start."""
    try:
        found = _signed_kind(stream)
    except (OSError, struct.error, ValueError):  # too short or odd: not one of ours
        found = None
    finally:
        stream.seek(0)
    if found is None and name is not None:
        found = KIND_OF_SUFFIX.get(os.path.splitext(name)[1].lower())
    return found


def _signed_kind(stream: IO[bytes]) -> str | None:
    head = stream.read(16)
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "RAF"
    if head[4:12] == b"ftypcrx ":
        return "CR3"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if head[:4] == b"IIU\x00":
        return "RW2"
    if head[:4] not in _TIFF:
        return None
    if head[8:10] == b"CR":
        return "CR2"
    tags = _first_directory(stream, "<" if head[:2] == b"II" else ">")
    if _DNG_VERSION in tags:
        return "DNG"
    make = tags.get(_MAKE, "").upper()
    return next((k for maker, k in _MAKERS if make.startswith(maker)), None)


def _first_directory(stream: IO[bytes], endian: str) -> dict[int, str]:
    """The tags of a TIFF's first directory; the text of Make, nothing of the others."""
    stream.seek(4)
    (offset,) = struct.unpack(endian + "I", stream.read(4))
    stream.seek(offset)
    (count,) = struct.unpack(endian + "H", stream.read(2))
    entries = stream.read(12 * min(count, 512))
    tags: dict[int, str] = {}
    for start in range(0, len(entries) - 11, 12):
        tag, kind_, length, value = struct.unpack(endian + "HHI4s", entries[start : start + 12])
        tags[tag] = ""
        if tag == _MAKE and kind_ == 2:  # ASCII, inline up to 4 bytes, else at an offset
            if length > 4:
                stream.seek(struct.unpack(endian + "I", value)[0])
                value = stream.read(min(length, 64))
            tags[tag] = value[:length].split(b"\x00")[0].decode("latin-1")
    return tags


def check(stream: IO[bytes], name: str) -> None:
    """Raise UnsupportedImageError naming ``name`` unless LibRaw can open the stream."""
    with _open(stream, name):
        pass


def decode(stream: IO[bytes], name: str, min_side: int | None) -> Image.Image:
    """The upright picture of a RAW file, at least ``min_side`` pixels on its shorter side when
    the preview has them (else a half-size demosaic); ImageDecodeError naming ``name``."""
    with _open(stream, name) as raw:
        damaged = None
        try:
            img = _preview(raw, min_side or FULL_SIDE)
        except Exception as exc:  # a damaged preview fails in many ways; the mosaic may be fine
            damaged, img = exc, None
        if img is not None:
            return img
        try:
            return Image.fromarray(
                raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
            )
        except Exception as exc:  # LibRaw's errors, and whatever a bad mosaic raises
            if damaged is not None:
                reason = t(
                    "the embedded preview cannot be read ({preview}) and the raw data cannot "
                    "be decoded ({error})",
                    preview=_said(damaged),
                    error=_said(exc),
                )
            else:
                reason = t("the raw data cannot be decoded ({error})", error=_said(exc))
            raise ImageDecodeError(name, reason) from exc


def _open(stream: IO[bytes], name: str) -> rawpy.RawPy:
    try:
        return rawpy.imread(cast(BinaryIO, stream))
    except (rawpy.LibRawFileUnsupportedError, rawpy.LibRawIOError) as exc:
        reason = t("not a RAW file LibRaw can read ({error})", error=_said(exc))
        raise UnsupportedImageError(name, reason) from exc
    except rawpy.LibRawError as exc:
        raise ImageDecodeError(name, t("damaged RAW file ({error})", error=_said(exc))) from exc


def _preview(raw: rawpy.RawPy, side: int) -> Image.Image | None:
    """The camera's own rendering, upright, if it has ``side`` pixels on its shorter side."""
    try:
        thumb = raw.extract_thumb()
    except rawpy.LibRawNoThumbnailError:
        return None  # (a preview LibRaw cannot take raises: it is there, and damaged)
    img: Image.Image
    if isinstance(thumb.data, bytes):  # a JPEG
        img = Image.open(io.BytesIO(thumb.data), formats=["JPEG"])
        if min(img.size) < side:
            return None
        img.draft("RGB", (side, side))  # a large preview decodes at 1/2, 1/4 or 1/8 scale
        img.load()
    else:  # plain RGB pixels
        img = Image.fromarray(thumb.data)
        if min(img.size) < side:
            return None
    if img.getexif().get(0x0112, 1) != 1:
        return img  # the preview's own orientation; imaging applies it
    transpose = _UPRIGHT.get(raw.sizes.flip)
    return img if transpose is None else img.transpose(transpose)


def describe(data: bytes) -> tuple[int, int, str, Image.Exif] | None:
    """(width, height, kind, EXIF) of a RAW file's bytes, width and height as the sensor has
    them and the EXIF's orientation set; None when the bytes are not RAW."""
    stream = io.BytesIO(data)
    found = kind(stream)
    if found is None:
        return None
    with _open(stream, found) as raw:
        sizes = raw.sizes
        exif = _exif(data, raw)
    if 0x0112 not in exif:
        exif[0x0112] = ORIENTATION_OF_FLIP.get(sizes.flip, 1)
    return sizes.width, sizes.height, found, exif


def _exif(data: bytes, raw: rawpy.RawPy) -> Image.Exif:
    """The file's own EXIF where it is a TIFF (most RAWs), else its preview's (CR3, RAF)."""
    exif = Image.Exif()
    magic = _TIFF_LIKE.get(data[:4], data[:4])
    if magic in _TIFF:
        try:
            exif.load(magic + data[4:])
        except Exception:  # a damaged directory costs the EXIF, never the picture
            return Image.Exif()
        return exif
    try:
        thumb = raw.extract_thumb()
    except rawpy.LibRawError:
        return exif
    if isinstance(thumb.data, bytes):  # a JPEG
        with Image.open(io.BytesIO(thumb.data), formats=["JPEG"]) as preview:
            return preview.getexif()
    return exif


def _said(exc: Exception) -> str:
    """An exception's words: LibRaw gives them as bytes."""
    words = exc.args[0] if exc.args else type(exc).__name__
    text = words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
    return text or type(exc).__name__
