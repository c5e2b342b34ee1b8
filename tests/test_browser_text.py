"""The text in a photo on its page, in a real headless Chromium: the lines read, the one the
search asked for marked on the photo and in the list, and copied with a click."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest

from smartalbum.bench.text_set import fonts_missing, make_set
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, index_folder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(fonts_missing()), reason="needs fonts-noto-cjk, dejavu"),
]


def test_the_photo_page_shows_marks_and_copies_its_text(
    browser: Any, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    made = make_set(samples, tmp_path / "set", count=3, seed=3)
    english = next(s for s in made if s.kind == "english")
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(tmp_path / "set" / english.file, photos / english.file)
    on = dataclasses.replace(settings, text=True, library=str(tmp_path / "library.db"))
    index_folder(on, photos, on.library)
    word = english.lines[0].split()[0]
    with LiveServer(on) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        page = context.new_page()
        page.goto(f'{url}/gallery#/search/"{word}"')
        expect(page.locator(".query-chip.text")).to_have_count(1)
        photo = page.request.get(f'{url}/api/search?q="{word}"').json()["photos"][0]["id"]
        page.goto(f"{url}/gallery#/photo/{photo}")
        lines = page.locator(".text-lines li")
        expect(lines.first).to_be_visible()
        expect(page.locator(".text-lines li.hit")).to_contain_text(word)
        expect(page.locator(".text-boxes polygon.hit")).to_have_count(1)
        page.locator(".text-lines li.hit button.copy").click()
        assert word in page.evaluate("navigator.clipboard.readText()")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "photo-text-1280-en.png"))
        context.close()
