"""A photo's text is the user's data: a share link never serves it, even for a shared photo."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.ocr import Line, write_text
from smartalbum.settings import Settings
from tests.helpers import assert_error
from tests.test_shares import Server, server, share

__all__ = ["server"]  # the fixture, shared with test_shares

SECRET = "Wi-Fi 密码 hunter2"
BOX = (0.1, 0.1, 0.9, 0.1, 0.9, 0.2, 0.1, 0.2)


@pytest.fixture
def said(library_settings: Settings) -> None:
    """Every photo of this test's library says SECRET."""
    engine = open_engine(library_settings.library)
    try:
        sessions = session_factory(engine)
        with sessions.begin() as session:
            ids = list(session.scalars(select(Photo.id)))
            write_text(session, {i: [Line(SECRET, BOX, 0.9)] for i in ids})
    finally:
        engine.dispose()


def test_a_share_link_serves_no_text(said: None, server: Server) -> None:
    link = share(server, "album", "pets")
    with httpx.Client(base_url=server.url, timeout=60) as stranger:
        shown = stranger.get(f"/api/shared/{link['token']}", params={"limit": 500})
        assert shown.status_code == 200
        inside = shown.json()["photos"][0]["id"]
        base = f"/api/shared/{link['token']}/photos/{inside}"
        for path in (f"/api/shared/{link['token']}", base, f"{base}/text"):
            answer = stranger.get(path)
            assert "hunter2" not in answer.text and "密码" not in answer.text, path
        assert_error(stranger.get(f"/api/photos/{inside}/text"), 401, "unauthorized")
        searched = stranger.get("/api/search", params={"text": "hunter2"})
        assert_error(searched, 401, "unauthorized")
    # Signed in, the same photo's text is there: the link, not the catalog, holds it back.
    mine = httpx.get(f"{server.url}/api/photos/{inside}/text", headers=server.editor, timeout=60)
    assert [line["text"] for line in mine.json()["lines"]] == [SECRET]
