"""The library API through real HTTP on a catalog of real photos: albums, photos, files, search."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.settings import Settings
from tests.helpers import CAT, LIBRARY_PHOTOS, SAMPLES, assert_error


@pytest.fixture
def client(library_url: str) -> Iterator[httpx.Client]:
    """A client of this test's own server, on its own copy of the indexed catalog."""
    with httpx.Client(base_url=library_url, timeout=120) as c:
        yield c


def photo_id(client: httpx.Client, root: Path, name: str) -> int:
    """The id of one of the indexed photos, found through search by its path."""
    albums = client.get("/api/albums").json()["albums"]
    for album in albums:
        for p in client.get(f"/api/albums/{album['id']}?limit=500").json()["photos"]:
            if p["path"] == str(root / name):
                return int(p["id"])
    raise AssertionError(f"{name} is in no album")


def test_albums_list_counts_and_covers(client: httpx.Client, indexed_library: Path) -> None:
    body = client.get("/api/albums").json()
    assert body["rules"]["error"] is None and body["rules"]["source"] == "built-in album rules"
    albums = {a["id"]: a for a in body["albums"]}
    assert len(albums) == 12 and albums["pets"]["title_zh"] == "我的宠物"
    for name, album in LIBRARY_PHOTOS.items():
        listed = client.get(f"/api/albums/{album}").json()
        assert str(indexed_library / name) in [p["path"] for p in listed["photos"]], (name, album)
        assert albums[album]["cover"] is not None and albums[album]["count"] >= 1
    scores = [p["score"] for p in client.get("/api/albums/pets").json()["photos"]]
    assert scores == sorted(scores, reverse=True)


def test_photo_detail_thumbnail_and_original(client: httpx.Client, indexed_library: Path) -> None:
    pid = photo_id(client, indexed_library, CAT)
    detail = client.get(f"/api/photos/{pid}").json()
    assert detail["name"] == CAT and detail["format"] == "JPEG"
    assert detail["labels"][0]["label_zh"] == "埃及猫" and len(detail["labels"]) == 5
    assert [a["id"] for a in detail["albums"]] == ["pets"]
    thumb = client.get(f"/api/photos/{pid}/thumbnail")
    assert thumb.headers["content-type"] == "image/jpeg" and 0 < len(thumb.content) <= 20480
    original = client.get(f"/api/photos/{pid}/original")
    assert original.status_code == 200 and original.content == (SAMPLES / CAT).read_bytes()
    assert original.headers["content-type"] == "image/jpeg"  # from the stored format


def test_search_in_both_languages(client: httpx.Client, indexed_library: Path) -> None:
    for query in ("猫", "cat", "Egyptian cat"):
        found = client.get("/api/search", params={"q": query}).json()
        assert found["photos"] and found["photos"][0]["path"] == str(indexed_library / CAT)
        assert set(found["photos"][0]) >= {"id", "path", "score", "label", "label_zh"}
    snow = client.get("/api/search", params={"q": "snow"}).json()["photos"]
    assert {str(indexed_library / n) for n in ("n09193705_alp.JPEG", "n04228054_ski.JPEG")} <= {
        p["path"] for p in snow
    }
    assert_error(client.get("/api/search", params={"q": " "}), 422, "invalid_request")
    # Nothing to look for (every parameter is optional): every photo, newest first.
    everything = client.get("/api/search", params={"today": "2000-01-01"}).json()
    assert everything["total"] == len(everything["photos"]) > 1
    assert everything["interpretation"] == [] and "instead" not in everything


def test_a_correction_moves_the_photo(client: httpx.Client, indexed_library: Path) -> None:
    pid = photo_id(client, indexed_library, "n07873807_pizza.JPEG")
    fixed = client.post(f"/api/photos/{pid}/labels", json={"action": "set", "wnid": "violin"})
    assert fixed.status_code == 200, fixed.text
    assert [a["id"] for a in fixed.json()["albums"]] == ["music"]
    assert pid in [p["id"] for p in client.get("/api/albums/music").json()["photos"]]
    assert pid not in [p["id"] for p in client.get("/api/albums/food").json()["photos"]]
    bad = client.post(f"/api/photos/{pid}/labels", json={"action": "set", "wnid": "unicorn"})
    assert_error(bad, 422, "invalid_request")
    undo = client.post(f"/api/photos/{pid}/labels", json={"action": "clear", "wnid": "violin"})
    assert [a["id"] for a in undo.json()["albums"]] == ["food"]
    classes = client.get("/api/classes", params={"q": "雏菊"}).json()
    assert classes[0]["wnid"] == "n11939491"


@pytest.mark.parametrize(
    "path",
    [
        "/api/photos/..%2F..%2F..%2Fetc%2Fpasswd/original",
        "/api/photos/1%2F..%2F..%2Fetc%2Fpasswd",
        "/api/photos/%2Fetc%2Fpasswd/thumbnail",
        "/api/photos/-1/original",
        "/api/photos/1e3",
        "/api/photos/99999999/thumbnail",
        "/api/photos/999999999999999999999999/original",
        "/api/albums/..%2F..%2Fetc",
        "/api/albums/no-such-album",
    ],
)
def test_traversal_and_unknown_ids_are_404(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


def test_files_outside_the_roots_and_deleted_photos_are_404(
    client: httpx.Client, library_settings: Settings, tmp_path: Path
) -> None:
    settings = library_settings  # the catalog the client's server serves
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    shutil.copy(SAMPLES / "n11939491_daisy.JPEG", outside / "secret.jpg")
    os.symlink(outside / "secret.jpg", root / "link.jpg")  # a symlink out of the root
    shutil.copy(SAMPLES / "n11939491_daisy.JPEG", root / "daisy.jpg")
    sessions = session_factory(open_engine(settings.library))
    classifier = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    Indexer(classifier, sessions, settings.library).run([root])
    found: dict[str, Any] = {
        p["path"]: p for p in client.get("/api/search", params={"q": "daisy"}).json()["photos"]
    }
    link, daisy = found[str(root / "link.jpg")]["id"], found[str(root / "daisy.jpg")]["id"]
    assert client.get(f"/api/photos/{daisy}/original").status_code == 200
    assert_error(client.get(f"/api/photos/{link}/original"), 404, "not_found")
    (root / "daisy.jpg").unlink()
    Indexer(classifier, sessions, settings.library).run([root])  # marks it missing
    for suffix in ("", "/thumbnail", "/original"):
        assert_error(client.get(f"/api/photos/{daisy}{suffix}"), 404, "not_found")
    assert daisy not in [p["id"] for p in client.get("/api/albums/plants").json()["photos"]]
