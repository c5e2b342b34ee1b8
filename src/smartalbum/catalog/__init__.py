"""The photo catalog: a real database (SQLite by default) of every file the indexer saw."""

from smartalbum.catalog.database import open_engine, session_factory
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
    "Photo",
    "PhotoBlob",
    "PhotoLabel",
    "Root",
    "State",
    "open_engine",
    "session_factory",
    "table",
]
