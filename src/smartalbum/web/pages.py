"""The pages (upload, gallery, sign-in) and their static files, all served from the package;
the web app manifest and the service worker that put smartalbum on a phone's home screen."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

THEME = "#2563eb"  # the pages' --accent
# What the service worker keeps for opening offline: the pages' own files, not the notes
# and licences beside them (or itself: a browser fetches /sw.js from the network).
SHELL_SUFFIXES = (".html", ".js", ".css", ".png")
NOT_SHELL = ("sw.js",)


class PageFiles(StaticFiles):
    """The pages' scripts and styles, each answer saying how to cache it: kept, but asked
    again each time with its ETag (a 304 when unchanged), so an upgrade's files are seen at
    once; without it a browser guesses a lifetime from the file's date (days for a wheel's)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        """The file, or a 304, with ``Cache-Control: no-cache``."""
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def manifest() -> dict[str, Any]:
    """The web app manifest: name, icons, colours, and the share target that takes photos."""
    icon = "/static/icons/{}"
    return {
        "id": "/gallery",
        "name": "smartalbum",
        "short_name": "smartalbum",
        "description": "Your photos, sorted by what is in them — 你的照片，按内容整理",
        "start_url": "/gallery",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f8fafc",
        "theme_color": THEME,
        "icons": [
            {"src": icon.format("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": icon.format("icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": icon.format("icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        # Android's "Share → smartalbum": the service worker takes this POST (sw.js).
        "share_target": {
            "action": "/share-target",
            "method": "POST",
            "enctype": "multipart/form-data",
            "params": {"files": [{"name": "photos", "accept": ["image/*", "video/*"]}]},
        },
    }


def _shell_files(static: Traversable, prefix: str = "/static") -> list[tuple[str, bytes]]:
    """(address, content) of every file of the page shell, sorted."""
    found = []
    for entry in static.iterdir():
        address = f"{prefix}/{entry.name}"
        if entry.is_dir():
            found += _shell_files(entry, address)
        elif entry.name.endswith(SHELL_SUFFIXES) and entry.name not in NOT_SHELL:
            found.append((address, entry.read_bytes()))
    return sorted(found)


def service_worker(static: Traversable) -> str:
    """sw.js with the shell's file list and a version that changes when any of them does."""
    files = _shell_files(static)
    version = hashlib.sha256(b"".join(content for _, content in files)).hexdigest()[:16]
    shell = {"version": version, "files": [address for address, _ in files]}
    return f"const SHELL = {json.dumps(shell)};\n" + static.joinpath("sw.js").read_text("utf-8")


def mount_pages(app: FastAPI) -> None:
    """Serve ``/``, ``/gallery``, ``/people``, ``/login``, ``/favicon.ico``, ``/static/...``,
    the manifest and the service worker; pages are not in the schema."""
    static = resources.files("smartalbum.web").joinpath("static")
    worker = service_worker(static)  # the package's files do not change while it runs
    app.mount("/static", PageFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(static.joinpath("index.html").read_text("utf-8"))

    @app.get("/gallery", response_class=HTMLResponse, include_in_schema=False)
    async def gallery() -> HTMLResponse:
        return HTMLResponse(static.joinpath("gallery.html").read_text("utf-8"))

    @app.get("/people", response_class=HTMLResponse, include_in_schema=False)
    async def people() -> HTMLResponse:
        return HTMLResponse(static.joinpath("people.html").read_text("utf-8"))

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login() -> HTMLResponse:
        return HTMLResponse(static.joinpath("login.html").read_text("utf-8"))

    # Every page links the SVG icon; this answers whatever still asks the old address
    # (a bookmark, the docs page, a feed reader) with the same picture instead of a 404.
    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        icon = static.joinpath("favicon.svg").read_bytes()
        cached = {"Cache-Control": "max-age=86400"}
        return Response(icon, media_type="image/svg+xml", headers=cached)

    @app.get("/manifest.webmanifest", include_in_schema=False)
    async def web_manifest() -> JSONResponse:
        return JSONResponse(manifest(), media_type="application/manifest+json")

    @app.get("/sw.js", include_in_schema=False)
    async def sw() -> Response:
        # Served from the root so that it may control every page; never cached by HTTP, so
        # a new version of the pages reaches the browser on its next visit.
        return Response(
            worker,
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache"},
        )
