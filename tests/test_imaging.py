"""Decoding: every format, mode and orientation with images made here, and every failure."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartalbum import imaging
from smartalbum.errors import ImageDecodeError, ImageTooLargeError, UnsupportedImageError
from smartalbum.imaging import Preprocess, decode
from tests.stills_files import heic

RED = (220, 30, 30)
GREEN = (30, 200, 40)
BLUE = (20, 40, 210)
YELLOW = (230, 220, 20)


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    if fmt == "HEIF":
        return heic(img, **params)  # type: ignore[arg-type]
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def quadrants() -> Image.Image:
    """An upright 96x64 picture: red, green on top; blue, yellow below."""
    img = Image.new("RGB", (96, 64))
    for colour, box in (
        (RED, (0, 0, 48, 32)),
        (GREEN, (48, 0, 96, 32)),
        (BLUE, (0, 32, 48, 64)),
        (YELLOW, (48, 32, 96, 64)),
    ):
        img.paste(colour, box)
    return img


def corner_colours(img: Image.Image) -> list[tuple[int, ...]]:
    w, h = img.size
    points = [
        (w // 4, h // 4),
        (3 * w // 4, h // 4),
        (w // 4, 3 * h // 4),
        (3 * w // 4, 3 * h // 4),
    ]
    return [img.getpixel(p) for p in points]  # type: ignore[misc]


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("fmt", "params"),
    [
        ("JPEG", {"quality": 95}),
        ("PNG", {}),
        ("WEBP", {"lossless": True}),
        ("GIF", {}),
        ("BMP", {}),
        ("TIFF", {}),
        ("HEIF", {"quality": 95}),
        ("AVIF", {"quality": 95}),
    ],
)
def test_each_format_decodes_to_upright_rgb(fmt: str, params: dict[str, object]) -> None:
    data = encode(quadrants(), fmt, **params)
    img = decode(data, name=f"picture.{fmt.lower()}")
    assert img.mode == "RGB"
    assert img.size == (96, 64)
    for got, want in zip(corner_colours(img), [RED, GREEN, BLUE, YELLOW], strict=True):
        assert close(got, want, tolerance=25), (fmt, got, want)


def test_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (32, 32), RED), Image.new("RGB", (32, 32), BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert close(decode(data).getpixel((5, 5)), RED)  # type: ignore[arg-type]


# How each EXIF orientation stores an upright picture (EXIF 2.32, tag 0x0112): the
# camera writes the pixels transformed, and a viewer must undo it.
STORED = {
    1: lambda im: im,
    2: lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
    4: lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    5: lambda im: im.transpose(Image.Transpose.TRANSPOSE),
    6: lambda im: im.transpose(Image.Transpose.ROTATE_90),  # viewer turns it 90° clockwise
    7: lambda im: im.transpose(Image.Transpose.TRANSVERSE),
    8: lambda im: im.transpose(Image.Transpose.ROTATE_270),  # viewer turns it 90° anticlockwise
}


@pytest.mark.parametrize("orientation", sorted(STORED))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_is_applied(orientation: int, fmt: str) -> None:
    stored = STORED[orientation](quadrants())
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(stored, fmt, exif=exif.tobytes())
    img = decode(data)
    assert img.size == (96, 64)
    for got, want in zip(corner_colours(img), [RED, GREEN, BLUE, YELLOW], strict=True):
        assert close(got, want), (orientation, got, want)


def _bilevel() -> Image.Image:
    img = Image.new("1", (16, 16), 0)
    img.paste(1, (8, 0, 16, 16))
    return img


def _palette_with_transparency() -> Image.Image:
    img = Image.new("P", (16, 16), 1)
    img.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    img.paste(0, (0, 0, 8, 16))
    img.info["transparency"] = 0
    return img


@pytest.mark.parametrize(
    ("make", "fmt", "left", "right"),
    [
        (_bilevel, "PNG", (0, 0, 0), (255, 255, 255)),
        (lambda: Image.new("L", (16, 16), 128), "PNG", (128,) * 3, (128,) * 3),
        (lambda: Image.new("LA", (16, 16), (0, 0)), "PNG", (255,) * 3, (255,) * 3),
        (lambda: Image.new("LA", (16, 16), (0, 255)), "PNG", (0,) * 3, (0,) * 3),
        (_palette_with_transparency, "PNG", (255, 255, 255), (200, 0, 0)),
        (_palette_with_transparency, "GIF", (255, 255, 255), (200, 0, 0)),
        (lambda: Image.new("RGBA", (16, 16), (255, 0, 0, 128)), "PNG", (255, 127, 127), None),
        (lambda: Image.new("RGBA", (16, 16), (0, 0, 255, 0)), "WEBP", (255,) * 3, None),
        (lambda: Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", (255, 0, 0), None),
        (lambda: Image.new("CMYK", (16, 16), (0, 0, 0, 255)), "TIFF", (0, 0, 0), None),
        (lambda: Image.new("I;16", (16, 16), 65535), "PNG", (255,) * 3, None),
        (lambda: Image.new("I;16", (16, 16), 32896), "TIFF", (128,) * 3, None),
        (lambda: Image.new("I", (16, 16), 16448), "TIFF", (64,) * 3, None),
        (lambda: Image.new("F", (16, 16), 0.5), "TIFF", (128,) * 3, None),
    ],
    ids=["1", "L", "LA-clear", "LA-opaque", "P-png", "P-gif", "RGBA", "RGBA-webp", "CMYK-jpeg",
         "CMYK-tiff", "I16-png", "I16-tiff", "I-tiff", "F-tiff"],
)  # fmt: skip
def test_modes_convert_correctly_to_rgb(
    make: object, fmt: str, left: tuple[int, ...], right: tuple[int, ...] | None
) -> None:
    source = make()  # type: ignore[operator]
    img = decode(encode(source, fmt), name=f"mode-{source.mode}.{fmt.lower()}")
    assert img.mode == "RGB"
    assert close(img.getpixel((2, 8)), left, tolerance=3), img.getpixel((2, 8))  # type: ignore[arg-type]
    if right is not None:
        assert close(img.getpixel((13, 8)), right, tolerance=3), img.getpixel((13, 8))  # type: ignore[arg-type]


def test_pil_images_and_paths_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "q.png"
    quadrants().save(path)
    assert decode(path).size == (96, 64)
    assert decode(str(path)).size == (96, 64)
    assert decode(Image.open(path)).size == (96, 64)


def test_embedded_colour_profile_is_converted_to_srgb() -> None:
    from PIL import ImageCms

    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    # A file tagged with an sRGB profile must come out unchanged.
    data = encode(Image.new("RGB", (8, 8), RED), "PNG", icc_profile=srgb.tobytes())
    assert close(decode(data).getpixel((4, 4)), RED, tolerance=2)  # type: ignore[arg-type]
    # An unusable profile (not an RGB one) is ignored rather than failing the photo.
    data = encode(Image.new("RGB", (8, 8), RED), "PNG", icc_profile=lab.tobytes())
    assert close(decode(data).getpixel((4, 4)), RED, tolerance=2)  # type: ignore[arg-type]


def test_large_jpeg_is_decoded_at_reduced_scale() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (3000 // 8, 4000 // 8, 3), dtype=np.uint8)
    big = Image.fromarray(noise).resize((4000, 3000), Image.Resampling.BILINEAR)
    data = encode(big, "JPEG", quality=90)
    fast = decode(data, min_side=256)
    full = decode(data, min_side=256, fast=False)
    assert full.size == (4000, 3000)
    assert min(fast.size) >= 256 and fast.size[0] <= 1000  # DCT scaling by 1/4 or 1/8
    prep = Preprocess(224, 256, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    difference = np.abs(prep(fast) - prep(full)).mean() * 0.5 * 255
    assert difference < 3.0  # mean difference under 3/255 per pixel


def test_draft_keeps_enough_pixels_for_small_images() -> None:
    data = encode(quadrants().resize((600, 400)), "JPEG")
    assert decode(data, min_side=256).size == (600, 400)  # halving would go under 256


def test_preprocess_matches_resize_then_centre_crop() -> None:
    prep = Preprocess(224, 256, (127 / 255,) * 3, (128 / 255,) * 3)
    img = Image.new("RGB", (512, 300), (255, 0, 127))
    x = prep(img)
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 100, 100], [(255 - 127) / 128, -127 / 128, 0.0], atol=1e-6)
    assert prep.crop(Image.new("RGB", (300, 512))).size == (224, 224)


# --- failures: one exception type, naming the file and the reason ----------------------


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a huge size but holds almost nothing (a decompression bomb's start)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("content", "error", "reason"),
    [
        (b"", ImageDecodeError, "empty file"),
        (b"hello, this is a note\n", UnsupportedImageError, "text file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", UnsupportedImageError, "PDF"),
        (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, ImageDecodeError, "image"),
        (_png_header(100_000, 100_000), ImageTooLargeError, "megapixels"),
        (b"\x13\x37" + b"\x00" * 64, UnsupportedImageError, "not a supported image type"),
    ],
    ids=["empty", "text", "pdf", "corrupt-jpeg", "bomb", "binary"],
)
def test_bad_files_raise_one_error_type(
    tmp_path: Path, content: bytes, error: type[Exception], reason: str
) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(error, match=reason) as caught:
        decode(path)
    assert isinstance(caught.value, ImageDecodeError)
    assert str(path) in str(caught.value)


def test_truncated_jpeg_says_truncated(tmp_path: Path) -> None:
    data = encode(quadrants().resize((640, 480)), "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match=r"cut\.jpg: truncated"):
        decode(path)


def test_unsupported_image_type_is_refused() -> None:
    data = encode(Image.new("RGB", (32, 32)), "ICO")
    with pytest.raises(UnsupportedImageError, match="icon.ico: not a supported image type"):
        decode(data, name="icon.ico")


def test_pixel_limit_is_a_setting() -> None:
    data = encode(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(ImageTooLargeError, match="over the limit"):
        decode(data, max_pixels=9_999)
    assert decode(data, max_pixels=10_000).size == (100, 100)


def test_missing_and_directory_inputs(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError, match="not found"):
        decode(tmp_path / "gone.jpg")
    with pytest.raises(ImageDecodeError, match="is a directory"):
        decode(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    quadrants().save(path)
    path.chmod(0)
    with pytest.raises(ImageDecodeError, match="permission denied"):
        decode(path)


def test_supported_suffixes_cover_every_format() -> None:
    for suffix in (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".heic", ".avif"):
        assert suffix in imaging.SUPPORTED_SUFFIXES


def test_heic_decodes_through_pi_heif() -> None:
    # pi-heif decodes (LGPL); pillow-heif only writes the tests' files (its x265 is GPLv2)
    imaging.configure_pillow()
    with Image.open(io.BytesIO(encode(quadrants(), "HEIF"))) as img:
        assert type(img).__module__.startswith("pi_heif.")


# Display P3's colorants and white as ICC profiles store them (D50-adapted, as Apple's
# "Display P3" profile has them), and sRGB's (as LittleCMS's built-in sRGB stores them).
P3_D50 = np.array([[0.5151, 0.2920, 0.1571], [0.2412, 0.6922, 0.0666], [-0.0011, 0.0419, 0.7841]])
SRGB_D50 = np.array([[0.4361, 0.3851, 0.1431], [0.2225, 0.7169, 0.0606], [0.0139, 0.0971, 0.7141]])
P3_GAMMA = 2.2  # a plain power curve keeps the hand-made profile short


def icc_tag(signature: bytes, body: bytes) -> tuple[bytes, bytes]:
    """One tag: its signature and its data, padded to four bytes."""
    return signature, body + b"\0" * (-len(body) % 4)


def s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def wide_gamut_profile() -> bytes:
    """A v2 matrix/TRC RGB profile with Display P3's primaries, built by hand (nothing here
    ships one, and ImageCms makes only sRGB, LAB and XYZ)."""
    xyz = [b"XYZ \0\0\0\0" + b"".join(s15(v) for v in col) for col in P3_D50.T]
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(P3_GAMMA * 256))
    text = b"P3 test\0"
    tags = [
        icc_tag(b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + bytes(12 + 67)),
        icc_tag(b"wtpt", b"XYZ \0\0\0\0" + s15(0.9642) + s15(1.0) + s15(0.8249)),
        icc_tag(b"rXYZ", xyz[0]), icc_tag(b"gXYZ", xyz[1]), icc_tag(b"bXYZ", xyz[2]),
        icc_tag(b"rTRC", curve), icc_tag(b"gTRC", curve), icc_tag(b"bTRC", curve),
        icc_tag(b"cprt", b"text\0\0\0\0none\0"),
    ]  # fmt: skip
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I4sI4s4s4s", size, b"lcms", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
    header += bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0)  # date, platform..., intent
    header += s15(0.9642) + s15(1.0) + s15(0.8249)  # the PCS illuminant, D50
    header += bytes(128 - len(header))
    return header + table + data


def srgb_encoded(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255


def test_a_wide_gamut_profile_is_converted_to_known_srgb_values() -> None:
    """A Display P3 photo's pixels come out as sRGB's numbers for the same colours, worked out
    here from the primaries (an unconverted photo would be off by tens of levels)."""
    colours = [(200, 60, 60), (60, 160, 90), (90, 110, 210), (128, 128, 128)]
    img = Image.new("RGB", (len(colours), 1))
    for x, colour in enumerate(colours):
        img.putpixel((x, 0), colour)
    got = np.asarray(decode(encode(img, "PNG", icc_profile=wide_gamut_profile())), dtype=float)
    linear = (np.array(colours, dtype=float) / 255) ** P3_GAMMA
    expected = srgb_encoded(linear @ (np.linalg.inv(SRGB_D50) @ P3_D50).T)
    assert np.abs(got[0] - expected).max() <= 2, (got[0], expected)
    assert np.abs(np.array(colours[:3]) - expected[:3]).max() > 15  # the test can tell


@pytest.mark.parametrize("size", [(0, 10), (10, 0)])
def test_an_image_without_pixels_is_refused_for_its_size(size: tuple[int, int]) -> None:
    """Either side at 0 is named as the reason (a mutant that let 0 by failed elsewhere)."""
    with pytest.raises(ImageDecodeError, match=rf"empty\.png: invalid image size {size[0]}x"):
        imaging.decode(Image.new("RGB", size), name="empty.png")


def test_bytes_without_nuls_are_text_only_when_they_read_as_utf8() -> None:
    """Binary bytes that hold no NUL are not called a text file (a mutant said they were)."""
    with pytest.raises(UnsupportedImageError, match="a text file"):
        imaging.decode(b"plain words, no picture\n" * 10, name="notes.bin")
    with pytest.raises(UnsupportedImageError, match="not a supported image type") as raised:
        imaging.decode(bytes(range(0x80, 0x100)) * 4, name="noise.bin")
    assert "text" not in str(raised.value)


def test_a_source_without_a_name_is_named_by_its_kind() -> None:
    # bytes from an upload and an image already open: the message still says which it was
    with pytest.raises(UnsupportedImageError, match=r"^<bytes>: not a supported image type"):
        decode(b"\x13\x37" + b"\x00" * 64)
    with pytest.raises(ImageTooLargeError, match=r"^<image>: image is 100x100"):
        decode(Image.new("RGB", (100, 100)), max_pixels=100)
