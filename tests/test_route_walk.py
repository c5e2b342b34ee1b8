"""The route benchmark's walk, short: on a library made by the benchmark's maker, it reaches
every page and every GET operation the app has (or names what only a write makes), and each
answers 2xx. Timings are the benchmark's (scripts/bench-routes), not asserted here."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smartalbum.bench.route_walk import MADE_BY_WRITES, fill, page_paths, requests_of, walk
from smartalbum.bench.scale_library import MADE, make_library
from smartalbum.settings import Settings
from smartalbum.web import create_app
from tests.helpers import SAMPLES, LiveServer

PHOTOS = 400


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Settings]]:
    """A made library of PHOTOS photos, served; a client of it and its settings."""
    home = tmp_path_factory.mktemp("walk")
    # As scripts/bench-routes serves it: no re-scan, which would index the made rows' files
    # again (their sizes and times are made up) while the tests read them.
    settings = Settings.from_env().with_overrides(
        library=str(home / "library.db"), rescan_minutes=0, watch=False
    )
    make_library(settings, home, SAMPLES, PHOTOS)
    with LiveServer(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client, settings


def test_the_walk_reaches_every_get_route_and_each_answers(
    served: tuple[httpx.Client, Settings], tmp_path: Path
) -> None:
    client, settings = served
    home = Path(settings.library).parent
    token = json.loads((home / MADE).read_text("utf-8"))["share_tokens"]["album"]
    schema = client.get("/openapi.json").json()
    pages = page_paths(create_app(settings))
    assert {"/", "/gallery", "/people", "/s/{token}"} <= set(pages)
    asked, skipped = requests_of(schema, pages, fill(client, token, None))
    walked = walk(client, asked, repeats=1)
    failed = {url: status for url, status in walked.statuses.items() if not 200 <= status < 300}
    assert not failed
    gets = {path for path, operations in schema["paths"].items() if "get" in operations}
    assert gets | set(pages) == set(walked.times) | set(skipped)
    # Only what a write makes is left out, and the job (this walk makes none) and category
    # (the maker teaches none: teaching scores every photo, minutes at 100,000).
    reasons = set(MADE_BY_WRITES.values()) | {"no job_id in the library",
                                               "no category_id in the library"}  # fmt: skip
    assert set(skipped.values()) <= reasons, skipped
    assert len(walked.times) >= len(gets) - len(skipped) + len(pages) - 1
    assert all(len(times) == len(asked_of(asked, route)) for route, times in walked.times.items())


def asked_of(asked: list[tuple[str, str, dict[str, str]]], route: str) -> list[str]:
    """The urls asked for one route."""
    return [url for r, url, _ in asked if r == route]


def test_the_made_library_has_every_kind_of_row(served: tuple[httpx.Client, Settings]) -> None:
    client, settings = served
    with sqlite3.connect(settings.library) as catalog:
        said = catalog.execute("SELECT count(*) FROM photo_text_lines").fetchone()[0]
        read = catalog.execute("SELECT count(*) FROM photo_texts").fetchone()[0]
    assert read > 0 and said > PHOTOS / 10  # photos read, some saying something
    people = client.get("/api/people").json()["people"]
    assert len(people) > 10 and any(p["name"] for p in people)
    assert len(client.get("/api/user-albums").json()["albums"]) == 10
    assert client.get("/api/favourites").json()["ids"]
    assert client.get("/api/moments").json()["moments"]
    clusters = client.get("/api/map/clusters").json()
    assert clusters
    photo = fill(client, None, None)["photo_id"]
    assert client.get(f"/api/photos/{photo}/thumbnail").content[:2] == b"\xff\xd8"
    assert client.get(f"/api/photos/{photo}/original").status_code == 200
