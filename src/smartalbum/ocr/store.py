"""What the text pass writes: each photo's lines and its searchable row, in the caller's
transaction (the indexer's batch, or a backfill's)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, live
from smartalbum.catalog.texts import PhotoText, PhotoTextChar, PhotoTextLine, char_rows
from smartalbum.ocr.normalize import fold
from smartalbum.ocr.reader import TEXT_VERSION, Line

_CHUNK = 10_000  # ids a statement: PostgreSQL takes at most 65,535 parameters


def write_text(
    session: Session, read: Mapping[int, Sequence[Line]], unread: Iterable[int] = ()
) -> None:
    """Replace the lines of the photos ``read``; forget those of ``unread`` (changed files
    the pass did not read: what they said is not known any more)."""
    ids = list(read) + list(unread)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for model in (PhotoTextChar, PhotoText, PhotoTextLine):
            session.execute(delete(model).where(model.photo_id.in_(chunk)))
    if not read:
        return
    now = time.time()
    bodies = {i: body(lines) for i, lines in read.items()}
    rows = [
        {"photo_id": i, "version": TEXT_VERSION, "body": said, "read_at": now}
        for i, said in bodies.items()
    ]
    session.execute(insert(PhotoText), rows)
    chars = [c for i, said in bodies.items() for c in char_rows(i, said)]
    if chars:
        session.execute(insert(PhotoTextChar), chars)
    lines = [
        {"photo_id": i, "line": n, "text": line.text, "box": line.box_json(),
         "confidence": line.confidence}
        for i, photo_lines in read.items()
        for n, line in enumerate(photo_lines)
    ]  # fmt: skip
    if lines:
        session.execute(insert(PhotoTextLine), lines)


def write_batch_text(
    session: Session,
    photos: Iterable[tuple[str, Sequence[Line] | None]],
    ids: Mapping[str, int],
) -> None:
    """An indexed batch's text: (path, lines or None when not read) of each file written,
    ``ids`` its photo ids by path."""
    read, unread = {}, []
    for path, lines in photos:
        if path in ids:
            if lines is None:
                unread.append(ids[path])
            else:
                read[ids[path]] = lines
    write_text(session, read, unread)


def body(lines: Sequence[Line]) -> str:
    """What a photo says, folded for search, one line of text a row."""
    return "\n".join(fold(line.text) for line in lines)


def bodies_of(session: Session, photo_ids: Sequence[int]) -> dict[int, str]:
    """Photo id -> its folded text, for the photos of these that say something."""
    rows = session.execute(
        select(PhotoText.photo_id, PhotoText.body).where(
            PhotoText.photo_id.in_(photo_ids), PhotoText.body != ""
        )
    )
    return {i: body for i, body in rows}


def lines_of(session: Session, photo_id: int) -> list[dict[str, Any]] | None:
    """A photo's lines as JSON, top to bottom; None when the text pass has not read it."""
    if session.get(PhotoText, photo_id) is None:
        return None
    rows = session.execute(
        select(PhotoTextLine.text, PhotoTextLine.box, PhotoTextLine.confidence)
        .where(PhotoTextLine.photo_id == photo_id)
        .order_by(PhotoTextLine.line)
    )
    return [{"text": t, "box": json.loads(b), "confidence": c} for t, b, c in rows]


def unread(session: Session, after: int = 0, limit: int = 1000) -> list[tuple[int, str]]:
    """Live photos past id ``after`` that the text pass has not read (or read with an older
    version), lowest id first: (id, path)."""
    query = (
        select(Photo.id, Photo.path)
        .where(_to_read(), Photo.id > after)
        .order_by(Photo.id)
        .limit(limit)
    )
    return [(i, p) for i, p in session.execute(query)]


def count_unread(session: Session) -> int:
    """How many live photos the text pass has still to read."""
    return session.scalar(select(func.count()).select_from(Photo).where(_to_read())) or 0


def _to_read() -> ColumnElement[bool]:
    """Live stills the pass has not read at its version. A video's text is not read (indexing
    reads none either): its file is no picture, and trying it each run would fail each time."""
    current = select(PhotoText.photo_id).where(PhotoText.version >= TEXT_VERSION)
    return and_(live(), Photo.kind.is_distinct_from("video"), Photo.id.not_in(current))
