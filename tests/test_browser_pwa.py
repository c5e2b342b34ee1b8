"""The app on a phone's home screen, in a real headless Chromium: the page registers the
service worker, which keeps the shell, so that offline a reload still opens the gallery and
says it is offline; API answers are never kept."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
CONTROLLED = "() => navigator.serviceWorker.controller !== null"
REGISTERED = "async () => (await navigator.serviceWorker.getRegistration('/')) !== undefined"


def test_the_gallery_opens_offline_with_the_offline_banner(
    browser: Any, library_settings: Settings
) -> None:
    from playwright.sync_api import expect

    Accounts(session_factory(open_engine(library_settings.library))).add("mia", "editor", PASSWORD)
    public = dataclasses.replace(library_settings, host="0.0.0.0")
    with LiveServer(public) as url:
        context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
        signed_in = {"name": "mia", "password": PASSWORD}
        assert context.request.post(url + "/api/login", data=signed_in).ok
        page = context.new_page()
        page.goto(url + "/gallery")
        expect(page.locator(".album-card").first).to_be_visible()
        expect(page.locator("#offline")).to_be_hidden()
        wait_until(page, REGISTERED)
        page.reload()  # the worker controls the page from its next load on
        wait_until(page, CONTROLLED, timeout=90)  # it installs ~70 files: slow on a busy CI
        kept = page.evaluate(
            "async () => (await Promise.all((await caches.keys()).map(async (n) =>"
            " (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname)))).flat()"
        )
        assert {"/gallery", "/static/gallery.js", "/static/vendor/tus.min.js"} <= set(kept)
        assert not [path for path in kept if path.startswith("/api/")], kept
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        context.set_offline(True)
        page.reload()
        expect(page.locator("header h1")).to_be_visible()  # the shell, from the worker's cache
        expect(page.locator("#offline")).to_be_visible()
        expect(page.locator("#offline")).to_contain_text("Offline")
        page.click("[data-lang=zh]")
        expect(page.locator("#offline")).to_contain_text("离线")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "offline-360.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        context.set_offline(False)
        page.reload()
        expect(page.locator(".album-card").first).to_be_visible()
        expect(page.locator("#offline")).to_be_hidden()
        context.close()
