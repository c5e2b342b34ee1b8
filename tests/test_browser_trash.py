"""The trash in a real headless Chromium: an editor deletes a photo from its page and restores
it from the Trash page; an admin deletes for good (twice-clicked); a viewer sees neither."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, CAT, LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def signed_in(browser: Any, url: str, name: str, width: int = 1280) -> Any:
    """A page of a fresh context signed in as ``name`` (through the API)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    answer = context.request.post(url + "/api/login", data={"name": name, "password": PASSWORD})
    assert answer.ok, answer.text()
    return context.new_page()


def test_delete_restore_and_purge_in_the_gallery(browser: Any, library_settings: Settings) -> None:
    from playwright.sync_api import expect

    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    for name in ("editor", "admin", "viewer"):
        accounts.add(name, name, PASSWORD)
    public = dataclasses.replace(library_settings, host="0.0.0.0")  # sign-in required
    with LiveServer(public) as url:
        editor = signed_in(browser, url, "editor", width=375)
        found = editor.request.get(url + "/api/search?q=Egyptian%20cat").json()["photos"]
        cat = next(p["id"] for p in found if p["path"].endswith(CAT))
        editor.goto(f"{url}/gallery#/photo/{cat}")
        editor.click("#photo-delete")
        expect(editor.locator("#photo-deleted")).to_be_visible()
        assert editor.request.get(f"{url}/api/photos/{cat}").status == 404

        editor.goto(f"{url}/gallery#/trash")
        expect(editor.locator("[data-trashed]")).to_have_count(1)
        expect(editor.locator(".trash-grid .caption")).to_contain_text("by editor · 30 days left")
        expect(editor.locator("#trash-purge")).to_be_hidden()  # an editor may not purge
        assert editor.evaluate("document.documentElement.scrollWidth") <= 375
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        editor.screenshot(path=str(ARTIFACTS / "trash-375-en.png"), full_page=True)
        editor.click("[data-lang=zh]")
        expect(editor.locator("#trash-heading")).to_contain_text("回收站中有 1 张照片")
        expect(editor.locator("a.trash-link")).to_have_text("回收站")
        editor.click("[data-lang=en]")
        editor.check(f"[data-trashed='{cat}']")
        editor.click("#trash-restore")
        expect(editor.locator("#trash-heading")).to_have_text("The trash is empty.")
        assert editor.request.get(f"{url}/api/photos/{cat}").status == 200

        admin = signed_in(browser, url, "admin")
        cookies = {c["name"]: c["value"] for c in admin.context.cookies()}
        csrf = {"X-CSRF-Token": cookies["smartalbum_csrf"]}
        assert admin.request.post(url + "/api/trash", data={"ids": [cat]}, headers=csrf).ok
        admin.goto(f"{url}/gallery#/trash")
        expect(admin.locator("[data-trashed]")).to_have_count(1)
        admin.click("#trash-all")
        admin.click("#trash-purge")
        expect(admin.locator("#trash-purge")).to_have_text("Really delete 1 for good?")
        admin.click("#trash-purge")
        expect(admin.locator("#trash-heading")).to_have_text("The trash is empty.")
        assert admin.request.get(f"{url}/api/photos/{cat}").status == 404

        viewer = signed_in(browser, url, "viewer")
        other = viewer.request.get(url + "/api/search?q=pizza").json()["photos"][0]["id"]
        viewer.goto(f"{url}/gallery#/photo/{other}")
        expect(viewer.locator(".panel h3").first).to_be_visible()
        expect(viewer.locator("#photo-delete")).to_be_hidden()
        expect(viewer.locator("a.trash-link")).to_be_hidden()
