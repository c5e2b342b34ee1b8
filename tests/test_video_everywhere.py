"""Videos everywhere a photo goes: ``classify``, ``/predict``, an upload, ``models`` and health."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from smartalbum.settings import Settings
from tests.helpers import LiveServer, assert_error, bearer_headers
from tests.videos import skiing

PASSWORD = "correct horse battery"


class Served(NamedTuple):
    url: str
    editor: dict[str, str]
    ski: Path  # the skiing video
    cut: Path  # its first third: no index


@pytest.fixture(scope="module")
def served(
    settings: Settings, samples: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("everywhere")
    ski = skiing(home / "skiing.mov", samples)
    cut = home / "cut.mp4"
    cut.write_bytes(ski.read_bytes()[: ski.stat().st_size // 3])
    catalog = str(home / "library.db")
    headers = bearer_headers(catalog, ("editor",), PASSWORD)
    served = settings.with_overrides(
        library=catalog, host="0.0.0.0", upload_root=home / "uploads", max_file_mb=20
    )
    with LiveServer(served) as url:
        yield Served(url, headers["editor"], ski, cut)


def test_predict_classifies_a_video_from_its_frames(served: Served) -> None:
    with httpx.Client(base_url=served.url, headers=served.editor, timeout=120) as client:
        files = {"file": ("skiing.mov", served.ski.read_bytes(), "video/quicktime")}
        answer = client.post("/predict", files=files, params={"top_k": 5})
        assert answer.status_code == 200, answer.text
        labels = [p["label"] for p in answer.json()["predictions"]]
        assert labels[0] == "ski" and "alp" in labels
        assert "winter" in [a["id"] for a in answer.json()["albums"]]
        files = {"file": ("cut.mp4", served.cut.read_bytes(), "video/mp4")}
        error = assert_error(client.post("/predict", files=files), 400, "undecodable_image")
        assert error["message"].startswith("cut.mp4: not a readable video (moov atom not found")
        health = client.get("/api/health").json()
        assert health["video_decoder"].startswith("ffmpeg ")
        decoders = health["decoders"]  # in our process, and the program for the rest
        assert decoders["video"].startswith("OpenCV ") and "libavcodec" in decoders["video"]
        assert decoders["video_ffmpeg"] == health["video_decoder"]
        assert decoders["heic"].startswith("pi-heif ") and decoders["raw"].startswith("rawpy ")


def test_an_uploaded_video_is_indexed_as_one(served: Served) -> None:
    data = served.ski.read_bytes()
    fields = {"filename": "IMG_0042.MOV", "filetype": "video/quicktime",
              "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())
    tus = {"Tus-Resumable": "1.0.0"}
    with httpx.Client(base_url=served.url, headers=served.editor, timeout=120) as client:
        length = {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
        made = client.post("/api/uploads", headers={**tus, **length})
        assert made.status_code == 201, made.text
        url = made.headers["location"]
        sent = client.patch(url, content=data, headers={
            **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        })  # fmt: skip
        assert sent.status_code == 204, sent.text
        deadline = time.monotonic() + 180
        while (upload := client.get(url).json()).get("photo_id") is None:
            assert time.monotonic() < deadline, upload
            time.sleep(0.25)
        assert upload["path"].endswith("IMG_0042.MOV")
        photo = client.get(f"/api/photos/{upload['photo_id']}").json()
        assert (photo["kind"], photo["format"], photo["labels"][0]["label"]) == (
            "video", "MOV", "ski"
        )  # fmt: skip


def test_classify_and_models_on_the_command_line(served: Served, settings: Settings) -> None:
    env = {**os.environ, "SMARTALBUM_CACHE_DIR": str(settings.cache_dir),
           "SMARTALBUM_ENGINE": "onnx"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "smartalbum", "classify", str(served.ski), str(served.cut),
         "--json"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    results = json.loads(proc.stdout)
    assert [Path(r["file"]).name for r in results] == ["skiing.mov", "cut.mp4"]
    assert results[0]["predictions"][0]["label"] == "ski"
    assert "not a readable video" in results[1]["error"]["message"]
    assert proc.returncode != 0  # one file failed, and the exit status says so
    models = subprocess.run(
        [sys.executable, "-m", "smartalbum", "models", "--json"],
        capture_output=True, text=True, timeout=300, env=env, check=True,
    )  # fmt: skip
    rows = json.loads(models.stdout)
    assert all(row["video_decoder"].startswith("ffmpeg ") for row in rows)
    assert all(row["decoders"]["video"].startswith("OpenCV ") for row in rows)
    listed = subprocess.run(
        [sys.executable, "-m", "smartalbum", "models"],
        capture_output=True, text=True, timeout=300, env=env, check=True,
    )  # fmt: skip
    lines = listed.stdout.splitlines()  # a line for each decoder, the in-process one named
    assert any(line.startswith("videos in MP4, MOV, M4V, 3GP (H.264, HEVC): OpenCV ")
               for line in lines)  # fmt: skip
    assert any(line.startswith(("HEIC: pi-heif ", "RAW: rawpy ")) for line in lines)
