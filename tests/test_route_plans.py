"""The query plans behind the routes that were slow at 100,000 photos (docs/performance.md):
SQLite's own EXPLAIN QUERY PLAN on a real catalog, so a query that walks every photo again
fails here rather than only in the benchmark."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, Select, text

from smartalbum.catalog import open_engine
from smartalbum.catalog.schema import UserAlbum
from smartalbum.library.user_albums import ids_query
from smartalbum.moments.geo_clusters import Box, cell_degrees, cells_query
from smartalbum.moments.onthisday import day_query
from smartalbum.people.directory import best_faces_query


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A new catalog, every migration run."""
    made = open_engine(tmp_path_factory.mktemp("plans") / "library.db")
    yield made
    made.dispose()


def plan(engine: Engine, query: Select[*tuple[Any, ...]]) -> list[str]:
    """SQLite's plan of a query, one line per step, the constants inline."""
    sql = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
    return [row[-1] for row in rows]


def test_on_this_day_finds_the_day_by_the_month_day_index(engine: Engine) -> None:
    steps = plan(engine, day_query(date(2026, 2, 28)))  # two days: the 28th takes the 29th
    assert len(steps) == 1 and steps[0].startswith(
        "SEARCH photos USING INDEX ix_photos_month_day (<expr>=? AND status=?"
    ), steps


@pytest.mark.parametrize("order", ["date", "manual"])
def test_an_album_finds_its_photos_by_id(engine: Engine, order: str) -> None:
    album = UserAlbum(id=1, title="a", owner="me", sort=order, created_at=0.0, updated_at=0.0)
    steps = plan(engine, ids_query(album))
    photos = [s for s in steps if s.startswith("SEARCH photos")]
    # Not "SEARCH photos USING INDEX ix_photos_status (status=?)" alone: that walked every
    # live photo (100,000) to find an album's 300.
    assert photos and all("rowid=?" in s for s in photos), steps


@pytest.mark.parametrize("box", [Box(), Box(30, 129, 46, 146), Box(0, 170, 40, -150)])
def test_the_maps_clusters_read_the_map_index_alone(engine: Engine, box: Box) -> None:
    steps = plan(engine, cells_query(cell_degrees(3), box, "sqlite"))
    # Not ix_photos_status with every row read (98,000 whole rows at 100,000 photos).
    assert steps[0].startswith("SEARCH photos USING COVERING INDEX ix_photos_map (status=?"), steps


def test_everyones_best_face_is_read_from_the_people_index(engine: Engine) -> None:
    steps = plan(engine, best_faces_query())
    # Not the faces' rows: each holds a 2 KB embedding before its person's id.
    assert any(s.startswith("SEARCH faces USING COVERING INDEX ix_faces_people") for s in steps), (
        steps
    )
