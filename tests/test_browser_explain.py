"""Heat-maps in a real headless Chromium: hover a label bar, the photo shows where it was seen."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.helpers import ARTIFACTS, CAT, SAMPLES, open_photo_page, wait_until

pytestmark = pytest.mark.browser


def csp_watch(page: Any) -> list[str]:
    """Console messages about the Content-Security-Policy refusing something, as they come."""
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    return refused


def overlay_is_over(page: Any, photo: str) -> dict[str, Any]:
    """The shown overlay's box and its photo's box, and the overlay's decoded PNG's alpha."""
    boxes: dict[str, Any] = page.evaluate(
        """(photo) => {
            const o = document.querySelector('.cam-overlay'), p = document.querySelector(photo);
            const a = o.getBoundingClientRect(), b = p.getBoundingClientRect();
            return {overlay: [a.left, a.top, a.width, a.height],
                    photo: [b.left, b.top, b.width, b.height],
                    src: o.src, loaded: o.complete && o.naturalWidth > 0};
        }""",
        photo,
    )
    return boxes


def hot_alpha(src: str) -> int:
    png = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    return int(np.asarray(png)[:, :, 3].max())


def test_hovering_a_bar_on_the_photo_page_shows_its_heatmap(
    browser: object, library_url: str
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = csp_watch(page)
    page.goto(library_url + "/gallery")
    page.locator(".album-card a[data-album=pets]").click()
    open_photo_page(page.locator(f".grid a[title='{CAT}']"))
    bars = page.locator(".detail .bar")
    expect(bars).to_have_count(5)
    wait_until(page, "() => document.querySelector('.detail .photo img').complete")
    expect(page.locator(".cam-overlay")).to_have_count(0)
    with page.expect_response(lambda r: "/explain?class=n02124075" in r.url) as answer:
        bars.first.hover()
    assert answer.value.status == 200
    overlay = page.locator(".cam-overlay")
    expect(overlay).to_have_count(1)
    expect(overlay).to_have_attribute("alt", "Where the model saw “Egyptian cat”")
    wait_until(page, "() => document.querySelector('.cam-overlay').complete")
    box = overlay_is_over(page, ".detail .photo img")
    assert box["loaded"] and hot_alpha(box["src"]) > 150
    ox, oy, ow, oh = box["overlay"]
    px, py, pw, ph = box["photo"]
    # The model's crop of a landscape photo: its full height, the middle of its width.
    assert ow > 50 and abs(ow - oh) < 2
    assert px - 1 <= ox and ox + ow <= px + pw + 1 and py - 1 <= oy and oy + oh <= py + ph + 1
    page.screenshot(path=str(ARTIFACTS / "explain-photo-1280.png"))
    # Another bar, another class's map; leaving the bars takes it away.
    with page.expect_response(lambda r: "/explain?class=" in r.url):
        bars.nth(1).hover()
    expect(page.locator(".cam-overlay")).to_have_count(1)
    page.locator("h3").first.hover()
    expect(page.locator(".cam-overlay")).to_have_count(0)
    assert refused == []
    context.close()


def test_hovering_a_bar_on_the_upload_page_shows_its_heatmap(
    browser: object, live_url: str
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = csp_watch(page)
    page.goto(live_url + "/")
    page.set_input_files("#picker", [str(SAMPLES / CAT)])
    expect(page.locator(".card[data-state=done]")).to_have_count(1, timeout=60_000)
    bars = page.locator(".card .bar")
    expect(bars).to_have_count(3)
    with page.expect_response(lambda r: "/predict?top_k=3&explain=1" in r.url) as answer:
        bars.first.hover()
    assert answer.value.status == 200
    assert {m["index"] for m in answer.value.json()["explain"]} == {285, 281, 282}
    expect(page.locator(".card .cam-overlay")).to_have_count(1)
    wait_until(page, "() => document.querySelector('.cam-overlay').complete")
    box = overlay_is_over(page, ".card img.thumb")
    assert box["loaded"] and hot_alpha(box["src"]) > 150
    page.locator(".card .thumb").screenshot(path=str(ARTIFACTS / "explain-upload-thumb.png"))
    page.screenshot(path=str(ARTIFACTS / "explain-upload-1280.png"))
    # A tap pins it: it stays after the pointer leaves, until the next tap.
    bars.first.click()
    page.locator("h1").hover()
    expect(page.locator(".cam-overlay")).to_have_count(1)
    bars.first.click()
    expect(page.locator(".cam-overlay")).to_have_count(0)
    assert refused == []
    context.close()
