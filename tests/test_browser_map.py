"""The map page in a real headless Chromium over the moments test library: the world's
countries drawn offline, the clusters of its GPS photos, a click on one zooms there and lists
its photos (which open in the viewer), in both languages, at 1280 and 375 px. Its screenshots
(artifacts/screenshots/map-*) are copied to docs/ for the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def trips_url(trip_library: tuple[Path, dict[str, int]], settings: Settings) -> Iterator[str]:
    own = Settings(cache_dir=settings.cache_dir, library=str(trip_library[0]))
    with LiveServer(own) as url:
        yield url


@pytest.mark.parametrize("width", [1280, 375])
def test_clusters_on_the_world_map(browser: Any, trips_url: str, width: int) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    offline: list[str] = []
    page.on("request", lambda r: offline.append(r.url) if not r.url.startswith(trips_url) else None)
    page.goto(trips_url + "/gallery")
    page.locator("nav a[href='#/map']").click()
    world = page.locator("svg.world")
    expect(world.locator(".countries path")).to_have_count(177)  # Natural Earth's 1:110m
    expect(world).to_have_attribute("data-clusters", "5")  # 40° cells: Beijing and Tokyo share one
    counts = world.locator(".cluster").evaluate_all("(gs) => gs.map((g) => g.dataset.count)")
    assert sorted(map(int, counts)) == [4, 4, 5, 6, 8]
    hokkaido = world.locator(".cluster[data-count='6']")
    expect(hokkaido).to_have_attribute("aria-label", "Hokkaido, Japan · 6 photos")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if width == 1280:
        wait_until(page, "() => [...document.images].every((i) => i.complete)")
        page.screenshot(path=str(ARTIFACTS / "map-world-1280.png"))

    hokkaido.click()  # zooms there and lists its photos
    expect(page.locator(".map-here")).to_have_text("Hokkaido, Japan · 6 photos")
    expect(page.locator(".map-photos a[data-photo]")).to_have_count(6)
    assert int(str(world.get_attribute("data-zoom"))) >= 5
    wait_until(page, "() => document.querySelector('svg.world').dataset.clusters === '2'")
    # 0.625° cells or finer: Sapporo apart from Niseko
    wait_until(page, "() => [...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"map-hokkaido-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.click("[data-lang=zh]")
    expect(page.locator("nav a[href='#/map']")).to_have_text("地图")
    expect(page.locator(".map-here")).to_have_text("日本北海道 · 6 张照片")
    expect(world.locator(".cluster").first).to_have_attribute("aria-label", "日本北海道 · 4 张照片")
    page.click("[data-lang=en]")

    page.locator(".map-photos a[data-photo]").nth(2).click()
    expect(page.locator("#lightbox .lightbox-count")).to_have_text("3 of 6")
    page.keyboard.press("Escape")

    page.click(".map-reset")
    expect(world).to_have_attribute("data-zoom", "0")
    page.mouse.move(width // 2, 250)
    page.mouse.wheel(0, -700)
    wait_until(page, "() => Number(document.querySelector('svg.world').dataset.zoom) >= 1")
    assert offline == []  # nothing from anywhere but this server
    page.screenshot(path=str(ARTIFACTS / f"map-{width}.png"))
    context.close()
