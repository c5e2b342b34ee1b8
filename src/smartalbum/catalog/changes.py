"""The catalog's change count: what the timeline's and search's caches are keyed on.

Triggers count every change to the rows those caches read (photos' shown columns, labels,
corrections, album members), on every write path: the indexer, uploads, the trash, workers
on other machines. Reading the state is then one small query, not two aggregates over every
photo (48 ms a request at 100,000 photos).

SQLite has one writer at a time: one row, bumped per changed row. On PostgreSQL a single
hot row would serialise every writing transaction until its commit (each distributed worker
writes its own batches), so each connection counts in its own row (keyed by its backend's
pid, which no two live connections share) and once per transaction (a transaction-local
setting remembers it did): the state is the sum of the rows. Every committed change raises
it, whatever order transactions commit in; with no change it stays the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from smartalbum.catalog.schema import Base, table


class CatalogChange(Base):
    """How many changes one writer made (SQLite's one writer; a PostgreSQL connection)."""

    __tablename__ = "catalog_changes"

    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger)


# What the caches read. Whole rows of these tables; of photos, the columns the timeline
# (moments/timeline.py) and search's arrays, place and keyword indexes read, and
# indexed_at, which every new indexing of a photo sets. A cache that reads another column
# of photos adds it here, in a migration that runs ``count_changes`` again.
WHOLE = ("photo_labels", "corrections", "album_members")
PHOTO_COLUMNS = (
    "status", "trashed_at", "companion_of", "archived_at", "indexed_at", "taken_at",
    "taken_at_offset", "time_source", "gps_lat", "gps_lon", "place", "colours",
    "xmp_keywords", "xmp_title",
)  # fmt: skip
_EVENTS = ("INSERT", "DELETE", "UPDATE")
_FUNCTION = "catalog_changed"

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('smartalbum.changed', true) IS DISTINCT FROM '1' THEN
    INSERT INTO catalog_changes (slot, count) VALUES (pg_backend_pid(), 1)
      ON CONFLICT (slot) DO UPDATE SET count = catalog_changes.count + 1;
    PERFORM set_config('smartalbum.changed', '1', true);
  END IF;
  RETURN NULL;
END $$"""


def catalog_stamp(session: Session) -> int:
    """The catalog's change count: it moves with every committed change the caches see."""
    total = session.scalar(select(func.coalesce(func.sum(table(CatalogChange).c.count), 0)))
    return int(total or 0)  # PostgreSQL sums a bigint as a numeric


def count_changes(connection: Any) -> None:
    """The catalog migration: the change count's table and the triggers that keep it."""
    Base.metadata.create_all(connection, tables=[table(CatalogChange)])
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text(_POSTGRES_FUNCTION))
    else:
        connection.execute(
            text("INSERT INTO catalog_changes (slot, count) VALUES (0, 0) ON CONFLICT DO NOTHING")
        )
    for table_name, event in [(t, e) for t in ("photos", *WHOLE) for e in _EVENTS]:
        name = f"{table_name}_{event.lower()}_counted"
        connection.execute(
            text(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table_name}" if postgres else ""))
        )
        connection.execute(text(_trigger(name, table_name, event, postgres=postgres)))


def _trigger(name: str, table_name: str, event: str, *, postgres: bool) -> str:
    """One row trigger; an update counts only where a watched value really changed."""
    when = ""
    if event == "UPDATE" and table_name == "photos":
        differ = " IS DISTINCT FROM " if postgres else " IS NOT "
        event += " OF " + ", ".join(PHOTO_COLUMNS)
        when = "WHEN (" + " OR ".join(f"OLD.{c}{differ}NEW.{c}" for c in PHOTO_COLUMNS) + ")"
    elif event == "UPDATE" and postgres:
        when = "WHEN (OLD.* IS DISTINCT FROM NEW.*)"
    head = f"CREATE TRIGGER {name} AFTER {event} ON {table_name} FOR EACH ROW {when}"
    if postgres:
        return f"{head} EXECUTE FUNCTION {_FUNCTION}()"
    return f"{head} BEGIN UPDATE catalog_changes SET count = count + 1 WHERE slot = 0; END"
