"""Files the tests write with real encoders: HEIC, camera RAW (DNG), Live and Motion Photos.

HEIC is written with pillow-heif's x265 encoder, a dev-only dependency (GPLv2: never in the
run install, which decodes with pi-heif; tests/test_licences.py checks which is which).
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pillow_heif
import tifffile
from PIL import Image


def heic(img: Image.Image, *, quality: int = 95, exif: bytes | None = None) -> bytes:
    """``img`` as a HEIC file's bytes (pillow-heif's encoder; its opener stays unregistered)."""
    out = io.BytesIO()
    params: dict[str, object] = {"quality": quality}
    if exif is not None:
        params["exif"] = exif
    pillow_heif.from_pillow(img).save(out, **params)
    return out.getvalue()


# -- camera RAW ---------------------------------------------------------------------------

# What takes the upright picture to the sensor's rows, by EXIF orientation (the inverse of
# what a viewer does).
_TO_SENSOR = {
    1: None,
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}
# A camera whose raw RGB is linear sRGB: its ColorMatrix1 (XYZ to camera) is XYZ to sRGB.
_XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)
WHITE = 4095  # 12-bit raw data
SHOT_AT = "2024:07:01 18:05:09"


def _srational(values: tuple[float, ...]) -> list[int]:
    return [part for value in values for part in (round(value * 10_000), 10_000)]


def bayer(img: Image.Image) -> np.ndarray:
    """An RGGB Bayer mosaic of ``img``'s linear light, 12 bits: what a sensor would record."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.float64) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    height, width = (img.height // 2) * 2, (img.width // 2) * 2
    cfa = np.empty((height, width), dtype=np.float64)
    cfa[0::2, 0::2] = linear[0:height:2, 0:width:2, 0]
    cfa[0::2, 1::2] = linear[0:height:2, 1:width:2, 1]
    cfa[1::2, 0::2] = linear[1:height:2, 0:width:2, 1]
    cfa[1::2, 1::2] = linear[1:height:2, 1:width:2, 2]
    return np.round(cfa * WHITE).astype(np.uint16)


def dng(
    upright: Image.Image,
    *,
    orientation: int = 1,
    preview: tuple[int, int] | None = None,
    jpeg: bool = True,
    shot_at: str = SHOT_AT,
) -> bytes:
    """A DNG of ``upright`` as a camera writes one: the Bayer mosaic in the sensor's rows with
    the orientation to show it upright, and a preview of ``preview`` size, if given (a JPEG,
    or plain RGB without ``jpeg``), the raw data in a sub-IFD below it (written by tifffile;
    the JPEG encoded by imagecodecs)."""
    turn = _TO_SENSOR[orientation]
    sensor = upright if turn is None else upright.transpose(turn)
    camera = [
        (50706, 1, 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, 1, 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, 2, 0, "smartalbum test camera", True),  # UniqueCameraModel
        (271, 2, 0, "Canon", True),
        (272, 2, 0, "Canon EOS R5", True),
        (274, 3, 1, orientation, True),
        (50721, 10, 9, _srational(_XYZ_TO_SRGB), True),  # ColorMatrix1
        (50778, 3, 1, 21, True),  # CalibrationIlluminant1: D65
        (50728, 5, 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
    ]
    mosaic = [
        (33421, 3, 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, 1, 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50714, 4, 1, 0, True),  # BlackLevel
        (50717, 4, 1, WHITE, True),  # WhiteLevel
    ]
    out = io.BytesIO()
    with tifffile.TiffWriter(out) as tif:
        if preview is None:
            tif.write(
                bayer(sensor), photometric=32803, subfiletype=0,
                extratags=camera + mosaic, datetime=shot_at,
            )  # fmt: skip
        else:
            small = np.asarray(sensor.convert("RGB").resize(preview, Image.Resampling.LANCZOS))
            tif.write(
                small, photometric="rgb", compression="jpeg" if jpeg else None, subfiletype=1,
                rowsperstrip=preview[1],  # one JPEG, as cameras write it (LibRaw takes one strip)
                subifds=1, extratags=camera, datetime=shot_at,
            )  # fmt: skip
            tif.write(bayer(sensor), photometric=32803, subfiletype=0, extratags=mosaic)
    return out.getvalue()


def garble_preview(data: bytes) -> bytes:
    """A DNG whose JPEG preview's header tables are overwritten (LibRaw cannot read it)."""
    start = data.index(b"\xff\xd8\xff")
    return data[: start + 200] + b"\xff" * 1800 + data[start + 2000 :]


# -- Live Photos and Motion Photos ---------------------------------------------------------

MAKER_NOTE = 0x927C


def apple_maker_note(content_id: str) -> bytes:
    """An Apple MakerNote as an iPhone writes it, holding only the ContentIdentifier (tag 17):
    "Apple iOS", version 1, big-endian, one entry whose text follows the directory."""
    value = content_id.encode() + b"\x00"
    entry = struct.pack(">HHII", 0x0011, 2, len(value), 14 + 2 + 12 + 4)
    return b"Apple iOS\x00\x00\x01MM" + struct.pack(">H", 1) + entry + bytes(4) + value


def clip(
    target: Path,
    source: Path,
    *,
    content_id: str | None = None,
    created: str | None = None,
    seconds: float = 1.0,
) -> Path:
    """A short H.264 video of a photo encoded by ffmpeg (MOV or MP4 by ``target``'s suffix),
    with Apple's content identifier and creation date in its QuickTime metadata if given."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg is not None, "the Live Photo tests need ffmpeg (scripts/test installs it)"
    tags = []
    if content_id is not None:
        tags += ["-metadata", f"com.apple.quicktime.content.identifier={content_id}"]
    if created is not None:
        tags += ["-metadata", f"com.apple.quicktime.creationdate={created}"]
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-loop", "1", "-i", str(source), "-t", str(seconds),
         "-r", "10", "-vf", "scale=160:-2,format=yuv420p", "-c:v", "libx264",
         "-preset", "ultrafast", *tags, "-movflags", "use_metadata_tags", str(target)],
        check=True,
    )  # fmt: skip
    return target


def motion_photo(still: bytes, video: bytes) -> bytes:
    """A Google Motion Photo: the JPEG with XMP saying how long the video appended to it is."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/'
        f'camera/" GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset'
        f'="{len(video)}"/></rdf:RDF></x:xmpmeta>'
    ).encode()
    body = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return still[:2] + segment + still[2:] + video
