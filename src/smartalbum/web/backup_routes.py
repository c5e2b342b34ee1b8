"""Backups over HTTP (admins): the list of the server's backups and a "back up now", and the
page that shows them."""

from __future__ import annotations

import threading
from importlib import resources
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from smartalbum.backup import backup_dir, kept_backup, listing
from smartalbum.errors import LibraryBusyError
from smartalbum.i18n import t
from smartalbum.web.errors import error_responses
from smartalbum.web.state import AppState


def backup_router(state: AppState) -> APIRouter:
    """``GET``/``POST /api/backups`` and the ``/backups`` page."""
    router = APIRouter()
    settings = state.settings
    one_at_a_time = threading.Lock()  # two clicks make one backup, the second is told so

    @router.get("/api/backups", responses=error_responses(401, 403))
    def backups() -> dict[str, Any]:
        """The backups kept in the backup folder, newest first, how often the server makes
        one and how many it keeps, and its last run (admins)."""
        folder = backup_dir(settings)
        return {
            "folder": str(folder),
            "every_hours": settings.backup_hours or None,
            "keep": settings.backup_keep,
            "last_run": state.schedule.last("backup"),
            "backups": listing(folder),
        }

    @router.post("/api/backups", status_code=201, responses=error_responses(401, 403, 409, 503))
    def back_up_now() -> dict[str, Any]:
        """Back the library up now, as the server does on its schedule (the oldest beyond
        SMARTALBUM_BACKUP_KEEP are dropped); the folder made and the ones dropped."""
        if not one_at_a_time.acquire(blocking=False):
            raise LibraryBusyError(t("a backup is being made; try again when it is done"))
        try:
            return kept_backup(settings)
        finally:
            one_at_a_time.release()

    @router.get("/backups", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        html = resources.files("smartalbum.web").joinpath("static/backups.html")
        return HTMLResponse(html.read_text("utf-8"))

    return router
