"""Camera RAW through LibRaw: DNGs written here with a real Bayer mosaic, with and without a
JPEG preview, upright or turned, damaged; decoded, described, sniffed and indexed."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartalbum import imaging
from smartalbum.errors import ImageDecodeError, UnsupportedImageError
from smartalbum.media import raw
from smartalbum.metadata import read_metadata
from smartalbum.settings import Settings
from tests.helpers import CAT, index_folder
from tests.stills_files import dng, garble_preview

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def cat(samples: Path) -> Image.Image:
    with Image.open(samples / CAT) as img:
        return img.convert("RGB")  # 335x500 (tall)


def likeness(a: Image.Image, b: Image.Image) -> float:
    """How alike two pictures are, whatever their brightness: the correlation of their grey
    levels at 64x64 (LibRaw brightens a mosaic the way dcraw does, the camera's JPEG not)."""
    grey = [np.asarray(x.convert("L").resize((64, 64)), np.float64).ravel() for x in (a, b)]
    return float(np.corrcoef(grey[0], grey[1])[0, 1])


@pytest.mark.parametrize("orientation", [1, 6, 8, 3])
def test_the_mosaic_is_demosaicked_at_half_size_and_upright(
    cat: Image.Image, orientation: int
) -> None:
    img = imaging.decode(dng(cat, orientation=orientation), name="IMG_0001.DNG")
    assert img.mode == "RGB" and img.size == (cat.width // 2, cat.height // 2)
    assert likeness(img, cat) > 0.95  # LibRaw's rendering of the sensor's light: the same photo
    assert likeness(img, cat.transpose(Image.Transpose.ROTATE_180)) < 0.5  # upright, not turned


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_preview_large_enough_is_used(cat: Image.Image, orientation: int) -> None:
    sensor_size = (200, 300) if orientation == 1 else (300, 200)
    data = dng(cat, orientation=orientation, preview=sensor_size)
    img = imaging.decode(data, name="IMG_0002.DNG", min_side=160)
    assert img.size == (200, 300)  # the preview, turned upright
    assert likeness(img, cat) > 0.95
    # too small for what the caller needs: the mosaic at half size instead
    img = imaging.decode(data, name="IMG_0002.DNG", min_side=250)
    assert img.size == (167, 250)
    assert likeness(img, cat) > 0.95


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_a_plain_rgb_preview_is_turned_upright(cat: Image.Image, orientation: int) -> None:
    # LibRaw gives a JPEG preview an EXIF orientation of its own; plain pixels have none
    sensor_size = (200, 300) if orientation == 1 else (300, 200)
    data = dng(cat, orientation=orientation, preview=sensor_size, jpeg=False)
    img = imaging.decode(data, name="IMG_0002.DNG", min_side=160)
    assert img.size == (200, 300) and likeness(img, cat) > 0.95


def test_a_damaged_preview_falls_back_to_the_mosaic(cat: Image.Image) -> None:
    data = garble_preview(dng(cat, preview=(200, 300)))
    img = imaging.decode(data, name="IMG_0003.DNG", min_side=160)
    assert img.size == (167, 250) and likeness(img, cat) > 0.95


def test_a_damaged_preview_over_a_cut_mosaic_fails_with_both_reasons(cat: Image.Image) -> None:
    data = garble_preview(dng(cat, preview=(200, 300)))
    with pytest.raises(ImageDecodeError) as caught:
        imaging.decode(data[: len(data) // 2], name="IMG_0004.DNG", min_side=160)
    message = caught.value.message
    assert message.startswith("IMG_0004.DNG: the embedded preview cannot be read (")
    assert "and the raw data cannot be decoded (Input/output error)" in message


def test_the_kind_is_read_from_the_bytes(cat: Image.Image) -> None:
    assert raw.kind(io.BytesIO(dng(cat))) == "DNG"
    jpeg = io.BytesIO()
    cat.save(jpeg, "JPEG")
    assert raw.kind(jpeg) is None and raw.kind(jpeg, "IMG_0001.NEF") == "NEF"
    tiff = io.BytesIO()
    cat.save(tiff, "TIFF")
    assert raw.kind(tiff) is None
    signed = {
        b"FUJIFILMCCD-RAW 0201": "RAF",
        b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01": "CR3",
        b"IIRO\x08\x00\x00\x00": "ORF",
        b"IIU\x00\x08\x00\x00\x00": "RW2",
        b"II*\x00\x10\x00\x00\x00CR\x02\x00": "CR2",
    }
    for head, kind in signed.items():
        assert raw.kind(io.BytesIO(head + bytes(64))) == kind, kind


def test_metadata_of_a_dng(cat: Image.Image) -> None:
    meta = read_metadata(dng(cat, orientation=6, preview=(300, 200)))
    assert (meta.format, meta.width, meta.height) == ("DNG", 334, 500)  # upright
    assert (meta.camera_make, meta.camera_model) == ("Canon", "Canon EOS R5")
    assert (meta.taken_at, meta.time_source, meta.orientation) == (
        "2024-07-01T18:05:09",
        "datetime",
        6,
    )


def test_sniffing_a_raw_file(cat: Image.Image, tmp_path: Path) -> None:
    upload = tmp_path / "partial"  # an upload's bytes have no name of their own
    upload.write_bytes(dng(cat))
    assert imaging.sniff(upload, "IMG_0005.DNG") == "DNG"
    upload.write_bytes(b"II*\x00\x10\x00\x00\x00CR\x02\x00" + bytes(500))
    with pytest.raises(UnsupportedImageError, match=r"^IMG_0006.CR2: not a RAW file LibRaw"):
        imaging.sniff(upload, "IMG_0006.CR2")


def test_an_indexed_folder_takes_raw_files_and_a_damaged_one_fails_alone(
    cat: Image.Image, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    (folder / "IMG_0010.DNG").write_bytes(dng(cat, orientation=6, preview=(300, 200)))
    (folder / "IMG_0011.dng").write_bytes(dng(cat))
    broken = garble_preview(dng(cat, preview=(200, 300)))
    (folder / "IMG_0012.DNG").write_bytes(broken[: len(broken) // 2])
    cat.save(folder / "cat.jpg", "JPEG")
    catalog = tmp_path / "catalog.db"
    assert index_folder(settings, folder, catalog) == 3
    with sqlite3.connect(catalog) as db:
        rows = {
            Path(path).name: (status, fmt, width, height, error, top)
            for path, status, fmt, width, height, error, top in db.execute(
                "SELECT path, status, format, width, height, error, (SELECT class_index FROM"
                " photo_labels l WHERE l.photo_id = p.id AND rank = 1) FROM photos p"
            )
        }
    assert rows["IMG_0010.DNG"][:4] == ("ok", "DNG", 334, 500)  # the mosaic's even size
    assert rows["IMG_0011.dng"][:4] == ("ok", "DNG", 334, 500)
    for name in ("IMG_0010.DNG", "IMG_0011.dng", "cat.jpg"):
        assert rows[name][5] in CAT_CLASSES, (name, rows[name])
    status, _, _, _, error, _ = rows["IMG_0012.DNG"]
    assert status == "failed" and "the embedded preview cannot be read" in error
