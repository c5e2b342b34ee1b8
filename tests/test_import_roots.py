"""Web imports only from the configured roots, checked on real paths, through real HTTP."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, LiveServer, assert_error

DAISY = "n11939491_daisy.JPEG"
ALP = "n09193705_alp.JPEG"


@dataclasses.dataclass(frozen=True)
class Tree:
    """A root with two photos and a subfolder, and links from it to photos outside."""

    root: Path
    outside: Path
    library: Path


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    root, outside = tmp_path / "photos", tmp_path / "private"
    (root / "trip").mkdir(parents=True)
    outside.mkdir()
    (root / "cat.jpg").write_bytes((SAMPLES / CAT).read_bytes())
    (root / "trip" / "daisy.jpg").write_bytes((SAMPLES / DAISY).read_bytes())
    (outside / "alp.jpg").write_bytes((SAMPLES / ALP).read_bytes())
    (outside / "cat.jpg").write_bytes((SAMPLES / CAT).read_bytes())
    os.symlink(outside, root / "escape")  # a folder link out of the root
    os.symlink(outside / "alp.jpg", root / "alp.jpg")  # a file link out of the root
    return Tree(root, outside, tmp_path / "library.db")


@pytest.fixture
def client(tree: Tree, settings: Settings) -> Iterator[httpx.Client]:
    own = dataclasses.replace(settings, library=str(tree.library), import_roots=str(tree.root))
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def finished(client: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(600):
        job = client.get(f"/api/jobs/{job['id']}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the import did not finish: {job}")


def catalogued(library: Path) -> list[str]:
    if not library.exists():
        return []
    with session_factory(open_engine(library))() as session:
        return sorted(session.scalars(select(Photo.path)))


def test_folders_outside_the_roots_are_refused_and_walk_nothing(
    tree: Tree, client: httpx.Client
) -> None:
    for folder in ("/", "/etc", str(tree.root / "escape"), f"{tree.root}/../..", "~"):
        response = client.post("/api/index", json={"folders": [folder]})
        assert_error(response, 403, "outside_import_roots")
    # One bad folder among good ones: the whole request is refused.
    both = {"folders": [str(tree.root), str(tree.outside)]}
    assert_error(client.post("/api/index", json=both), 403, "outside_import_roots")
    assert catalogued(tree.library) == []
    chinese = client.post(
        "/api/index", json={"folders": ["/etc"]}, headers={"Accept-Language": "zh-CN"}
    )
    assert chinese.status_code == 403 and "导入" in chinese.json()["error"]["message"]


def test_an_import_of_a_root_follows_no_link_out_of_it(tree: Tree, client: httpx.Client) -> None:
    job = finished(client, client.post("/api/index", json={"folders": [str(tree.root)]}).json())
    assert job["status"] == "done", job
    assert job["report"]["added"] == 2
    assert catalogued(tree.library) == [
        str(tree.root / "cat.jpg"),
        str(tree.root / "trip/daisy.jpg"),
    ]
    skipped = "\n".join(job["report"]["warnings"])
    assert "escape: leads outside the import roots" in skipped
    assert "alp.jpg: leads outside the import roots" in skipped


def test_the_picker_lists_the_roots_and_their_subfolders(tree: Tree, client: httpx.Client) -> None:
    roots = client.get("/api/folders").json()
    assert roots["configured"] is True
    assert [f["path"] for f in roots["folders"]] == [os.path.realpath(tree.root)]
    inside = client.get("/api/folders", params={"path": str(tree.root)}).json()
    assert [f["name"] for f in inside["folders"]] == ["trip"]  # not the link out ("escape")
    assert_error(client.get("/api/folders", params={"path": "/etc"}), 403, "outside_import_roots")


def test_a_server_beyond_this_machine_imports_nothing_without_roots(
    tree: Tree, settings: Settings
) -> None:
    # Configured as if listening on every address (the test server still binds 127.0.0.1),
    # so everyone signs in: here an admin, with a token.
    accounts = Accounts(session_factory(open_engine(tree.library)))
    accounts.add("admin", "admin", "a long enough password")
    token = accounts.create_token("admin", read_only=False, lifetime=None)
    public = dataclasses.replace(settings, library=str(tree.library), host="0.0.0.0")
    with (
        LiveServer(public) as url,
        httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c,
    ):
        refused = c.post("/api/index", json={"folders": [str(tree.root)]})
        assert_error(refused, 403, "outside_import_roots")
        assert "SMARTALBUM_IMPORT_ROOTS" in refused.json()["error"]["message"]
        assert c.get("/api/folders").json()["folders"] == []  # no roots: nothing to offer
    assert catalogued(tree.library) == []


def test_an_import_root_that_is_no_folder_is_refused_at_start_up(tmp_path: Path) -> None:
    from smartalbum.errors import ConfigError

    with pytest.raises(ConfigError, match="import_roots: .*missing is not a folder"):
        Settings.from_env({"SMARTALBUM_IMPORT_ROOTS": f"{tmp_path}:{tmp_path / 'missing'}"})
    both = Settings.from_env({"SMARTALBUM_IMPORT_ROOTS": f"{tmp_path}:{tmp_path}"})
    assert both.import_root_paths() == [tmp_path, tmp_path]
