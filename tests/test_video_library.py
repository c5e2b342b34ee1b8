"""Videos in the library: indexed beside photos, in albums, moments and places, served in ranges.

One folder, indexed once for the module: the skiing video (ski and alp samples, Zermatt,
1 February 2026), its re-encode as an MPEG-4 MP4, two photos, a VP9 WebM, and two broken
videos that must fail alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer, IndexReport
from smartalbum.settings import Settings
from tests.helpers import LiveServer
from tests.videos import ALP, SKI, ZERMATT, encode, skiing

CAT = "n02124075_Egyptian_cat.JPEG"


class Library(NamedTuple):
    root: Path
    catalog: Path
    report: IndexReport
    url: str


@pytest.fixture(scope="module")
def library(
    settings: Settings, samples: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("videos")
    ski = skiing(root / "skiing.mov", samples)
    apple = {"com.apple.quicktime.location.ISO6709": ZERMATT}
    encode(root / "skiing-copy.mp4", [samples / SKI, samples / ALP] * 2, "mpeg4", apple)
    encode(root / "ski.webm", [samples / SKI], "vp9", seconds=2)
    for name in (CAT, SKI):
        (root / name).write_bytes((samples / name).read_bytes())
    data = ski.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (root / "empty.mov").write_bytes(b"")
    catalog = tmp_path_factory.mktemp("catalog") / "library.db"
    engine = open_engine(str(catalog))
    classifier = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(classifier, session_factory(engine), str(catalog)).run([root])
    engine.dispose()
    with LiveServer(settings.with_overrides(library=str(catalog))) as url:
        yield Library(root, catalog, report, url)


def rows(library: Library) -> dict[str, Photo]:
    engine = open_engine(str(library.catalog))
    try:
        with session_factory(engine)() as session:
            return {Path(p.path).name: p for p in session.query(Photo)}
    finally:
        engine.dispose()


def test_broken_videos_fail_alone_with_their_reason(library: Library) -> None:
    report = library.report
    assert (report.scanned, report.added, report.failed) == (7, 5, 2)
    photos = rows(library)
    assert {n: p.status for n, p in photos.items()} == {
        "skiing.mov": "ok", "skiing-copy.mp4": "ok", "ski.webm": "ok", CAT: "ok", SKI: "ok",
        "truncated.mp4": "failed", "empty.mov": "failed",
    }  # fmt: skip
    truncated, empty = photos["truncated.mp4"], photos["empty.mov"]
    assert truncated.error == f"{truncated.path}: not a readable video (moov atom not found; " + (
        "Invalid data found when processing input)"
    )
    assert empty.error == f"{empty.path}: empty file (0 bytes)"


def test_the_catalog_knows_each_video(library: Library) -> None:
    photos = rows(library)
    ski = photos["skiing.mov"]
    assert (ski.kind, ski.format, ski.codec, ski.duration) == ("video", "MOV", "h264", 4.0)
    size = (library.root / "skiing.mov").stat().st_size
    assert (ski.width, ski.height, ski.size) == (320, 240, size)
    assert (ski.taken_at, ski.taken_at_offset, ski.time_source) == (
        "2026-02-01T11:00:00", "+01:00", "quicktime"
    )  # fmt: skip
    assert (ski.gps_lat, ski.gps_lon, ski.gps_alt) == (46.0207, 7.7491, 1620.0)
    assert json.loads(ski.place or "{}")["country_code"] == "CH"
    webm = photos["ski.webm"]
    assert (webm.kind, webm.format, webm.codec) == ("video", "WEBM", "vp9")
    assert webm.time_source == "mtime"  # no tag: the file's date stands in, as for a photo
    assert photos[CAT].kind == "photo" and photos[CAT].duration is None


def test_the_skiing_video_is_in_winter_travel_with_its_moment_and_place(library: Library) -> None:
    with httpx.Client(base_url=library.url, timeout=60) as client:
        winter = client.get("/api/albums/winter", params={"limit": 100}).json()
        names = {Path(p["path"]).name for p in winter["photos"]}
        assert {"skiing.mov", "skiing-copy.mp4"} <= names
        ski = next(p for p in winter["photos"] if p["path"].endswith("skiing.mov"))
        detail = client.get(f"/api/photos/{ski['id']}").json()
        assert (detail["kind"], detail["duration"], detail["codec"]) == ("video", 4.0, "h264")
        # Pooled over its frames: half ski, half alp (whose sample the model ranks after valley).
        assert detail["labels"][0]["label"] == "ski"
        assert "alp" in [label["label"] for label in detail["labels"]]
        assert detail["place"]["country_code"] == "CH"
        moment = detail["moment"]
        assert moment["title"] == "Winter 2025–26 · Valais, Switzerland · Skiing"
        shown = client.get(f"/api/moments/{moment['id']}").json()
        assert shown["start"] == "2026-02-01T11:00:00+01:00" and shown["place"]["city"] == "Zermatt"
        assert ski["id"] in [p["id"] for p in shown["photos"]]


def test_a_video_and_its_re_encode_are_near_duplicates(library: Library) -> None:
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(library.catalog)}
    proc = subprocess.run(
        [sys.executable, "-m", "smartalbum", "duplicates", "--json"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    groups = [sorted(Path(p).name for p in g["paths"]) for g in json.loads(proc.stdout)]
    # Each video's poster is its first frame shown, the ski sample: near the photo itself too.
    assert groups == [[SKI, "ski.webm", "skiing-copy.mp4", "skiing.mov"]]


def test_the_original_is_served_in_ranges(library: Library) -> None:
    data = (library.root / "skiing.mov").read_bytes()
    with httpx.Client(base_url=library.url, timeout=60) as client:
        winter = client.get("/api/albums/winter", params={"limit": 100}).json()
        ski = next(p for p in winter["photos"] if p["path"].endswith("skiing.mov"))
        url = f"/api/photos/{ski['id']}/original"
        whole = client.get(url)
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["content-type"] == "video/quicktime"
        assert whole.headers["accept-ranges"] == "bytes"
        part = client.get(url, headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206 and part.content == data[1000:2000]
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
        tail = client.get(url, headers={"Range": "bytes=-500"})  # a player reads the end too
        assert tail.status_code == 206 and tail.content == data[-500:]
        link = client.post("/api/albums/winter/shares", json={}).json()
        shared = client.get(f"/api/shared/{link['token']}", params={"limit": 100}).json()
        assert next(p for p in shared["photos"] if p["id"] == ski["id"])["kind"] == "video"
        part = client.get(
            f"/api/shared/{link['token']}/photos/{ski['id']}/original",
            headers={"Range": "bytes=0-99"},
        )
        assert part.status_code == 206 and part.content == data[:100]
