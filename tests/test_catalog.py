"""The catalog: a real SQLite file, its schema version and migrations, and library URLs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from smartalbum.catalog import (
    OK,
    AlbumMember,
    Photo,
    PhotoBlob,
    PhotoLabel,
    is_server,
    open_engine,
    session_factory,
    shown,
    sqlite_file,
)
from smartalbum.catalog.database import MIGRATIONS, SCHEMA_VERSION, schema_version
from smartalbum.catalog.schema import Base
from smartalbum.errors import CatalogUnavailableError, ConfigError


def test_new_catalog_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "lib" / "library.db")
    assert schema_version(engine) == SCHEMA_VERSION == len(MIGRATIONS) >= 5
    # Every declared table exists: a model added without a migration step fails here.
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    reopened = open_engine(tmp_path / "lib" / "library.db")  # runs no step twice
    assert schema_version(reopened) == SCHEMA_VERSION


# The catalog as version 1 (the first release) left it, to migrate forward from.
V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER);
INSERT INTO schema_version VALUES (1);
CREATE TABLE photos (
    id INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime FLOAT NOT NULL,
    sha256 VARCHAR(64), status VARCHAR(16) NOT NULL, error TEXT, width INTEGER, height INTEGER,
    format VARCHAR(16), taken_at VARCHAR(32), camera_make VARCHAR(64), camera_model VARCHAR(64),
    gps_lat FLOAT, gps_lon FLOAT, orientation INTEGER, thumbnail BLOB, model VARCHAR(64),
    engine VARCHAR(32), embedding BLOB, dhash VARCHAR(16), indexed_at FLOAT NOT NULL,
    PRIMARY KEY (id), UNIQUE (path)
);
CREATE TABLE photo_labels (
    photo_id INTEGER NOT NULL, rank INTEGER NOT NULL, class_index INTEGER NOT NULL,
    wnid VARCHAR(16) NOT NULL, probability FLOAT NOT NULL, PRIMARY KEY (photo_id, rank),
    FOREIGN KEY(photo_id) REFERENCES photos (id) ON DELETE CASCADE
);
INSERT INTO photos (id, path, size, mtime, status, indexed_at, thumbnail, embedding)
    VALUES (7, '/p/a.jpg', 1, 2, 'ok', 3, x'ffd8ff', x'0000803f');
INSERT INTO photo_labels VALUES (7, 1, 285, 'n02124075', 0.5);
"""


def test_a_version_1_catalog_is_migrated_and_keeps_its_photos(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
    sessions = session_factory(open_engine(path))
    with sessions() as s:
        photo = s.get(Photo, 7)
        assert photo is not None and photo.path == "/p/a.jpg"
        assert photo.albums_digest is None and photo.gps_alt is None
        assert [p.class_index for p in photo.predictions] == [285]
        assert s.scalars(select(AlbumMember)).all() == []
        blob = s.get(PhotoBlob, 7)  # moved out of the row
        assert blob is not None and (blob.thumbnail, blob.embedding) == (
            b"\xff\xd8\xff",
            b"\0\0\x80?",
        )
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(photos)")}
    assert {"place", "albums_digest", "archived_at"} <= columns
    assert not {"thumbnail", "embedding"} & columns
    assert schema_version(sessions.kw["bind"]) == SCHEMA_VERSION


def test_a_newer_catalog_is_refused(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "library.db")
    with engine.begin() as c:
        c.execute(text("UPDATE schema_version SET version = 99"))
    with pytest.raises(ConfigError, match="newer than this smartalbum"):
        open_engine(tmp_path / "library.db")


def test_photos_and_labels_round_trip(tmp_path: Path) -> None:
    sessions = session_factory(open_engine(tmp_path / "library.db"))
    with sessions.begin() as s:
        photo = Photo(path="/p/a.jpg", size=1, mtime=2.0, status=OK, indexed_at=3.0)
        photo.predictions.append(
            PhotoLabel(rank=1, class_index=285, wnid="n02124075", probability=0.5)
        )
        s.add(photo)
    with sessions() as s:
        cats = s.scalars(select(Photo).join(PhotoLabel).where(PhotoLabel.class_index == 285)).all()
        assert [p.path for p in cats] == ["/p/a.jpg"]
        assert cats[0].predictions[0].wnid == "n02124075"


def test_paths_are_unique(tmp_path: Path) -> None:
    from sqlalchemy.exc import IntegrityError

    sessions = session_factory(open_engine(tmp_path / "library.db"))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        for _ in range(2):
            s.add(Photo(path="/p/a.jpg", size=1, mtime=2.0, status=OK, indexed_at=3.0))
            s.flush()


@pytest.mark.parametrize(
    ("library", "file", "shown_as"),
    [
        ("~/photos/library.db", Path.home() / "photos/library.db", None),
        ("sqlite:////srv/library.db", Path("/srv/library.db"), "/srv/library.db"),
        ("sqlite:///~/library.db", Path.home() / "library.db", None),
        ("sqlite://", None, "sqlite://"),
        ("postgresql://ann:s3cret@db.example/photos", None,
         "postgresql+psycopg://ann:***@db.example/photos"),
    ],
)  # fmt: skip
def test_a_library_is_a_sqlite_file_or_a_database_url(
    library: str, file: Path | None, shown_as: str | None
) -> None:
    assert sqlite_file(library) == file
    assert shown(library) == (shown_as or str(file))
    assert is_server(library) == library.startswith("postgresql")


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(CatalogUnavailableError, match="cannot open the catalog") as raised:
        open_engine("postgresql+psycopg://ann:s3cret@127.0.0.1:1/photos")
    assert "s3cret" not in raised.value.message and "Connection refused" in raised.value.message
