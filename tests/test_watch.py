"""Watched folders on a real server: photos copied in, deleted, copied back and renamed get
indexed by themselves, without an import or a restart.

One server for the module, watching one import root (no periodic re-scan, so only the
watcher can find anything), signed in to with tokens. The tests run in order on one root:
200 copied in, then 10 of them deleted and copied back, then one renamed.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from smartalbum.settings import Settings
from tests.helpers import SAMPLES, LiveServer, assert_error, bearer_headers

PASSWORD = "correct horse battery"
BOUND = 30.0  # seconds after the last change by which the library must show it
COPIED = sorted(SAMPLES.glob("n*.JPEG"))[::5]  # 200 photos of 200 classes
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    headers: dict[str, dict[str, str]]  # role -> headers with that role's token
    root: Path  # the watched import root

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers[role], timeout=120)


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("watch")
    root = home / "photos"
    root.mkdir()
    watching = dataclasses.replace(
        settings, library=str(home / "library.db"), host="0.0.0.0", import_roots=str(root),
        upload_root=home / "uploads", watch=True, rescan_minutes=0,
    )  # fmt: skip
    headers = bearer_headers(watching.library, ("admin", "editor", "viewer"), PASSWORD)
    with LiveServer(watching) as url:
        yield Server(url, headers, root)


def within(bound: float, look: Callable[[], T | None]) -> tuple[T, float]:
    """Poll ``look`` until it answers; its answer and the seconds it took, or fail at ``bound``."""
    started = time.monotonic()
    while (answer := look()) is None:
        assert time.monotonic() - started < bound, f"not within {bound} s"
        time.sleep(0.25)
    return answer, time.monotonic() - started


def every_photo(client: httpx.Client) -> dict[str, int]:
    """Path -> id of every photo search finds (a search of every day there is)."""
    found: dict[str, int] = {}
    offset = 0
    while True:
        page = client.get(
            "/api/search",
            params={"from": "1970-01-01", "to": "2100-01-01", "offset": offset, "limit": 500},
        ).json()
        found.update((p["path"], p["id"]) for p in page["photos"])
        offset += 500
        if offset >= page["total"]:
            return found


def trash(client: httpx.Client) -> dict[int, dict[str, Any]]:
    return {p["id"]: p for p in client.get("/api/trash", params={"limit": 500}).json()["photos"]}


def test_photos_copied_in_are_searchable_soon_without_a_restart(server: Server) -> None:
    wanted = {str(server.root / f.name) for f in COPIED}
    with server.client("viewer") as viewer:
        assert every_photo(viewer) == {}
        for sample in COPIED:
            shutil.copy(sample, server.root / sample.name)

        def all_there() -> dict[str, int] | None:
            found = every_photo(viewer)
            return found if wanted <= set(found) else None

        _, seconds = within(BOUND, all_there)
        print(f"200 copied photos searchable {seconds:.1f} s after the last copy")
        cat = viewer.get("/api/search", params={"q": "Egyptian cat"}).json()["photos"]
        assert str(server.root / "n02124075_Egyptian_cat.JPEG") in [p["path"] for p in cat]


def test_deleted_files_go_to_the_trash_and_come_back_with_their_corrections(
    server: Server,
) -> None:
    with server.client("editor") as editor:
        ids = every_photo(editor)
        gone = COPIED[:10]
        gone_ids = {ids[str(server.root / f.name)] for f in gone}
        corrected = ids[str(server.root / gone[0].name)]
        fixed = editor.post(f"/api/photos/{corrected}/labels", json={"action": "set",
                                                                    "wnid": "daisy"})  # fmt: skip
        corrections = fixed.json()["corrections"]
        for sample in gone:
            (server.root / sample.name).unlink()

        def in_trash() -> dict[int, dict[str, Any]] | None:
            found = trash(editor)
            return found if gone_ids <= set(found) else None

        found, _ = within(BOUND, in_trash)
        assert {found[i]["reason"] for i in gone_ids} == {"vanished"}
        assert not gone_ids & set(every_photo(editor).values())

        for sample in gone:
            shutil.copy(sample, server.root / sample.name)

        def back() -> dict[str, int] | None:
            now = every_photo(editor)
            return now if gone_ids <= set(now.values()) else None

        within(BOUND, back)
        assert not gone_ids & set(trash(editor))
        assert editor.get(f"/api/photos/{corrected}").json()["corrections"] == corrections


def test_a_file_renamed_inside_the_root_keeps_its_id(server: Server) -> None:
    with server.client("viewer") as viewer:
        old = server.root / COPIED[20].name
        photo = every_photo(viewer)[str(old)]
        (server.root / "renamed").mkdir()
        new = server.root / "renamed" / "kept.jpeg"
        old.rename(new)

        def moved() -> bool | None:
            return viewer.get(f"/api/photos/{photo}").json().get("path") == str(new) or None

        within(BOUND, moved)
        assert str(old) not in every_photo(viewer)


def test_admins_see_the_scheduled_work_and_what_is_watched(server: Server) -> None:
    with server.client("admin") as admin, server.client("viewer") as viewer:
        assert_error(viewer.get("/api/schedule"), 403, "forbidden")
        shown = admin.get("/api/schedule").json()
        assert shown["watching"] == [str(server.root)]  # no upload yet: no upload root
        tasks = {task["name"]: task for task in shown["tasks"]}
        assert tasks["rescan"]["every_minutes"] is None and tasks["rescan"]["next_run"] is None
        purge = tasks["trash.purge"]
        assert purge["every_minutes"] == 1440
        assert purge["last_run"]["ok"] and purge["next_run"] > time.time()
