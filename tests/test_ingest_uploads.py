"""The upload store on a real catalog and real photos: what a start-up after a crash finds and
does, the clean-up of stale uploads, and the names uploads are placed under."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from smartalbum.catalog import (
    ABANDONED,
    OK,
    RECEIVING,
    STORED,
    Photo,
    Upload,
    open_engine,
    session_factory,
    table,
)
from smartalbum.ingest import placement
from smartalbum.ingest.uploads import NewUpload, Uploader, UploadStore
from tests.helpers import CAT, SAMPLES

ALICE = Uploader("alice")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UploadStore]:
    engine = open_engine(str(tmp_path / "library.db"))
    yield UploadStore(session_factory(engine), tmp_path / "uploads", 10 * 1024 * 1024)
    engine.dispose()


def received(store: UploadStore, name: str, data: bytes, sent: int | None = None) -> Upload:
    """An upload whose bytes (or the first ``sent``) arrived, then the server stopped."""
    new = NewUpload(name, len(data), hashlib.sha256(data).hexdigest(), modified=1623758400.0)
    upload = store.create(ALICE, new).upload
    assert upload is not None
    appender = store.appender(upload, 0)
    appender.write(data[:sent])
    appender.close()
    return upload


def assert_creations_find_what_is_here_or_under_way(store: UploadStore) -> None:
    """A creation's one question (tests/test_postgres.py asks it of PostgreSQL too): the
    upload under way of the same uploader (an account's, or a link's guests') is resumed,
    stored content and an indexed photo are "already here", anything else is new."""
    data = (SAMPLES / "n01440764_tench.JPEG").read_bytes()
    tench = NewUpload("tench.jpg", len(data), hashlib.sha256(data).hexdigest(), time.time())
    first = store.create(ALICE, tench).upload
    assert first is not None
    again = store.create(ALICE, tench).upload
    assert again is not None and again.id == first.id, "the one under way, to resume"
    bobs = store.create(Uploader("bob"), tench).upload
    assert bobs is not None and bobs.id != first.id, "another uploader's is not resumed"
    guests = store.create(Uploader("alice", 7), tench).upload
    assert guests is not None and guests.id not in (first.id, bobs.id)
    guests_again = store.create(Uploader("alice", 7), tench).upload
    assert guests_again is not None and guests_again.id == guests.id
    appender = store.appender(first, 0)
    appender.write(data)
    appender.sync()
    store.finish(first, appender.digest())
    appender.close()
    stored = store.create(Uploader("carol"), tench)
    assert stored.exists and stored.photo_id is None, "stored, not yet indexed: here"
    indexed = NewUpload("x.jpg", 10, hashlib.sha256(b"x" * 10).hexdigest(), time.time())
    with store.sessions.begin() as session:
        session.execute(insert(table(Photo)), [{"path": "/p/x.jpg", "size": 10, "mtime": 1.0,
                        "status": OK, "sha256": indexed.sha256, "indexed_at": 1.0}])  # fmt: skip
        photo = session.scalar(select(Photo.id).where(Photo.path == "/p/x.jpg"))
    here = store.create(Uploader("dave"), indexed)
    assert here.exists and here.photo_id == photo


def test_a_creation_finds_what_is_here_or_under_way(store: UploadStore) -> None:
    assert_creations_find_what_is_here_or_under_way(store)


def test_a_start_up_stores_an_upload_whose_bytes_all_arrived(store: UploadStore) -> None:
    data = (SAMPLES / CAT).read_bytes()
    upload = received(store, "cat.jpg", data)
    half = received(store, "daisy.jpg", (SAMPLES / "n11939491_daisy.JPEG").read_bytes(), 1000)
    folders = store.recover()
    month = store.root / "alice" / "2021" / "06"
    assert folders == [month]
    assert (month / "cat.jpg").read_bytes() == data
    assert store.find(ALICE, upload.id).status == STORED
    # The one still under way is left as it is, to be resumed.
    assert store.find(ALICE, half.id).status == RECEIVING
    assert sorted(p.name for p in store.partials.iterdir()) == [half.id]
    assert store.recover() == [month], "asked again: nothing new, the folder still to index"
    assert sorted(p.name for p in month.iterdir()) == ["cat.jpg"]


def test_a_crash_between_placing_and_recording_does_not_place_twice(store: UploadStore) -> None:
    data = (SAMPLES / CAT).read_bytes()
    upload = received(store, "cat.jpg", data)
    month = store.root / "alice" / "2021" / "06"
    placement.place(store.partial(upload.id), month, "cat.jpg")  # then the server died
    store.recover()
    assert sorted(p.name for p in month.iterdir()) == ["cat.jpg"]
    assert store.find(ALICE, upload.id).path == str(month / "cat.jpg")
    assert not store.partial(upload.id).exists()


def test_temporary_files_no_upload_owns_are_removed(store: UploadStore) -> None:
    store.partials.mkdir(parents=True)
    (store.partials / ("f" * 32)).write_bytes(b"left by a cancelled upload")
    data = (SAMPLES / CAT).read_bytes()
    stored = received(store, "cat.jpg", data)
    store.finish(stored)
    store.partial(stored.id).write_bytes(data)  # the unlink after STORED never happened
    store.recover()
    assert list(store.partials.iterdir()) == []


def test_uploads_with_no_progress_for_a_day_are_given_up(store: UploadStore) -> None:
    data = (SAMPLES / CAT).read_bytes()
    stale = received(store, "old.jpg", data, 100)
    fresh = store.create(ALICE, NewUpload("new.jpg", 5, hashlib.sha256(b"fresh").hexdigest()))
    assert fresh.upload is not None
    with store.sessions.begin() as session:
        yesterday = time.time() - 86401
        session.execute(update(Upload).where(Upload.id == stale.id).values(updated_at=yesterday))
    assert store.clean_up() == 1
    assert store.find(ALICE, stale.id).status == ABANDONED
    assert not store.partial(stale.id).exists() and store.partial(fresh.upload.id).exists()


@pytest.mark.parametrize(
    ("given", "fmt", "safe"),
    [
        ("IMG_0042.HEIC", "HEIF", "IMG_0042.HEIC"),
        ("../../etc/passwd", "JPEG", "passwd.jpg"),
        ("..\\..\\boot.ini.png", "PNG", "boot.ini.png"),
        (".hidden.jpg", "JPEG", "hidden.jpg"),
        ("a\x00b\nc.jpg", "JPEG", "abc.jpg"),
        ("...", "PNG", "upload.png"),
        ("notes.txt", "JPEG", "notes.txt.jpg"),
        ("猫" * 100 + ".jpg", "JPEG", "猫" * 65 + ".jpg"),
    ],
)
def test_names_are_made_safe(given: str, fmt: str, safe: str) -> None:
    assert placement.safe_name(given, fmt) == safe
    assert len(safe.encode()) <= placement.MAX_NAME_BYTES


def test_a_taken_name_gets_a_number_and_nothing_is_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"new")
    folder = tmp_path / "2025" / "12"
    folder.mkdir(parents=True)
    (folder / "IMG_0042.HEIC").write_bytes(b"old")
    (folder / "IMG_0042 (2).HEIC").write_bytes(b"older")
    target = placement.place(source, folder, "IMG_0042.HEIC")
    assert target == folder / "IMG_0042 (3).HEIC" and target.read_bytes() == b"new"
    assert (folder / "IMG_0042.HEIC").read_bytes() == b"old"
    assert os.path.samefile(source, target)
