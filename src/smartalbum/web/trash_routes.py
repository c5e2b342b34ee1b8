"""The trash's JSON API: delete photos (editors), list and restore them, purge them (admins).

Deleting is undone by a restore for ``SMARTALBUM_TRASH_DAYS``; purging is not, and removes
uploaded files from disk: so an editor may hide and bring back, and only an admin may
destroy (web/auth.py's ROLE_OF says so).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from smartalbum.ingest.trash import Trash
from smartalbum.settings import Settings
from smartalbum.web.category_routes import PhotoId as BodyPhotoId
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import (
    LibraryHolder,
    Offset,
    PageSize,
    PhotoId,
    author_of,
    parse_photo_id,
)

MAX_IDS = 10_000  # photos one request may name

Ids = Annotated[list[BodyPhotoId], Field(min_length=1, max_length=MAX_IDS)]  # repeats count once


class Photos(BaseModel):
    """Body of ``POST /api/trash``, ``/restore`` and ``/purge``: the photos' ids."""

    model_config = ConfigDict(extra="forbid")

    ids: Ids


class Expired(BaseModel):
    """Body of ``POST /api/trash/purge`` for every photo past its trash days (the daily purge)."""

    model_config = ConfigDict(extra="forbid")

    expired: Literal[True]


def trash_router(holder: LibraryHolder, settings: Settings) -> APIRouter:
    """``/api/trash...`` over the library the holder opens."""
    router = APIRouter(prefix="/api/trash")

    def trash() -> Trash:
        return Trash(holder.get(), settings)

    @router.post("", responses=error_responses(400, 404, 409, 422, 503))
    def delete(body: Photos, request: Request) -> dict[str, Any]:
        """Move photos to the trash (one transaction, one activity entry): out of albums,
        search, moments and shares; uploaded files into the upload root's trash folder.
        ``already`` lists those that were in the trash before."""
        return trash().delete(body.ids, author_of(request))

    @router.get("", responses=error_responses(422, 503))
    def listing(offset: Offset = 0, limit: PageSize = 100) -> dict[str, Any]:
        """The photos in the trash, newest first: ``reason`` (deleted / vanished), when,
        ``by`` whom, and ``days_left`` until the purge; ``days`` is how long one waits."""
        return trash().listing(offset, limit)

    @router.post("/restore", responses=error_responses(400, 404, 409, 422, 503))
    def restore(body: Photos, request: Request) -> dict[str, Any]:
        """Bring photos back, whole: their files back in place, their labels, corrections and
        albums as they were. A vanished photo's file is gone: 409 (it comes back by itself)."""
        return trash().restore(body.ids, author_of(request))

    @router.post("/purge", responses=error_responses(400, 404, 409, 422, 503))
    def purge(body: Photos | Expired, request: Request) -> dict[str, Any]:
        """Delete photos of the trash for good (admins), ``{"ids"}`` or ``{"expired": true}``
        (those past their trash days): an uploaded file is removed from disk; a file
        smartalbum did not write stays on disk and out of the library."""
        if isinstance(body, Expired):
            return trash().purge_expired(author_of(request))
        return trash().purge(body.ids, author_of(request))

    @router.get(
        "/{photo_id}/thumbnail",
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}, **error_responses(404, 503)},
    )
    def thumbnail(photo_id: PhotoId) -> Response:
        """The small JPEG of a photo in the trash."""
        data = trash().thumbnail(parse_photo_id(photo_id))
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    return router
