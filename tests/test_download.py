"""ZIP downloads: the originals with their names, streamed as they are made, over real HTTP.

The ZIP is checked file by file against the originals; the 1000 samples stream through a
real server process whose resident memory is watched while it sends them.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select

from smartalbum.catalog import OK, Photo, Root, open_engine, session_factory
from smartalbum.library.download import unique_names, zip_stream
from smartalbum.library.shares import ShareLinks
from smartalbum.library.user_albums import UserAlbums
from smartalbum.settings import Settings
from tests.conftest import Indexed
from tests.helpers import CAT, SAMPLES, LiveServer, assert_error, copy_catalog

MB = 1024 * 1024


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_names_stay_and_duplicates_are_made_unique() -> None:
    paths = [Path("/a/IMG_1.jpg"), Path("/b/IMG_1.jpg"), Path("/c/img_1.JPG"), Path("/d/x")]
    assert unique_names(paths) == ["IMG_1.jpg", "IMG_1 (2).jpg", "img_1 (3).JPG", "x"]


def test_a_zip_streams_chunk_by_chunk_and_holds_every_file(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(5 * MB + 17))
    cat = SAMPLES / CAT
    files = [("big.bin", big), (CAT, cat), ("gone.jpg", tmp_path / "gone.jpg")]
    chunks = list(zip_stream(files))
    assert max(len(c) for c in chunks) < 1.1 * MB  # never the whole file at once
    assert sum(1 for c in chunks if c) >= 6
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["big.bin", CAT]  # the vanished file is left out
        assert archive.read("big.bin") == big.read_bytes()
        assert archive.read(CAT) == cat.read_bytes()
        assert archive.getinfo(CAT).compress_type == zipfile.ZIP_STORED


@pytest.fixture(scope="module")
def library_settings_module(
    settings: Settings, indexed: Indexed, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    catalog = copy_catalog(indexed.catalog, tmp_path_factory.mktemp("zips") / "library.db")
    return settings.with_overrides(library=str(catalog))


@pytest.fixture(scope="module")
def server(library_settings_module: Settings) -> Iterator[str]:
    with LiveServer(library_settings_module) as url:
        yield url


def originals_of(client: httpx.Client, ids: list[int]) -> dict[str, str]:
    """File name -> sha256 of each photo's original, as the library serves it."""
    found = {}
    for photo_id in ids:
        name = client.get(f"/api/photos/{photo_id}").json()["name"]
        found[name] = digest(client.get(f"/api/photos/{photo_id}/original").content)
    return found


def zip_contents(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.testzip() is None
        return {name: digest(archive.read(name)) for name in archive.namelist()}


def test_albums_moments_and_selections_download_as_their_originals(server: str) -> None:
    with httpx.Client(base_url=server, timeout=120) as client:
        pets = client.get("/api/albums/pets").json()
        ids = [p["id"] for p in pets["photos"]]
        assert len(ids) >= 2
        assert zip_contents(client.get("/api/albums/pets/download")) == originals_of(client, ids)

        moment = client.get("/api/moments").json()["moments"][0]
        shown = client.get(f"/api/moments/{moment['id']}", params={"limit": 500}).json()
        got = zip_contents(client.get(f"/api/moments/{moment['id']}/download"))
        assert got == originals_of(client, [p["id"] for p in shown["photos"]])

        chosen = ",".join(map(str, ids[:2]))
        got = zip_contents(client.get("/api/selection/download", params={"ids": chosen}))
        assert got == originals_of(client, ids[:2])

        made = client.post("/api/user-albums", json={"title": "Zip 猫", "ids": ids[:1]}).json()
        answer = client.get(f"/api/user-albums/{made['id']}/download")
        assert zip_contents(answer) == originals_of(client, ids[:1])
        assert "filename*=UTF-8''Zip%20%E7%8C%AB.zip" in answer.headers["content-disposition"]

        assert_error(client.get("/api/selection/download", params={"ids": "1,x"}), 422,
                     "invalid_request")  # fmt: skip
        assert_error(client.get("/api/selection/download", params={"ids": str(2**40)}), 404,
                     "not_found")  # fmt: skip


def test_a_share_link_downloads_only_when_allowed_and_only_its_album(
    server: str, library_settings_module: Settings
) -> None:
    with httpx.Client(base_url=server, timeout=120) as client:
        pets = [p["id"] for p in client.get("/api/albums/pets").json()["photos"]]
        made = client.post("/api/user-albums", json={"title": "Shared", "ids": pets[:1]}).json()
        allowed = client.post(f"/api/user-albums/{made['id']}/shares",
                              json={"allow_download": True}).json()  # fmt: skip
        assert allowed["allow_download"] is True
        closed = client.post("/api/albums/pets/shares", json={}).json()
        expected = originals_of(client, pets[:1])
    with httpx.Client(base_url=server, timeout=120) as stranger:
        assert stranger.get(f"/api/shared/{allowed['token']}").json()["allow_download"] is True
        got = zip_contents(stranger.get(f"/api/shared/{allowed['token']}/download"))
        assert got == expected  # its one photo, none of the rest of pets
        assert_error(stranger.get(f"/api/shared/{closed['token']}/download"), 403, "forbidden")
        assert_error(stranger.get("/api/shared/sh_" + "0" * 32 + "/download"), 404, "not_found")
    links = ShareLinks(session_factory(open_engine(library_settings_module.library)))
    assert {(x["id"], x["allow_download"]) for x in links.listed()} >= {
        (allowed["id"], True), (closed["id"], False)}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """The resident memory of a process now, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def sample_catalog(library: Path) -> int:
    """A catalog holding the 1000 samples (their real files; no model needed to zip them)
    and a person's album of all of them; its id."""
    files = sorted(p for p in SAMPLES.iterdir() if p.is_file())
    engine = open_engine(library)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.execute(insert(Root), [{"path": str(SAMPLES.resolve()), "indexed_at": 1.0}])
        session.execute(insert(Photo), [
            {"path": str(p.resolve()), "size": p.stat().st_size, "mtime": 1.0, "status": OK,
             "indexed_at": 1.0} for p in files
        ])  # fmt: skip
    with sessions() as session:
        ids = list(session.scalars(select(Photo.id)))
    album = UserAlbums(sessions).create("Everything", None, None, ids)["id"]
    engine.dispose()
    assert len(ids) == len(files) >= 1000
    return int(album)


@pytest.mark.soak  # the whole sample set through a server process: about 20 s
def test_the_zip_of_1000_samples_streams_in_little_memory(
    settings: Settings, tmp_path: Path
) -> None:
    library = tmp_path / "library.db"
    album = sample_catalog(library)
    total = sum(p.stat().st_size for p in SAMPLES.iterdir() if p.is_file())
    port = free_port()
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(library), "SMARTALBUM_ENGINE": "onnx",
           "SMARTALBUM_CACHE_DIR": str(settings.cache_dir)}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "smartalbum", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            for _ in range(600):
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            first = client.get("/api/selection/download", params={"ids": "1,2"})  # warmed up
            assert first.status_code == 200
            before = rss_mb(server.pid)
            peak = [before]
            done = threading.Event()

            def watch() -> None:
                while not done.wait(0.05):
                    peak.append(rss_mb(server.pid))

            watcher = threading.Thread(target=watch)
            watcher.start()
            zipped = tmp_path / "all.zip"
            try:
                with client.stream("GET", f"/api/user-albums/{album}/download") as answer, \
                        zipped.open("wb") as out:  # fmt: skip
                    assert answer.status_code == 200
                    for chunk in answer.iter_bytes():
                        out.write(chunk)
            finally:
                done.set()
                watcher.join()
        growth = max(peak) - before
        print(f"\nZIP of {total / MB:.0f} MB: server RSS {before:.0f} MB, peak {max(peak):.0f} MB "
              f"(+{growth:.1f} MB)")  # fmt: skip
        assert zipped.stat().st_size > total  # every byte, and the ZIP's headers
        assert growth < 50, f"the server grew by {growth:.0f} MB while streaming"
        with zipfile.ZipFile(zipped) as archive:
            names = archive.namelist()
            assert len(names) == len(set(names)) >= 1000
            assert archive.read(CAT) == (SAMPLES / CAT).read_bytes()
            assert archive.testzip() is None
    finally:
        server.terminate()
        server.communicate(timeout=30)
