"""Opening the catalog: the one place that knows SQLite's and PostgreSQL's ways, and migrations.

A library is a SQLite file path or a database URL (``sqlite:///...`` or
``postgresql+psycopg://user@host/db``). Migrations are a list of forward steps;
``schema_version`` records how many ran. Later versions append steps, never edit old
ones. The declarative tables always hold the newest columns, so a step that adds a
column checks for it first: a new catalog gets it from the step that creates its table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    BigInteger,
    Engine,
    Table,
    create_engine,
    event,
    inspect,
    make_url,
    select,
    text,
)
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog.changes import catalog_stamp, count_changes
from smartalbum.catalog.people import Face, FaceRejection, FaceScan, Person
from smartalbum.catalog.read_indexes import map_index, month_day_index, people_index
from smartalbum.catalog.schema import (
    Activity,
    AlbumMember,
    ApiToken,
    AuthSession,
    Base,
    Category,
    CategoryExample,
    CategoryMember,
    Correction,
    Favourite,
    IndexJob,
    IndexTask,
    Photo,
    PhotoBlob,
    PhotoLabel,
    Root,
    ShareLink,
    State,
    Upload,
    User,
    UserAlbum,
    UserAlbumPhoto,
    table,
)
from smartalbum.catalog.texts import create_char_index, create_text_tables
from smartalbum.errors import CatalogUnavailableError, ConfigError
from smartalbum.i18n import t

Step = Callable[[Any], None]
BACKENDS = ("sqlite", "postgresql")

# PostgreSQL advisory lock keys, (space, key) as two int4; the server scopes them to the
# database, so each catalog has its own. The index lock (locks.py) is key 2 of this space.
LOCK_SPACE = int.from_bytes(b"smal", "big")
_MIGRATE_KEY = 1
_CLAIM_CHUNK = 10_000  # ids per statement: PostgreSQL takes at most 65,535 parameters


def _tables(*models: type[Base]) -> list[Table]:
    return [table(model) for model in models]


def _v1_create_tables(connection: Any) -> None:
    Base.metadata.create_all(connection, tables=_tables(Photo, PhotoLabel))


def _add_columns(connection: Any, table_name: str, columns: dict[str, str]) -> set[str]:
    """Add the columns (name: SQL type) a table lacks; returns the names it had before."""
    had = {c["name"] for c in inspect(connection).get_columns(table_name)}
    for name, kind in columns.items():
        if name not in had:
            connection.execute(text(f"ALTER TABLE {table_name} ADD COLUMN {name} {kind}"))
    return had


def _v2_albums_corrections_metadata_blobs(connection: Any) -> None:
    columns = _add_columns(
        connection,
        "photos",
        {
            "gps_alt": "FLOAT",
            "taken_at_offset": "VARCHAR(8)",
            "time_source": "VARCHAR(16)",
            "warnings": "TEXT",
            "place": "TEXT",
            "albums_digest": "VARCHAR(16)",
        },
    )
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


def _v3_file_sizes_past_2_gib(connection: Any) -> None:
    # PostgreSQL's INTEGER stops at 2 GiB; SQLite's is 64-bit already, whatever it is called.
    size = next(c for c in inspect(connection).get_columns("photos") if c["name"] == "size")
    if connection.dialect.name == "postgresql" and not isinstance(size["type"], BigInteger):
        connection.execute(text("ALTER TABLE photos ALTER COLUMN size TYPE BIGINT"))


def _v4_accounts(connection: Any) -> None:
    Base.metadata.create_all(connection, tables=_tables(User, AuthSession, ApiToken))
    columns = {c["name"] for c in inspect(connection).get_columns("corrections")}
    if "author" not in columns:  # who made a correction (a new catalog has it from v2's table)
        connection.execute(text("ALTER TABLE corrections ADD COLUMN author VARCHAR(64)"))


def _v5_share_links_activity(connection: Any) -> None:
    Base.metadata.create_all(connection, tables=_tables(ShareLink, Activity))


def _v6_index_jobs(connection: Any) -> None:
    Base.metadata.create_all(connection, tables=_tables(IndexJob, IndexTask))


def _v7_categories(connection: Any) -> None:
    Base.metadata.create_all(connection, tables=_tables(Category, CategoryExample, CategoryMember))


def _v8_trash_uploads(connection: Any) -> None:
    trash_and_uploader = {
        "trashed_at": "FLOAT",
        "trashed_by": "VARCHAR(64)",
        "trash_reason": "VARCHAR(16)",
        "trash_path": "TEXT",
        "uploaded_by": "VARCHAR(64)",
        "upload_link_id": "INTEGER",
    }
    if "trashed_at" not in _add_columns(connection, "photos", trash_and_uploader):
        connection.execute(text("CREATE INDEX ix_photos_trashed_at ON photos (trashed_at)"))
        connection.execute(text("CREATE INDEX ix_photos_upload_link_id ON photos (upload_link_id)"))
    guests = {"allow_upload": "BOOLEAN NOT NULL DEFAULT FALSE", "upload_budget_mb": "INTEGER"}
    _add_columns(connection, "share_links", guests)
    Base.metadata.create_all(connection, tables=_tables(Upload))


def _video_columns(connection: Any) -> None:
    _add_columns(
        connection, "photos", {"kind": "VARCHAR(8)", "duration": "FLOAT", "codec": "VARCHAR(16)"}
    )


def _companion_columns(connection: Any) -> None:
    columns = {
        "companion_of": "INTEGER",
        "content_id": "VARCHAR(64)",
        "motion_path": "TEXT",
        "motion_offset": "BIGINT",
    }
    if "companion_of" not in _add_columns(connection, "photos", columns):
        for name in ("companion_of", "content_id", "motion_path"):
            connection.execute(text(f"CREATE INDEX ix_photos_{name} ON photos ({name})"))


def _photo_text(connection: Any) -> None:
    create_text_tables(connection)  # the lines read in photos, and their search index


def _user_albums_favourites_archive(connection: Any) -> None:
    if "archived_at" not in _add_columns(connection, "photos", {"archived_at": "FLOAT"}):
        connection.execute(text("CREATE INDEX ix_photos_archived_at ON photos (archived_at)"))
    downloads = {"allow_download": "BOOLEAN NOT NULL DEFAULT FALSE"}
    _add_columns(connection, "share_links", downloads)
    Base.metadata.create_all(connection, tables=_tables(UserAlbum, UserAlbumPhoto, Favourite))


def _xmp_columns(connection: Any) -> None:
    xmp = {"xmp_keywords": "TEXT", "xmp_rating": "INTEGER", "xmp_title": "TEXT"}
    _add_columns(connection, "photos", xmp)


def _people_tables(connection: Any) -> None:
    Base.metadata.create_all(connection, tables=_tables(Person, Face, FaceRejection, FaceScan))


def _task_leases(connection: Any) -> None:
    _add_columns(connection, "index_tasks", {"beat": "INTEGER"})


def _photo_text_chars(connection: Any) -> None:
    create_char_index(connection)  # one- and two-character text search without a scan


def _colour_column(connection: Any) -> None:
    _add_columns(connection, "photos", {"colours": "VARCHAR(64)"})


MIGRATIONS: list[Step] = [
    _v1_create_tables,
    _v2_albums_corrections_metadata_blobs,
    _v3_file_sizes_past_2_gib,
    _v4_accounts,
    _v5_share_links_activity,
    _v6_index_jobs,
    _v7_categories,
    _v8_trash_uploads,
    _video_columns,
    _companion_columns,
    _photo_text,
    _user_albums_favourites_archive,
    _xmp_columns,
    _people_tables,
    _task_leases,
    _photo_text_chars,
    _colour_column,
    month_day_index,
    map_index,
    people_index,
    count_changes,
]
SCHEMA_VERSION = len(MIGRATIONS)


def library_url(library: str | Path) -> URL:
    """The database URL of a library: a SQLite file path, or a SQLite or PostgreSQL URL."""
    given = str(library)
    if "://" not in given:
        return URL.create("sqlite", database=str(Path(given).expanduser()))
    try:
        url = make_url(given)
    except ArgumentError:
        raise ConfigError(
            t(
                "the library is neither a file path nor a database URL "
                "(such as postgresql+psycopg://user@host:5432/smartalbum)"
            )
        ) from None
    if url.get_backend_name() not in BACKENDS:
        raise ConfigError(
            t(
                "{library}: smartalbum keeps its catalog in SQLite or PostgreSQL",
                library=url.render_as_string(hide_password=True),
            )
        )
    if url.drivername == "postgresql":  # the driver that smartalbum[postgresql] installs
        url = url.set(drivername="postgresql+psycopg")
    if _in_file(url):
        url = url.set(database=str(Path(url.database or "").expanduser()))
    return url


def _in_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def sqlite_file(library: str | Path) -> Path | None:
    """The SQLite file a library is kept in; None for a database server or in-memory SQLite.

    A URI filename (``sqlite:///file:/photos/library.db?mode=ro&uri=true``, a read-only
    catalog) names the file after ``file:``, before its own query.
    """
    url = library_url(library)
    if not _in_file(url):
        return None
    database = url.database or ""
    if url.query.get("uri") == "true" and database.startswith("file:"):
        database = database.removeprefix("file:").split("?")[0]
    return Path(database)


def is_server(library: str | Path) -> bool:
    """Whether the library lives on a database server (PostgreSQL) rather than in a file."""
    return library_url(library).get_backend_name() != "sqlite"


def shown(library: str | Path) -> str:
    """The library as messages name it: its file, or its URL without the password."""
    file = sqlite_file(library)
    if file is not None:
        return str(file)
    return library_url(library).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at each commit boundary
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def driver_reason(error: DBAPIError) -> str:
    """The driver's own words for a failure, on one line (libpq writes several)."""
    return " ".join(str(error.orig).split())


def refused(error: DBAPIError) -> CatalogUnavailableError:
    """The error for a statement the catalog refused or could not run (read-only, gone away)."""
    return CatalogUnavailableError(
        t("the catalog could not do this ({reason})", reason=driver_reason(error))
    )


def unavailable(library: str | Path, error: OperationalError) -> CatalogUnavailableError:
    """The error for a catalog that cannot be reached, naming it (never its password)."""
    return CatalogUnavailableError(
        t(
            "{library}: cannot open the catalog ({reason})",
            library=shown(library),
            reason=driver_reason(error),
        )
    )


def plain_engine(library: str | Path, **options: Any) -> Engine:
    """An engine for a library, not migrated; a missing or unknown driver is a ConfigError."""
    url = library_url(library)
    try:
        return create_engine(url, **options)
    except ImportError:
        raise ConfigError(
            t(
                "{library}: the {driver} driver is not installed "
                "(pip install 'smartalbum[postgresql]' installs psycopg)",
                library=shown(library),
                driver=url.get_driver_name(),
            )
        ) from None
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(t("{library}: {reason}", library=shown(library), reason=exc)) from None


def open_engine(library: str | Path) -> Engine:
    """An engine for a library, migrated: a SQLite file (created with its folder) or a URL.

    A library that cannot be reached (no server, wrong password, unreadable file) is a
    CatalogUnavailableError naming it and saying why.
    """
    file = sqlite_file(library)
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                t("{file}: cannot create the library folder ({reason})", file=file, reason=exc)
            ) from None
    engine = plain_engine(library)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except BaseException as exc:
        engine.dispose()  # no connection is left behind for the garbage collector
        if isinstance(exc, OperationalError):
            raise unavailable(library, exc) from None
        raise
    return engine


def schema_version(engine: Engine) -> int:
    """The migration count recorded in the catalog (0 for a new one)."""
    return _recorded_version(engine) or 0


def migrate(engine: Engine) -> int:
    """Run the forward steps the catalog has not seen; returns the version now.

    A catalog already at this version is only read, so a read-only one opens too.
    """
    if _recorded_version(engine) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes opening a new catalog at once: the second waits here and then
            # finds the work done. (On SQLite the first write lock does the same.)
            connection.execute(text(f"SELECT pg_advisory_xact_lock({LOCK_SPACE}, {_MIGRATE_KEY})"))
        connection.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)"))
        current = connection.execute(text("SELECT version FROM schema_version")).scalar()
        if current is None:
            connection.execute(text("INSERT INTO schema_version (version) VALUES (0)"))
            current = 0
        if current > SCHEMA_VERSION:
            raise ConfigError(
                t(
                    "the catalog has schema version {current}, newer than this smartalbum "
                    "({supported}); upgrade smartalbum",
                    current=current,
                    supported=SCHEMA_VERSION,
                )
            )
        for step in MIGRATIONS[current:]:
            step(connection)
        connection.execute(text("UPDATE schema_version SET version = :v"), {"v": SCHEMA_VERSION})
    return SCHEMA_VERSION


def _recorded_version(engine: Engine) -> int | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("schema_version"):
            return None
        version = connection.execute(text("SELECT version FROM schema_version")).scalar()
        return None if version is None else int(version)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to the catalog."""
    return sessionmaker(engine, expire_on_commit=False)


def claim_photos(session: Session, ids: Iterable[int]) -> None:
    """Lock these photos' rows for the rest of the transaction, lowest id first.

    PostgreSQL locks rows one at a time: two writers taking overlapping rows in different
    orders (the indexer and an album sync) would deadlock, so every writer of many photo
    rows claims them in this one order first. SQLite's first write locks the whole
    database, so there it does nothing (a read first would only risk a busy snapshot).
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CLAIM_CHUNK):
        session.execute(
            select(Photo.id)
            .where(Photo.id.in_(ordered[start : start + _CLAIM_CHUNK]))
            .order_by(Photo.id)
            .with_for_update(key_share=True)
        )


def photos_stamp(session: Session) -> tuple[Any, ...]:
    """The state of what people see (photos, labels, corrections, album members): it moves
    with any index, delete, restore, archive or correction (caches of moments and places are
    keyed on it); one small read, the triggers of catalog/changes.py keep it."""
    return (catalog_stamp(session),)


def put_state(session: Session, key: str, value: str) -> None:
    """Set one catalog fact, whether or not another writer is adding the same key right now."""
    # One upsert: a read then an insert lets two album syncs insert the same key at once.
    # SQLite (3.24 on) and PostgreSQL both speak this form.
    session.execute(
        text(
            "INSERT INTO state (key, value) VALUES (:key, :value) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        {"key": key, "value": value},
    )
