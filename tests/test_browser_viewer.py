"""The full-screen viewer in a real headless Chromium: a tile opens it, the keyboard and swipes
move through the grid, the wheel and a two-finger pinch zoom, the original replaces the
thumbnail, the panel hides, the address names the photo (a reload opens it, Back closes it),
a video plays (a real one plays to its frames in test_browser_video.py). And on this day, at
the top of the first screen, on a fixed day."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, wait_until

pytestmark = pytest.mark.browser
SHOWN = "#lightbox .lightbox-media"


def open_grid(page: Any, url: str) -> tuple[str, list[int]]:
    """Open the moment of the library's 7 photos (all undated: copied files); its address and
    the ids of its grid's tiles, in order."""
    from playwright.sync_api import expect

    moment = page.request.get(url + "/api/moments").json()["moments"][0]
    assert moment["count"] == 7
    address = f"/gallery#/moment/{moment['id']}"
    page.goto(url + address)
    tiles = page.locator(".grid a[data-photo]")
    expect(tiles.nth(3)).to_be_visible()
    ids = tiles.evaluate_all("(links) => links.map((a) => a.dataset.photo)")
    return address, [int(i) for i in ids]


def zoom_and_panel(page: Any) -> None:
    """The wheel zooms about the pointer and 0 undoes it; i hides the panel; the words follow
    the language."""
    from playwright.sync_api import expect

    box = page.locator("#lightbox")
    before = page.locator(SHOWN).bounding_box()
    page.mouse.move(500, 450)
    page.mouse.wheel(0, -400)
    wait_until(page, "() => Number(document.getElementById('lightbox').dataset.zoom) > 1.5")
    assert "scale(" in page.locator(SHOWN).evaluate("(img) => img.style.transform")
    after = page.locator(SHOWN).bounding_box()
    for axis, size, at in (("x", "width", 500), ("y", "height", 450)):  # the point stays put
        share = (at - before[axis]) / before[size]
        assert abs((at - after[axis]) / after[size] - share) < 0.01, (before, after)
    page.keyboard.press("0")
    expect(box).to_have_attribute("data-zoom", "1.00")

    page.keyboard.press("i")  # the panel hides, and stays hidden on the next photo
    expect(page.locator("#lightbox .lightbox-panel")).to_be_hidden()
    page.evaluate("setLang('zh')")  # the header's switch, under the viewer
    expect(page.locator("#lightbox .lightbox-close")).to_have_attribute("aria-label", "关闭")
    page.keyboard.press("i")
    expect(page.locator("#lightbox .lightbox-panel h3").first).to_have_text("拍摄时间")
    page.evaluate("setLang('en')")


def test_keys_wheel_panel_address_and_original(browser: Any, library_url: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    address, ids = open_grid(page, library_url)
    page.locator(f".grid a[data-photo='{ids[1]}']").click()
    box = page.locator("#lightbox")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-photo", str(ids[1]))
    expect(page).to_have_url(re.compile(rf"\?view={ids[1]}#/moment/m\d+$"))
    # The thumbnail first, then the original in its place, at the photo's own size.
    expect(page.locator(SHOWN)).to_have_attribute("data-full", "1")
    width = page.request.get(f"{library_url}/api/photos/{ids[1]}").json()["width"]
    assert page.locator(SHOWN).evaluate("(img) => img.naturalWidth") == width
    assert str(page.locator(SHOWN).get_attribute("src")).endswith(f"/api/photos/{ids[1]}/original")
    expect(page.locator("#lightbox .lightbox-labels li")).to_have_count(3)
    expect(page.locator("#lightbox .lightbox-count")).to_have_text(f"2 of {len(ids)}")

    page.keyboard.press("ArrowRight")
    expect(box).to_have_attribute("data-photo", str(ids[2]))
    for expected in (ids[1], ids[0], ids[0]):  # the first photo is as far as Left goes
        page.keyboard.press("ArrowLeft")
        expect(box).to_have_attribute("data-photo", str(expected))
    expect(page.locator("#lightbox .lightbox-prev")).to_be_disabled()

    zoom_and_panel(page)

    page.reload()  # the address opens the same photo over the same grid
    expect(box).to_have_attribute("data-photo", str(ids[0]))
    expect(page.locator("#lightbox .lightbox-count")).to_have_text(f"1 of {len(ids)}")
    page.keyboard.press("ArrowRight")
    expect(box).to_have_attribute("data-photo", str(ids[1]))
    name = page.request.get(f"{library_url}/api/photos/{ids[1]}").json()["name"]
    expect(page.locator("#lightbox .lightbox-name")).to_have_text(name)
    expect(page.locator(SHOWN)).to_have_attribute("data-full", "1")
    page.screenshot(path=str(ARTIFACTS / "viewer-1280.png"))
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(page).to_have_url(re.compile(re.escape(address) + "$"))

    page.locator(f".grid a[data-photo='{ids[3]}']").click()  # Back closes what a click opened
    expect(box).to_have_attribute("data-photo", str(ids[3]))
    page.go_back()
    expect(box).to_be_hidden()
    expect(page).to_have_url(re.compile(re.escape(address) + "$"))
    expect(page.locator(".grid a[data-photo]").first).to_be_visible()  # still the moment
    page.context.close()


def test_swipes_on_a_phone_and_a_video(browser: Any, library_url: str) -> None:
    from playwright.sync_api import Route, expect

    context = browser.new_context(viewport={"width": 375, "height": 812}, has_touch=True)
    page = context.new_page()
    _, ids = open_grid(page, library_url)
    page.locator(f".grid a[data-photo='{ids[0]}']").click()
    box = page.locator("#lightbox")
    expect(page.locator(SHOWN)).to_have_attribute("data-full", "1")

    def drag(dx: int, dy: int) -> None:
        page.mouse.move(190, 300)
        page.mouse.down()
        page.mouse.move(190 + dx, 300 + dy, steps=6)
        page.mouse.up()

    drag(-150, 10)  # a swipe to the left: the next photo
    expect(box).to_have_attribute("data-photo", str(ids[1]))
    drag(150, -5)
    expect(box).to_have_attribute("data-photo", str(ids[0]))
    drag(20, 0)  # a wobble is no swipe
    expect(box).to_have_attribute("data-photo", str(ids[0]))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer-375.png"))
    drag(0, 250)  # a swipe down puts the viewer away
    expect(box).to_be_hidden()

    # A video (the kind the formats issue adds to the photo API) plays in a <video>.
    def as_video(route: Route) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "kind": "video"})

    page.route(re.compile(rf"/api/photos/{ids[2]}$"), as_video)
    page.locator(f".grid a[data-photo='{ids[2]}']").click()
    video = page.locator("#lightbox video.lightbox-media")
    expect(video).to_have_attribute("src", f"/api/photos/{ids[2]}/original")
    assert video.get_attribute("controls") is not None
    assert json.loads(json.dumps(page.locator("#lightbox img").count())) == 0
    context.close()


@pytest.fixture(scope="module")
def trips_url(trip_library: tuple[Path, dict[str, int]], settings: Settings) -> Iterator[str]:
    """The app over tests/moments_library.py's trips."""
    own = Settings(cache_dir=settings.cache_dir, library=str(trip_library[0]), home="北京")
    with LiveServer(own) as url:
        yield url


@pytest.mark.parametrize("width", [1280, 375])
def test_on_this_day_heads_the_first_screen(browser: Any, trips_url: str, width: int) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.clock.set_fixed_time("2026-01-12T10:00:00")  # a year after the Niseko ski days
    page.goto(trips_url + "/gallery")
    memories = page.locator("section.memories")
    expect(memories.locator("h2")).to_have_text("On this day")
    expect(memories.locator(".memory-year h3")).to_have_text("1 year ago")
    expect(memories.locator(".memory-moments a")).to_have_count(2)  # Hokkaido and Honolulu
    expect(memories.locator(".memory-moments")).to_contain_text("Hokkaido, Japan · Skiing")
    expect(memories.locator("a[data-photo]")).to_have_count(5)
    # first on the screen: then the albums people made, then the smart ones
    assert memories.evaluate("(s) => s.nextElementSibling.matches('section.user-albums')")
    wait_until(page, "() => [...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"on-this-day-{width}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("[data-lang=zh]")
    expect(memories.locator("h2")).to_have_text("那年今日")
    expect(memories.locator(".memory-year h3")).to_have_text("一年前的今天")
    page.click("[data-lang=en]")
    memories.locator("a[data-photo]").nth(1).click()  # the viewer, over the day's photos
    expect(page.locator("#lightbox .lightbox-count")).to_have_text("2 of 5")
    page.keyboard.press("Escape")

    page.clock.set_fixed_time("2026-06-15T10:00:00")  # the undated photo's file day: nothing
    page.reload()
    expect(page.locator(".albums-grid")).to_be_visible()
    page.wait_for_timeout(500)  # the answer (no years) has come back by now
    expect(memories).to_be_hidden()
    context.close()


def pinch(page: Any, center: tuple[float, float], start: float, end: float) -> None:
    """Two fingers on the screen, from ``start`` to ``end`` pixels apart about ``center``, as
    the phone's touch screen sends them (CDP's Input.dispatchTouchEvent: real touch input,
    turned into pointer events by Chromium as on a phone)."""
    cdp = page.context.new_cdp_session(page)
    x, y = center

    def fingers(gap: float) -> list[dict[str, float]]:
        return [{"x": x - gap / 2, "y": y, "id": 0}, {"x": x + gap / 2, "y": y, "id": 1}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(start)})
    steps = 8
    for step in range(1, steps + 1):
        gap = start + (end - start) * step / steps
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": fingers(gap)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_pinch_zooms_in_and_out_on_a_phone(browser: Any, library_url: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 375, "height": 812}, has_touch=True)
    page = context.new_page()
    _, ids = open_grid(page, library_url)
    page.locator(f".grid a[data-photo='{ids[0]}']").click()
    box = page.locator("#lightbox")
    expect(page.locator(SHOWN)).to_have_attribute("data-full", "1")
    assert box.evaluate("(b) => Number(b.dataset.zoom || 1)") == 1
    shown = page.locator(SHOWN).bounding_box()
    middle = (shown["x"] + shown["width"] / 2, shown["y"] + shown["height"] / 2)
    pinch(page, middle, 60, 180)  # fingers apart: three times as large
    wait_until(page, "() => Number(document.getElementById('lightbox').dataset.zoom) > 2.5")
    assert 2.5 < float(box.get_attribute("data-zoom") or 0) < 3.5
    expect(box).to_have_attribute("data-photo", str(ids[0]))  # a pinch is no swipe
    pinch(page, middle, 180, 90)  # together again: half of that
    wait_until(page, "() => Number(document.getElementById('lightbox').dataset.zoom) < 1.8")
    assert 1.2 < float(box.get_attribute("data-zoom") or 0) < 1.8
    expect(box).to_have_attribute("data-photo", str(ids[0]))
    context.close()
