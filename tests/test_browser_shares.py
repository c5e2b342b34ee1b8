"""A share link in a real headless Chromium: made by an editor in the gallery, opened on a phone
by a stranger (a fresh context, no sign-in), in English and 中文; gone after revoke and expiry."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, expire_share, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def signed_in(browser: Any, url: str, name: str) -> Any:
    """A page of a fresh context signed in as ``name`` (through the API: the sign-in page
    has its own test)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    answer = context.request.post(url + "/api/login", data={"name": name, "password": PASSWORD})
    assert answer.ok, answer.text()
    return context.new_page()


def make_link(page: Any, url: str, album: str) -> tuple[int, str]:
    """Share an album from its gallery page, a week long: (link id, the link's address)."""
    from playwright.sync_api import expect

    page.goto(f"{url}/gallery#/album/{album}")
    page.locator(".share summary").click()
    page.select_option("#share-expiry", "7")
    page.click("#share-make")
    link = page.locator("#share-url")
    expect(link).to_be_visible()
    expect(page.locator(".share .links li[data-link]")).to_have_count(1)
    ident = int(page.locator(".share .links li[data-link]").get_attribute("data-link"))
    return ident, str(link.get_attribute("href"))


def test_a_stranger_opens_a_shared_album_on_a_phone_until_it_is_revoked(
    browser: Any, library_settings: Settings
) -> None:
    from playwright.sync_api import expect

    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    accounts.add("mia", "editor", PASSWORD)
    public = dataclasses.replace(library_settings, host="0.0.0.0")  # sign-in required
    with LiveServer(public) as url:
        editor = signed_in(browser, url, "mia")
        ident, address = make_link(editor, url, "pets")
        count = editor.request.get(url + "/api/albums/pets").json()["count"]
        assert address.startswith(url + "/s/sh_")

        phone = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
        stranger = phone.new_page()
        assert stranger.goto(address).status == 200
        expect(stranger.locator("#heading")).to_contain_text("My pets")
        expect(stranger.locator("#photos a")).to_have_count(count)
        loaded = "() => [...document.querySelectorAll('#photos img')].every((i) => i.naturalWidth)"
        wait_until(stranger, loaded)
        assert stranger.evaluate("document.documentElement.scrollWidth") <= 375
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stranger.screenshot(path=str(ARTIFACTS / "share-375-en.png"), full_page=True)
        stranger.click("[data-lang=zh]")
        expect(stranger.locator("#heading")).to_contain_text("张照片")
        stranger.screenshot(path=str(ARTIFACTS / "share-375-zh.png"), full_page=True)
        stranger.locator("#photos a").first.click()
        expect(stranger.locator("#viewer")).to_be_visible()
        wait_until(stranger, "() => document.getElementById('viewer-img').naturalWidth > 0")
        stranger.click("#viewer-close")
        # The link opens this album only: the gallery still wants a sign-in.
        stranger.goto(url + "/gallery")
        assert "/login" in stranger.url

        editor.locator(f"[data-revoke='{ident}']").click()
        expect(editor.locator(".share .links li[data-link]")).to_have_count(0)
        gone = stranger.goto(address)
        assert gone.status == 404
        expect(stranger.locator("#heading")).to_contain_text("已撤销")  # the reader's language
        phone.close()
        editor.context.close()


def test_an_expired_link_is_gone(browser: Any, library_settings: Settings) -> None:
    from playwright.sync_api import expect

    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    accounts.add("mia", "editor", PASSWORD)
    public = dataclasses.replace(library_settings, host="0.0.0.0")
    with LiveServer(public) as url:
        editor = signed_in(browser, url, "mia")
        csrf = next(c["value"] for c in editor.context.cookies() if c["name"] == "smartalbum_csrf")
        made = editor.request.post(
            url + "/api/albums/food/shares",
            data={"expires_in_days": 1},
            headers={"X-CSRF-Token": csrf, "Origin": url},
        )
        assert made.status == 201, made.text()
        stranger = browser.new_context(viewport={"width": 375, "height": 812}).new_page()
        assert stranger.goto(url + made.json()["url"]).status == 200
        expect(stranger.locator("#photos a").first).to_be_visible()
        expire_share(library_settings.library, made.json()["id"])
        assert stranger.goto(url + made.json()["url"]).status == 404
        expect(stranger.locator("#heading")).to_contain_text("expired")
        stranger.context.close()
        editor.context.close()
