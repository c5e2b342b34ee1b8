"""The text read in a photo, for the photo page: its lines, boxes and confidence.

Apart from ``GET /api/photos/{id}`` on purpose: a photo's text is the user's data, served
only here, behind the sign-in gate, for a photo in the library. Share links serve their
own photo JSON (share_routes), which names no text.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from smartalbum.ocr import lines_of
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import Holder, PhotoId, parse_photo_id

router = APIRouter(prefix="/api")


@router.get("/photos/{photo_id}/text", responses=error_responses(404, 503))
def photo_text(holder: Holder, photo_id: PhotoId) -> dict[str, Any]:
    """The lines of text read in a photo, top to bottom: text, box (four corners x, y as
    fractions of the photo) and confidence; ``read`` is false while the text pass has not
    read it (``smartalbum text`` reads the photos indexed before)."""
    library = holder.get()
    with library.sessions() as session:
        photo = library.present(session, parse_photo_id(photo_id))
        lines = lines_of(session, photo.id)
    return {"id": photo.id, "read": lines is not None, "lines": lines or []}
