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
