"""Text in photos: PP-OCR reads rendered lines on real photos; the catalog finds them back."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.bench.text_set import Sample, fonts_missing, make_set
from smartalbum.catalog import OK, Photo, open_engine, session_factory
from smartalbum.catalog.texts import FTS, PhotoText, PhotoTextChar, PhotoTextLine, create_char_index
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.ocr import Line, TextReader, lines_of, photos_saying, write_text
from smartalbum.ocr.find import near
from smartalbum.ocr.normalize import fold
from smartalbum.ocr.store import count_unread, unread
from smartalbum.settings import Settings

pytestmark = pytest.mark.skipif(bool(fonts_missing()), reason="needs fonts-noto-cjk, dejavu")

SAID = {
    1: ["增值税电子普通发票", "发票代码 144031900111"],
    2: ["BOARDING PASS", "Gate 23  Seat 12A"],
    3: ["臺北車站"],  # read in Traditional characters
    4: ["ＷｉＦｉ密码: sunshine2024"],  # full-width, as some signs print it
    5: ["Receipt Total 42.50"],
    6: [],  # read, and says nothing
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """A catalog whose photos 1-6 say SAID (7 was never read)."""
    engine = open_engine(tmp_path_factory.mktemp("text") / "library.db")
    yield said(engine)
    engine.dispose()


def said(engine: Engine) -> sessionmaker[Session]:
    """Sessions of a catalog whose photos 1-6 now say SAID (7 was never read)."""
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for i in range(1, 8):
            session.add(Photo(id=i, path=f"/p/{i}.jpg", size=1, mtime=0, status=OK, indexed_at=0))
        session.flush()
        box = (0.1, 0.1, 0.9, 0.1, 0.9, 0.2, 0.1, 0.2)
        write_text(session, {i: [Line(s, box, 0.9) for s in text] for i, text in SAID.items()})
    return sessions


CASES = [
    ("发", {1}),  # one Chinese character: the fallback under FTS5's trigrams
    ("发票", {1}),
    ("普通发", {1}),  # three: the trigram index from here on
    ("普通发票", {1}),
    ("税电子普通", {1}),
    ("值税电子普通发票", {1}),  # eight
    ("增值税电子普通发票", {1}),
    ("發票", {1}),  # Traditional query, Simplified text
    ("台北", {3}),  # Simplified query, Traditional text
    ("臺北車站", {3}),
    ("boarding", {2}),
    ("Board", {2}),  # a prefix, any case
    ("ding", set()),  # not the inside of a word
    ("boarding pass", {2}),
    ("12a", {2}),
    ("wifi", {4}),  # full-width in the photo
    ("ＷＩＦＩ密码", {4}),
    ("sunshine", {4}),
    ("42.50", {5}),
    ("Recipt", {5}),  # one letter missing: OCR-style tolerance
    ("总计", set()),
    ("票发", set()),  # both characters in photo 1, never side by side (票 ends a line)
    ("车", {3}),  # one character, Traditional in the photo
    ("码", {1, 4}),
]


@pytest.mark.parametrize(("query", "photos"), CASES)
def test_finds_photos_by_their_text(
    catalog: sessionmaker[Session], query: str, photos: set[int]
) -> None:
    with catalog() as session:
        assert set(photos_saying(session, query)) == photos


def test_a_near_match_scores_below_an_exact_one(catalog: sessionmaker[Session]) -> None:
    with catalog() as session:
        assert photos_saying(session, "receipt") == {5: 1.0}
        assert photos_saying(session, "Recipt") == {5: 0.5}


@pytest.mark.parametrize(
    "query",
    ['"', '"boarding', "board*", "NEAR(boarding pass)", "-pass", "pass OR gate", "AND", "%", "_",
     "'; DROP TABLE photos; --", "x" * 500, "发票" * 250, "\\", "^boarding", "{body}: pass",
     "\x00", "发\x00票"],
)  # fmt: skip
def test_query_syntax_is_ordinary_text(catalog: sessionmaker[Session], query: str) -> None:
    with catalog() as session:
        found = photos_saying(session, query)
        assert found == {} or set(found) <= set(SAID)
        assert session.scalar(select(func.count()).select_from(Photo)) == 7


def test_a_trashed_photo_is_not_found_and_a_deleted_one_leaves_the_index(
    catalog: sessionmaker[Session],
) -> None:
    with catalog.begin() as session:
        session.execute(update(Photo).where(Photo.id == 1).values(trashed_at=1.0))
    with catalog() as session:
        assert photos_saying(session, "发票") == {}
    with catalog.begin() as session:
        session.execute(update(Photo).where(Photo.id == 1).values(trashed_at=None))
        session.delete(session.get(Photo, 1))
    with catalog() as session:
        assert photos_saying(session, "发票") == {}
        assert lines_of(session, 1) is None
        fts = session.scalar(text(f"SELECT count(*) FROM {FTS} WHERE {FTS} MATCH '\"发票代\"'"))
        assert fts == 0
        chars = select(func.count()).select_from(PhotoTextChar).where(PhotoTextChar.photo_id == 1)
        assert session.scalar(chars) == 0
    with catalog.begin() as session:  # back as it was, for the other tests
        session.add(Photo(id=1, path="/p/1.jpg", size=1, mtime=0, status=OK, indexed_at=0))
        session.flush()
        box = (0.0,) * 8
        write_text(session, {1: [Line(s, box, 0.9) for s in SAID[1]]})


def test_short_chinese_queries_read_the_index_of_characters(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "library.db")
    try:
        sessions = said(engine)
        with sessions() as session:
            assert photos_saying(session, "码") == {1: 1.0, 4: 1.0}
        # A catalog whose text was read before the index: the migration lists its characters.
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE photo_text_chars"))
            create_char_index(connection)
        with sessions() as session:
            assert set(photos_saying(session, "码")) == {1, 4}
            assert set(photos_saying(session, "发票")) == {1}
        # The index answers, not a scan: a photo it does not list is not found.
        with sessions.begin() as session:
            session.execute(delete(PhotoTextChar).where(PhotoTextChar.photo_id == 4))
        with sessions() as session:
            assert set(photos_saying(session, "码")) == {1}
            assert set(photos_saying(session, "密码")) == set()
    finally:
        engine.dispose()


def test_the_pass_over_the_library_leaves_videos_unread(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "library.db")
    try:
        sessions = said(engine)  # 1-6 read, 7 not
        with sessions.begin() as session:
            for i, kind in ((8, "video"), (9, "photo")):
                session.add(Photo(id=i, path=f"/p/{i}.mov", size=1, mtime=0, status=OK,
                                  indexed_at=0, kind=kind))  # fmt: skip
        with sessions() as session:
            assert unread(session) == [(7, "/p/7.jpg"), (9, "/p/9.mov")]
            assert count_unread(session) == 2
    finally:
        engine.dispose()


def test_lines_of_a_photo(catalog: sessionmaker[Session]) -> None:
    with catalog() as session:
        lines = lines_of(session, 2)
        assert lines is not None
        assert [line["text"] for line in lines] == SAID[2]
        assert lines[0]["box"] == [0.1, 0.1, 0.9, 0.1, 0.9, 0.2, 0.1, 0.2]
        assert lines_of(session, 6) == []  # read: nothing
        assert lines_of(session, 7) is None  # never read


def test_fold_and_near() -> None:
    assert fold("  臺北 ＣＡＦＥ\tMenu ") == "台北 cafe menu"
    assert near("boarding", "xx boardlng pass")  # l for i
    assert not near("boarding", "bread")
    assert near("发票代码", "发栗代码 1440")


@pytest.fixture(scope="module")
def rendered(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sample]]:
    """Six photos of the test set: Chinese, English and mixed text; one without."""
    folder = tmp_path_factory.mktemp("rendered")
    made = make_set(samples, folder, count=5, seed=7)
    return folder, made


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader()


def test_reads_rendered_text(reader: TextReader, rendered: tuple[Path, list[Sample]]) -> None:
    folder, made = rendered
    for sample in made:
        with Image.open(folder / sample.file) as img:
            lines = reader.read(img.convert("RGB"))
        said = fold("".join(line.text for line in lines)).replace(" ", "")
        for expected in sample.lines:
            assert fold(expected).replace(" ", "") in said, (sample, lines)
        if sample.kind == "none":
            assert lines == []
        for line in lines:
            assert len(line.box) == 8 and all(0 <= v <= 1 for v in line.box)
            assert 0.5 <= line.confidence <= 1


def test_indexing_reads_the_text(
    settings: Settings,
    rendered: tuple[Path, list[Sample]],
    tmp_path: Path,
) -> None:
    folder, made = rendered
    photos = tmp_path / "photos"
    photos.mkdir()
    for sample in made[:2] + made[-1:]:
        shutil.copy(folder / sample.file, photos / sample.file)
    on = dataclasses.replace(settings, text=True, index_processes=1)
    engine = open_engine(tmp_path / "library.db")
    try:
        sessions = session_factory(engine)
        Indexer(Classifier.from_settings(on), sessions, engine.url.database or "").run([photos])
        with sessions() as session:
            _check_indexed(session, photos, made)
        # Indexed again without the pass, a changed file forgets what it said.
        changed = photos / made[0].file
        changed.write_bytes(changed.read_bytes() + b"\0")
        off = dataclasses.replace(settings, text=False, index_processes=1)
        Indexer(Classifier.from_settings(off), sessions, engine.url.database or "").run([photos])
        with sessions() as session:
            first = session.scalar(select(Photo.id).where(Photo.path == str(changed)))
            assert first is not None and lines_of(session, first) is None
            assert not set(photos_saying(session, made[0].lines[0])) & {first}
    finally:
        engine.dispose()


def _check_indexed(session: Session, photos: Path, made: list[Sample]) -> None:
    ids = {path: i for path, i in session.execute(select(Photo.path, Photo.id))}
    assert session.scalar(select(func.count()).select_from(PhotoText)) == 3
    assert (session.scalar(select(func.count()).select_from(PhotoTextLine)) or 0) >= 2
    for sample in made[:2]:
        assert ids[str(photos / sample.file)] in photos_saying(session, sample.lines[0])
    assert lines_of(session, ids[str(photos / made[-1].file)]) == []


def test_the_text_tables_exist_on_a_new_catalog(tmp_path: Path) -> None:
    engine: Engine = open_engine(tmp_path / "library.db")
    try:
        with engine.connect() as connection:
            names = set(connection.execute(text("SELECT name FROM sqlite_master")).scalars())
        assert {"photo_texts", "photo_text_lines", FTS} <= names
    finally:
        engine.dispose()


def test_reads_from_several_threads_as_from_one(
    reader: TextReader, rendered: tuple[Path, list[Sample]]
) -> None:
    folder, made = rendered
    images = []
    for sample in made:
        with Image.open(folder / sample.file) as img:
            images.append(img.convert("RGB"))
    alone = [reader.read(image) for image in images]
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(reader.read, images * 2))
    assert together == alone * 2
