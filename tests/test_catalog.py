"""The catalog: a real SQLite file, its schema version and forward migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from smartalbum.catalog import OK, Photo, PhotoLabel, open_engine, session_factory
from smartalbum.catalog.database import SCHEMA_VERSION, schema_version
from smartalbum.errors import ConfigError


def test_new_catalog_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "lib" / "library.db")
    assert schema_version(engine) == SCHEMA_VERSION == 1
    with engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    reopened = open_engine(tmp_path / "lib" / "library.db")  # runs no step twice
    assert schema_version(reopened) == SCHEMA_VERSION


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
