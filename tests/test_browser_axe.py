"""Accessibility: axe-core (npm's axe-core 4.14.1, vendored in tests/vendor/) over every page of
the gallery (a person's album, the selection bar, on this day and the People page among
them) and the Recognize page, at 1280 and 375 px, in a real headless Chromium: no
serious or critical violation, and headings in order. The pages' Content-Security-Policy
forbids the injected script, so the test's browser context bypasses it (the pages
themselves are unchanged)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartalbum.settings import Settings
from tests.helpers import LiveServer, wait_until

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text("utf-8")
RUN = """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
  .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "heading-order")
  .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4)
    .map((n) => `${n.target.join(" ")} ${n.html.slice(0, 80)} ${n.failureSummary}`).join("; "))"""


def pages(page: Any, url: str) -> list[str]:
    """Every page of the gallery with the indexed library's ids filled in, and Recognize."""
    moment = page.request.get(url + "/api/moments").json()["moments"][0]["id"]
    photo = page.request.get(url + "/api/search?q=cat").json()["photos"][0]["id"]
    views = ["#/", "#/timeline", "#/map", "#/album/pets", f"#/moment/{moment}",
             f"#/photo/{photo}", "#/search/cat", "#/categories", "#/trash"]  # fmt: skip
    return ["/", *(f"/gallery{view}" for view in views), f"/gallery?view={photo}#/album/pets"]


def checked(page: Any, url: str, address: str) -> list[str]:
    """The serious and critical violations (and heading skips) of one page, once drawn."""
    page.goto(url + address)
    if address.startswith("/gallery"):  # the gallery says when a view is drawn
        wait_until(page, "() => document.getElementById('view').dataset.ready !== undefined")
    page.wait_for_timeout(400)  # late parts (on this day, the map's clusters) drawn
    page.add_script_tag(content=AXE)
    found: list[str] = page.evaluate(RUN)
    return found


@pytest.mark.parametrize("width", [1280, 375])
def test_no_serious_violation_nor_skipped_heading_on_any_page(
    browser: Any, library_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    # A person's album (then the albums page lists it too), with the selection bar up; and the
    # People page, empty here (the suite indexes with faces off).
    ids = [p["id"] for p in page.request.get(library_url + "/api/search?q=cat").json()["photos"]]
    made = page.request.post(library_url + "/api/user-albums", data={"title": "Axe", "ids": ids})
    album = made.json()["id"]
    try:
        for address in [*pages(page, library_url), f"/gallery#/my/{album}", "/people"]:
            if violations := checked(page, library_url, address):
                found[address] = violations
        page.goto(f"{library_url}/gallery#/my/{album}")
        page.locator("#view ul.grid li .pick").first.click()
        page.locator("#selection-count").wait_for()
        page.add_script_tag(content=AXE)
        if violations := page.evaluate(RUN):
            found["the selection bar"] = violations
    finally:
        page.request.delete(f"{library_url}/api/user-albums/{album}")
    context.close()
    assert found == {}, "\n".join(f"{a}: {v}" for a, vs in found.items() for v in vs)


@pytest.fixture(scope="module")
def trips_url(trip_library: tuple[Path, dict[str, int]], settings: Settings) -> Iterator[str]:
    """The app over tests/moments_library.py's trips (dated photos: on this day has some)."""
    own = Settings(cache_dir=settings.cache_dir, library=str(trip_library[0]), home="北京")
    with LiveServer(own) as url:
        yield url


@pytest.mark.parametrize("width", [1280, 375])
def test_on_this_day_has_no_serious_violation(browser: Any, trips_url: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.clock.set_fixed_time("2026-01-12T10:00:00")  # a year after the Niseko ski days
    page.goto(trips_url + "/gallery")
    page.locator("section.memories .memory-year").first.wait_for()
    assert checked(page, trips_url, "/gallery#/") == []
    context.close()
