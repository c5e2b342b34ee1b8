"""Reading the text of photos indexed before the text pass, as a job of the web app."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import httpx
import pytest

from smartalbum.bench.text_set import fonts_missing, make_set
from smartalbum.settings import Settings
from tests.helpers import LiveServer, assert_error, index_folder

pytestmark = pytest.mark.skipif(bool(fonts_missing()), reason="needs fonts-noto-cjk, dejavu")


def test_a_text_job_reads_the_photos_indexed_before(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    made = make_set(samples, tmp_path / "set", count=2, seed=5)
    photos = tmp_path / "photos"
    photos.mkdir()
    for sample in made:
        shutil.copy(tmp_path / "set" / sample.file, photos / sample.file)
    off = dataclasses.replace(settings, text=False, library=str(tmp_path / "library.db"))
    index_folder(off, photos, off.library)
    with LiveServer(off) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/api/text").json() == {"enabled": False, "unread": 2}
        assert_error(client.post("/api/text/read"), 409, "pass_off")  # the server's state
    on = dataclasses.replace(off, text=True)
    with LiveServer(on) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/api/text").json() == {"enabled": True, "unread": 2}
        job = client.post("/api/text/read").json()
        assert job["kind"] == "text" and job["status"] in ("queued", "running")
        deadline = time.monotonic() + 300
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.3)
            job = client.get(f"/api/jobs/{job['id']}").json()
        assert job["status"] == "done", job
        assert job["report"] == {"total": 2, "read": 2, "with_text": 2, "failed": 0}
        assert (job["done"], job["total"]) == (2, 2)
        assert client.get("/api/text").json()["unread"] == 0
        found = client.get("/api/search", params={"text": made[0].lines[0]}).json()["photos"]
        assert [Path(p["path"]).name for p in found] == [made[0].file]
        said = client.get(f"/api/photos/{found[0]['id']}/text").json()
        assert said["read"] and said["lines"]
