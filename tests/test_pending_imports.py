"""An import the server accepted survives the server's death: a real `smartalbum serve`,
SIGKILLed right after answering 202, runs the import again at its next start, under the job id
it answered with (web/pending_imports.py; found by the chaos soak, scripts/soak)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from smartalbum.settings import Settings
from tests.helpers import copy_samples

pytestmark = pytest.mark.slow
COUNT = 40  # photos: seconds of work, so the kill lands before the import ends


@contextmanager
def serve(settings: Settings, home: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``smartalbum serve`` on this port and catalog, ready; killed afterwards if still up."""
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(home / "library.db"),
           "SMARTALBUM_PORT": str(port), "SMARTALBUM_CACHE_DIR": str(settings.cache_dir),
           "SMARTALBUM_ENGINE": "onnx", "SMARTALBUM_WATCH": "false",
           "SMARTALBUM_RESCAN_MINUTES": "0", "SMARTALBUM_TEXT": "false",
           "SMARTALBUM_FACES": "false", "SMARTALBUM_BACKUP_HOURS": "0",
           "SMARTALBUM_UPLOAD_ROOT": str(home / "uploads")}  # fmt: skip
    with (home / "serve.log").open("ab") as log:
        server = subprocess.Popen([sys.executable, "-m", "smartalbum", "serve"], env=env,
                                  stdout=log, stderr=log)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not _ready(port):
            assert server.poll() is None, (home / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield server
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=30)


def _ready(port: int) -> bool:
    try:
        return bool(httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()["ready"])
    except (httpx.HTTPError, ValueError):
        return False


def photos_in(catalog: Path) -> int:
    with sqlite3.connect(catalog) as db:
        return int(db.execute("SELECT count(*) FROM photos WHERE status = 'ok'").fetchone()[0])


def pending(catalog: Path) -> int:
    """Imports kept as accepted and not ended."""
    with sqlite3.connect(catalog) as db:
        return int(db.execute("SELECT count(*) FROM state WHERE key LIKE 'import:%'").fetchone()[0])


def test_an_accepted_import_is_run_again_after_the_server_was_killed(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    folder = copy_samples(samples, tmp_path / "photos", "n03*.JPEG", COUNT)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with serve(settings, tmp_path, port) as server:
        answer = httpx.post(f"{url}/api/index", json={"folders": [str(folder)]}, timeout=60)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
        server.send_signal(signal.SIGKILL)  # at once: the import has hardly begun
        server.wait(timeout=30)
    assert photos_in(tmp_path / "library.db") < COUNT  # the kill cut it short
    with serve(settings, tmp_path, port):
        deadline = time.monotonic() + 300
        while photos_in(tmp_path / "library.db") < COUNT or pending(tmp_path / "library.db"):
            assert time.monotonic() < deadline, "the import was not run again"
            time.sleep(0.5)
        # The client that followed the job before the kill follows it to its end.
        while (job := httpx.get(f"{url}/api/jobs/{job_id}", timeout=30)).status_code == 200:
            if job.json()["status"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, job.text
            time.sleep(0.5)
        assert job.status_code == 200, job.text
        assert job.json()["status"] == "done", job.text
        assert job.json()["folders"] == [str(folder)]
    # Run again by the new server, under its id: every photo in, and nothing left pending.
    assert photos_in(tmp_path / "library.db") == COUNT
    assert pending(tmp_path / "library.db") == 0
