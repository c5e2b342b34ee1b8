"""The upload page in a real headless Chromium: upload, bars, language switch, phone and desktop."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CAT, REPO, SAMPLES

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed; scripts/test installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


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
        assert value.endswith("%") and 0 < float(value[:-1]) <= 100
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
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
    assert "picker" in focused
    assert page.locator("label[for=picker]").inner_text()
    page.close()


def test_import_a_folder_shows_progress_then_the_result(
    browser: object, live_url: str, samples: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    folder = tmp_path / "holiday"
    folder.mkdir()
    for p in sorted(samples.glob("n09*.JPEG"))[:4]:
        (folder / p.name).write_bytes(p.read_bytes())
    page = browser.new_page()
    page.goto(live_url + "/")
    page.evaluate("localStorage.clear()")
    page.reload()
    page.fill("#folder", str(folder))
    page.click("#index-form button[type=submit]")
    expect(page.locator("#index-progress")).to_be_visible()
    expect(page.locator("#index-status")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#index-status")).to_contain_text("Imported: 4 / 4")
    page.fill("#folder", str(tmp_path / "nowhere"))
    page.click("#index-form button[type=submit]")
    expect(page.locator("#index-status")).to_contain_text("not a folder on the server")
    page.close()


def test_gallery_album_photo_correction_moves_the_photo(
    browser: object, live_url: str, indexed_library: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_url + "/gallery")
    page.evaluate("localStorage.clear()")
    page.reload()
    pets = page.locator(".album-card a[data-album=pets]")
    expect(pets).to_contain_text("My pets")
    expect(page.locator(".album-card")).to_have_count(12)
    page.wait_for_function("[...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / "gallery-albums-1280.png"), full_page=True)

    pets.click()
    cat = page.locator(f".grid a[title='{CAT}']")
    expect(cat).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "gallery-album-pets.png"))
    cat.click()
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
    page.click("[data-lang=zh]")
    expect(bars.first.locator(".label > span").first).to_contain_text("雏菊")
    expect(page.locator(".tags a[data-album=plants]")).to_have_text("花草")
    page.screenshot(path=str(ARTIFACTS / "gallery-photo-corrected-zh.png"))
    page.locator(".tags a[data-album=plants]").click()
    expect(page.locator(f".grid a[title='{CAT}']")).to_be_visible()
    page.goto(live_url + "/gallery#/album/pets")
    expect(page.locator(".grid a").first).to_be_visible()
    expect(page.locator(f".grid a[title='{CAT}']")).to_have_count(0)

    # Undo both corrections from the photo page: back in My pets.
    page.goto(live_url + "/gallery#/album/plants")
    page.locator(f".grid a[title='{CAT}']").click()
    for _ in range(2):
        page.locator(".corrections button").first.click()
        page.wait_for_timeout(300)
    expect(page.locator(".corrections li")).to_have_count(0)
    expect(page.locator(".tags a[data-album=pets]")).to_be_visible()
    context.close()

    phone = browser.new_context(viewport={"width": 375, "height": 800})
    page = phone.new_page()
    page.goto(live_url + "/gallery#/search/猫")
    expect(page.locator(f".grid a[title='{CAT}']")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "gallery-search-phone-375.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.close()
