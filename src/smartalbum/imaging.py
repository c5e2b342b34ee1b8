"""Turning files, bytes or PIL images into upright RGB pixels, and pixels into model input.

Decoding is where real photo libraries hurt: odd modes, EXIF rotation, colour
profiles, 50-megapixel JPEGs and broken files. Everything that goes wrong here
becomes one ``ImageDecodeError`` naming the input and the reason.
"""

from __future__ import annotations

import functools
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from smartalbum.errors import (
    FileMissingError,
    ImageDecodeError,
    ImageTooLargeError,
    NotAFileError,
    UnsupportedImageError,
)
from smartalbum.i18n import Message, t
from smartalbum.media import raw

ImageSource = str | os.PathLike[str] | bytes | Image.Image

# What we open. Pillow knows more (EPS runs Ghostscript, PSD, ICO, ...) but a photo
# library needs these, and a closed list keeps odd files out of odd decoders.
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "AVIF")
# The media type a browser is told for a file of each format (an MPO is a JPEG with more).
MEDIA_TYPES = {
    "JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
    "GIF": "image/gif", "BMP": "image/bmp", "DIB": "image/bmp", "TIFF": "image/tiff",
    "HEIF": "image/heif", "AVIF": "image/avif", **raw.MEDIA_TYPES,
}  # fmt: skip
SUPPORTED_SUFFIXES = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".dib",
        ".tif", ".tiff", ".heic", ".heif", ".hif", ".avif", ".mpo",
    }
) | raw.SUFFIXES  # fmt: skip

DEFAULT_MAX_PIXELS = 250_000_000

_SIGNATURES: tuple[tuple[bytes, Message], ...] = (
    (b"%PDF", t("a PDF document")),
    (b"PK\x03\x04", t("a ZIP archive")),
    (b"8BPS", t("a Photoshop document")),
    (b"%!PS", t("a PostScript document")),
    (b"\x1f\x8b", t("a gzip archive")),
    (b"RIFF", t("a RIFF file that is not WebP")),
    (b"\x00\x00\x00\x18ftypmp4", t("an MP4 video")),
)


@functools.cache
def configure_pillow() -> None:
    """Register HEIF/HEIC decoding and hand the pixel limit to our own setting.

    HEIC decodes through pi-heif (libheif and libde265, LGPL; no encoder, so no x265,
    GPL). AVIF is Pillow's own. Pillow's decompression-bomb check is one process-wide
    number that warns at 89 MP and fails at 179 MP, before we can say which file it
    was; we check the size ourselves against ``max_pixels`` instead.
    """
    import pi_heif

    pi_heif.register_heif_opener()
    Image.MAX_IMAGE_PIXELS = None


def decoders() -> dict[str, str | None]:
    """Each kind of still beyond Pillow's own and what decodes it here (None: not available)."""
    from importlib import metadata

    from PIL import features

    def version(distribution: str) -> str | None:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return None

    heif, raws = version("pi-heif"), version("rawpy")
    avif = features.version("avif") if features.check("avif") else None
    return {
        "heic": f"pi-heif {heif}" if heif else None,
        "avif": f"Pillow {version('pillow')} (libavif {avif})" if avif else None,
        "raw": f"rawpy {raws} (LibRaw {raw.libraw_version()})" if raws else None,
    }


def display_name(source: ImageSource, name: str | None = None) -> str:
    """How an input is named in messages: the given name, the path, or a placeholder."""
    if name is not None:
        return name
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, bytes):
        return "<bytes>"
    return "<image>"


def decode(
    source: ImageSource,
    *,
    name: str | None = None,
    min_side: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    fast: bool = True,
    colour: bool = True,
) -> Image.Image:
    """Decode to an upright RGB image; raise ImageDecodeError naming the input and the reason.

    With ``fast`` and ``min_side``, a large JPEG is decoded at reduced scale (DCT
    scaling), keeping its shorter side at least ``min_side`` pixels. With ``colour``
    False an RGB image keeps its embedded profile in ``info`` for the caller to apply
    later (on fewer pixels); other modes are always converted fully.
    """
    label = display_name(source, name)
    configure_pillow()
    try:
        if isinstance(source, Image.Image):
            _check_pixels(label, source, max_pixels)
            return _finish(source, colour)
        with _open_stream(label, source) as stream:
            img = _open_image(label, stream, min_side)
            _check_pixels(label, img, max_pixels)
            if fast and min_side is not None:
                _draft(img, min_side)
            img.load()
            return _finish(img, colour)
    except ImageDecodeError:
        raise
    except Exception as exc:  # a decoder can fail in many ways; all mean "this file"
        raise ImageDecodeError(label, _reason(exc)) from exc


def sniff(path: str | os.PathLike[str] | bytes, name: str) -> str:
    """The image format of a file (or of its bytes), from its header (nothing decoded);
    UnsupportedImageError naming ``name`` with what it looks like when not a type we decode."""
    configure_pillow()
    with _open_stream(name, path) as stream:
        if (kind := raw.kind(stream, name)) is not None:
            raw.check(stream, name)
            return kind
        try:
            img = _open_image(name, stream)
        except ImageDecodeError:
            raise
        except Exception as exc:  # a known format with a broken header
            raise ImageDecodeError(name, _reason(exc)) from exc
        img.close()
        return img.format or "?"


def _open_stream(label: str, source: str | os.PathLike[str] | bytes) -> IO[bytes]:
    if isinstance(source, bytes):
        if not source:
            raise ImageDecodeError(label, t("empty file (0 bytes)"))
        return io.BytesIO(source)
    path = Path(source)
    try:
        stream = path.open("rb")
        size = os.fstat(stream.fileno()).st_size
    except FileNotFoundError:
        raise FileMissingError(label, t("file not found")) from None
    except IsADirectoryError:
        raise NotAFileError(label, t("is a directory, not an image file")) from None
    except PermissionError:
        raise ImageDecodeError(label, t("permission denied")) from None
    except OSError as exc:
        reason = t("cannot read file ({error})", error=exc.strerror or exc)
        raise ImageDecodeError(label, reason) from None
    if size == 0:
        stream.close()
        raise ImageDecodeError(label, t("empty file (0 bytes)"))
    return stream


def _open_image(label: str, stream: IO[bytes], min_side: int | None = None) -> Image.Image:
    """The file opened (header read, pixels not yet), or a RAW file's picture decoded."""
    if raw.kind(stream, label) is not None:
        return raw.decode(stream, label, min_side)
    try:
        return Image.open(stream, formats=SUPPORTED_FORMATS)
    except UnidentifiedImageError:
        stream.seek(0)
        raise UnsupportedImageError(label, _sniff(stream.read(4096))) from None


def _sniff(head: bytes) -> Message:
    """Say what a file we cannot open looks like, for the error message."""
    formats = ", ".join(SUPPORTED_FORMATS)
    unknown = t("not a supported image type (we decode {formats})", formats=formats)
    return recognised(head) or unknown


def recognised(head: bytes) -> Message | None:
    """What a file no decoder opens is, when its first bytes tell (text, PDF, SVG...); None
    when they tell nothing (broken or unknown bytes)."""
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return t("not a supported image: {what}", what=what)
    stripped = head.lstrip()
    if stripped.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        return t("not a supported image: {what}", what=t("an SVG drawing"))
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return t("not an image: a text file")
    return None


def _reason(exc: Exception) -> Message:
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, EOFError) or "truncated" in lowered or "broken data stream" in lowered:
        return t("truncated image data (the file is incomplete)")
    if isinstance(exc, MemoryError):
        return t("not enough memory to decode this image")
    return t("corrupt image data ({error})", error=text or type(exc).__name__)


def _check_pixels(label: str, img: Image.Image, max_pixels: int) -> None:
    width, height = img.size
    if width <= 0 or height <= 0:
        reason = t("invalid image size {width}x{height}", width=width, height=height)
        raise ImageDecodeError(label, reason)
    if width * height > max_pixels:
        raise ImageTooLargeError(
            label,
            t(
                "image is {width}x{height} = {megapixels:.0f} megapixels, over the limit of "
                "{limit:.0f} megapixels (possible decompression bomb)",
                width=width,
                height=height,
                megapixels=width * height / 1e6,
                limit=max_pixels / 1e6,
            ),
        )


def _draft(img: Image.Image, min_side: int) -> None:
    """Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding, keeping min_side pixels."""
    width, height = img.size
    scale = min_side / min(width, height)
    if scale < 0.5:  # draft can only help by a factor of two or more
        img.draft(img.mode, (math.ceil(width * scale), math.ceil(height * scale)))


def _finish(img: Image.Image, colour: bool) -> Image.Image:
    """First frame, EXIF orientation applied, colour managed to sRGB, as RGB."""
    try:
        upright = ImageOps.exif_transpose(img)
    except Exception:  # broken EXIF must not cost the photo; keep it unrotated
        upright = img
    return to_rgb(upright, colour)


def to_rgb(img: Image.Image, colour: bool = True) -> Image.Image:
    """Convert any Pillow mode to 8-bit sRGB; transparency is composited on white.

    ``colour=False`` leaves an RGB image's embedded profile unapplied (see ``srgb``).
    """
    icc = img.info.get("icc_profile")
    mode = img.mode
    if icc and (mode == "CMYK" or (mode == "RGB" and colour)):
        managed = _to_srgb(img, icc)
        if managed is not None:
            return managed
    if mode == "RGB":
        return img
    if mode.startswith("I") or mode == "F":
        return _high_bit_depth_to_rgb(img)
    if mode in ("P", "PA", "LA", "La", "RGBA", "RGBa"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def _high_bit_depth_to_rgb(img: Image.Image) -> Image.Image:
    """16-bit and float greyscale scaled to 8 bits (Pillow's own convert clips at 255)."""
    values = np.asarray(img).astype(np.float32)
    if img.mode == "F":
        top = 1.0 if float(values.max(initial=0.0)) <= 1.0 else 255.0
    elif img.mode.startswith("I;16") or float(values.max(initial=0.0)) > 255:
        top = 65535.0
    else:
        top = 255.0
    grey = np.clip(values * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


@functools.lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    target = ImageCms.createProfile("sRGB")
    return ImageCms.buildTransform(source, target, mode, "RGB")


@functools.lru_cache(maxsize=32)
def is_srgb(icc: bytes) -> bool:
    """Whether a profile is sRGB itself (most cameras and phones): converting it changes nothing."""
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return False
    return description.strip().startswith("sRGB")


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image | None:
    """Apply the embedded colour profile; None if the profile is unusable."""
    if is_srgb(icc):
        return img
    try:
        converted = ImageCms.applyTransform(img, _srgb_transform(icc, img.mode))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    if converted is None:
        return None
    converted.info.pop("icc_profile", None)  # now plain sRGB: never apply it twice
    return converted


def srgb(img: Image.Image) -> Image.Image:
    """Apply an RGB image's still-embedded colour profile, if any and usable."""
    icc = img.info.get("icc_profile")
    if not icc or img.mode != "RGB":
        return img
    return _to_srgb(img, icc) or img


@dataclass(frozen=True)
class Preprocess:
    """Resize the shorter side, centre-crop, scale to float: what a model expects as input."""

    input_size: int
    resize_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __call__(self, img: Image.Image) -> np.ndarray:
        """RGB image -> float32 array (3, input_size, input_size)."""
        return self.to_array(self.crop(img))

    def crop(self, img: Image.Image) -> Image.Image:
        """Bilinear resize so the shorter side is resize_size, then the central square.

        Only the source region that lands in the crop is resampled (Pillow's ``box``):
        the same pixels as resizing everything and cropping (within 1/255), in 60 % of
        the time.
        """
        crop = self.input_size
        size, left, top = self._placement(*img.size)
        if size == img.size:
            return img.crop((left, top, left + crop, top + crop))
        return img.resize((crop, crop), Image.Resampling.BILINEAR, box=self.source_box(*img.size))

    def _placement(self, width: int, height: int) -> tuple[tuple[int, int], int, int]:
        """The resized size, and where the crop starts in it."""
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.resize_size, int(self.resize_size * long / short)
        size = (new_short, new_long) if width <= height else (new_long, new_short)
        crop = self.input_size
        return size, round((size[0] - crop) / 2.0), round((size[1] - crop) / 2.0)

    def source_box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The region (left, top, right, bottom) of a width x height image the crop shows."""
        size, left, top = self._placement(width, height)
        sx, sy = width / size[0], height / size[1]
        crop = self.input_size
        return (left * sx, top * sy, (left + crop) * sx, (top + crop) * sy)

    @functools.cached_property
    def _lut(self) -> np.ndarray:
        """Per channel, the float every 8-bit value maps to: (3, 256) float32."""
        levels = np.arange(256, dtype=np.float64)[np.newaxis, :] / 255.0
        mean = np.asarray(self.mean, dtype=np.float64)[:, np.newaxis]
        std = np.asarray(self.std, dtype=np.float64)[:, np.newaxis]
        return ((levels - mean) / std).astype(np.float32)

    def to_array(self, img: Image.Image) -> np.ndarray:
        """uint8 HWC pixels -> normalised float32 CHW (a table lookup per channel)."""
        pixels = np.asarray(img)
        out = np.empty((3, *pixels.shape[:2]), dtype=np.float32)
        for channel in range(3):
            np.take(self._lut[channel], pixels[:, :, channel], out=out[channel])
        return out


def decode_for_model(
    source: ImageSource,
    preprocess: Preprocess,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    fast: bool = True,
) -> Image.Image:
    """Decode just large enough for ``preprocess``, colour profile still unapplied."""
    return decode(
        source,
        name=name,
        min_side=preprocess.resize_size,
        max_pixels=max_pixels,
        fast=fast,
        colour=False,
    )


def model_input(img: Image.Image, preprocess: Preprocess, enhance: str = "off") -> np.ndarray:
    """A ``decode_for_model`` image as the model's float input.

    ``enhance`` (off, auto, always) corrects hard light on the crop (``smartalbum.enhance``).
    """
    # Colour-manage the 224x224 crop rather than the whole photo: on the sample photos
    # with profiles the pixels differ by under 1/255 on average, for far less work.
    crop = srgb(preprocess.crop(img))
    if enhance != "off":
        from smartalbum.enhance import enhanced

        crop = enhanced(crop, enhance)
    return preprocess.to_array(crop)


def load(
    source: ImageSource,
    preprocess: Preprocess,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    fast: bool = True,
    enhance: str = "off",
) -> np.ndarray:
    """Decode and preprocess one input for a model; raises ImageDecodeError."""
    img = decode_for_model(source, preprocess, name=name, max_pixels=max_pixels, fast=fast)
    return model_input(img, preprocess, enhance)


def dhash(img: Image.Image, size: int = 8) -> str:
    """A 64-bit difference hash (16 hex digits): near-equal for resized or re-encoded copies."""
    grey = img.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    pixels = np.asarray(grey, dtype=np.int16)
    bits = (pixels[:, 1:] > pixels[:, :-1]).flatten()
    return np.packbits(bits).tobytes().hex()  # first pixel pair is the top bit
