"""The catalog's change count (catalog/changes.py), on a real catalog, SQLite and PostgreSQL:
every change the timeline's and search's caches see moves it, and nothing else does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import Photo, open_engine, photos_stamp, session_factory
from smartalbum.ingest.trash import Trash
from smartalbum.library import marks
from smartalbum.library.service import PhotoLibrary
from smartalbum.moments import Timeline
from smartalbum.search.service import search
from smartalbum.settings import Settings
from tests.helpers import (
    POSTGRES_URL,
    SAMPLES,
    copy_samples,
    dms,
    index_folder,
    make_exif,
    new_database,
)

NO_SERVER = "SMARTALBUM_TEST_POSTGRES_URL is not set"
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="SMARTALBUM_TEST_POSTGRES_URL is not set"
        ),
    ),
]
# Every column of photos the caches read, as the timeline and search's indexes read them.
READ_BY_CACHES = {
    "taken_at": "'2001-02-03T04:05:06'", "taken_at_offset": "'+09:00'",
    "time_source": "'digitized'", "gps_lat": "1.5", "gps_lon": "2.5", "place": "'{}'",
    "colours": "'red:0.5'", "xmp_keywords": "'garden'", "xmp_title": "'a title'",
    "archived_at": "1.0", "trashed_at": "1.0", "companion_of": "1", "status": "'missing'",
    "indexed_at": "1.0",
}  # fmt: skip


@contextmanager
def _catalog(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(tmp_path / "library.db")
    else:
        with new_database() as url:
            yield url


@pytest.fixture(params=BACKENDS)
def indexed(
    request: pytest.FixtureRequest, tmp_path: Path, settings: Settings
) -> Iterator[tuple[PhotoLibrary, Settings, Path]]:
    """A real catalog with three sample photos indexed, opened as the web app opens it."""
    with _catalog(request.param, tmp_path) as url:
        folder = copy_samples(SAMPLES, tmp_path / "photos", "n01*.JPEG", 3)
        rules = tmp_path / "albums.toml"
        rules.write_text("")  # the built-in albums, until the test changes them
        own = settings.with_overrides(library=url, engine="onnx", albums_file=rules)
        before = _stamp_of(url)
        assert index_folder(own, folder, url) == 3
        assert _stamp_of(url) != before, "indexing new photos"
        library = PhotoLibrary.open(own)
        try:
            yield library, own, folder
        finally:
            library.close()


def _stamp_of(url: str) -> int:
    engine = open_engine(url)
    try:
        with session_factory(engine)() as session:
            return int(photos_stamp(session)[0])
    finally:
        engine.dispose()


def _moves(library: PhotoLibrary, change: Callable[[], object], what: str, moved: bool) -> None:
    with library.sessions() as session:
        before = photos_stamp(session)
    change()
    with library.sessions() as session:
        after = photos_stamp(session)
    assert (after != before) == moved, f"{what}: {before} -> {after}"


def _sql(library: PhotoLibrary, statement: str) -> Callable[[], None]:
    def run() -> None:
        with library.sessions.begin() as session:
            session.execute(text(statement))

    return run


def test_every_change_moves_the_count_and_nothing_else_does(
    indexed: tuple[PhotoLibrary, Settings, Path],
) -> None:
    library, settings, folder = indexed
    first, second, _ = _ids(library)
    trash = Trash(library, settings)
    timeline = Timeline(library, settings)

    def reads() -> None:
        timeline.moments(), timeline.trips(), library.albums(), trash.listing()
        search(library, "animal", moments=timeline), search(library, "2001")

    _moves(library, reads, "reads", moved=False)
    _moves(library, lambda: marks.set_favourite(library.sessions, None, [first], True), "heart",
           moved=False)  # fmt: skip
    _moves(library, _sql(library, "UPDATE photos SET warnings = 'w', mtime = 1"), "unread",
           moved=False)  # fmt: skip
    _moves(library, _sql(library, "UPDATE photos SET status = status"), "same", moved=False)
    for column, value in READ_BY_CACHES.items():
        _moves(library, _sql(library, f"UPDATE photos SET {column} = {value} WHERE id = {second}"),
               column, moved=True)  # fmt: skip

    _moves(library, lambda: marks.set_archived(library.sessions, None, [first], True), "archive",
           moved=True)  # fmt: skip
    _moves(library, lambda: marks.set_archived(library.sessions, None, [first], False),
           "unarchive", moved=True)  # fmt: skip
    _moves(library, lambda: library.correct(first, "set", "n02085620"), "correction", moved=True)
    _moves(library, lambda: library.correct(first, "clear", "n02085620"), "cleared", moved=True)
    _moves(library, lambda: trash.delete([first], None), "trash", moved=True)
    _moves(library, lambda: trash.restore([first], None), "restore", moved=True)
    _moves(library, lambda: _edit_time_and_place(settings, folder, library), "edit", moved=True)
    _moves(library, lambda: _rule_change(library, settings), "rules", moved=True)
    _moves(library, lambda: trash.delete([second], None), "trash", moved=True)
    _moves(library, lambda: trash.purge([second], None), "delete for good", moved=True)
    _moves(library, reads, "reads after", moved=False)


def _ids(library: PhotoLibrary) -> list[int]:
    with library.sessions() as session:
        return list(session.scalars(text("SELECT id FROM photos ORDER BY id")))


def _rule_change(library: PhotoLibrary, settings: Settings) -> None:
    """The albums the photos are in turned off in the rules file, and the rules reloaded."""
    with library.sessions() as session:
        albums = set(session.scalars(text("SELECT DISTINCT album_id FROM album_members")))
    assert albums and settings.albums_file is not None
    Path(settings.albums_file).write_text(
        "".join(f"[albums.{a}]\nenabled = false\n" for a in albums)
    )
    library.reload_rules()


def _edit_time_and_place(settings: Settings, folder: Path, library: PhotoLibrary) -> None:
    """A photo's time and GPS changed in its file, then indexed again (the writer's update)."""
    photo = sorted(folder.iterdir())[-1]
    detail = {0x9003: "2020:05:06 07:08:09"}
    gps = {1: "N", 2: dms(35, 0, 0), 3: "E", 4: dms(139, 0, 0)}
    with Image.open(photo) as image:
        image.load()
    image.save(photo, "JPEG", exif=make_exif(detail=detail, gps=gps))
    index_folder(settings, folder, settings.library)
    with library.sessions() as session:
        taken = session.scalar(
            text("SELECT taken_at FROM photos WHERE path = :p"), {"p": str(photo)}
        )
    assert taken == "2020-05-06T07:08:09"


# -- PostgreSQL: writers apart do not wait for each other ----------------------------------------


@pytest.mark.skipif(not POSTGRES_URL, reason=NO_SERVER)
def test_two_writers_count_apart_and_a_late_commit_still_moves_it() -> None:
    with new_database() as url:
        engine = open_engine(url)
        try:
            _two_writers(session_factory(engine), url)
        finally:
            engine.dispose()


def _two_writers(sessions: sessionmaker[Session], url: str) -> None:
    with sessions.begin() as setup:
        setup.execute(
            text(
                "INSERT INTO photos (id, path, size, mtime, status, indexed_at) VALUES "
                "(1, '/a', 1, 1, 'ok', 1), (2, '/b', 1, 1, 'ok', 1)"
            )
        )
    with sessions() as late, sessions() as early:
        late.execute(update(Photo).where(Photo.id == 1).values(indexed_at=2.0))  # writes first
        late.execute(update(Photo).where(Photo.id == 1).values(indexed_at=3.0))  # counted once
        # A count in one row would hold this writer until the first commits: 2 s, then fail.
        early.execute(text("SET LOCAL lock_timeout = '2s'"))
        early.execute(update(Photo).where(Photo.id == 2).values(indexed_at=2.0))
        early.commit()
        seen = _stamp_of(url)
        late.commit()  # after a reader saw the other's commit: still counted
        assert _stamp_of(url) == seen + 1
