"""Indexes that reads at 100,000 photos need, and the expressions that use them.

On this day asks for the photos of a month and day in every year: without an index on
that, each request read every photo's time (the planner cannot use ``ix_photos_taken_at``
for a part of the text).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, text

from smartalbum.catalog.schema import Photo


def month_day() -> ColumnElement[str]:
    """The "MM-DD" of a photo's time, as the month-day index holds it (on this day)."""
    # Constants inline, not bound: an expression index is used only for the same text.
    return func.substr(Photo.taken_at, literal_column("6"), literal_column("5"))


def month_day_index(connection: Any) -> None:
    """The catalog migration: an index on the month and day of each photo's time."""
    # With live()'s columns and archived_at after it: without statistics SQLite weighs an
    # index by the terms it matches, and took ix_photos_status (status = 'ok': every
    # photo) over the day alone once two days were asked (the 28th of February).
    connection.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_photos_month_day ON photos ((substr(taken_at, 6, 5)), "
            "status, trashed_at, companion_of, archived_at)"
        )
    )
