"""The pages on a phone, signed in, in a real headless Chromium: every page fits 375 px and
asks for nothing that is missing; sign-in from a deep link returns to it; the Recognize page
keeps the order photos were chosen in and says what failed; the photo page says who corrected
it. One server (sign-in required) for the module."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import quote

import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.library.shares import ShareLinks
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, CAT, SAMPLES, LiveServer, copy_catalog, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
PHONE = {"width": 375, "height": 812}
LOADED = "() => [...document.images].every((i) => i.complete)"


class Site(NamedTuple):
    """The module's server and the share link to its pets album."""

    url: str
    share: str


@pytest.fixture(scope="module")
def site(
    settings: Settings, indexed: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The indexed library (conftest's ``indexed``) served as on a household's network:
    sign-in required."""
    catalog = copy_catalog(indexed.catalog, tmp_path_factory.mktemp("pages") / "library.db")
    engine = open_engine(str(catalog))
    Accounts(session_factory(engine)).add("ana", "admin", PASSWORD)
    token = ShareLinks(session_factory(engine)).create("album", "pets", "ana")["token"]
    engine.dispose()
    public = dataclasses.replace(settings.with_overrides(library=str(catalog)), host="0.0.0.0")
    with LiveServer(public) as url:
        yield Site(url, token)


def phone(browser: Any, url: str | None = None) -> Any:
    """A new 375-pixel context, signed in as ana when a server's ``url`` is given."""
    context = browser.new_context(viewport=PHONE)
    if url is not None:
        signing_in = {"name": "ana", "password": PASSWORD}
        answer = context.request.post(url + "/api/login", data=signing_in)
        assert answer.ok, answer.text()
    return context


def failed_requests(page: Any) -> list[str]:
    """Every answer of 400 or more the page gets from now on (a missing icon, a refused call)."""
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return failed


def test_every_page_fits_a_phone_and_asks_for_nothing_missing(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    context = phone(browser, site.url)
    page = context.new_page()
    failed = failed_requests(page)
    photo = context.request.get(site.url + "/api/search?q=cat").json()["photos"][0]["id"]
    moment = context.request.get(site.url + "/api/moments").json()["moments"][0]["id"]
    gallery = ["#/", "#/album/pets", f"#/photo/{photo}", "#/search/cat", "#/timeline",
               f"#/moment/{moment}", "#/categories"]  # fmt: skip
    pages = ["/", *(f"/gallery{view}" for view in gallery), "/login", f"/s/{site.share}"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in pages:
        page.goto(site.url + path)
        if path.startswith("/gallery"):
            expect(page.locator(f"#view[data-ready='{path[len('/gallery') :]}']")).to_be_attached()
        elif path.startswith("/s/"):
            expect(page.locator("#view[data-ready]")).to_be_attached()
        if path not in ("/login", f"/s/{site.share}"):
            expect(page.locator("#who")).to_contain_text("ana")  # the widest the header gets
        wait_until(page, LOADED)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
        expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/static/favicon.svg")
        name = re.sub(r"\W+", "-", path.strip("/#")) or "recognize"
        name = "share" if path.startswith("/s/") else name
        page.screenshot(path=str(ARTIFACTS / f"page-375-{name}.png"), full_page=True)
    assert failed == []
    shared_photos_show_dates_and_only_believable_labels(page)
    # Headless Chromium fetches no icon by itself, so the test asks: the one every page links,
    # and the address a browser tries on its own, for anybody.
    stranger = browser.new_context().request
    for icon in (
        stranger.get(site.url + "/static/favicon.svg"),
        stranger.get(site.url + "/favicon.ico"),
    ):
        assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml", icon.url
    context.close()


def shared_photos_show_dates_and_only_believable_labels(page: Any) -> None:
    """On the share page (shown last): every photo has its date, in the grid and the viewer;
    the viewer shows no label under even odds."""
    from playwright.sync_api import expect

    cells = page.locator("#photos a")
    assert cells.count() >= 2
    dates = page.locator("#photos .caption time")
    assert dates.count() == cells.count()
    for date in dates.all():
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", str(date.get_attribute("datetime")))
        assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", date.inner_text()), date.inner_text()
    for cell in cells.all():
        cell.click()
        expect(page.locator("#viewer-date time")).to_have_text(cell.locator("time").inner_text())
        for shown in page.locator("#viewer-labels li").all_inner_texts():
            assert int(shown.rsplit("·", 1)[1].strip(" %")) >= 50, shown
        page.click("#viewer-close")


def test_sign_in_from_a_deep_link_returns_to_it(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    context = phone(browser)
    page = context.new_page()
    page.goto(site.url + "/gallery#/album/pets")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.screenshot(path=str(ARTIFACTS / "page-375-login-deep-link.png"))
    page.fill("#name", "ana")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(site.url + "/gallery#/album/pets")
    expect(page.locator("h2")).to_contain_text("My pets")
    # Only a page of this site: what a browser reads as another site goes to the gallery.
    hostile = ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "https://evil.example/",
               "javascript:alert(1)", "/login"]  # fmt: skip
    for wanted in hostile:
        page.goto(f"{site.url}/login?next={quote(wanted, safe='')}")
        assert page.evaluate("next()") == "/gallery", wanted
    page.goto(f"{site.url}/login?next={quote('/gallery#/timeline', safe='')}")
    assert page.evaluate("next()") == "/gallery#/timeline"  # the gallery's own 401 sends this
    context.close()


def photo(name: str) -> dict[str, Any]:
    """A sample photo as the file picker hands it over."""
    return {"name": name, "mimeType": "image/jpeg", "buffer": (SAMPLES / name).read_bytes()}


def test_recognize_keeps_the_order_chosen_and_says_what_failed(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    context = phone(browser, site.url)
    page = context.new_page()
    page.goto(site.url + "/")
    page.evaluate("localStorage.clear()")
    page.reload()
    text = {"name": "notimage.txt", "mimeType": "text/plain", "buffer": b"not a photo\n"}
    chosen = [photo("n11939491_daisy.JPEG"), photo(CAT), text, photo("n09193705_alp.JPEG")]
    page.set_input_files("#picker", files=chosen)
    expect(page.locator(".card[data-state]")).to_have_count(4, timeout=60_000)
    assert page.locator(".card .name").all_inner_texts() == [f["name"] for f in chosen]
    status = page.locator("#status")
    expect(status).to_have_text("Done: 3 recognized, 1 failed (see below).")
    error = page.locator(".card[data-state=error] .error")
    expect(error).to_contain_text("not an image")
    assert error.inner_text().count("notimage.txt") == 1, error.inner_text()
    page.click("#lang-zh")
    expect(status).to_have_text("完成：已识别 3 张，1 张失败（见下方）。")
    page.screenshot(path=str(ARTIFACTS / "page-375-recognize-results-zh.png"), full_page=True)
    page.set_input_files("#picker", files=[photo("n07873807_pizza.JPEG")])  # a second batch
    expect(page.locator(".card[data-state]")).to_have_count(5, timeout=60_000)
    assert page.locator(".card .name").first.inner_text() == "n07873807_pizza.JPEG"
    expect(status).to_have_text("完成：已识别 1 张。")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The header leads to the gallery's pages, its search included.
    links = page.locator("header nav a")
    hrefs = links.evaluate_all("links => links.map((a) => a.getAttribute('href'))")
    assert {"/gallery#/", "/gallery#/timeline", "/gallery#/categories", "/"} <= set(hrefs)
    page.fill("#q", "cat")
    page.locator("#search button[type=submit]").click()
    expect(page).to_have_url(site.url + "/gallery#/search/cat")
    expect(page.locator(f".grid a[title='{CAT}']")).to_be_visible()
    context.close()


def test_the_photo_page_says_who_corrected_its_labels(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    context = phone(browser, site.url)
    page = context.new_page()
    found = context.request.get(site.url + "/api/search?q=violin").json()["photos"][0]
    page.goto(f"{site.url}/gallery#/photo/{found['id']}")
    page.evaluate("localStorage.clear()")
    heading = page.locator(".labels-heading")
    expect(heading).to_have_text("What the model sees")
    page.locator(".detail .bar button.reject").last.click()
    expect(heading).to_have_text("Labels (corrected by ana)")
    page.click("[data-lang=zh]")
    expect(heading).to_have_text("标签（由 ana 更正）")
    page.locator(".corrections button").click()  # undone: the model's labels again
    expect(heading).to_have_text("识别结果")
    context.close()
