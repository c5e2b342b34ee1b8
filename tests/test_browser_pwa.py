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
ACTIVE = "async () => ((await navigator.serviceWorker.getRegistration('/')) || {}).active != null"
# What the worker is doing, said when a wait fails (CI has seen it not take the page).
STATE = """async () => {
  const r = await navigator.serviceWorker.getRegistration('/');
  const kept = await Promise.all((await caches.keys()).map(
    async (n) => [n, (await (await caches.open(n)).keys()).length]));
  return JSON.stringify({registered: !!r, installing: r && r.installing && r.installing.state,
    waiting: r && r.waiting && r.waiting.state, active: r && r.active && r.active.state,
    controller: !!navigator.serviceWorker.controller, kept});
}"""


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
        # Reloading while the worker installs can leave the new page uncontrolled for good: a
        # worker's clients.claim() passes over a page still loading. So wait for it to be active.
        said: list[str] = []
        context.on("console", lambda message: said.append(message.text))
        context.on("weberror", lambda error: said.append(str(error.error)))
        try:
            wait_until(page, ACTIVE, timeout=90)  # it keeps ~70 files first: slow on a busy CI
            page.reload()  # a page loaded with an active worker is its client
            wait_until(page, CONTROLLED, timeout=30)
        except AssertionError as failed:
            state = page.evaluate(STATE)
            raise AssertionError(f"{failed}; the worker: {state}; said: {said}") from failed
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
