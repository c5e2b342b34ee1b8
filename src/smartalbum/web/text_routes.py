"""The text read in photos: a photo's lines for its page, and reading the photos indexed before.

A photo's text is served apart from ``GET /api/photos/{id}`` on purpose: it is the user's
data, served only here, behind the sign-in gate, for a photo in the library. Share links
serve their own photo JSON (share_routes), which names no text.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from smartalbum.errors import PassOffError
from smartalbum.i18n import t
from smartalbum.library.text_pass import read_library_text
from smartalbum.ocr import lines_of
from smartalbum.ocr.backfill import Backfilled
from smartalbum.ocr.store import count_unread
from smartalbum.web.errors import error_responses
from smartalbum.web.jobs import Job
from smartalbum.web.library_routes import Holder, PhotoId, author_of, parse_photo_id
from smartalbum.web.state import AppState


def text_router(state: AppState) -> APIRouter:
    """``/api/photos/{id}/text``, ``/api/text`` and ``/api/text/read``."""
    router = APIRouter(prefix="/api")

    @router.get("/photos/{photo_id}/text", responses=error_responses(404, 503))
    def photo_text(holder: Holder, photo_id: PhotoId) -> dict[str, Any]:
        """The lines of text read in a photo, top to bottom: text, box (four corners x, y as
        fractions of the photo) and confidence; ``read`` is false while the text pass has not
        read it (``POST /api/text/read`` or ``smartalbum text`` read those)."""
        library = holder.get()
        with library.sessions() as session:
            photo = library.present(session, parse_photo_id(photo_id))
            lines = lines_of(session, photo.id)
        return {"id": photo.id, "read": lines is not None, "lines": lines or []}

    @router.get("/text", responses=error_responses(503))
    def text_status(holder: Holder) -> dict[str, Any]:
        """Whether indexing reads text (``SMARTALBUM_TEXT``) and how many photos are unread."""
        with holder.get().sessions() as session:
            unread = count_unread(session)
        return {"enabled": state.settings.text, "unread": unread}

    @router.post("/text/read", status_code=202, responses=error_responses(403, 409, 503))
    def read_text(holder: Holder, request: Request) -> dict[str, Any]:
        """Read the text of the photos indexed before the text pass (admins), as a job: follow
        it at ``GET /api/jobs/{id}`` (done of total), stop it with its cancel; a stopped run
        carries on from there next time. Refused while the text pass is off."""
        if not state.settings.text:
            raise PassOffError(t("the text pass is off (SMARTALBUM_TEXT=false): no text is read"))
        library = holder.get()

        def work(job: Job) -> dict[str, Any]:
            def progress(done: Backfilled) -> bool:
                job.total, job.done = done.total, done.read + done.failed
                return not job.cancel_requested.is_set()

            return asdict(read_library_text(library, state.settings, progress))

        return state.jobs.submit_work("text", work, author_of(request)).to_dict()

    return router
