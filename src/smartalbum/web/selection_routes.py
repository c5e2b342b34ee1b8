"""Acting on a selection of photos at once: favourite, archive, correct the label.

Each is one request, one transaction and (but for favourites, a person's own business) one
activity entry. Anyone signed in keeps their own favourites; archiving and correcting are
an editor's (web/auth.py's ROLE_OF). Adding to an album, the trash and the ZIP have their
own routes (album_routes, trash_routes).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from smartalbum.library import marks
from smartalbum.library.selection import relabel
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import LibraryHolder, author_of, sidecars_follow
from smartalbum.web.trash_routes import Ids


class Marking(BaseModel):
    """Body of ``POST /api/selection/favourite`` and ``/archive``."""

    model_config = ConfigDict(extra="forbid")

    ids: Ids
    on: StrictBool = Field(default=True, description="false takes the mark off")


class Relabel(BaseModel):
    """Body of ``POST /api/selection/labels``: one correction for every photo named."""

    model_config = ConfigDict(extra="forbid")

    ids: Ids
    action: Literal["set", "confirm", "reject", "clear"]
    wnid: str = Field(min_length=1, max_length=200,
                      description="a wnid, or an English or Chinese class name")  # fmt: skip


def selection_router(holder: LibraryHolder) -> APIRouter:
    """``/api/favourites`` and ``/api/selection/...`` over the library the holder opens."""
    router = APIRouter()

    @router.get("/api/favourites", responses=error_responses(503))
    def favourites(request: Request) -> dict[str, Any]:
        """The photos the signed-in person put a heart on (each account has its own)."""
        with holder.get().sessions() as session:
            ids = marks.favourite_ids(session, author_of(request))
        return {"ids": sorted(ids)}

    @router.post("/api/selection/favourite", responses=error_responses(400, 404, 422, 503))
    def favourite(body: Marking, request: Request) -> dict[str, Any]:
        """Put a heart on these photos (``on: false``: take it off), for this person only."""
        library = holder.get()
        changed = marks.set_favourite(
            library.sessions, author_of(request), body.ids, body.on, library.rules
        )
        sidecars_follow(holder, changed)  # five stars, or the rating the heart replaced
        return {"changed": changed, "favourite": body.on}

    @router.post("/api/selection/archive", responses=error_responses(400, 404, 422, 503))
    def archive(body: Marking, request: Request) -> dict[str, Any]:
        """Archive these photos: out of the timeline, moments and search (``is:archived``
        finds them); ``on: false`` brings them back."""
        library = holder.get()
        changed = marks.set_archived(
            library.sessions, author_of(request), body.ids, body.on, library.rules
        )
        return {"changed": changed, "archived": body.on}

    @router.post("/api/selection/labels", responses=error_responses(400, 404, 422, 503))
    def labels(body: Relabel, request: Request) -> dict[str, Any]:
        """Set, confirm, reject or clear one class on every photo named."""
        done = relabel(holder.get(), body.ids, body.action, body.wnid, author_of(request))
        sidecars_follow(holder, body.ids)
        return {"corrected": done, "action": body.action}

    return router
