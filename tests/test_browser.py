"""The upload page in a real headless Chromium: upload, bars, language switch, phone and desktop."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartalbum.settings import Settings
from tests.helpers import (
    ARTIFACTS,
    CAT,
    SAMPLES,
    LiveServer,
    copy_samples,
    open_photo_page,
    wait_until,
)

pytestmark = pytest.mark.browser


def test_upload_shows_bars_and_switches_language(browser: object, live_url: str) -> None:
    from playwright.sync_api import Browser, FilePayload, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, shot in ((1280, "desktop-1280.png"), (375, "phone-375.png")):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(live_url + "/")
        expect(page.locator("h1")).to_have_text("smartalbum")
        page.set_input_files("#picker", [str(SAMPLES / CAT), str(SAMPLES / "n11939491_daisy.JPEG")])
        expect(page.locator(".card[data-state=done]")).to_have_count(2, timeout=60_000)
        cat = page.locator(".card", has_text=CAT)
        bars = cat.locator(".bar")
        expect(bars).to_have_count(3)
        expect(bars.first.locator(".label span").first).to_have_text("Egyptian cat")
        value = bars.first.locator(".label span").last.inner_text()
        assert value.endswith("%") and 30 < float(value[:-1]) <= 100  # the cat's, in percent
        assert bars.first.locator("[role=progressbar]").get_attribute("aria-valuenow")
        # A rejected file gets a clear message on its own card.
        notes = FilePayload(name="notes.jpg", mimeType="image/jpeg", buffer=b"hi")
        page.set_input_files("#picker", files=[notes])
        expect(page.locator(".card[data-state=error] .error")).to_contain_text("not an image")
        # Chinese, remembered across a reload.
        page.click("#lang-zh")
        expect(bars.first.locator(".label span").first).to_have_text("埃及猫")
        expect(page.locator("h1")).to_have_text("智能相册")
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        page.reload()
        expect(page.locator("#lang-zh")).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        context.close()


def test_file_chooser_is_keyboard_reachable_and_labelled(browser: object, live_url: str) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    page = browser.new_page()
    page.goto(live_url + "/")
    page.evaluate("localStorage.clear()")
    focused = []
    for _ in range(12):  # past the header: four pages, the search and its button, two languages
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
    assert "picker" in focused
    assert page.locator("label[for=picker]").inner_text()
    page.close()


def start_import(browser: Any, url: str, folder: Path, lang: str) -> Any:
    """A new page in ``lang`` that has just asked the server to import ``folder``."""
    page = browser.new_page()
    page.goto(url + "/")
    page.evaluate("lang => localStorage.setItem('smartalbum.lang', lang)", lang)
    page.reload()
    page.fill("#folder", str(folder))
    page.click("#index-form button[type=submit]")
    return page


def test_import_a_folder_shows_progress_then_the_result(
    browser: object, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    folder = copy_samples(samples, tmp_path / "holiday", "n09*.JPEG", 4)
    own = settings.with_overrides(library=str(tmp_path / "lib.db"))  # a catalog of its own
    with LiveServer(own) as url:
        page = start_import(browser, url, folder, "en")
        expect(page.locator("#index-progress")).to_be_visible()
        status = page.locator("#index-status")
        expect(status).to_have_attribute("data-state", "done", timeout=60_000)
        expect(status).to_contain_text("Imported: 4 / 4")
        expect(page.locator("#index-cancel")).to_be_hidden()
        page.fill("#folder", str(tmp_path / "nowhere"))
        page.click("#index-form button[type=submit]")
        expect(status).to_contain_text("not a folder on the server")
        page.close()


def test_with_import_roots_the_page_offers_folders_to_pick(
    browser: object, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    root = tmp_path / "photos"
    root.mkdir()
    copy_samples(samples, root / "holiday", "n09*.JPEG", 3)
    own = settings.with_overrides(library=str(tmp_path / "lib.db"), import_roots=str(root))
    with LiveServer(own) as url:
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(url + "/")
        pick = page.locator("#folder-pick")
        expect(pick).to_be_visible()
        expect(page.locator("#folder")).to_be_hidden()  # no free-text server path
        expect(pick.locator("option")).to_have_count(2)  # the root and its one subfolder
        pick.select_option(str(root / "holiday"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "import-roots-375.png"), full_page=True)
        page.click("#index-form button[type=submit]")
        status = page.locator("#index-status")
        expect(status).to_have_attribute("data-state", "done", timeout=60_000)
        expect(status).to_contain_text("Imported: 3 / 3")
        page.close()


def test_the_pages_run_under_their_content_security_policy(
    browser: object, library_url: str
) -> None:
    from playwright.sync_api import Browser, ConsoleMessage, expect

    assert isinstance(browser, Browser)
    page = browser.new_page()
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", watch)
    page.goto(library_url + "/gallery")
    page.locator(".album-card a[data-album=pets]").click()
    open_photo_page(page.locator(f".grid a[title='{CAT}']"))
    fill = page.locator(".bar .fill").first
    expect(fill).to_be_visible()
    assert fill.evaluate("e => e.style.width").endswith("%")  # the bars' widths still apply
    page.goto(library_url + "/")
    expect(page.locator("#index-form")).to_be_visible()
    assert refused == []
    page.close()


def test_gallery_album_photo_correction_moves_the_photo(browser: object, library_url: str) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(library_url + "/gallery")
    page.evaluate("localStorage.clear()")
    page.reload()
    pets = page.locator(".album-card a[data-album=pets]")
    expect(pets).to_contain_text("My pets")
    expect(page.locator(".album-card")).to_have_count(12)
    wait_until(page, "() => [...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / "gallery-albums-1280.png"), full_page=True)

    pets.click()
    cat = page.locator(f".grid a[title='{CAT}']")
    expect(cat).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "gallery-album-pets.png"))
    open_photo_page(cat)
    correct_the_cat_to_a_daisy(page, library_url)
    undo_the_corrections(page, library_url)
    context.close()

    phone = browser.new_context(viewport={"width": 375, "height": 800})
    page = phone.new_page()
    page.goto(library_url + "/gallery#/search/猫")
    expect(page.locator(f".grid a[title='{CAT}']")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "gallery-search-phone-375.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.close()


def correct_the_cat_to_a_daisy(page: Any, url: str) -> None:
    """On the cat's photo page: reject a label, set daisy; the photo changes album at once."""
    from playwright.sync_api import expect

    bars = page.locator(".detail .bar")
    expect(bars).to_have_count(5)
    expect(bars.first.locator(".label > span").first).to_have_text("Egyptian cat")
    expect(page.locator(".tags a[data-album=pets]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "gallery-photo.png"))

    # Reject the second label: it is gone for this photo.
    page.locator(".detail .bar[data-wnid=n02123045] button.reject").click()
    expect(bars).to_have_count(4)
    expect(page.locator(".detail .bar[data-wnid=n02123045]")).to_have_count(0)
    # Set the right class: the photo leaves My pets for Flowers & plants at once.
    page.fill("#set-class", "n11939491")
    page.locator("form.correct button[type=submit]").click()
    expect(page.locator(".tags a[data-album=plants]")).to_be_visible()
    expect(page.locator(".tags a[data-album=pets]")).to_have_count(0)
    expect(bars.first.locator(".label > span").first).to_contain_text("daisy")
    expect(page.locator(".labels-heading")).to_have_text("Labels (corrected)")  # nobody signed in
    page.click("[data-lang=zh]")
    expect(bars.first.locator(".label > span").first).to_contain_text("雏菊")
    expect(page.locator(".labels-heading")).to_have_text("标签（已更正）")
    expect(page.locator(".tags a[data-album=plants]")).to_have_text("花草")
    page.screenshot(path=str(ARTIFACTS / "gallery-photo-corrected-zh.png"))
    page.locator(".tags a[data-album=plants]").click()
    expect(page.locator(f".grid a[title='{CAT}']")).to_be_visible()
    page.goto(url + "/gallery#/album/pets")
    expect(page.locator(".grid a").first).to_be_visible()
    expect(page.locator(f".grid a[title='{CAT}']")).to_have_count(0)


def undo_the_corrections(page: Any, url: str) -> None:
    """Undo both corrections from the photo page: the cat is back in My pets."""
    from playwright.sync_api import expect

    page.goto(url + "/gallery#/album/plants")
    open_photo_page(page.locator(f".grid a[title='{CAT}']"))
    for _ in range(2):
        page.locator(".corrections button").first.click()
        page.wait_for_timeout(300)
    expect(page.locator(".corrections li")).to_have_count(0)
    expect(page.locator(".tags a[data-album=pets]")).to_be_visible()


def test_cancel_an_import_from_the_page(
    browser: object, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    folder = copy_samples(samples, tmp_path / "big", "*.JPEG", 300)
    own = Settings(cache_dir=settings.cache_dir, library=str(tmp_path / "lib.db"))
    with LiveServer(own) as url:
        page = start_import(browser, url, folder, "zh")
        cancel = page.locator("#index-cancel")  # shown as soon as the job exists
        expect(cancel).to_have_text("取消")
        cancel.click()
        status = page.locator("#index-status")
        expect(status).to_have_attribute("data-state", "cancelled", timeout=60_000)
        expect(status).to_contain_text("导入已取消")
        expect(cancel).to_be_hidden()
        page.close()


@pytest.fixture(scope="module")
def trips_url(trip_library: tuple[Path, dict[str, int]], settings: Settings) -> Iterator[str]:
    """The app over tests/moments_library.py's trips, with Beijing as home."""
    own = Settings(
        cache_dir=settings.cache_dir,
        library=str(trip_library[0]),
        allow_download=False,
        home="Beijing",
    )
    with LiveServer(own) as url:
        yield url


def test_timeline_moment_photo_and_search_in_both_languages(
    browser: object, trips_url: str, trip_library: tuple[Path, dict[str, int]]
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    hokkaido = f"m{trip_library[1]['sapporo-1']}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(trips_url + "/gallery")
    page.evaluate("localStorage.clear()")
    page.get_by_role("link", name="Timeline").click()
    cards = page.locator(".moment-card")
    expect(cards).to_have_count(11)
    newest = cards.first
    expect(newest.locator(".name")).to_have_text(
        "Spring 2025 · Auvergne-Rhône-Alpes, France · Architecture"
    )
    expect(newest.locator(".where")).to_have_text("Lyon 01, Auvergne-Rhône-Alpes, France")
    expect(newest.locator(".trip-badge")).to_have_text("✈ Trip to Île-de-France, France · Apr 2025")
    card = page.locator(f".moment-card a[data-moment={hokkaido}]")
    expect(card.locator(".name")).to_have_text("Winter 2024–25 · Hokkaido, Japan · Skiing")
    expect(card.locator(".where")).to_have_text("Sapporo, Hokkaido, Japan")
    expect(card.locator(".dates")).to_have_text("Jan 10 – 12, 2025")
    expect(card).to_contain_text("8 photos")
    # The photo without EXIF: a group named by its day of import, with no dates of its own.
    undated = cards.last
    expect(undated.locator(".name")).to_contain_text("Undated · imported ")
    expect(undated.locator(".dates")).to_have_count(0)
    wait_until(page, "() => [...document.images].every((i) => i.complete && i.naturalWidth)")
    page.screenshot(path=str(ARTIFACTS / "timeline-1280.png"), full_page=True)

    card.click()
    expect(page.locator("h2")).to_contain_text("Winter 2024–25 · Hokkaido, Japan · Skiing")
    grid = page.locator(".grid a")
    expect(grid).to_have_count(8)
    expect(page.locator(".moment-facts .trip-badge")).to_contain_text("Trip to Hokkaido, Japan")
    wait_until(page, "() => [...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / "moment-1280.png"))
    open_photo_page(page.locator(".grid a[title='niseko-1.jpg']"))
    expect(page.locator(".moment-link a")).to_have_text("Winter 2024–25 · Hokkaido, Japan · Skiing")
    expect(page.locator(".facts")).to_contain_text("Niseko, Hokkaido, Japan")
    page.locator(".moment-link a").click()
    expect(grid).to_have_count(8)

    page.fill("#q", "北海道")
    page.locator("#search button[type=submit]").click()
    expect(page.locator(f".moment-chips a[data-moment={hokkaido}]")).to_contain_text(
        "Winter 2024–25 · Hokkaido, Japan · Skiing"
    )
    expect(page.locator(".grid a[title='sapporo-1.jpg']")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "search-moments-1280.png"))
    context.close()
    timeline_in_chinese_on_a_phone(browser, trips_url, hokkaido)


def timeline_in_chinese_on_a_phone(browser: Any, trips_url: str, hokkaido: str) -> None:
    """The timeline and a moment on a 375-pixel screen, in Chinese, without scrolling sideways."""
    from playwright.sync_api import expect

    phone = browser.new_context(viewport={"width": 375, "height": 800})
    page = phone.new_page()
    page.goto(trips_url + "/gallery#/timeline")
    page.click("[data-lang=zh]")
    expect(page.get_by_role("link", name="时间线")).to_be_visible()
    card = page.locator(f".moment-card a[data-moment={hokkaido}]")
    expect(card.locator(".name")).to_have_text("2024–25年冬 · 日本北海道 · 滑雪")
    expect(card.locator(".where")).to_have_text("日本北海道札幌")
    expect(card.locator(".trip-badge")).to_have_text("✈ 2025年1月 · 日本北海道之旅")
    expect(page.locator(".moment-card").nth(4).locator(".name")).to_have_text(
        "2024–25年夏 · 澳大利亚新南威尔士州 · 海滩"
    )
    wait_until(page, "() => [...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / "timeline-zh-375.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    card.click()
    expect(page.locator("h2")).to_contain_text("2024–25年冬 · 日本北海道 · 滑雪")
    expect(page.locator(".grid a")).to_have_count(8)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.close()


def sign_in_page(browser: Any, url: str, name: str, lang: str = "en") -> Any:
    """A fresh browser context, signed in as ``name`` through the sign-in page."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/gallery")
    expect(page).to_have_url(re.compile(r"/login\?next="))  # a stranger is sent to sign in
    page.evaluate("lang => localStorage.setItem('smartalbum.lang', lang)", lang)
    page.reload()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"login-{lang}.png"))
    page.fill("#name", name)
    page.fill("#password", "wrong password")
    page.click("#login-form button[type=submit]")
    status = page.locator("#login-status")
    expect(status).to_have_attribute("data-state", "failed")
    expect(status).to_contain_text("用户名或密码错误" if lang == "zh" else "wrong name or password")
    page.fill("#password", SIGN_IN_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).to_contain_text(name)
    return page


SIGN_IN_PASSWORD = "correct horse battery"


def test_sign_in_correct_as_an_editor_sign_out_and_a_viewer_sees_no_corrections(
    browser: object, library_settings: Settings
) -> None:
    from playwright.sync_api import Browser, expect

    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.accounts import Accounts

    assert isinstance(browser, Browser)
    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    accounts.add("mia", "editor", SIGN_IN_PASSWORD)
    accounts.add("leo", "viewer", SIGN_IN_PASSWORD)
    public = dataclasses.replace(library_settings, host="0.0.0.0")  # sign-in required
    with LiveServer(public) as url:
        page = sign_in_page(browser, url, "mia")
        page.locator(".album-card a[data-album=pets]").click()
        open_photo_page(page.locator(f".grid a[title='{CAT}']"))
        page.fill("#set-class", "n11939491")
        page.locator("form.correct button[type=submit]").click()
        expect(page.locator(".tags a[data-album=plants]")).to_be_visible()  # the editor's change
        page.click("#sign-out")
        expect(page).to_have_url(re.compile(r"/login"))
        page.goto(url + "/gallery")
        expect(page).to_have_url(re.compile(r"/login\?next="))  # signed out on the server
        page.context.close()

        viewer = sign_in_page(browser, url, "leo", lang="zh")
        viewer.locator(".album-card a[data-album=plants]").click()
        open_photo_page(viewer.locator(f".grid a[title='{CAT}']"))
        expect(viewer.locator(".detail .bar").first).to_be_visible()
        expect(viewer.locator(".detail .bar button.reject").first).to_be_hidden()
        expect(viewer.locator("form.correct")).to_be_hidden()
        viewer.goto(url + "/")
        expect(viewer.locator("#index-form")).to_be_hidden()  # imports are the admin's
        viewer.context.close()
