"""Indexes that reads at 100,000 photos need, and the expressions that use them.

On this day asks for the photos of a month and day in every year: without an index on
that, each request read every photo's time (the planner cannot use ``ix_photos_taken_at``
for a part of the text). The map bins every photo with GPS: without an index holding the
columns it reads, each request read 98,000 whole rows. The people's list reads every
face's person, photo, size and yaw: each face's row holds its embedding before its person.
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


def map_index(connection: Any) -> None:
    """The catalog migration: an index holding what the map's clusters read of each photo."""
    # status first (live()'s equality: SQLite, without statistics, then prefers it over
    # ix_photos_status), then the box's latitude and longitude; the rest so that the rows
    # themselves are never read (a covering index). Partial, of the photos with GPS: only a
    # query that asks for those can use it, so no other read takes it for ix_photos_status
    # (a person's album did: a walk of every photo where it looked up its few by id).
    connection.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_photos_map ON photos (status, gps_lat, gps_lon, "
            "trashed_at, companion_of, archived_at, taken_at, place) WHERE gps_lat IS NOT NULL"
        )
    )


def people_index(connection: Any) -> None:
    """The catalog migration: an index holding what the people's list reads of each face."""
    # Covering: the list's counts and each person's best face (size and yaw) come from it,
    # never from the rows, whose 2 KB embedding lies before the person's id.
    connection.execute(
        text("CREATE INDEX IF NOT EXISTS ix_faces_people ON faces (person_id, photo_id, size, yaw)")
    )
