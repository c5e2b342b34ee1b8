"""``smartalbum check``: each kind of damage made on purpose is found, and ``--repair`` fixes
it without losing what a person made."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from smartalbum.backup import make_backup, restore_backup
from smartalbum.catalog import TRASH_VANISHED, Correction, Photo, PhotoBlob, open_engine
from smartalbum.integrity import check
from smartalbum.library.marks import set_favourite
from smartalbum.library.service import PhotoLibrary
from smartalbum.settings import Settings
from tests.conftest import Indexed
from tests.helpers import SAMPLES, copy_catalog, teach_a_category

PIZZA = "n07873807_pizza.JPEG"


@pytest.fixture(scope="module")
def backup(settings: Settings, indexed: Indexed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The indexed library with a taught category, backed up once for every test to restore."""
    home = tmp_path_factory.mktemp("checked")
    made = settings.with_overrides(library=str(copy_catalog(indexed.catalog, home / "library.db")))
    teach_a_category(made)
    return Path(make_backup(made, home / "backups")["folder"])


@pytest.fixture
def library(settings: Settings, indexed: Indexed, backup: Path, tmp_path: Path) -> Settings:
    """This test's own library: its own photos folder and catalog, nothing wrong yet."""
    shutil.copytree(indexed.root, tmp_path / "photos")
    own = settings.with_overrides(library=str(tmp_path / "home" / "library.db"))
    restore_backup(own, backup, [(str(indexed.root), str(tmp_path / "photos"))])
    return own


def found(settings: Settings, repair: bool = False) -> dict[str, list[str]]:
    """Each check's problems (repairing first, if asked): name -> problems."""
    library = PhotoLibrary.open(settings)
    try:
        return {f.name: f.problems for f in check(library, settings, repair)}
    finally:
        library.close()


def nothing_wrong(settings: Settings) -> None:
    problems = found(settings)
    assert all(p == [] for p in problems.values()), problems


def photo_of(settings: Settings, name: str) -> Photo:
    engine = open_engine(settings.library)
    try:
        with engine.connect() as connection:
            row = connection.execute(select(Photo).where(Photo.path.endswith(name))).one()
        return row  # type: ignore[return-value]
    finally:
        engine.dispose()


def test_a_sound_library_has_nothing_to_report(library: Settings) -> None:
    problems = found(library)
    assert list(problems) == ["catalog", "missing_files", "unindexed_files", "orphan_rows",
                              "thumbnails", "features"]  # fmt: skip
    nothing_wrong(library)


def test_a_photo_whose_file_is_gone_goes_to_the_trash_with_its_corrections(
    library: Settings, tmp_path: Path
) -> None:
    lib = PhotoLibrary.open(library)
    pizza = photo_of(library, PIZZA).id
    lib.correct(pizza, "set", "n11939491")
    lib.close()
    os.unlink(tmp_path / "photos" / PIZZA)
    assert found(library)["missing_files"] == [str(tmp_path / "photos" / PIZZA)]
    found(library, repair=True)
    row = photo_of(library, PIZZA)
    assert row.trashed_at is not None and row.trash_reason == TRASH_VANISHED
    engine = open_engine(library.library)
    with engine.connect() as connection:  # the person's word is kept for its return
        assert connection.execute(select(Correction).where(Correction.photo_id == pizza)).all()
    engine.dispose()
    nothing_wrong(library)


def test_a_file_without_its_photo_is_indexed(library: Settings, tmp_path: Path) -> None:
    new = tmp_path / "photos" / "n01440764_tench.JPEG"
    shutil.copy(SAMPLES / new.name, new)
    assert found(library)["unindexed_files"] == [str(new)]
    found(library, repair=True)
    assert photo_of(library, new.name).status == "ok"
    nothing_wrong(library)


def test_a_lost_thumbnail_is_made_again(library: Settings) -> None:
    pizza = photo_of(library, PIZZA)
    with sqlite3.connect(library.library) as db:
        db.execute("UPDATE photo_blobs SET thumbnail = NULL WHERE photo_id = ?", (pizza.id,))
    assert found(library)["thumbnails"] == [pizza.path]
    found(library, repair=True)
    engine = open_engine(library.library)
    with engine.connect() as connection:
        made = connection.scalar(select(PhotoBlob.thumbnail).where(PhotoBlob.photo_id == pizza.id))
    engine.dispose()
    assert made is not None and made[:2] == b"\xff\xd8"  # a JPEG
    nothing_wrong(library)


def test_rows_of_a_photo_that_does_not_exist_are_removed_and_no_other(library: Settings) -> None:
    lib = PhotoLibrary.open(library)
    set_favourite(lib.sessions, None, [photo_of(library, PIZZA).id], True, lib.rules)
    lib.close()
    db = sqlite3.connect(library.library)  # foreign keys off: how such rows come about
    db.execute("INSERT INTO favourites (user, photo_id, created_at) VALUES ('', 999, 0)")
    db.execute("INSERT INTO photo_labels (photo_id, rank, class_index, wnid, probability) "
               "VALUES (999, 1, 0, 'n01440764', 0.5)")  # fmt: skip
    db.commit()
    db.close()
    assert found(library)["orphan_rows"] == ["photo_labels: photo 999", "favourites: photo 999"]
    found(library, repair=True)
    nothing_wrong(library)
    with sqlite3.connect(library.library) as db:
        assert db.execute("SELECT count(*) FROM favourites").fetchone() == (1,)


def test_a_feature_row_older_than_its_photo_is_made_again(library: Settings) -> None:
    pizza = photo_of(library, PIZZA)
    with sqlite3.connect(library.library) as db:
        db.execute("UPDATE photos SET indexed_at = indexed_at + 1 WHERE id = ?", (pizza.id,))
    assert found(library)["features"] == [f"photo {pizza.id}"]
    found(library, repair=True)
    nothing_wrong(library)


def test_a_damaged_catalog_is_reported_in_the_readers_language(library: Settings) -> None:
    with sqlite3.connect(library.library) as db:
        # An index whose entries no longer match its definition: a damaged file, as far
        # as SQLite's own check can tell.
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_schema SET sql = replace(sql, '(archived_at)', '(size)') "
                   "WHERE name = 'ix_photos_archived_at'")  # fmt: skip
    env = {**os.environ, "SMARTALBUM_LANG": "zh", "SMARTALBUM_CACHE_DIR": str(library.cache_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "smartalbum", "check", "--library", library.library],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "ix_photos_archived_at" in run.stdout and "目录自身的完整性检查" in run.stdout
    assert "Traceback" not in run.stderr
