"""The People page in a real browser on a phone (375 px): name a person, merge two, take a face
out; screenshots in English and 中文. And a person's photos in the gallery, selected at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer
from tests.people_library import make_library

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people_url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over four photos each of six real people, faces found and grouped."""
    base = tmp_path_factory.mktemp("people-page")
    make_library(base / "photos", (0, 4))
    own = settings.with_overrides(library=str(base / "library.db"), faces=True, index_processes=1)
    engine = open_engine(own.library)
    Indexer(Classifier.from_settings(own), session_factory(engine), own.library).run(
        [base / "photos"]
    )
    engine.dispose()
    with LiveServer(own) as url:
        yield url


WIDER = """[...document.querySelectorAll('body *')].filter((e) =>
  e.getBoundingClientRect().right > 376).map((e) => `${e.tagName}#${e.id}.${e.className}`)"""


def fits(page: Any) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 375, page.evaluate(WIDER)


def api(url: str, path: str) -> Any:
    """GET an API path as JSON (a one-person server on this machine: no sign-in)."""
    return httpx.get(url + path, timeout=60).json()


def test_name_merge_and_take_a_face_out_on_a_phone(browser: object, people_url: str) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.extend([m.text] if "Security" in m.text else []))
    page.goto(people_url + "/people")
    page.evaluate("localStorage.clear()")
    page.reload()
    cards = page.locator("#people a[data-person]")
    expect(cards.first).to_be_visible()
    people = api(people_url, "/api/people")["people"]
    assert cards.count() == len(people) >= 2
    first, second = people[0], people[1]
    fits(page)

    cards.first.click()
    expect(page.locator("#name-en")).to_be_visible()
    page.locator("#name-en").fill("Alice")
    page.locator("#name-zh").fill("爱丽丝")
    page.locator("#save-name").click()
    expect(page.locator("#person-name")).to_have_text("Alice")
    named = api(people_url, f"/api/people/{first['id']}")
    assert (named["name"], named["name_zh"]) == ("Alice", "爱丽丝")

    page.locator("#merge-other").select_option(str(second["id"]))
    page.locator("#merge").click()
    faces = page.locator("#faces li[data-face]")
    expect(faces).to_have_count(first["faces"] + second["faces"])
    assert httpx.get(f"{people_url}/api/people/{second['id']}", timeout=60).status_code == 404

    wrong = faces.first.get_attribute("data-face")
    faces.first.locator("button[data-remove]").click()
    expect(faces).to_have_count(first["faces"] + second["faces"] - 1)
    after = api(people_url, f"/api/people/{first['id']}")["face_list"]
    assert int(wrong or 0) not in {f["id"] for f in after}
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "people-phone-en.png"), full_page=True)

    page.locator("[data-lang=zh]").click()
    expect(page.locator("#person-name")).to_have_text("爱丽丝")
    page.screenshot(path=str(ARTIFACTS / "people-phone-zh.png"), full_page=True)
    assert violations == []
    context.close()


def test_a_persons_grid_selects_like_every_grid(browser: object, people_url: str) -> None:
    """A person named, their photos found by the name in the gallery: a ring and a shift-click
    select them all, and one click puts a heart on each (select.js, as in an album)."""
    from playwright.sync_api import Browser, expect

    from tests.test_browser_albums import select

    assert isinstance(browser, Browser)
    person = api(people_url, "/api/people")["people"][-1]  # not the one the test above renames
    named = httpx.post(f"{people_url}/api/people/{person['id']}/name",
                       json={"name": "Bob", "name_zh": "鲍勃"}, timeout=60)  # fmt: skip
    assert named.status_code == 200, named.text
    theirs = {f["photo_id"] for f in api(people_url, f"/api/people/{person['id']}")["face_list"]}
    assert len(theirs) >= 2
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{people_url}/gallery#/search/{quote('鲍勃')}")
    grid = "#view ul.grid a[data-photo]"
    expect(page.locator(grid)).to_have_count(len(theirs), timeout=60_000)
    ids = [int(x) for x in page.locator(grid).evaluate_all("a => a.map(x => x.dataset.photo)")]
    assert set(ids) == theirs
    select(page, [f"{grid}[data-photo='{i}']" for i in ids], phone=False)
    expect(page.locator("#selection-count")).to_have_text(f"{len(ids)} selected")
    page.click("#selection-favourite")
    expect(page.locator(".heart[aria-pressed=true]")).to_have_count(len(ids))
    assert set(api(people_url, "/api/favourites")["ids"]) == theirs
    page.context.close()
