"""Text search on PostgreSQL: the same answers as on SQLite, through pg_trgm's index.

scripts/test starts a throwaway server and names it in SMARTALBUM_TEST_POSTGRES_URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import open_engine
from smartalbum.ocr import lines_of, photos_saying
from tests.helpers import new_database
from tests.test_ocr import CASES, SAID, said
from tests.test_postgres import POSTGRES_URL

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="SMARTALBUM_TEST_POSTGRES_URL is not set (scripts/test sets it)"
)


@pytest.fixture(scope="module")
def catalog() -> Iterator[sessionmaker[Session]]:
    with new_database() as url:
        engine = open_engine(url)
        try:
            yield said(engine)
        finally:
            engine.dispose()


@pytest.mark.parametrize(("query", "photos"), CASES)
def test_finds_photos_by_their_text(
    catalog: sessionmaker[Session], query: str, photos: set[int]
) -> None:
    with catalog() as session:
        assert set(photos_saying(session, query)) == photos


@pytest.mark.parametrize(
    "query", ['"', "%", "_", "\\", "a%b", "NEAR(x y)", "x" * 500, "\x00", "a\x00b"]
)
def test_query_syntax_is_ordinary_text(catalog: sessionmaker[Session], query: str) -> None:
    with catalog() as session:
        assert photos_saying(session, query) == {}


def test_the_trigram_index_is_there_and_lines_read_back(catalog: sessionmaker[Session]) -> None:
    with catalog() as session:
        indexes = session.scalars(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'photo_texts'")
        ).all()
        assert "ix_photo_texts_body_trgm" in indexes
        lines = lines_of(session, 2)
        assert lines is not None and [line["text"] for line in lines] == SAID[2]
