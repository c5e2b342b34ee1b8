"""Albums of one's own, select many and download, in a real headless Chromium at 1280 and 375 px.

From a search for dogs, 20 photos are selected (a shift-click on a desktop, a long press and
taps on a phone) and made into a new album; three get a heart, one is archived (gone from
the moments, found by ``is:archived``), the viewer moves through the album (swipes on the
phone, arrows on a desktop), and the album's ZIP holds the 20 originals.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from smartalbum.settings import Settings
from tests.conftest import Indexed
from tests.helpers import ARTIFACTS, SAMPLES, LiveServer, copy_catalog, index_folder

pytestmark = pytest.mark.browser
DOGS = 24


class Dogs(NamedTuple):
    catalog: Path  # the indexed library and DOGS dog photos: a template to copy
    folder: Path


@pytest.fixture(scope="module")
def dogs(settings: Settings, indexed: Indexed, tmp_path_factory: pytest.TempPathFactory) -> Dogs:
    base = tmp_path_factory.mktemp("dogs")
    folder = base / "dogs"
    folder.mkdir()
    for photo in sorted(SAMPLES.glob("n*.JPEG"))[151 : 151 + DOGS]:  # classes 151-268: dogs
        (folder / photo.name).write_bytes(photo.read_bytes())
    catalog = copy_catalog(indexed.catalog, base / "library.db")
    assert index_folder(settings, folder, catalog) == DOGS
    return Dogs(catalog, folder)


@pytest.fixture
def server(settings: Settings, dogs: Dogs, tmp_path: Path) -> Iterator[str]:
    catalog = copy_catalog(dogs.catalog, tmp_path / "library.db")
    with LiveServer(settings.with_overrides(library=str(catalog))) as url:
        yield url


def get(url: str, **options: Any) -> httpx.Response:
    """A GET with room for a busy machine (a first search reads the vocabulary)."""
    return httpx.get(url, timeout=120, **options)


def post(url: str, **options: Any) -> httpx.Response:
    """A POST with room for a busy machine."""
    return httpx.post(url, timeout=120, **options)


def long_press(page: Any, selector: str) -> None:
    """A finger held on an element for 0.7 s, as the phone's touch screen sends it."""
    box = page.locator(selector).bounding_box()
    point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
    page.wait_for_timeout(700)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def select(page: Any, tiles: list[str], phone: bool) -> None:
    """Select these tiles: on a phone a long press then taps, on a desktop the first tile's
    ring then a shift-click on the last (the tiles are a run in the page's order)."""
    if phone:
        long_press(page, tiles[0])
        for tile in tiles[1:]:
            page.tap(tile)
    else:
        page.click(tiles[0].replace("a[data-photo", "li:has(a[data-photo") + ") .pick")
        page.click(tiles[-1], modifiers=["Shift"])


@pytest.mark.parametrize("width", [1280, 375])
def test_an_album_from_a_search_favourites_archive_and_its_zip(
    browser: Any, server: str, dogs: Dogs, width: int
) -> None:
    from playwright.sync_api import expect

    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 900}, has_touch=phone, is_mobile=phone
    )
    page = context.new_page()
    page.goto(f"{server}/gallery#/search/dog")
    grid = "#view ul.grid a[data-photo]"
    # A library's first search reads its vocabulary: seconds when the machine is busy.
    expect(page.locator(grid).first).to_be_visible(timeout=60_000)
    ids = [int(x) for x in page.locator(grid).evaluate_all("a => a.map(x => x.dataset.photo)")]
    assert len(ids) >= 20
    tiles = [f"{grid}[data-photo='{i}']" for i in ids[:20]]

    select(page, tiles, phone)
    expect(page.locator("#selection-count")).to_have_text("20 selected")
    expect(page.locator("li.picked")).to_have_count(20)
    assert page.url.endswith("#/search/dog")  # selecting opened no photo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"selection-{width}.png"))
    page.click("[data-lang=zh]")  # the bar follows the language, the selection stays
    expect(page.locator("#selection-count")).to_have_text("已选 20 张")
    expect(page.locator("#selection-add")).to_have_text("加入")
    page.click("[data-lang=en]")
    expect(page.locator("li.picked")).to_have_count(20)
    page.fill("#selection-album-title", "Dogs I like")
    page.click("#selection-add")
    expect(page.locator("#selection-done")).to_contain_text("Dogs I like")
    albums = get(f"{server}/api/user-albums").json()["albums"]
    album = next(a for a in albums if a["title"] == "Dogs I like")
    assert album["count"] == 20
    shown = get(f"{server}/api/user-albums/{album['id']}", params={"limit": 500}).json()
    assert sorted(p["id"] for p in shown["photos"]) == sorted(ids[:20])

    # The albums page shows it beside the smart ones; its page lists its 20 photos.
    page.goto(f"{server}/gallery#/")
    expect(page.locator(f"[data-user-album='{album['id']}']")).to_contain_text("Dogs I like")
    page.click(f"[data-user-album='{album['id']}']")
    expect(page.locator(grid)).to_have_count(20)

    favourite_three_archive_one(page, server, shown["photos"], phone)

    page.goto(f"{server}/gallery#/my/{album['id']}")
    expect(page.locator(grid)).to_have_count(20)  # an archived photo stays in its album
    page.screenshot(path=str(ARTIFACTS / f"user-album-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    swipe_through(page, phone)
    with page.expect_download() as started:
        page.click("#album-download")
    zipped = started.value.path()
    with zipfile.ZipFile(io.BytesIO(Path(zipped).read_bytes())) as archive:
        names = archive.namelist()
        assert len(names) == 20
        for name in names:
            assert archive.read(name) == (SAMPLES / name).read_bytes(), name  # the original
    context.close()


def swipe_through(page: Any, phone: bool) -> None:
    """The album's first photo in the viewer, then the next three: a swipe on the phone, the
    arrow key on a desktop; Escape goes back to the album."""
    from playwright.sync_api import expect

    page.locator("#view ul.grid a[data-photo]").first.click()
    count = page.locator("#lightbox .lightbox-count")
    expect(count).to_have_text("1 of 20")
    for shown in range(2, 5):
        if phone:
            page.mouse.move(300, 400)
            page.mouse.down()
            page.mouse.move(120, 405, steps=6)
            page.mouse.up()
        else:
            page.keyboard.press("ArrowRight")
        expect(count).to_have_text(f"{shown} of 20")
    page.keyboard.press("Escape")
    expect(page.locator("#lightbox")).to_be_hidden()


def favourite_three_archive_one(
    page: Any, server: str, photos: list[dict[str, Any]], phone: bool
) -> None:
    """On an album's page: a heart on its first three photos, its sixth archived."""
    from playwright.sync_api import expect

    grid = "#view ul.grid a[data-photo]"
    in_album = [f"{grid}[data-photo='{p['id']}']" for p in photos]
    select(page, in_album[:3], phone)
    page.click("#selection-favourite")
    expect(page.locator(".heart[aria-pressed=true]")).to_have_count(3)
    hearts = get(f"{server}/api/favourites").json()["ids"]
    assert sorted(hearts) == sorted(p["id"] for p in photos[:3])

    archived = photos[5]["id"]
    select(page, [in_album[5]], phone)
    page.click("#selection-archive")
    expect(page.locator("#selection-done")).to_contain_text("Archived")
    assert archived not in photos_in_moments(server)
    page.goto(f"{server}/gallery#/search/is%3Aarchived")
    expect(page.locator(grid)).to_have_count(1)
    assert page.locator(grid).get_attribute("data-photo") == str(archived)


def photos_in_moments(server: str) -> set[int]:
    moments = get(f"{server}/api/moments", params={"limit": 500}).json()["moments"]
    return {
        p["id"]
        for m in moments
        for p in get(f"{server}/api/moments/{m['id']}", params={"limit": 500}).json()["photos"]
    }


def test_a_shift_click_picks_a_run_in_the_trash(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    found = get(f"{server}/api/search", params={"q": "dog"}).json()["photos"]
    ids = [p["id"] for p in found[:4]]
    assert post(f"{server}/api/trash", json={"ids": ids}).status_code == 200
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/gallery#/trash")
    boxes = page.locator("[data-trashed]")
    expect(boxes).to_have_count(4)
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    checked = page.locator("[data-trashed]:checked")
    expect(checked).to_have_count(3)
    page.click("#trash-restore")
    expect(page.locator("[data-trashed]")).to_have_count(1)
    page.close()


def test_an_album_page_renames_orders_covers_and_removes(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    found = get(f"{server}/api/search", params={"q": "dog"}).json()["photos"]
    ids = [p["id"] for p in found[:5]]
    album = post(f"{server}/api/user-albums", json={"title": "Walks", "ids": ids}).json()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/gallery#/my/{album['id']}")
    grid = "#view ul.grid a[data-photo]"
    expect(page.locator(grid)).to_have_count(5)
    page.click(".edit-album summary")
    page.fill("#album-title", "Morning walks")
    page.fill("#album-title-zh", "晨间散步")
    page.click("#album-rename")
    expect(page.locator("#user-album-heading")).to_contain_text("Morning walks")
    page.click("[data-lang=zh]")
    expect(page.locator("#user-album-heading")).to_contain_text("晨间散步")
    page.click("[data-lang=en]")

    ring = "li:has(a[data-photo='{}']) .pick".format
    page.click(ring(ids[4]))
    page.click("#album-toFront")  # by hand: the selected photo first (the panel stays open)
    expect(page.locator("#album-order")).to_have_value("manual")  # the page drawn again
    expect(page.locator(grid).first).to_have_attribute("data-photo", str(ids[4]))
    page.click(ring(ids[2]))
    page.click("#album-cover")
    expect(page.locator("li.is-cover > a")).to_have_attribute("data-photo", str(ids[2]))
    page.click(ring(ids[0]))
    page.click("#album-remove")
    expect(page.locator(grid)).to_have_count(4)
    shown = get(f"{server}/api/user-albums/{album['id']}").json()
    assert (shown["title"], shown["title_zh"], shown["order"]) == (
        "Morning walks", "晨间散步", "manual")  # fmt: skip
    assert shown["cover"] == ids[2] and shown["photos"][0]["id"] == ids[4]
    assert ids[0] not in [p["id"] for p in shown["photos"]]
    page.close()


def test_a_share_page_offers_its_zip_only_when_allowed(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    found = get(f"{server}/api/search", params={"q": "dog"}).json()["photos"]
    album = post(f"{server}/api/user-albums", json={"title": "Pups", "ids": [found[0]["id"]]})
    path = f"{server}/api/user-albums/{album.json()['id']}/shares"
    allowed = post(path, json={"allow_download": True}).json()
    closed = post(path, json={}).json()
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(server + allowed["url"])
    expect(page.locator("#heading")).to_contain_text("Pups")
    with page.expect_download() as started:
        page.click("#share-download")
    with zipfile.ZipFile(started.value.path()) as archive:
        assert archive.namelist() == [Path(found[0]["path"]).name]
    page.goto(server + closed["url"])
    expect(page.locator("#heading")).to_contain_text("Pups")
    expect(page.locator("#share-download")).to_have_count(0)
    page.close()
