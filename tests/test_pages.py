"""The pages' app shell through real HTTP: the web app manifest, its icons, the service worker
and what every page links to; all of it public, and nothing of the library in it."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import LiveServer

PAGES = ("/", "/gallery", "/login", "/s/sh_" + "0" * 32)


@pytest.fixture
def stranger(library_settings: Settings) -> Iterator[httpx.Client]:
    """A client of a server that asks for sign-in (it listens beyond this machine and has an
    admin), not signed in."""
    engine = open_engine(library_settings.library)
    Accounts(session_factory(engine)).add("ana", "admin", "a long password of ana's")
    engine.dispose()
    public = dataclasses.replace(library_settings, host="0.0.0.0")
    with LiveServer(public) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def test_the_manifest_names_the_app_its_icons_and_its_share_target(
    stranger: httpx.Client,
) -> None:
    answer = stranger.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["name"] == "smartalbum" and manifest["start_url"] == "/gallery"
    assert manifest["display"] == "standalone" and manifest["scope"] == "/"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = stranger.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(image.content)) as png:
            assert png.format == "PNG" and f"{png.width}x{png.height}" == icon["sizes"]
            if icon.get("purpose") == "maskable":  # full bleed: no transparent corner
                corner = png.convert("RGBA").getpixel((0, 0))
                assert isinstance(corner, tuple) and corner[3] == 255
    target = manifest["share_target"]
    assert target["method"] == "POST" and target["enctype"] == "multipart/form-data"
    assert target["params"]["files"][0]["accept"] == ["image/*", "video/*"]


def test_the_service_worker_is_public_at_the_root_and_lists_a_shell_that_exists(
    stranger: httpx.Client,
) -> None:
    answer = stranger.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    first = answer.text.splitlines()[0]
    shell = json.loads(re.fullmatch(r"const SHELL = (.*);", first).group(1))  # type: ignore[union-attr]
    files = shell["files"]
    assert re.fullmatch(r"[0-9a-f]{16}", shell["version"])
    assert {"/static/gallery.js", "/static/uploader.js", "/static/vendor/tus.min.js",
            "/static/icons/icon-192.png", "/static/pwa.css"} <= set(files)  # fmt: skip
    assert not [f for f in files if not f.startswith("/static/") or f.endswith((".md", "sw.js"))]
    for path in files:  # the worker's install fails if one of them does not answer
        assert stranger.get(path).status_code == 200, path
    # Never an API answer: the worker leaves /api/ to the network.
    assert "/api/" not in first and 'startsWith("/static/")' in answer.text
    # The library itself stays behind the sign-in.
    assert stranger.get("/gallery").status_code == 303
    assert stranger.get("/api/albums").status_code == 401


def test_every_page_links_the_manifest_the_theme_and_the_offline_banner(
    stranger: httpx.Client,
) -> None:
    for page in PAGES:
        html = stranger.get(page, follow_redirects=True).text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html, page
        assert '<meta name="theme-color" content="#2563eb">' in html, page
        assert '<script src="/static/pwa.js"></script>' in html, page


def test_static_files_are_kept_but_asked_again_with_their_etag(stranger: httpx.Client) -> None:
    first = stranger.get("/static/gallery.js")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    again = stranger.get("/static/gallery.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"


def test_the_gallery_asks_for_its_first_lists_while_its_scripts_load(library_url: str) -> None:
    html = httpx.get(f"{library_url}/gallery", timeout=60).text
    assert "albums-grid" not in html and "/static/gallery.js" in html  # the page, not sign-in
    for path in ("/api/albums", "/api/user-albums"):  # what albumsView asks for first
        assert f'<link rel="preload" href="{path}" as="fetch" crossorigin="anonymous">' in html
