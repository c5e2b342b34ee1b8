"""Videos in a real headless Chromium on a 375 px phone: a play badge in the gallery, the video
played from its original in ranges, and the same from a share link opened by a stranger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, index_folder, wait_until
from tests.videos import skiing

pytestmark = pytest.mark.browser
CAT = "n02124075_Egyptian_cat.JPEG"
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True}
# Played: it has data for the current frame and time has moved on.
PLAYING = "(v) => { v.muted = true; v.play(); }"
# the gallery's viewer (#lightbox) or a page's own player (video.js)
PLAYED = "() => { const v = document.querySelector('#lightbox video, video.video-player'); "
PLAYED += "return v && v.readyState >= 2 && v.currentTime > 0.3; }"


@pytest.fixture(scope="module")
def served(
    settings: Settings, samples: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("phone")
    skiing(root / "skiing.mov", samples)
    (root / CAT).write_bytes((samples / CAT).read_bytes())
    catalog = tmp_path_factory.mktemp("catalog") / "library.db"
    assert index_folder(settings, root, catalog) == 2
    with LiveServer(settings.with_overrides(library=str(catalog))) as url:
        yield url


def ranges(page: Any) -> list[int]:
    """The statuses of the page's answers for originals, as they arrive."""
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/original" in r.url else None)
    return statuses


def test_the_gallery_plays_a_video_on_a_phone(browser: Any, served: str) -> None:
    from playwright.sync_api import expect

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    statuses = ranges(page)
    page.goto(f"{served}/gallery#/album/winter")
    video = page.locator("a[title='skiing.mov']")
    expect(video.locator(".play-badge")).to_be_visible()
    assert page.locator(".play-badge").count() == 1  # the cat is no video
    video.click()  # a tile opens the full-screen viewer, which plays a video in place
    player = page.locator("#lightbox video")
    expect(player).to_be_visible()
    player.evaluate(PLAYING)
    wait_until(page, PLAYED)
    assert 206 in statuses  # the player asked for ranges and got them
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "video-375.png"))
    phone.close()


def test_a_share_link_plays_a_video_on_a_phone(browser: Any, served: str) -> None:
    from playwright.sync_api import expect

    phone = browser.new_context(**PHONE)
    made = phone.request.post(f"{served}/api/albums/winter/shares", data={})
    assert made.status == 201, made.text()
    page = phone.new_page()
    statuses = ranges(page)
    assert page.goto(served + made.json()["url"]).status == 200
    cell = page.locator("#photos a.is-video")
    expect(cell.locator(".play-badge")).to_be_visible()
    cell.click()
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#viewer-img")).to_be_hidden()
    page.locator("#viewer video.video-player").evaluate(PLAYING)
    wait_until(page, PLAYED)
    assert 206 in statuses
    page.click("#viewer-close")
    wait_until(page, "() => document.querySelector('#viewer video').paused")  # closed: it stops
    phone.close()
