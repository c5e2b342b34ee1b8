"""The photo catalog: a real database (SQLite by default) of every file the indexer saw."""

from smartalbum.catalog.database import open_engine, session_factory
from smartalbum.catalog.schema import FAILED, MISSING, OK, Photo, PhotoLabel

__all__ = ["FAILED", "MISSING", "OK", "Photo", "PhotoLabel", "open_engine", "session_factory"]
