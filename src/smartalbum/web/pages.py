"""The pages (upload, gallery, sign-in) and their static files, all served from the package."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles


def mount_pages(app: FastAPI) -> None:
    """Serve ``/``, ``/gallery``, ``/login``, ``/favicon.ico`` and ``/static/...``; pages are
    not in the schema."""
    static = resources.files("smartalbum.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(static.joinpath("index.html").read_text("utf-8"))

    @app.get("/gallery", response_class=HTMLResponse, include_in_schema=False)
    async def gallery() -> HTMLResponse:
        return HTMLResponse(static.joinpath("gallery.html").read_text("utf-8"))

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
