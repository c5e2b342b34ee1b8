"""The trash over real HTTP: delete, restore and purge by role, on a real catalog and real files.

One server for the module (listening beyond loopback, so everyone signs in), on a copy of
the indexed catalog; its photos' folder is shared with other tests and must never change.
Each test uses photos of its own.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.settings import Settings
from tests.conftest import Indexed
from tests.helpers import CAT, LiveServer, assert_error, bearer_headers, copy_catalog

PASSWORD = "correct horse battery"


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    settings: Settings
    headers: dict[str, dict[str, str]]  # role -> headers with that role's token
    extra: Path  # an import root of this module's own photos
    uploads: Path  # the upload root

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers[role], timeout=120)


@pytest.fixture(scope="module")
def server(
    settings: Settings, indexed: Indexed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("trash")
    catalog = copy_catalog(indexed.catalog, home / "library.db")
    extra, uploads = home / "extra", home / "uploads"
    extra.mkdir()
    uploads.mkdir()
    roots = f"{indexed.root}:{extra}:{uploads}"
    mine = settings.with_overrides(library=str(catalog))
    mine = dataclasses.replace(mine, host="0.0.0.0", import_roots=roots, upload_root=uploads)
    headers = bearer_headers(mine.library, ("admin", "editor", "viewer"), PASSWORD)
    with LiveServer(mine) as url:
        yield Server(url, mine, headers, extra, uploads)


def photo_id(client: httpx.Client, name: str) -> int:
    """The id of the live photo whose file is called ``name``."""
    for album in client.get("/api/albums").json()["albums"]:
        for photo in client.get(f"/api/albums/{album['id']}", params={"limit": 500}).json()[
            "photos"
        ]:
            if Path(photo["path"]).name == name:
                return int(photo["id"])
    raise AssertionError(f"{name} is in no album")


def seen_anywhere(client: httpx.Client, photo: int, query: str) -> dict[str, bool]:
    """Where a photo shows: its page, albums, search, moments, duplicates."""
    albums = client.get("/api/albums").json()["albums"]
    in_albums = any(
        p["id"] == photo
        for a in albums
        for p in client.get(f"/api/albums/{a['id']}", params={"limit": 500}).json()["photos"]
    )
    found = client.get("/api/search", params={"q": query}).json()["photos"]
    moments = client.get("/api/moments", params={"limit": 500}).json()["moments"]
    in_moments = any(
        p["id"] == photo
        for m in moments
        for p in client.get(f"/api/moments/{m['id']}", params={"limit": 500}).json()["photos"]
    )
    return {
        "page": client.get(f"/api/photos/{photo}").status_code == 200,
        "thumbnail": client.get(f"/api/photos/{photo}/thumbnail").status_code == 200,
        "albums": in_albums,
        "search": any(p["id"] == photo for p in found),
        "moments": in_moments,
    }


def wait_for_job(client: httpx.Client, folder: Path) -> dict[str, Any]:
    """Import a folder through the API (admin) and wait for the job's end."""
    job = client.post("/api/index", json={"folders": [str(folder)]}).json()
    for _ in range(1200):
        job = client.get(f"/api/jobs/{job['id']}").json()
        if job["status"] not in ("queued", "running"):
            assert job["status"] == "done", job
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"the import did not finish: {job}")


def activity(server: Server) -> list[dict[str, Any]]:
    with server.client("admin") as admin:
        return admin.get("/api/activity").json()["activity"]  # type: ignore[no-any-return]


def test_a_deleted_photo_is_out_of_sight_and_comes_back_whole(server: Server) -> None:
    with server.client("editor") as editor:
        cat = photo_id(editor, CAT)
        fixed = editor.post(f"/api/photos/{cat}/labels", json={"action": "confirm",
                                                              "wnid": "tabby"})  # fmt: skip
        assert fixed.status_code == 200, fixed.text
        before = editor.get(f"/api/photos/{cat}").json()
        link = editor.post("/api/albums/pets/shares", json={}).json()
        shared = f"/api/shared/{link['token']}"
        assert cat in [p["id"] for p in httpx.get(server.url + shared).json()["photos"]]
        assert all(seen_anywhere(editor, cat, "cat").values())

        done = editor.post("/api/trash", json={"ids": [cat]})
        assert done.json() == {"trashed": [cat], "already": []}
        assert not any(seen_anywhere(editor, cat, "cat").values())
        assert cat not in [p["id"] for p in httpx.get(server.url + shared).json()["photos"]]
        assert httpx.get(f"{server.url}{shared}/photos/{cat}/thumbnail").status_code == 404
        listed = editor.get("/api/trash").json()
        entry = next(p for p in listed["photos"] if p["id"] == cat)
        assert (entry["reason"], entry["by"], entry["days_left"]) == ("deleted", "editor", 30)
        assert editor.get(f"/api/trash/{cat}/thumbnail").headers["content-type"] == "image/jpeg"
        assert Path(before["path"]).is_file()  # not smartalbum's file: never touched
        again = editor.post("/api/trash", json={"ids": [cat]}).json()
        assert again == {"trashed": [], "already": [cat]}

        assert editor.post("/api/trash/restore", json={"ids": [cat]}).json() == {"restored": [cat]}
        after = editor.get(f"/api/photos/{cat}").json()
        assert after["corrections"] == before["corrections"]
        assert after["albums"] == before["albums"] and after["labels"] == before["labels"]
        assert all(seen_anywhere(editor, cat, "cat").values())
        assert cat in [p["id"] for p in httpx.get(server.url + shared).json()["photos"]]
    logged = [(a["action"], a["user"], a["subject"]) for a in activity(server)[:2]]
    assert logged == [("trash.restore", "editor", f"photos {cat}"),
                      ("trash.delete", "editor", f"photos {cat}")]  # fmt: skip


def test_viewers_may_not_touch_the_trash_and_editors_may_not_purge(server: Server) -> None:
    with server.client("viewer") as viewer, server.client("editor") as editor:
        violin = photo_id(viewer, "n04536866_violin.JPEG")
        for method, path in (("POST", "/api/trash"), ("POST", "/api/trash/restore"),
                             ("POST", "/api/trash/purge"), ("GET", "/api/trash"),
                             ("GET", f"/api/trash/{violin}/thumbnail")):  # fmt: skip
            body = {"ids": [violin]} if method == "POST" else None
            assert_error(viewer.request(method, path, json=body), 403, "forbidden")
        assert_error(editor.post("/api/trash/purge", json={"ids": [violin]}), 403, "forbidden")
        assert viewer.get(f"/api/photos/{violin}").status_code == 200  # nothing happened
        assert_error(editor.post("/api/trash", json={"ids": [10**9]}), 404, "not_found")
        assert_error(editor.post("/api/trash/restore", json={"ids": [violin]}), 404, "not_found")
        assert_error(editor.post("/api/trash", json={"ids": []}), 422, "invalid_request")


def uploaded(server: Server, name: str, samples: Path) -> tuple[int, Path]:
    """A sample put in the upload root and indexed, marked as uploaded by the editor."""
    folder = server.uploads / "editor" / "2025" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copy(samples / name, path)
    with server.client("admin") as admin:
        wait_for_job(admin, folder)
    engine = open_engine(server.settings.library)
    try:
        with session_factory(engine).begin() as session:
            found = session.scalar(select(Photo.id).where(Photo.path == str(path)))
            assert found is not None
            session.execute(update(Photo).where(Photo.id == found).values(uploaded_by="editor"))
    finally:
        engine.dispose()
    return found, path


def test_an_uploaded_file_waits_in_the_trash_folder_and_the_purge_removes_it(
    server: Server, samples: Path
) -> None:
    photo, path = uploaded(server, "n01530575_brambling.JPEG", samples)
    waiting = server.uploads / ".trash" / str(photo) / "editor" / "2025" / "01" / path.name
    with server.client("editor") as editor, server.client("admin") as admin:
        editor.post("/api/trash", json={"ids": [photo]}).raise_for_status()
        assert not path.exists() and waiting.is_file()
        entry = next(p for p in editor.get("/api/trash").json()["photos"] if p["id"] == photo)
        assert entry["path"] == str(path) and entry["uploaded"]
        wait_for_job(admin, server.uploads)  # a re-scan neither loses it nor finds it vanished
        entry = next(p for p in editor.get("/api/trash").json()["photos"] if p["id"] == photo)
        assert entry["reason"] == "deleted"

        editor.post("/api/trash/restore", json={"ids": [photo]}).raise_for_status()
        assert path.is_file() and not waiting.exists()
        assert editor.get(f"/api/photos/{photo}").json()["path"] == str(path)

        editor.post("/api/trash", json={"ids": [photo]}).raise_for_status()
        assert admin.post("/api/trash/purge", json={"ids": [photo]}).json() == {"purged": [photo]}
        assert not waiting.exists() and not (server.uploads / ".trash" / str(photo)).exists()
        assert not path.exists()
        assert photo not in [p["id"] for p in editor.get("/api/trash").json()["photos"]]
        assert_error(editor.get(f"/api/photos/{photo}"), 404, "not_found")
    assert (activity(server)[0]["action"], activity(server)[0]["user"]) == ("trash.purge", "admin")


def test_a_file_smartalbum_did_not_write_stays_on_disk_and_out_after_the_purge(
    server: Server, samples: Path
) -> None:
    name = "n01531178_goldfinch.JPEG"
    shutil.copy(samples / name, server.extra / name)
    with server.client("editor") as editor, server.client("admin") as admin:
        wait_for_job(admin, server.extra)
        photo = next(p["id"] for p in editor.get("/api/search", params={"q": "goldfinch"}).json()[
            "photos"] if Path(p["path"]).name == name)  # fmt: skip
        editor.post("/api/trash", json={"ids": [photo]}).raise_for_status()
        admin.post("/api/trash/purge", json={"ids": [photo]}).raise_for_status()
        assert (server.extra / name).is_file()
        os.utime(server.extra / name, (time.time(), time.time() + 60))  # changed, even
        wait_for_job(admin, server.extra)  # the file is still there: it must not come back
        assert_error(editor.get(f"/api/photos/{photo}"), 404, "not_found")
        assert photo not in [p["id"] for p in editor.get("/api/trash").json()["photos"]]
        found = editor.get("/api/search", params={"q": "goldfinch"}).json()["photos"]
        assert name not in [Path(p["path"]).name for p in found]


def test_a_vanished_file_waits_in_the_trash_and_comes_back_with_its_corrections(
    server: Server, samples: Path
) -> None:
    name = "n01532829_house_finch.JPEG"
    shutil.copy(samples / name, server.extra / name)
    with server.client("editor") as editor, server.client("admin") as admin:
        wait_for_job(admin, server.extra)
        photo = next(p["id"] for p in editor.get("/api/search", params={"q": "house finch"}).json()[
            "photos"] if Path(p["path"]).name == name)  # fmt: skip
        fixed = editor.post(f"/api/photos/{photo}/labels", json={"action": "set", "wnid": "robin"})
        corrections = fixed.json()["corrections"]
        (server.extra / name).unlink()
        wait_for_job(admin, server.extra)
        entry = next(p for p in editor.get("/api/trash").json()["photos"] if p["id"] == photo)
        assert (entry["reason"], entry["by"]) == ("vanished", None)
        assert_error(editor.post("/api/trash/restore", json={"ids": [photo]}), 409,
                     "trash_conflict")  # fmt: skip
        shutil.copy(samples / name, server.extra / name)
        wait_for_job(admin, server.extra)
        assert editor.get(f"/api/photos/{photo}").json()["corrections"] == corrections
        assert photo not in [p["id"] for p in editor.get("/api/trash").json()["photos"]]
    actions = [a["action"] for a in activity(server)]
    assert actions.index("trash.returned") < actions.index("trash.vanished")


def test_the_purge_of_the_expired_takes_only_what_waited_its_days(server: Server) -> None:
    with server.client("editor") as editor, server.client("admin") as admin:
        pizza = photo_id(editor, "n07873807_pizza.JPEG")
        daisy = photo_id(editor, "n11939491_daisy.JPEG")
        editor.post("/api/trash", json={"ids": [pizza, daisy]}).raise_for_status()
        engine = open_engine(server.settings.library)
        try:
            with session_factory(engine).begin() as session:
                long_ago = time.time() - 31 * 86400
                session.execute(update(Photo).where(Photo.id == pizza).values(trashed_at=long_ago))
        finally:
            engine.dispose()
        assert editor.get("/api/trash").json()["photos"][-1]["days_left"] == 0
        assert_error(admin.post("/api/trash/purge", json={"ids": [pizza], "expired": True}),
                     422, "invalid_request")  # fmt: skip
        assert admin.post("/api/trash/purge", json={"expired": True}).json()["purged"] == 1
        assert list(trash_ids(editor)) == [daisy]
        editor.post("/api/trash/restore", json={"ids": [daisy]}).raise_for_status()
    assert activity(server)[1]["subject"] == f"photos {pizza}"


def trash_ids(client: httpx.Client) -> list[int]:
    return [p["id"] for p in client.get("/api/trash").json()["photos"]]


def test_a_file_moved_between_folders_scanned_apart_keeps_its_id(
    server: Server, samples: Path
) -> None:
    name = "n01537544_indigo_bunting.JPEG"
    first, second = server.extra / "a", server.extra / "b"
    first.mkdir()
    second.mkdir()
    shutil.copy(samples / name, first / name)
    with server.client("editor") as editor, server.client("admin") as admin:
        wait_for_job(admin, first)
        photo = next(p["id"] for p in editor.get("/api/search", params={"q": "indigo bunting"})
                     .json()["photos"] if Path(p["path"]).name == name)  # fmt: skip
        (first / name).rename(second / name)
        wait_for_job(admin, first)  # the file vanished from here...
        assert photo in trash_ids(editor)
        wait_for_job(admin, second)  # ...and turns up there: the same photo, out of the trash
        assert editor.get(f"/api/photos/{photo}").json()["path"] == str(second / name)
        assert photo not in trash_ids(editor)
