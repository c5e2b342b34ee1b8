"""The photo catalog: a real database (SQLite by default, or PostgreSQL) of every file indexed."""

from smartalbum.catalog.database import (
    claim_photos,
    is_server,
    open_engine,
    put_state,
    session_factory,
    shown,
    sqlite_file,
)
from smartalbum.catalog.locks import LibraryLock, ServerLock
from smartalbum.catalog.schema import (
    CONFIRM,
    FAILED,
    MISSING,
    OK,
    REJECT,
    SET,
    AlbumMember,
    Correction,
    Photo,
    PhotoBlob,
    PhotoLabel,
    Root,
    State,
    table,
)

__all__ = [
    "CONFIRM",
    "FAILED",
    "MISSING",
    "OK",
    "REJECT",
    "SET",
    "AlbumMember",
    "Correction",
    "LibraryLock",
    "Photo",
    "PhotoBlob",
    "PhotoLabel",
    "Root",
    "ServerLock",
    "State",
    "claim_photos",
    "is_server",
    "open_engine",
    "put_state",
    "session_factory",
    "shown",
    "sqlite_file",
    "table",
]
