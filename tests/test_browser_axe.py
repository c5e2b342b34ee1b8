"""Accessibility: axe-core (npm's axe-core 4.14.1, vendored in tests/vendor/) over every page of
the gallery and the Recognize page, at 1280 and 375 px, in a real headless Chromium: no
serious or critical violation, and headings in order. The pages' Content-Security-Policy
forbids the injected script, so the test's browser context bypasses it (the pages
themselves are unchanged)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_until

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


@pytest.mark.parametrize("width", [1280, 375])
def test_no_serious_violation_nor_skipped_heading_on_any_page(
    browser: Any, library_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for address in pages(page, library_url):
        page.goto(library_url + address)
        if address != "/":  # the gallery says when a view is drawn
            wait_until(page, "() => document.getElementById('view').dataset.ready !== undefined")
        page.wait_for_timeout(400)  # late parts (on this day, the map's clusters) drawn
        page.add_script_tag(content=AXE)
        violations = page.evaluate(RUN)
        if violations:
            found[address] = violations
    context.close()
    assert found == {}, "\n".join(f"{a}: {v}" for a, vs in found.items() for v in vs)
