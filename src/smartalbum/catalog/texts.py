"""The text read in photos: each line with its box, and one searchable row a photo.

``photo_texts`` records that the text pass read a photo (its version, even when the photo
says nothing) and holds what it says, folded for search (``ocr.normalize``), one line a
row of text. Search runs on the database's own machinery: SQLite's FTS5 with its trigram
tokenizer (substrings in any script, kept in step by triggers), PostgreSQL's ``pg_trgm``
(a GIN index that LIKE uses).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from smartalbum.catalog.schema import Base

FTS = "photo_text_fts"  # SQLite's trigram index of photo_texts.body


class PhotoText(Base):
    """That a photo was read for text, by which version of the pass, and what it says."""

    __tablename__ = "photo_texts"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)  # the lines folded for search, one a row ("" none)
    read_at: Mapped[float] = mapped_column(Float)


class PhotoTextLine(Base):
    """One line of text in a photo, as read: its text, box and confidence."""

    __tablename__ = "photo_text_lines"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[int] = mapped_column(Integer, primary_key=True)  # top to bottom, from 0
    text: Mapped[str] = mapped_column(Text)
    box: Mapped[str] = mapped_column(Text)  # JSON: x1, y1, ... x4, y4 in fractions of the photo
    confidence: Mapped[float] = mapped_column(Float)


_SQLITE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(body, content='photo_texts', "
    "content_rowid='photo_id', tokenize='trigram')",
    # External content: the triggers keep the index in step with photo_texts, the
    # cascade from a deleted photo included; a photo with no text costs the index nothing.
    f"""CREATE TRIGGER IF NOT EXISTS photo_texts_ai AFTER INSERT ON photo_texts
    WHEN new.body <> '' BEGIN
      INSERT INTO {FTS} (rowid, body) VALUES (new.photo_id, new.body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS photo_texts_ad AFTER DELETE ON photo_texts
    WHEN old.body <> '' BEGIN
      INSERT INTO {FTS} ({FTS}, rowid, body) VALUES ('delete', old.photo_id, old.body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS photo_texts_au AFTER UPDATE ON photo_texts BEGIN
      INSERT INTO {FTS} ({FTS}, rowid, body)
        SELECT 'delete', old.photo_id, old.body WHERE old.body <> '';
      INSERT INTO {FTS} (rowid, body) SELECT new.photo_id, new.body WHERE new.body <> '';
    END""",
]


def create_text_tables(connection: Any) -> None:
    """The two tables, and the database's own search structure over ``photo_texts.body``."""
    Base.metadata.create_all(
        connection, tables=[Base.metadata.tables[t] for t in ("photo_texts", "photo_text_lines")]
    )
    if connection.dialect.name == "sqlite":
        for statement in _SQLITE:
            connection.execute(text(statement))
    elif connection.dialect.name == "postgresql":
        _postgres_trigrams(connection)


def _postgres_trigrams(connection: Any) -> None:
    """pg_trgm's GIN index, when the server lets us add the extension; LIKE finds all the
    same without it, only by reading every row (the README says how to add it)."""
    savepoint = connection.begin_nested()
    try:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        connection.execute(
            text(
                "CREATE INDEX IF NOT EXISTS ix_photo_texts_body_trgm "
                "ON photo_texts USING gin (body gin_trgm_ops)"
            )
        )
    except Exception:  # not the owner of the database, or no contrib package
        savepoint.rollback()
    else:
        savepoint.commit()
