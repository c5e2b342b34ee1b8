"""Reads never write: every GET route served from a catalog the server may only read.

A real SQLite catalog of real photos (with EXIF times and places, so there are moments
and trips) is opened read-only by the server (a ``mode=ro`` URI: any write is refused
by SQLite itself) and every GET operation of the served OpenAPI schema must answer
200. And a server on the ordinary, writable catalog commits nothing while 200 GETs
run: a second process watching ``PRAGMA data_version`` sees no change.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from smartalbum.catalog import Photo, live, open_engine, session_factory
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.library.shares import ShareLinks
from smartalbum.library.user_albums import UserAlbums
from smartalbum.settings import Settings
from tests.helpers import (
    LIBRARY_PHOTOS,
    SAMPLES,
    LiveServer,
    copy_catalog,
    copy_samples,
    get_every_route,
    import_job,
    teach_a_category,
)
from tests.moments_library import index_library, write_library
from tests.people_library import index_few


@pytest.fixture(scope="module")
def catalog(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog of real photos: the library photos and the generated trips, indexed."""
    base = tmp_path_factory.mktemp("readonly")
    write_library(base / "trips", SAMPLES)
    library = base / "library.db"
    index_library(base / "trips", library, settings)
    copy_samples(SAMPLES, base / "photos", "*", 0)
    for name in LIBRARY_PHOTOS:
        (base / "photos" / name).write_bytes((SAMPLES / name).read_bytes())
    onnx = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(onnx, session_factory(open_engine(library)), library).run([base / "photos"])
    assert report.added == len(LIBRARY_PHOTOS) and report.failed == 0
    # A few real faces, found while indexing: the walks ask the people routes too.
    index_few(base / "faces", str(library), settings)
    teach_a_category(settings.with_overrides(library=str(library)))
    engine = open_engine(library)
    with session_factory(engine)() as session:
        ids = list(session.scalars(select(Photo.id).where(live()).limit(3)))
    UserAlbums(session_factory(engine)).create("Mine", "我的", None, ids)  # a person's album
    engine.dispose()
    return library


@pytest.fixture(scope="module")
def share_token(catalog: Path) -> str:
    """A share link to the album of the catalog's cat (the first album it is in), which may
    be downloaded."""
    sessions = session_factory(open_engine(catalog))
    made = ShareLinks(sessions).create("album", "pets", by=None, allow_download=True)
    return str(made["token"])


def test_every_get_route_answers_from_a_read_only_catalog(
    catalog: Path, share_token: str, settings: Settings, tmp_path: Path
) -> None:
    read_only = f"sqlite:///file:{catalog}?mode=ro&uri=true"
    server = LiveServer(dataclasses.replace(settings, library=read_only))
    with server as url, httpx.Client(base_url=url, timeout=60) as client:
        job = import_job(client, tmp_path)  # refused by the catalog: a failed job to look at
        statuses = get_every_route(client, job, share_token)
        assert any("/api/shared/" in route for route in statuses)
        walked = " ".join(statuses)  # a person's page and a face's crop: real faces, asked
        assert "/api/people/" in walked and "/crop?" in walked, statuses
        assert len(statuses) >= 12, statuses  # every GET of the schema, and variants
        failed = {route: status for route, status in statuses.items() if status != 200}
        assert not failed, failed
        # The catalog really is read-only: a write through the same server is refused.
        photo = client.get("/api/search", params={"q": "cat"}).json()["photos"][0]
        refused = client.post(
            f"/api/photos/{photo['id']}/labels", json={"action": "set", "wnid": "daisy"}
        )
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "catalog_unavailable"
        assert "readonly" in refused.json()["error"]["message"]  # the driver's own reason


WATCH = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("PRAGMA data_version").fetchone()[0], flush=True)
sys.stdin.readline()
print(db.execute("PRAGMA data_version").fetchone()[0], flush=True)
"""


def test_a_server_commits_nothing_while_it_answers_reads(
    catalog: Path, share_token: str, settings: Settings, tmp_path: Path
) -> None:
    own = copy_catalog(catalog, tmp_path / "library.db")  # a writable copy of the module's
    (tmp_path / "none").mkdir()
    server = LiveServer(dataclasses.replace(settings, library=str(own)))
    with server as url, httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/api/albums").status_code == 200  # opened (and grouped) first
        job = import_job(client, tmp_path / "none")  # imports write: done before watching
        watcher = subprocess.Popen(
            [sys.executable, "-c", WATCH, str(own)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert watcher.stdout is not None
            before = watcher.stdout.readline().strip()
            answered = 0
            while answered < 200:
                statuses = get_every_route(client, job, share_token)
                failed = {route: status for route, status in statuses.items() if status != 200}
                assert not failed, failed
                answered += len(statuses) + 5  # get_every_route also asks for the ids it fills
            after, _ = watcher.communicate("\n", timeout=30)
        finally:  # a failure above leaves no process (and its pipes) to the next tests' warnings
            if watcher.poll() is None:
                watcher.kill()
                watcher.communicate(timeout=30)
    assert before and after.strip() == before  # no commit by anyone in between
