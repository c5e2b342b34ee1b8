"""The gallery's sentence search in a real browser: chips in both languages, removing one widens
the search, results under their moments, a phone's width, a query that finds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, wait_until
from tests.search_library import build_library

pytestmark = pytest.mark.slow

QUERY = "skiing in Japan winter 2025"  # absolute: the browser's today does not matter


@pytest.fixture(scope="module")
def search_url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over tests/search_library.py's photos."""
    catalog, _ = build_library(settings, tmp_path_factory.mktemp("browser-search"))
    own = Settings(cache_dir=settings.cache_dir, library=str(catalog), allow_download=False)
    with LiveServer(own) as url:
        import httpx

        # Warm: the first search loads the world's place names (seconds on a busy machine),
        # longer than a page's expectations wait.
        httpx.get(f"{url}/api/search", params={"q": "cats"}, timeout=120).raise_for_status()
        yield url


def test_chips_widen_the_search_and_results_come_as_moments(
    browser: object, search_url: str
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.extend([m.text] if "Security" in m.text else []))
    page.goto(search_url + "/gallery")
    page.evaluate("localStorage.clear()")
    page.fill("#q", QUERY)
    page.locator("#search button[type=submit]").click()
    chips = page.locator(".query-chip")
    expect(chips).to_have_count(3)
    expect(chips.locator(".name")).to_have_text(["ski", "Japan", "winter 2025–26"])
    expect(chips.locator(".kind")).to_have_text(["what", "where", "when"])
    sections = page.locator(".result-moment")
    expect(sections).to_have_count(1)
    expect(sections.locator("h3")).to_have_text("Winter 2025–26 · Hokkaido, Japan · Skiing")
    expect(sections.locator(".facts-line")).to_contain_text("Jan 10 – 12, 2026")
    expect(sections.locator(".grid a")).to_have_count(4)  # skiing is skis and winter (issue 28)
    wait_until(page, "() => [...document.images].every((i) => i.complete && i.naturalWidth)")
    page.screenshot(path=str(ARTIFACTS / "search-chips-1280.png"), full_page=True)

    page.locator(".query-chip.when .remove").click()  # the season goes: every ski day in Japan
    expect(chips).to_have_count(2)
    expect(page).to_have_url(f"{search_url}/gallery#/search/{quote('skiing japan')}")
    expect(sections).to_have_count(2)
    results = page.locator(".search-results")
    expect(results).to_contain_text("Winter 2024–25 · Hokkaido, Japan · Skiing")
    expect(results).to_contain_text("Winter 2025–26 · Hokkaido, Japan · Skiing")
    expect(page.locator(".result-moment .grid a")).to_have_count(5)

    page.get_by_role("button", name="中文").click()
    expect(chips.locator(".name")).to_have_text(["滑雪板", "日本"])
    expect(chips.locator(".kind")).to_have_text(["内容", "地点"])
    expect(results).to_contain_text("2025–26年冬 · 日本北海道 · 滑雪")

    page.locator(".query-chip.where .flip").click()  # Japan flipped: skiing anywhere else
    expect(page).to_have_url(f"{search_url}/gallery#/search/{quote('skiing not japan')}")
    expect(page.locator(".query-chip.where.negated .name")).to_have_text("不含日本")
    expect(page.locator(".result-moment .grid a")).to_have_count(4)  # Zermatt, Queenstown
    expect(results).not_to_contain_text("日本")

    page.fill("#q", "日本的狗")  # no dog was ever in Japan: say so, and what the rest finds
    page.locator("#search button[type=submit]").click()
    expect(page.locator(".instead")).to_contain_text("没有同时符合“日本 + 狗”的照片")
    expect(page.locator(".instead")).to_contain_text("符合“狗”的有 3 张")
    expect(page.locator(".instead-photos .grid a")).to_have_count(3)
    expect(page.locator(".result-moment")).to_have_count(0)
    a_colour_chip(page)
    context.close()
    assert violations == []
    on_a_phone(browser, search_url)


def a_colour_chip(page: object) -> None:
    """A colour's chip shows the colour (search.css's swatches)."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.fill("#q", "红色的猫")
    page.locator("#search button[type=submit]").click()
    expect(page.locator(".query-chip .swatch.colour-red")).to_have_count(1)
    expect(page.locator(".query-chip .name").first).to_have_text("红色")


def on_a_phone(browser: object, search_url: str) -> None:
    """The chips wrap on a 375-pixel screen: nothing scrolls sideways."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{search_url}/gallery#/search/{quote('2024年夏天海边的狗')}")
    expect(page.locator(".query-chip")).to_have_count(3)
    nice = "Summer 2024 · Provence-Alpes-Côte d'Azur, France · Beach"
    expect(page.locator(".result-moment h3")).to_have_text(nice)
    wait_until(page, "() => document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=str(ARTIFACTS / "search-chips-phone-375.png"), full_page=True)
    context.close()


def test_the_photo_files_exist(search_url: str) -> None:
    """The fixture's catalog is real: the search API answers over it."""
    import httpx

    found = httpx.get(f"{search_url}/api/search", params={"q": "貓"}, timeout=30).json()
    assert {Path(p["path"]).stem for p in found["photos"]} == {"b-cat-1", "b-cat-2", "b-cat-3"}
