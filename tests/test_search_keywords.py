"""Keywords, titles and ratings from XMP (sidecars and embedded packets) in search, over a small
indexed library of its own: the cat (a sidecar with Chinese keywords, 2 stars), the dog (an
embedded packet: "Rex", "tabby", 3 stars) and the daisy (digiKam's sidecar: "Grandma",
"garden party", 4 stars, a title). Through ``GET /api/search`` and the command line."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from smartalbum.cli import main
from smartalbum.search.ratings import Stars, split
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, LiveServer, index_folder
from tests.test_xmp import DIGIKAM

DOG = "n02099601_golden_retriever.JPEG"
DAISY = "n11939491_daisy.JPEG"


def packet(keywords: list[str], rating: int) -> str:
    """An XMP packet with these dc:subject keywords and this rating."""
    items = "".join(f"<rdf:li>{k}</rdf:li>" for k in keywords)
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        f'xmp:Rating="{rating}"><dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def with_embedded_xmp(jpeg: bytes, xmp: str) -> bytes:
    """The JPEG with an APP1 XMP segment after its start-of-image marker, as cameras write it."""
    body = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()
    return jpeg[:2] + b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body + jpeg[2:]


@pytest.fixture(scope="module")
def served(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the three photos, their sidecars and packet."""
    folder = tmp_path_factory.mktemp("tagged")
    for name in (CAT, DAISY):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    (folder / DOG).write_bytes(
        with_embedded_xmp((SAMPLES / DOG).read_bytes(), packet(["Rex", "tabby"], 3))
    )
    (folder / f"{DAISY}.xmp").write_text(DIGIKAM, "utf-8")
    (folder / f"{CAT}.xmp").write_text(packet(["奶奶家", "Ｍｉｍｉ"], 2), "utf-8")
    catalog = folder / "library.db"
    assert index_folder(settings, folder, catalog) == 3
    with LiveServer(settings.with_overrides(library=str(catalog))) as url:
        yield url


def names(url: str, query: str) -> list[str]:
    """The file names a search finds, best first."""
    answer = httpx.get(f"{url}/api/search", params={"q": query}, timeout=60)
    assert answer.status_code == 200, answer.text
    return [Path(p["path"]).name for p in answer.json()["photos"]]


def kinds(url: str, query: str) -> list[str]:
    """How each part of the query was read."""
    found = httpx.get(f"{url}/api/search", params={"q": query}, timeout=60).json()
    return [part["kind"] for part in found["interpretation"]]


def test_a_sidecar_keyword_finds_its_photo(served: str) -> None:
    assert names(served, "Grandma") == [DAISY]
    assert kinds(served, "Grandma") == ["keyword"]
    assert names(served, "grandma") == [DAISY]  # any case
    assert names(served, "garden party") == [DAISY]  # the whole query is one keyword
    assert names(served, "Grandma's garden") == [DAISY]  # its title
    assert names(served, "奶奶家") == [CAT]  # Chinese
    assert names(served, "mimi") == [CAT]  # full-width, as written in the sidecar
    assert names(served, "Grandma daisy") == [DAISY]  # with a class, both must match
    assert names(served, "Grandma cat") == []


def test_an_embedded_keyword_and_a_class_name_as_keyword(served: str) -> None:
    assert names(served, "Rex") == [DOG]
    found = names(served, "tabby")  # the class finds the cat, the keyword the dog
    assert set(found) == {CAT, DOG}, found


def test_ratings_in_search(served: str) -> None:
    assert names(served, "rating>=4") == [DAISY]
    assert set(names(served, "rating:3")) == {DOG, DAISY}  # 3 stars or more
    assert names(served, "rating=3") == [DOG]
    assert names(served, "rating<3") == [CAT]
    assert names(served, "评分≥4") == [DAISY]
    assert names(served, "Grandma rating>=4") == [DAISY]
    assert names(served, "Grandma rating>4") == []
    cat = next(i for i, n in ids_by_name(served).items() if n == CAT)
    hearted = httpx.post(f"{served}/api/selection/favourite", json={"ids": [cat]}, timeout=60)
    assert hearted.status_code == 200, hearted.text
    try:  # the asker's own heart counts as five stars
        assert names(served, "rating=5") == [CAT]
    finally:
        httpx.post(f"{served}/api/selection/favourite", json={"ids": [cat], "on": False})


def ids_by_name(url: str) -> dict[int, str]:
    """Every photo's id and file name (a search of all ratings lists them all)."""
    answer = httpx.get(f"{url}/api/search", params={"q": "rating>=-1"}, timeout=60).json()
    return {p["id"]: Path(p["path"]).name for p in answer["photos"]}


def test_the_rating_words() -> None:
    assert split("cat rating:4") == ("cat", Stars(4, 5))
    assert split("rating>=4 dog") == ("dog", Stars(4, 5))
    assert split("rating>3") == ("", Stars(4, 5))
    assert split("rating<=2") == ("", Stars(-1, 2))
    assert split("rating<2") == ("", Stars(-1, 1))
    assert split("rating=-1") == ("", Stars(-1, -1))
    assert split("星级：5") == ("", Stars(5, 5))
    assert split("ratings are fun") == ("ratings are fun", None)
    assert split("rating:x") == ("rating:x", None)


def test_the_command_line_finds_a_keyword(served: str, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = Path(_any_path(served)).parent / "library.db"
    assert main(["search", "Grandma", "--library", str(catalog), "--json"]) == 0
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert [Path(p["path"]).name for p in found["photos"]] == [DAISY]
    with sqlite3.connect(catalog) as db:  # what the catalog keeps of each photo's XMP
        rows = dict(db.execute("SELECT xmp_keywords, xmp_rating FROM photos").fetchall())
    assert rows == {"奶奶家\nＭｉｍｉ": 2, "Rex\ntabby": 3, "Grandma\ngarden party": 4}


def _any_path(url: str) -> str:
    answer = httpx.get(f"{url}/api/search", params={"q": "rating>=-1"}, timeout=60).json()
    return str(answer["photos"][0]["path"])


@pytest.mark.browser
def test_the_gallery_finds_and_shows_them(browser: Any, served: str) -> None:
    """A keyword search in the gallery, then the viewer's panel and the photo page."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{served}/gallery#/search/{quote('Grandma rating>=4')}")
    # the first search of a library reads its vocabulary: slow on a loaded machine
    expect(page.locator(".query-chip.keyword")).to_contain_text("keyword", timeout=60_000)
    tiles = page.locator(".grid a[data-photo]")
    expect(tiles).to_have_count(1)
    tiles.first.click()
    panel = page.locator("#lightbox .lightbox-panel")
    expect(panel.locator(".lightbox-title")).to_have_text("Grandma's garden")
    expect(panel.locator(".lightbox-rating")).to_have_text("★★★★☆")
    expect(panel.locator(".lightbox-keywords span")).to_have_text(["Grandma", "garden party"])
    panel.locator(".lightbox-page").click()  # the photo's own page says the same
    facts = page.locator(".detail dl.facts")
    expect(facts).to_contain_text("Grandma's garden")
    expect(facts).to_contain_text("★★★★☆")
    expect(facts).to_contain_text("Grandma, garden party")
    page.context.close()


def test_many_hits_are_filtered_by_one_scan_alike(
    served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past marks.CHUNK hits the rated photos are read by one scan: the same answer."""
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library import marks
    from smartalbum.search import ratings

    catalog = Path(_any_path(served)).parent / "library.db"
    engine = open_engine(str(catalog))
    try:
        with session_factory(engine)() as session:
            hits = [(i, 1.0) for i in sorted(ids_by_name(served))]
            wanted = [(n, ratings.split(f"rating{n}")[1]) for n in (">=3", "<3", "=4")]
            few = [ratings.kept(session, hits, stars, None) for _, stars in wanted]
            monkeypatch.setattr(marks, "CHUNK", 1)
            many = [ratings.kept(session, hits, stars, None) for _, stars in wanted]
    finally:
        engine.dispose()
    assert many == few and [len(f) for f in few] == [2, 1, 1]
