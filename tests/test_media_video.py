"""The video decoder on real videos encoded here from the sample photos, and on broken ones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartalbum import video
from smartalbum.errors import ImageDecodeError
from tests.videos import ALP, SKI, ZERMATT_2D, encode, skiing

# Each container from its own muxer: (file name, codec, ffmpeg's muxer for it)
CONTAINERS = [
    ("clip.mp4", "h264", "mp4", "MP4"),
    ("clip.mov", "mpeg4", "mov", "MOV"),
    ("clip.m4v", "h264", "ipod", "M4V"),
    ("clip.3gp", "h264", "3gp", "3GP"),
    ("clip.mkv", "h264", "matroska", "MKV"),
    ("clip.webm", "vp9", "webm", "WEBM"),
    ("clip.avi", "mpeg4", "avi", "AVI"),
]


@pytest.fixture(scope="module")
def made(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The skiing MOV, an MPEG-4 MP4 and a VP9 WebM with MP4-style tags, one of each container."""
    folder = tmp_path_factory.mktemp("videos")
    utc = {"creation_time": "2026-02-01T10:00:00Z", "location": ZERMATT_2D}
    files = {
        "skiing": skiing(folder / "skiing.mov", samples),
        "mp4": encode(folder / "alp.mp4", [samples / ALP], "mpeg4", utc),
        "webm": encode(folder / "ski.webm", [samples / SKI], "vp9", utc),
    }
    for name, codec, muxer, _ in CONTAINERS:
        out, source = folder / f"{muxer}-{name}", folder / f"{muxer}-source.mkv"
        encode(source, [samples / SKI], codec, seconds=0.5)
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-c", "copy",
             "-f", muxer, str(out)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        files[name] = out
    return files


def test_each_container_is_told_by_its_first_bytes(made: dict[str, Path], samples: Path) -> None:
    for name, _, _, container in CONTAINERS:
        assert video.sniff_file(made[name]) == container, name
    # Not videos: a JPEG, and ISO media files holding stills (HEIC, AVIF, Canon's CR3).
    assert video.sniff_file(samples / SKI) is None
    for brand in (b"heic", b"mif1", b"avif", b"crx "):
        assert video.sniff(b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 12) is None
    # The name does not count: an MP4 called .jpg is a video, a JPEG called .mp4 is not.
    assert video.sniff(made["clip.mp4"].read_bytes()[:64]) == "MP4"


def test_the_skiing_video_gives_its_facts_and_frames_over_its_length(
    made: dict[str, Path], samples: Path
) -> None:
    clip = video.read(made["skiing"], name="skiing.mov", min_side=256)
    assert (clip.container, clip.codec, clip.duration) == ("MOV", "h264", 4.0)
    meta = clip.meta
    assert (meta.width, meta.height, meta.format) == (320, 240, "MOV")
    assert (meta.taken_at, meta.taken_at_offset, meta.time_source) == (
        "2026-02-01T11:00:00", "+01:00", "quicktime"
    )  # fmt: skip
    assert (meta.gps_lat, meta.gps_lon, meta.gps_alt) == (46.0207, 7.7491, 1620.0)
    assert (meta.camera_make, meta.camera_model) == ("Apple", "iPhone 15")
    assert video.spread(4.0, 4) == [0.5, 1.5, 2.5, 3.5]
    assert [f.size for f in clip.frames] == [(342, 256)] * 4  # 320x240 with its shorter side 256
    # Spread over the video: ski, alp, ski, alp, as it was made.
    stills = {name: _small(Image.open(samples / name)) for name in (SKI, ALP)}
    nearest = [min(stills, key=lambda n: _distance(_small(f), stills[n])) for f in clip.frames]
    assert nearest == [SKI, ALP, SKI, ALP]


def test_mp4_and_webm_tags_creation_time_and_location(made: dict[str, Path]) -> None:
    for name, container, codec in (("mp4", "MP4", "mpeg4"), ("webm", "WEBM", "vp9")):
        clip = video.read(made[name], name=name, min_side=224, count=2)
        # A seek into the last half-second GOP can find no keyframe after it: one frame then.
        assert (clip.container, clip.codec) == (container, codec) and 1 <= len(clip.frames) <= 2
        meta = clip.meta
        assert (meta.taken_at, meta.taken_at_offset, meta.time_source) == (
            "2026-02-01T10:00:00", "+00:00", "creation_time"
        ), name  # fmt: skip
        if name == "mp4":  # ©xyz; Matroska has no place for it
            assert (meta.gps_lat, meta.gps_lon, meta.gps_alt) == (46.0207, 7.7491, None)


def test_every_container_decodes(made: dict[str, Path]) -> None:
    for name, _, _, container in CONTAINERS:
        clip = video.read(made[name], name=name, min_side=224, count=2)
        assert clip.container == container and clip.frames, name
        assert min(clip.frames[0].size) == 224, name


def test_a_truncated_or_empty_video_is_an_error_naming_it(
    made: dict[str, Path], tmp_path: Path
) -> None:
    data = made["clip.mp4"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: it is gone
    with pytest.raises(ImageDecodeError) as caught:
        video.read(cut, name="cut.mp4", min_side=224)
    assert caught.value.message.startswith("cut.mp4: not a readable video (")
    assert "moov atom not found" in caught.value.message
    headless = tmp_path / "headless.mov"  # a header and nothing it promises
    headless.write_bytes(data[:64])
    with pytest.raises(ImageDecodeError, match=r"^headless\.mov: not a readable video"):
        video.read(headless, name="headless.mov", min_side=224)


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("+46.0207+007.7491+1620.000/", (46.0207, 7.7491, 1620.0)),
        ("-33.8568+151.2153/", (-33.8568, 151.2153, None)),
        ("+4601.242+00744.946/", (46.0207, 7.7491, None)),  # degrees and minutes
        ("+460114.52-0074440.76/", (46.0207, -7.7447, None)),  # and seconds
        ("+00.0000+000.0000/", None),  # the 0,0 placeholder
        ("+95.0+007.0/", None),
        ("somewhere", None),
    ],
)
def test_iso6709(text: str, point: tuple[float, float, float | None] | None) -> None:
    found = video.iso6709(text)
    if point is None:
        assert found is None
    else:
        assert found is not None
        assert found == pytest.approx(point, abs=1e-4)


def _small(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L").resize((32, 24)), dtype=np.float32)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())
