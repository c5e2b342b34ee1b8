"""The text read in photos: each line with its box, and one searchable row a photo.

``photo_texts`` records that the text pass read a photo (its version, even when the photo
says nothing) and holds what it says, folded for search (``ocr.normalize``), one line a
row of text. Search runs on the database's own machinery: SQLite's FTS5 with its trigram
tokenizer (substrings in any script, kept in step by triggers), PostgreSQL's ``pg_trgm``
(a GIN index that LIKE uses). Both answer three characters or more; for one or two
(发, 发票), ``photo_text_chars`` lists the photos holding each character outside ASCII, so
such a query reads only the photos that hold its characters, not every one that says
something.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, insert, select, text
from sqlalchemy.orm import Mapped, mapped_column

from smartalbum.catalog.schema import Base, table

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


class PhotoTextChar(Base):
    """A character outside ASCII that a photo's folded text holds (once, wherever it is)."""

    __tablename__ = "photo_text_chars"
    __table_args__ = ({"sqlite_with_rowid": False},)  # the key is the row: half the pages

    char: Mapped[str] = mapped_column(String(1), primary_key=True)
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photo_texts.photo_id", ondelete="CASCADE"), primary_key=True
    )


def indexed_chars(body: str) -> set[str]:
    """The characters of a folded text that ``photo_text_chars`` lists: all but ASCII (whose
    short queries are word starts, answered otherwise) and spaces."""
    return {c for c in body if not c.isascii() and not c.isspace()}


def char_rows(photo_id: int, body: str) -> list[dict[str, Any]]:
    """A photo's ``photo_text_chars`` rows."""
    return [{"char": c, "photo_id": photo_id} for c in sorted(indexed_chars(body))]


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


def create_char_index(connection: Any) -> None:
    """``photo_text_chars``, filled from the text read before it."""
    Base.metadata.create_all(connection, tables=[Base.metadata.tables["photo_text_chars"]])
    said = table(PhotoText)
    rows = connection.execute(select(said.c.photo_id, said.c.body).where(said.c.body != ""))
    found = [row for photo_id, body in rows for row in char_rows(photo_id, body)]
    if found:
        connection.execute(insert(table(PhotoTextChar)), found)
