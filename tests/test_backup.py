"""Backup and restore: a running server's library backed up, restored into a fresh home, and
served again answers every GET route as the original did; an older catalog restores; a
damaged backup and a full home are refused, naming the file and the reason."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartalbum.backup import listing, make_backup, prune, read_manifest, restore_backup
from smartalbum.backup.manifest import write_manifest
from smartalbum.catalog import Photo, Root, live, open_engine, session_factory
from smartalbum.catalog.database import MIGRATIONS, schema_version
from smartalbum.errors import ConfigError
from smartalbum.library.marks import set_favourite
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.shares import ShareLinks
from smartalbum.library.user_albums import UserAlbums
from smartalbum.settings import Settings
from tests.conftest import Indexed
from tests.helpers import (
    LiveServer,
    assert_error,
    bearer_headers,
    copy_catalog,
    get_every_route,
    import_job,
    library_answers,
    teach_a_category,
)

PIZZA = "n07873807_pizza.JPEG"


def smartalbum(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "smartalbum", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="module")
def original(
    settings: Settings, indexed: Indexed, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, str]:
    """A home whose library has a correction, a taught category, a person's album, a
    favourite and a share link; (its settings, the share link's token)."""
    home = tmp_path_factory.mktemp("home-a")
    made = settings.with_overrides(library=str(copy_catalog(indexed.catalog, home / "library.db")))
    teach_a_category(made)
    library = PhotoLibrary.open(made)
    try:
        with library.sessions() as session:
            ids = list(session.scalars(select(Photo.id).where(live()).order_by(Photo.id)))
            pizza = session.scalar(select(Photo.id).where(Photo.path.endswith(PIZZA)))
        assert pizza is not None
        library.correct(pizza, "set", "n11939491")  # the pizza is a daisy too, says a person
        UserAlbums(library.sessions).create("Mine", "我的", None, ids[:3])
        set_favourite(library.sessions, None, ids[1:2], True, library.rules)
        link = ShareLinks(library.sessions).create("album", "pets", by=None, allow_download=True)
    finally:
        library.close()
    return made, str(link["token"])


def every_answer(settings: Settings, token: str) -> dict[str, Any]:
    """Each GET route's status and JSON from a server on ``settings``' library (but the
    server's own state)."""
    with LiveServer(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        return library_answers(client, "no-job", token)  # an import would be logged


def test_a_running_servers_backup_restores_to_the_same_answers(
    original: tuple[Settings, str], tmp_path: Path
) -> None:
    made, token = original
    (tmp_path / "empty").mkdir()
    with LiveServer(made) as url, httpx.Client(base_url=url, timeout=60) as client:
        job = import_job(client, tmp_path / "empty")
        before = library_answers(client, job, token)
        backup = smartalbum(
            "backup", str(tmp_path / "backups"), "--library", made.library, "--json"
        )
        assert backup.returncode == 0, backup.stderr
        get_every_route(client, job, token)  # the server still answers meanwhile
    folder = Path(json.loads(backup.stdout)["folder"])
    restored = smartalbum("restore", str(folder), "--library", str(tmp_path / "b" / "library.db"))
    assert restored.returncode == 0, restored.stderr
    after = every_answer(made.with_overrides(library=str(tmp_path / "b" / "library.db")), token)
    assert len(before) >= 20
    assert any("/api/shared/" in k for k in before) and any("/api/categories/" in k for k in before)
    assert any("/api/user-albums/" in k for k in before)
    differing = sorted(k for k in before if before[k] != after.get(k))
    assert differing == [], {k: (before[k], after.get(k)) for k in differing[:3]}


def test_the_manifest_lists_every_file_with_its_checksum(
    original: tuple[Settings, str], tmp_path: Path
) -> None:
    made, _ = original
    backup = make_backup(made, tmp_path, thumbnails=False)
    folder = Path(backup["folder"])
    manifest = read_manifest(folder)
    assert manifest["schema_version"] == len(MIGRATIONS) and manifest["backend"] == "sqlite"
    names = {f["path"] for f in manifest["files"]}
    assert "catalog.sqlite" in names
    assert any(n.startswith("features/efficientnet_lite0/basis") for n in names), names
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk - names == {"manifest.json"}
    with sqlite3.connect(folder / "catalog.sqlite") as copy:
        assert copy.execute(
            "SELECT count(*) FROM photo_blobs WHERE thumbnail IS NOT NULL"
        ).fetchone() == (0,)
        assert copy.execute("SELECT count(*) FROM categories").fetchone() == (1,)


def test_a_damaged_backup_is_refused_before_anything_is_written(
    original: tuple[Settings, str], tmp_path: Path
) -> None:
    made, _ = original
    folder = Path(make_backup(made, tmp_path / "backups")["folder"])
    basis = next((folder / "features").rglob("basis.npz"))
    basis.write_bytes(basis.read_bytes()[:-1] + b"x")
    target = made.with_overrides(library=str(tmp_path / "b" / "library.db"))
    with pytest.raises(ConfigError, match="basis.npz: the backup is damaged"):
        restore_backup(target, folder)
    assert not (tmp_path / "b" / "library.db").exists()


def test_a_home_with_a_library_is_refused(original: tuple[Settings, str], tmp_path: Path) -> None:
    made, _ = original
    folder = Path(make_backup(made, tmp_path / "backups")["folder"])
    with pytest.raises(ConfigError, match="a library is already there"):
        restore_backup(made, folder)
    cli = smartalbum("restore", str(folder), "--library", made.library)
    assert cli.returncode == 2 and "a library is already there" in cli.stderr
    assert "Traceback" not in cli.stderr


def test_a_path_map_moves_the_photos_to_another_machine(
    original: tuple[Settings, str], indexed: Indexed, tmp_path: Path
) -> None:
    made, _ = original
    folder = Path(make_backup(made, tmp_path / "backups")["folder"])
    moved = tmp_path / "elsewhere" / "photos"
    moved.mkdir(parents=True)
    for photo in indexed.root.iterdir():
        (moved / photo.name).write_bytes(photo.read_bytes())
    target = made.with_overrides(library=str(tmp_path / "b" / "library.db"))
    done = restore_backup(target, folder, [(str(indexed.root), str(moved))])
    assert done["paths_moved"] >= len(list(moved.iterdir())) + 1  # the photos and their root
    engine = open_engine(target.library)
    with session_factory(engine)() as session:
        paths = list(session.scalars(select(Photo.path)))
        roots = list(session.scalars(select(Root.path)))
    engine.dispose()
    assert str(moved) in roots and str(indexed.root) not in roots
    assert paths and all(Path(p).parent == moved and Path(p).is_file() for p in paths)
    library = PhotoLibrary.open(target)
    try:
        assert library.original(library.find(paths[0]))[0] == Path(paths[0])
    finally:
        library.close()


# What the migrations from _user_albums_favourites_archive on added, to take out of a
# catalog to make it one that an older smartalbum (before people's albums) wrote.
LATER_TABLES = ("favourites", "user_album_photos", "user_albums", "face_scans",
                "face_rejections", "faces", "people", "catalog_changes")  # fmt: skip
LATER_COLUMNS = {"photos": ("archived_at", "xmp_keywords", "xmp_rating", "xmp_title"),
                 "share_links": ("allow_download",)}  # fmt: skip


def make_older(catalog: Path, version: int) -> None:
    """Turn a catalog into one at schema ``version`` (before people's albums), in place."""
    with sqlite3.connect(catalog) as db:
        # The change count's triggers (catalog/changes.py), which name columns it lacks.
        counted = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%counted'"
        for (trigger,) in db.execute(counted).fetchall():
            db.execute(f"DROP TRIGGER {trigger}")
        # The indexes on columns it lacks (month_day_index's and map_index's hold archived_at).
        for index in ("ix_photos_archived_at", "ix_photos_month_day", "ix_photos_map"):
            db.execute(f"DROP INDEX {index}")
        for table in LATER_TABLES:
            db.execute(f"DROP TABLE {table}")
        for table, columns in LATER_COLUMNS.items():
            for column in columns:
                db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("UPDATE schema_version SET version = ?", (version,))


def counts(library: str) -> dict[str, int]:
    """Rows of what a person made or the model found, per table."""
    with sqlite3.connect(library) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("photos", "photo_labels", "corrections", "categories",
                              "category_examples", "share_links", "album_members")}  # fmt: skip


def test_an_older_versions_backup_restores_into_this_one(
    original: tuple[Settings, str], tmp_path: Path
) -> None:
    made, _ = original
    names = [step.__name__ for step in MIGRATIONS]
    version = names.index("_user_albums_favourites_archive")
    folder = Path(make_backup(made, tmp_path / "backups")["folder"])
    make_older(folder / "catalog.sqlite", version)
    manifest = read_manifest(folder)
    write_manifest(folder, {**manifest, "smartalbum": "0.0.9", "schema_version": version})
    target = made.with_overrides(library=str(tmp_path / "b" / "library.db"))
    done = restore_backup(target, folder)
    assert (done["from_schema"], done["schema_version"]) == (version, len(MIGRATIONS))
    assert counts(target.library) == counts(made.library)
    engine = open_engine(target.library)
    assert schema_version(engine) == len(MIGRATIONS)
    engine.dispose()
    albums = UserAlbums(session_factory(open_engine(target.library)))
    assert albums.create("New", "新", None, [1])["id"] == 1  # the new tables work


def test_the_kept_backups_are_the_newest(original: tuple[Settings, str], tmp_path: Path) -> None:
    made, _ = original
    names = [Path(make_backup(made, tmp_path)["folder"]).name for _ in range(3)]
    (tmp_path / "smartalbum-19990101-000000.partial").mkdir()  # an interrupted one
    assert [b["name"] for b in listing(tmp_path)] == names[::-1]
    assert prune(tmp_path, 2) == [names[0]]
    assert [b["name"] for b in listing(tmp_path)] == names[:0:-1]


def test_the_server_backs_up_by_itself_and_admins_back_up_now(
    original: tuple[Settings, str], tmp_path: Path
) -> None:
    made, _ = original
    served = copy_catalog(Path(made.library), tmp_path / "library.db")
    headers = bearer_headers(str(served), ["admin", "editor", "viewer"], "a long password 1")
    every_day = made.with_overrides(
        library=str(served), backup_hours=24, backup_keep=2, backup_dir=tmp_path / "kept"
    )
    with LiveServer(every_day) as url, httpx.Client(base_url=url, timeout=120) as client:
        for role in ("editor", "viewer"):
            assert_error(client.get("/api/backups", headers=headers[role]), 403, "forbidden")
            assert_error(client.post("/api/backups", headers=headers[role]), 403, "forbidden")
        assert_error(client.get("/api/backups"), 401, "unauthorized")
        admin = headers["admin"]
        for _ in range(300):  # the scheduler's first look, 2 s after the start
            shown = client.get("/api/backups", headers=admin).json()
            if shown["last_run"] is not None:
                break
            time.sleep(0.1)
        assert shown["last_run"]["ok"], shown
        assert (shown["every_hours"], shown["keep"], len(shown["backups"])) == (24, 2, 1)
        names = [shown["backups"][0]["name"]]
        for _ in range(2):
            now = client.post("/api/backups", headers=admin)
            assert now.status_code == 201, now.text
            names.append(Path(now.json()["folder"]).name)
        assert now.json()["dropped"] == [names[0]]  # two kept: the oldest went
        listed = client.get("/api/backups", headers=admin).json()["backups"]
        assert [b["name"] for b in listed] == names[:0:-1]
        assert read_manifest(tmp_path / "kept" / names[-1])["backend"] == "sqlite"
        page = client.get("/backups", headers=admin)
        assert page.status_code == 200 and "/static/backups.js" in page.text
