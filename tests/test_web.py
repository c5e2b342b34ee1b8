"""The web app through real HTTP: the API, its one error shape, and micro-batching under load."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import select
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, LiveServer, assert_error, copy_samples


@pytest.fixture(scope="module")
def client(live_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_url, timeout=120) as c:
        yield c


def photo(name: str = CAT) -> tuple[str, bytes, str]:
    return (name, (SAMPLES / name).read_bytes(), "image/jpeg")


def test_predict_one_photo(client: httpx.Client, samples: Path) -> None:
    response = client.post("/predict", files={"file": photo()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"predictions", "albums", "model", "engine", "ms"}
    assert body["model"] == "efficientnet_lite0"
    pets = {"id": "pets", "title": "My pets", "title_zh": "我的宠物"}
    assert [{k: a[k] for k in pets} for a in body["albums"]] == [pets]  # from the top 5
    assert 0.3 <= body["albums"][0]["score"] <= 1
    assert len(body["predictions"]) == 3
    top = body["predictions"][0]
    assert set(top) == {
        "rank", "index", "wnid", "label", "label_zh", "probability", "probability_percent"
    }  # fmt: skip
    assert (top["rank"], top["wnid"], top["label"], top["label_zh"]) == (
        1, "n02124075", "Egyptian cat", "埃及猫"
    )  # fmt: skip
    assert 0.5 < top["probability"] <= 1 and round(top["probability"], 4) == top["probability"]
    assert top["probability_percent"] == pytest.approx(top["probability"] * 100, abs=0.01)
    assert body["predictions"][0]["probability"] >= body["predictions"][1]["probability"]


def test_predict_top_k_and_several_files(client: httpx.Client) -> None:
    response = client.post(
        "/predict?top_k=10",
        files=[
            ("files", photo()),
            ("files", photo("n11939491_daisy.JPEG")),
            ("files", ("notes.jpg", b"just text", "image/jpeg")),
        ],
    )
    assert response.status_code == 200, response.text
    first, second, third = response.json()["results"]
    assert first["file"] == CAT and len(first["predictions"]) == 10
    assert second["predictions"][0]["label_zh"] == "雏菊"
    assert third["error"]["code"] == "unsupported_image_type"
    assert "notes.jpg" in third["error"]["message"]


def test_health_models_and_openapi(client: httpx.Client) -> None:
    health = client.get("/api/health").json()
    assert health["ready"] and health["model"] == "efficientnet_lite0" and health["engine"]
    models = {m["name"]: m for m in client.get("/api/models").json()}
    assert models["efficientnet_lite0"]["serving"] and "resnet18" in models
    assert "/predict" in client.get("/openapi.json").json()["paths"]


def test_page_is_self_hosted(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<title>smartalbum</title>" in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, no fetch out
    assert "https://" not in client.get("/static/app.js").text


def test_every_error_path_has_the_one_shape(client: httpx.Client, settings: Settings) -> None:
    corrupt = (SAMPLES / CAT).read_bytes()[:2000]
    message = assert_error(
        client.post("/predict", files={"file": ("broken.jpg", corrupt, "image/jpeg")}),
        400, "undecodable_image",
    )  # fmt: skip
    assert "broken.jpg" in message["message"] and "truncated" in message["message"]
    message = assert_error(
        client.post("/predict", files={"file": ("notes.jpg", b"hello world", "image/jpeg")}),
        415, "unsupported_image_type",
    )  # fmt: skip
    assert "notes.jpg: not an image" in message["message"]
    big = b"\xff\xd8" + bytes(60 * 1024 * 1024)
    assert_error(
        client.post("/predict", files={"file": ("huge.jpg", big, "image/jpeg")}),
        413, "upload_too_large",
    )  # fmt: skip
    assert_error(client.post("/predict", data={"other": "x"}), 422, "invalid_request")
    assert_error(client.post("/predict"), 422, "invalid_request")
    assert_error(client.post("/predict?top_k=11", files={"file": photo()}), 422, "invalid_request")
    assert_error(client.get("/predict"), 405, "method_not_allowed")
    assert_error(client.get("/nowhere"), 404, "not_found")
    assert_error(client.get("/api/moments/m0"), 404, "not_found")
    assert_error(client.get("/api/moments?limit=0"), 422, "invalid_request")


def test_model_without_weights_answers_503(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty hub cache
    offline = dataclasses.replace(settings, model="resnet18", cache_dir=tmp_path)
    with LiveServer(offline) as url, httpx.Client(base_url=url, timeout=60) as c:
        error = assert_error(c.post("/predict", files={"file": photo()}), 503, "model_unavailable")
        assert "resnet18-f37072d5.pth" in error["message"]
        health = c.get("/api/health").json()
        assert health["ready"] is False and health["error"]["code"] == "model_unavailable"


def test_streamed_upload_over_the_limit_is_cut_off(settings: Settings) -> None:
    small = dataclasses.replace(settings, max_upload_mb=1)
    boundary = "smartalbumboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    sent = 0

    def body() -> Iterator[bytes]:  # chunked: no Content-Length to judge by
        nonlocal sent
        yield head
        for _ in range(64):  # up to 16 MB, far past the 1 MB limit
            sent += 256 * 1024
            yield bytes(256 * 1024)

    with LiveServer(small) as url:
        response = httpx.post(
            f"{url}/predict",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=60,
        )
    assert_error(response, 413, "upload_too_large")
    # The server stopped reading: the client could not send the 16 MB, only the limit and what
    # the sockets' buffers took (about 5 MB here); a server reading on takes all 16.
    assert sent <= 8 * 1024 * 1024, sent


def test_sixteen_concurrent_clients_all_succeed(live_url: str, samples: Path) -> None:
    names = [p.name for p in sorted(samples.glob("n02*.JPEG"))[:16]]
    with httpx.Client(timeout=120) as c:
        expected = {
            n: c.post(f"{live_url}/predict", files={"file": photo(n)}).json()["predictions"][0][
                "wnid"
            ]
            for n in names
        }

    def one_client(index: int) -> list[tuple[str, int, str | None]]:
        outcomes = []
        with httpx.Client(timeout=120) as c:
            for step in range(4):  # bounded: 16 clients x 4 requests
                name = names[(index + step) % len(names)]
                response = c.post(f"{live_url}/predict", files={"file": photo(name)})
                top = response.json().get("predictions", [{}])[0].get("wnid")
                outcomes.append((name, response.status_code, top))
        return outcomes

    with ThreadPoolExecutor(16) as pool:
        outcomes = [o for batch in pool.map(one_client, range(16)) for o in batch]
    assert len(outcomes) == 64
    assert all(status == 200 for _, status, _ in outcomes), outcomes
    assert all(top == expected[name] for name, _, top in outcomes)


def test_uploads_as_bytes_of_other_formats(client: httpx.Client) -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.open(SAMPLES / CAT).save(out, "PNG")
    response = client.post("/predict", files={"file": ("cat.png", out.getvalue(), "image/png")})
    assert response.status_code == 200
    assert response.json()["predictions"][0]["wnid"] == "n02124075"


def test_loadtest_refuses_other_hosts(tmp_path: Path) -> None:
    from smartalbum.bench.load import check_loopback
    from smartalbum.errors import ConfigError

    check_loopback("http://127.0.0.1:8000")
    check_loopback("http://localhost:8000")
    for url in ("http://10.0.0.5:8000", "http://example.com", "http://192.168.1.2"):
        with pytest.raises(ConfigError, match="only target this machine"):
            check_loopback(url)


def test_loadtest_measures_a_live_server(live_url: str) -> None:
    from smartalbum.bench.load import run_load

    report = run_load(live_url, SAMPLES / CAT, clients=4, requests=8)
    assert report["requests"] == 8 and report["failed"] == 0
    assert report["p99_ms"] >= report["p50_ms"] > 0
    # The run lasted at least its slowest request: its rate cannot beat 8 in that time.
    assert 0 < report["requests_per_second"] * report["p99_ms"] / 1000 <= 8 * 1.05, report


def finished(c: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    """Poll a job until it is over (a minute at most)."""
    for _ in range(600):
        job = c.get(f"/api/jobs/{job['id']}").json()
        if job["status"] not in ("queued", "running"):
            break
        threading.Event().wait(0.1)
    return job


def test_index_job_runs_in_the_background(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    photos = copy_samples(samples, tmp_path / "photos", "n021*.JPEG", 5)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    own = dataclasses.replace(settings, library=str(tmp_path / "library.db"))
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        started = c.post("/api/index", json={"folders": [str(photos)]})
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["status"] in ("queued", "running") and job["id"]
        job = finished(c, job)
        assert job["status"] == "done", job
        assert (job["done"], job["total"]) == (6, 6)
        assert (job["report"]["added"], job["report"]["failed"]) == (5, 1)
        assert_error(
            c.post("/api/index", json={"folders": ["/no/such/folder"]}), 422, "invalid_request"
        )
        assert_error(c.post("/api/index", json={}), 422, "invalid_request")
        assert_error(c.get("/api/jobs/unknown"), 404, "not_found")


def test_a_failed_job_records_its_error(settings: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the library folder should be")
    own = dataclasses.replace(settings, library=str(blocker / "library.db"))
    (tmp_path / "photos").mkdir()
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        job = finished(c, c.post("/api/index", json={"folders": [str(tmp_path / "photos")]}).json())
    assert job["status"] == "failed"
    assert job["error"]["code"] and "library" in job["error"]["message"]


class HeldPhoto:
    """A photo the import cannot read until the test lets it: a FIFO among the files (named to
    come 26th), whose first look (is it a video?) waits for a writer. On ``release`` a small
    real JPEG takes the FIFO's place and the look is answered with its bytes; the import then
    reads the photo from the file. Until then the job cannot finish, nor reach the photos past
    the few batches it has in hand."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        buffer = io.BytesIO()
        Image.effect_noise((48, 48), 64).convert("RGB").save(buffer, "JPEG", quality=80)
        self.data = buffer.getvalue()
        assert len(self.data) <= select.PIPE_BUF  # one write the look gets whole
        self.reached, self.released, self.stop = (threading.Event() for _ in range(3))
        self.thread = threading.Thread(target=self._answer, daemon=True)
        self.thread.start()

    def _answer(self) -> None:
        while True:
            try:  # without a reader this open fails at once (ENXIO): ask again until one
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                if self.stop.wait(0.01):
                    return
        self.reached.set()
        self.released.wait()
        try:
            os.write(fd, self.data)  # the look reads it, closes, and then reads the file
        finally:
            os.close(fd)

    def release(self) -> None:
        """Let the import read the photo: the file in the FIFO's place, then the look answered."""
        photo = self.path.with_name(".held")
        photo.write_bytes(self.data)
        os.replace(photo, self.path)
        self.released.set()

    def close(self) -> None:
        """Let the import go on, or stop waiting for it (a test that failed before)."""
        if self.reached.is_set() and not self.released.is_set():
            self.release()
        self.stop.set()
        self.released.set()
        self.thread.join(timeout=30)


def test_a_cancelled_job_keeps_what_it_finished_and_the_next_one_carries_on(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from smartalbum.catalog import OK, Photo, open_engine, session_factory

    photos = copy_samples(samples, tmp_path / "photos", "*.JPEG", 300)
    names = sorted(p.name for p in photos.iterdir())
    held = HeldPhoto(photos / names[24].replace(".JPEG", "_held.JPEG"))
    own = dataclasses.replace(settings, library=str(tmp_path / "library.db"))
    with (
        contextlib.closing(held),
        LiveServer(own) as url,
        httpx.Client(base_url=url, timeout=60) as c,
    ):
        job = c.post("/api/index", json={"folders": [str(photos)]}).json()
        queued = c.post("/api/index", json={"folders": [str(photos)]}).json()
        # The job is held at the 26th file: it cannot finish, whatever the machine's load.
        assert held.reached.wait(600), c.get(f"/api/jobs/{job['id']}").json()
        job = c.get(f"/api/jobs/{job['id']}").json()
        assert job["status"] == "running" and 26 <= job["done"] < 300, job
        # The one behind it never starts.
        dropped = c.post(f"/api/jobs/{queued['id']}/cancel")
        assert dropped.status_code == 202 and dropped.json()["status"] == "cancelled"
        asked = c.post(f"/api/jobs/{job['id']}/cancel")
        assert asked.status_code == 202 and asked.json()["cancel_requested"] is True
        held.release()  # the held photo can be read now: the job writes what it holds
        job = finished(c, job)
        assert job["status"] == "cancelled", job
        kept = job["report"]["added"]  # the held photo among them
        assert 26 <= kept < 300 and job["report"]["failed"] == 0
        assert c.get(f"/api/jobs/{queued['id']}").json()["report"] is None
        engine = open_engine(own.library)
        with session_factory(engine)() as s:  # every finished photo is there, whole
            rows = s.query(Photo).all()
            assert len(rows) == kept and all(r.status == OK and r.model for r in rows)
            assert all(len(r.predictions) == 5 for r in rows)
        engine.dispose()
        again = finished(c, c.post("/api/index", json={"folders": [str(photos)]}).json())
        assert again["status"] == "done", again
        report = again["report"]
        assert (report["added"], report["unchanged"]) == (301 - kept, kept)  # the held one too
        assert_error(c.post(f"/api/jobs/{again['id']}/cancel"), 409, "job_finished")
        assert_error(c.post("/api/jobs/unknown/cancel"), 404, "not_found")
