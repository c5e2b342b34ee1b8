"""Opening the catalog: the one place that knows SQLite specifics, and the schema migrations.

Migrations are a list of forward steps; ``schema_version`` records how many ran.
Later versions append steps, never edit old ones. The declarative tables always hold
the newest columns, so a step that adds a column checks for it first: a new catalog
gets it from the step that creates its table.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog.schema import (
    AlbumMember,
    Base,
    Correction,
    Photo,
    PhotoBlob,
    PhotoLabel,
    Root,
    State,
    table,
)
from smartalbum.errors import ConfigError

Step = Callable[[Any], None]


def _tables(*models: type[Base]) -> list[Table]:
    return [table(model) for model in models]


def _v1_create_tables(connection: Any) -> None:
    Base.metadata.create_all(connection, tables=_tables(Photo, PhotoLabel))


def _v2_albums_corrections_metadata_blobs(connection: Any) -> None:
    columns = {c["name"] for c in inspect(connection).get_columns("photos")}
    for name, kind in (
        ("gps_alt", "FLOAT"),
        ("taken_at_offset", "VARCHAR(8)"),
        ("time_source", "VARCHAR(16)"),
        ("warnings", "TEXT"),
        ("place", "TEXT"),
        ("albums_digest", "VARCHAR(16)"),
    ):
        if name not in columns:
            connection.execute(text(f"ALTER TABLE photos ADD COLUMN {name} {kind}"))
    if "albums_digest" not in columns:
        connection.execute(text("CREATE INDEX ix_photos_albums_digest ON photos (albums_digest)"))
    Base.metadata.create_all(
        connection, tables=_tables(AlbumMember, Correction, Root, State, PhotoBlob)
    )
    if "thumbnail" in columns:  # version 1 kept them in the row: every scan read them
        connection.execute(
            text(
                "INSERT INTO photo_blobs (photo_id, thumbnail, embedding) "
                "SELECT id, thumbnail, embedding FROM photos "
                "WHERE thumbnail IS NOT NULL OR embedding IS NOT NULL"
            )
        )
        connection.execute(text("ALTER TABLE photos DROP COLUMN thumbnail"))
        connection.execute(text("ALTER TABLE photos DROP COLUMN embedding"))


MIGRATIONS: list[Step] = [_v1_create_tables, _v2_albums_corrections_metadata_blobs]
SCHEMA_VERSION = len(MIGRATIONS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at each commit boundary
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_engine(url_or_path: str | Path) -> Engine:
    """An engine for a catalog URL or a SQLite file path (created with its folder)."""
    url = str(url_or_path)
    if "://" not in url:
        path = Path(url).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot create the library folder ({exc})") from None
        url = f"sqlite:///{path}"
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def schema_version(engine: Engine) -> int:
    """The migration count recorded in the catalog (0 for a new one)."""
    if not inspect(engine).has_table("schema_version"):
        return 0
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT version FROM schema_version")).scalar_one())


def migrate(engine: Engine) -> int:
    """Run the forward steps the catalog has not seen; returns the version now."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)"))
        current = connection.execute(text("SELECT version FROM schema_version")).scalar()
        if current is None:
            connection.execute(text("INSERT INTO schema_version (version) VALUES (0)"))
            current = 0
        if current > SCHEMA_VERSION:
            raise ConfigError(
                f"the catalog has schema version {current}, newer than this smartalbum "
                f"({SCHEMA_VERSION}); upgrade smartalbum"
            )
        for step in MIGRATIONS[current:]:
            step(connection)
        connection.execute(text("UPDATE schema_version SET version = :v"), {"v": SCHEMA_VERSION})
    return SCHEMA_VERSION


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to the catalog."""
    return sessionmaker(engine, expire_on_commit=False)
