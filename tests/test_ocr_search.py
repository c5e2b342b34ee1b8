"""Searching by the text in photos: ?text=, quoted phrases, words no class names, and text
with a place and a time, through the served app."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.cli import main
from smartalbum.ocr import Line, write_text
from smartalbum.places import geocoder
from smartalbum.places import stored as stored_place
from smartalbum.settings import Settings
from tests.helpers import LiveServer, copy_samples, index_folder
from tests.moments_library import BEIJING, TOKYO

TODAY = "2026-03-15"
BOX = (0.1, 0.1, 0.9, 0.1, 0.9, 0.2, 0.1, 0.2)
# photo (by its order of path) -> what it says, where and when it was taken
SAYS = {
    0: (["增值税电子普通发票", "收据 No. 2031"], TOKYO, "2025-05-02T10:00:00"),
    1: (["收据 Receipt"], BEIJING, "2025-06-01T10:00:00"),  # last year
    2: (["BOARDING PASS", "Gate 23"], None, "2026-01-10T10:00:00"),
    3: (["登機牌 Seat 12A"], None, "2024-02-01T10:00:00"),  # Traditional
}


@pytest.fixture(scope="module")
def said(
    settings: Settings, samples: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[int]]:
    """A library of five photos; four say SAYS, one nothing: its path and the photo ids in order."""
    folder = copy_samples(samples, tmp_path_factory.mktemp("text") / "photos", "n0[12]*.JPEG", 5)
    library = tmp_path_factory.mktemp("library") / "library.db"
    index_folder(settings, folder, library)
    engine = open_engine(library)
    try:
        sessions = session_factory(engine)
        with sessions.begin() as session:
            ids = [i for (i,) in session.execute(Photo.__table__.select().with_only_columns(
                Photo.id).order_by(Photo.path))]  # fmt: skip
            _say(session, ids)
    finally:
        engine.dispose()
    return library, ids


@pytest.fixture(scope="module")
def served(
    settings: Settings, said: tuple[Path, list[int]]
) -> Iterator[tuple[str, dict[int, int]]]:
    """The library served; the photo ids by index."""
    library, ids = said
    with LiveServer(dataclasses.replace(settings, library=str(library))) as url:
        yield url, dict(enumerate(ids))


def _say(session: Any, ids: list[int]) -> None:
    for n, (_lines, where, when) in SAYS.items():
        place = stored_place.encode(geocoder().lookup(*where)) if where else None
        session.execute(update(Photo).where(Photo.id == ids[n]).values(taken_at=when, place=place))
    write_text(session, {ids[n]: [Line(s, BOX, 0.9) for s in said[0]] for n, said in SAYS.items()})


def _search(url: str, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/search", params={"today": TODAY, **params}, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _found(answer: dict[str, Any], ids: dict[int, int]) -> set[int]:
    index = {photo_id: n for n, photo_id in ids.items()}
    return {index[p["id"]] for p in answer["photos"]}


@pytest.mark.parametrize(
    ("params", "photos"),
    [
        ({"text": "发票"}, {0}),
        ({"text": "收据"}, {0, 1}),
        ({"text": "receipt"}, {1}),
        ({"text": "登机牌"}, {3}),
        ({"q": '"boarding pass"'}, {2}),
        ({"q": "「登机牌」"}, {3}),
        ({"q": "“gate 23”"}, {2}),
        ({"q": "发票"}, {0}),  # no class, place or time: tried as text
        ({"q": "去年在东京的收据"}, {0}),  # text, place and time together
        ({"q": "去年的收据"}, {0, 1}),
        ({"q": "收据", "place": "Beijing"}, {1}),
        ({"q": "12a"}, {3}),
    ],
)
def test_finds_photos_by_what_they_say(
    served: tuple[str, dict[int, int]], params: dict[str, str], photos: set[int]
) -> None:
    url, ids = served
    answer = _search(url, **params)
    assert _found(answer, ids) == photos
    assert any(p["kind"] == "text" for p in answer["interpretation"])


def test_the_interpretation_shows_the_text_part(served: tuple[str, dict[int, int]]) -> None:
    url, _ = served
    parts = _search(url, q="去年在东京的收据")["interpretation"]
    assert [p["kind"] for p in parts] == ["when", "where", "text"]
    assert parts[2]["text"] == "收据" and parts[2]["matched"] == 2


@pytest.mark.parametrize(
    "q",
    ['"', '"unclosed', "board*", "NEAR(gate pass)", "-pass", "pass OR gate", "%_\\",
     "'; DROP TABLE photos; --", "x" * 500, "发票" * 250, "「」", '""'],
)  # fmt: skip
def test_query_syntax_is_an_ordinary_search(served: tuple[str, dict[int, int]], q: str) -> None:
    url, _ = served
    answer = _search(url, q=q)
    assert answer["total"] >= 0
    assert _search(url, text=q)["total"] >= 0


def test_a_photo_s_text_for_its_page(served: tuple[str, dict[int, int]]) -> None:
    url, ids = served
    said = httpx.get(f"{url}/api/photos/{ids[2]}/text", timeout=60).json()
    assert said["read"] is True
    assert [line["text"] for line in said["lines"]] == ["BOARDING PASS", "Gate 23"]
    assert said["lines"][0]["box"] == list(BOX) and said["lines"][0]["confidence"] == 0.9
    unread = httpx.get(f"{url}/api/photos/{ids[4]}/text", timeout=60).json()
    assert unread == {"id": ids[4], "read": False, "lines": []}
    missing = httpx.get(f"{url}/api/photos/999999/text", timeout=60)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    # The photo's own JSON names no text: the text has its one route behind the gate.
    assert "lines" not in httpx.get(f"{url}/api/photos/{ids[2]}", timeout=60).json()


def test_the_command_line_searches_text(
    said: tuple[Path, list[int]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    library, ids = said
    monkeypatch.setenv("SMARTALBUM_LIBRARY", str(library))
    for args, photos in (
        (["--text", "发票"], {0}),
        (["--text", "收据"], {0, 1}),
        (["--text", "boarding pass"], {2}),  # a phrase, not two words
        (["在北京", "--text", "收据"], {1}),  # with a sentence: both
    ):
        assert main(["search", *args, "--json", "--today", TODAY]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert {ids.index(p["id"]) for p in answer["photos"]} == photos, args
        assert answer["interpretation"][-1]["kind"] == "text"
