"""Faces in a real browser on a phone (375 px): the People page looks for faces in a library
indexed without them, a job with progress; then the photo page and the viewer draw each face's
box with its person's name ("?" for one not named yet), a tap on it opening that person."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer
from tests.people_library import index_few

pytestmark = pytest.mark.browser


class Served:
    """The server's address and the group photo's id."""

    def __init__(self, url: str, both: int, photos: int) -> None:
        self.url, self.both, self.photos = url, both, photos


@pytest.fixture(scope="module")
def served(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The small library (tests/people_library.py) indexed without faces, served with them on."""
    base = tmp_path_factory.mktemp("faces-page")
    library = str(base / "library.db")
    photos = index_few(base / "photos", library, settings, faces=False)
    engine = open_engine(library)
    with session_factory(engine)() as session:
        both = session.scalar(select(Photo.id).where(Photo.path.like("%both.jpg")))
    engine.dispose()
    assert both is not None
    with LiveServer(settings.with_overrides(library=library, faces=True)) as url:
        yield Served(url, both, photos)


def fits(page: Any) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375


def test_look_for_faces_then_see_them_named_on_the_photo_and_in_the_viewer(
    browser: object, served: Served
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(served.url + "/people")
    page.evaluate("localStorage.clear()")
    page.reload()
    expect(page.locator("#scan-status")).to_contain_text(f"{served.photos} photos have not")
    fits(page)
    page.locator("#scan").click()
    cards = page.locator("#people a[data-person]")
    expect(page.locator("#scan-status")).to_have_text(
        f"Looked at {served.photos} photos.", timeout=120_000
    )
    expect(cards.first).to_be_visible()
    expect(page.locator("#scan")).to_be_hidden()  # nothing left to look at
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "faces-scan-phone.png"), full_page=True)

    faces = httpx.get(f"{served.url}/api/photos/{served.both}/faces", timeout=60).json()["faces"]
    assert len(faces) == 2 and all(f["person_id"] for f in faces), faces
    named, unnamed = faces
    httpx.post(f"{served.url}/api/people/{named['person_id']}/name", json={"name": "Colin"},
               timeout=60).raise_for_status()  # fmt: skip

    page.goto(f"{served.url}/gallery#/photo/{served.both}")
    boxes = page.locator(".detail .face-box")
    expect(boxes).to_have_count(2)
    expect(page.locator(f'.detail .face-box[data-face="{named["id"]}"]')).to_have_text("Colin")
    expect(page.locator(f'.detail .face-box[data-face="{unnamed["id"]}"]')).to_have_text("?")
    box = page.locator(f'.detail .face-box[data-face="{named["id"]}"]').bounding_box()
    photo = page.locator(".detail .photo img").bounding_box()
    assert box and photo and box["width"] > 10
    assert photo["x"] <= box["x"] and box["x"] + box["width"] <= photo["x"] + photo["width"]
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "faces-photo-phone.png"), full_page=True)
    page.locator(f'.detail .face-box[data-face="{named["id"]}"]').click()
    expect(page.locator("#person-name")).to_have_text("Colin")
    assert page.url.endswith(f"/people#/person/{named['person_id']}")

    page.goto(f"{served.url}/gallery?view={served.both}#/")
    in_viewer = page.locator(f'#lightbox .face-box[data-face="{named["id"]}"]')
    expect(in_viewer).to_have_text("Colin")
    expect(page.locator("#lightbox .lightbox-people")).to_contain_text("Colin")  # the panel
    page.screenshot(path=str(ARTIFACTS / "faces-viewer-phone.png"))
    in_viewer.click()
    expect(page.locator("#person-name")).to_have_text("Colin")
    context.close()
