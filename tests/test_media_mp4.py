"""MP4/QuickTime facts read in Python (media/mp4.py) and keyframes decoded in our process
(media/keyframes.py), against what ffprobe and ffmpeg say of the same real files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartalbum import video
from smartalbum.errors import ImageDecodeError
from smartalbum.media import keyframes, mp4
from tests.videos import ALP, SKI, ZERMATT_2D, encode, skiing

UTC_TAGS = {"creation_time": "2026-02-01T10:00:00Z", "location": ZERMATT_2D}


@pytest.fixture(scope="module")
def made(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An iPhone-like MOV (Apple's keys), an H.264 MP4 with MP4 tags, an HEVC MP4, an MPEG-4
    MP4, and a MOV its player turns a quarter."""
    folder = tmp_path_factory.mktemp("mp4")
    turned = encode(folder / "upright.mov", [samples / SKI, samples / ALP], "h264")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(turned), "-c", "copy",
         "-metadata:s:v", "rotate=90", str(folder / "turned.mov")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return {
        "skiing": skiing(folder / "skiing.mov", samples),
        "h264": encode(folder / "alp.mp4", [samples / ALP, samples / SKI], "h264", UTC_TAGS),
        "hevc": encode(folder / "ski.mp4", [samples / SKI, samples / ALP], "hevc", UTC_TAGS),
        "mpeg4": encode(folder / "old.mp4", [samples / ALP], "mpeg4", UTC_TAGS),
        "turned": folder / "turned.mov",
    }


@pytest.mark.parametrize("name", ["skiing", "h264", "hevc", "mpeg4", "turned"])
def test_the_facts_are_what_ffprobe_says(made: dict[str, Path], name: str) -> None:
    movie = mp4.read(made[name])
    assert movie is not None and movie.video is not None
    probe = video._probe(made[name], name)
    stream = video._video_stream(probe, name)
    ours = video._as_probe(movie, movie.video)
    assert (movie.video.codec, movie.video.width, movie.video.height) == (
        stream["codec_name"], stream["width"], stream["height"]
    )  # fmt: skip
    assert movie.duration == video._duration(probe, stream)
    theirs = video._metadata(probe, stream, "MP4")
    assert video._metadata(ours, ours["streams"][0], "MP4") == theirs
    if name != "turned":  # made without tags
        assert theirs.taken_at is not None and theirs.gps_lat is not None


def test_keyframes_are_decoded_here_in_their_order(made: dict[str, Path], samples: Path) -> None:
    for name, order in (("skiing", [SKI, ALP, SKI, ALP]), ("hevc", [SKI, ALP])):
        movie = mp4.read(made[name])
        assert movie is not None and movie.video is not None
        times = video.spread(movie.duration, len(order))
        frames = keyframes.frames(made[name], movie.video, times, 256)
        assert frames is not None, name
        assert [f.size for f in frames] == [(342, 256)] * len(order), name
        assert [_nearest(f, samples) for f in frames] == order, name


def test_a_turned_video_is_shown_as_ffmpeg_shows_it(made: dict[str, Path]) -> None:
    movie = mp4.read(made["turned"])
    assert movie is not None and movie.video is not None
    assert movie.video.rotation in (90, 270)
    ours = keyframes.frames(made["turned"], movie.video, [0.5, 1.5], 240)
    theirs = video._frames(made["turned"], "turned.mov", [0.5, 1.5], 240)  # ffmpeg's rotation
    assert ours is not None
    assert [f.size for f in ours] == [f.size for f in theirs] == [(240, 320)] * 2
    for mine, ffmpeg in zip(ours, theirs, strict=True):
        assert _difference(mine, ffmpeg) < 8  # the same picture, resized a little apart


def test_a_video_of_one_scene_is_one_frame_and_of_two_scenes_four(
    made: dict[str, Path], samples: Path, tmp_path: Path
) -> None:
    # Its first and last frames look alike (the same sample): the two between are not decoded,
    # and the first stands for the video (one row of the model).
    still = encode(tmp_path / "still.mp4", [samples / SKI], "h264", seconds=4)
    frames = video.read(still, name="s", min_side=224).frames
    assert [_nearest(f, samples) for f in frames] == [SKI]
    # Ski and alp in turn: its ends differ, so every frame is taken, in its order.
    frames = video.read(made["skiing"], name="skiing.mov", min_side=224).frames
    assert [_nearest(f, samples) for f in frames] == [SKI, ALP, SKI, ALP]
    # Half a second, a keyframe: one frame, not the same one four times.
    short = encode(tmp_path / "short.mp4", [samples / ALP], "h264", seconds=0.4)
    assert len(video.read(short, name="short.mp4", min_side=224).frames) == 1


@pytest.fixture(scope="module")
def big(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second of 1080p H.264 from a sample, a keyframe every half second."""
    out = tmp_path_factory.mktemp("big") / "big.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-t", "1", "-framerate", "10",
         "-i", str(samples / SKI), "-vf", "scale=1920:1080,setsar=1", "-g", "5",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return out


def test_a_1080p_keyframe_is_shrunk_as_ffmpeg_shrinks_it(big: Path) -> None:
    movie = mp4.read(big)  # halved before its last resize (keyframes._shown)
    assert movie is not None and movie.video is not None
    ours = keyframes.frames(big, movie.video, [0.5], 224)
    theirs = video._frames(big, "big.mp4", [0.5], 224)
    assert ours is not None and [f.size for f in ours] == [f.size for f in theirs] == [(398, 224)]
    assert _difference(ours[0], theirs[0]) < 2


# In a fresh interpreter: OpenCV reads its FFmpeg options when it first opens a capture.
OPENING = """
import statistics, sys, time
from pathlib import Path
from smartalbum.media import keyframes, mp4
import cv2
video, spool = Path(sys.argv[1]), Path(sys.argv[2])
movie = mp4.read(video)
assert keyframes.frames(video, movie.video, [0.5], 224) is not None
spool.write_bytes(mp4.annex_b(movie.video, keyframes._samples(video, movie.video, [0])))
opening, decoding = [], []
for _ in range(5):
    started = time.process_time()
    capture = cv2.VideoCapture(str(spool), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    opened = time.process_time()
    assert capture.read()[0]
    opening.append(opened - started)
    decoding.append(time.process_time() - opened)
    capture.release()
print(statistics.median(opening), statistics.median(decoding))
"""


def test_the_keyframe_stream_is_opened_without_decoding_a_picture(
    big: Path, tmp_path: Path
) -> None:
    # FFmpeg's stream probe would decode the first keyframe once more before OpenCV's own
    # decoder does: opening would cost as much as decoding. Nothing is printed of it either.
    done = subprocess.run(
        [sys.executable, "-c", OPENING, str(big), str(tmp_path / "stream.h264")],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert done.stderr == ""
    opening, decoding = map(float, done.stdout.split())
    assert opening < decoding / 3, (opening, decoding)


@pytest.fixture
def no_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A machine without ffmpeg or ffprobe on its PATH."""
    monkeypatch.setenv("PATH", str(tmp_path))
    video.decoder.cache_clear()
    yield
    video.decoder.cache_clear()


@pytest.mark.usefixtures("no_ffmpeg")
def test_a_phone_video_needs_no_ffmpeg_and_another_codec_does(made: dict[str, Path]) -> None:
    clip = video.read(made["skiing"], name="skiing.mov", min_side=224)
    assert (clip.container, clip.codec, clip.duration, len(clip.frames)) == ("MOV", "h264", 4.0, 4)
    assert (clip.meta.taken_at, clip.meta.gps_alt) == ("2026-02-01T11:00:00", 1620.0)
    with pytest.raises(ImageDecodeError, match="ffmpeg is not installed"):
        video.read(made["mpeg4"], name="old.mp4", min_side=224)


def test_a_table_pointing_past_the_end_is_left_to_ffmpeg(
    made: dict[str, Path], tmp_path: Path
) -> None:
    moved = tmp_path / "faststart.mp4"  # the table first, so it survives the cut
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(made["h264"]), "-c", "copy",
         "-movflags", "faststart", str(moved)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    data = moved.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    movie = mp4.read(cut)
    assert movie is not None and movie.video is not None
    assert keyframes.frames(cut, movie.video, [0.5, 1.5], 224) is None
    assert mp4.read(tmp_path / "absent.mp4") is None
    assert mp4.annex_b(movie.video, [b"\x00\x00\x00\x09short"]) is None  # a NAL past its sample


def _nearest(frame: Image.Image, samples: Path) -> str:
    return min((SKI, ALP), key=lambda n: _difference(frame, Image.open(samples / n)))


def _difference(a: Image.Image, b: Image.Image) -> float:
    small = [np.asarray(i.convert("L").resize((32, 24)), dtype=np.float32) for i in (a, b)]
    return float(np.abs(small[0] - small[1]).mean())
