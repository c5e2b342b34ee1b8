"""Albums a person makes, over HTTP, and the ZIP downloads of an album, a moment or a selection.

Anyone signed in sees the albums; editors and admins make, rename and fill them (web/auth.py's
ROLE_OF says so); a viewer's write is a 403. A download streams a ZIP of the originals as it
is made (library/download.py); a share link gives one only when its sharer allowed it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from smartalbum.catalog import USER_ALBUM
from smartalbum.errors import RequestError
from smartalbum.i18n import t
from smartalbum.library import download
from smartalbum.library.user_albums import UserAlbums, parse_album_id
from smartalbum.web.category_routes import PhotoId as BodyPhotoId
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import (
    LibraryHolder,
    Offset,
    PageSize,
    author_of,
    sidecars_follow,
)
from smartalbum.web.share_routes import SharedView, ShareRequest, new_link
from smartalbum.web.trash_routes import Ids
from smartalbum.web.zips import ZIP, every_id, zip_response

AlbumId = Annotated[
    str,
    PathParam(description="A person's album: up to 18 decimal digits",
              json_schema_extra={"pattern": "^[0-9]{1,18}$"}),
]  # fmt: skip
IdList = Annotated[
    str,
    Query(description="Photo ids, comma-separated: 12,13,20 (so at most 10,000)",
          max_length=2 * download.MAX_IDS - 1,
          pattern=r"^[0-9]{1,18}(,[0-9]{1,18})*$"),
]  # fmt: skip


class NewAlbum(BaseModel):
    """Body of ``POST /api/user-albums``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, pattern=r"\S")
    title_zh: str | None = Field(None, max_length=200)
    ids: list[BodyPhotoId] = Field(default=[], max_length=download.MAX_IDS,
                           description="Photos to put in it at once")  # fmt: skip


class AlbumChange(BaseModel):
    """Body of ``PATCH /api/user-albums/{album_id}``: only what is given changes."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    title_zh: str | None = Field(None, max_length=200, description='"" removes it')
    cover: BodyPhotoId | None = Field(None, description="A photo in the album")
    order: Literal["date", "manual"] | None = None


class Photos(BaseModel):
    """Body of the routes that add, remove or order photos: their ids."""

    model_config = ConfigDict(extra="forbid")

    ids: Ids


def album_router(holder: LibraryHolder) -> APIRouter:
    """``/api/user-albums...`` and the downloads of albums and moments."""
    router = APIRouter()

    def albums() -> UserAlbums:
        return UserAlbums(holder.get().sessions)

    @router.get("/api/user-albums", responses=error_responses(503))
    def listing() -> dict[str, Any]:
        """Every album people made, newest first: titles, owner, count, cover, order."""
        return {"albums": albums().listed()}

    @router.post("/api/user-albums", status_code=201, responses=error_responses(400, 404, 422, 503))
    def create(body: NewAlbum, request: Request) -> dict[str, Any]:
        """Make an album (with photos, if given); the signed-in account owns it."""
        made = albums().create(body.title, body.title_zh, author_of(request), body.ids)
        sidecars_follow(holder, body.ids)  # the album's name, a keyword of its photos
        return made

    @router.get("/api/user-albums/{album_id}", responses=error_responses(404, 422, 503))
    def album(album_id: AlbumId, offset: Offset = 0, limit: PageSize = 100) -> dict[str, Any]:
        """One album and a page of its photos, in its order (by date, or by hand)."""
        return albums().album(parse_album_id(album_id), offset, limit)

    @router.patch("/api/user-albums/{album_id}", responses=error_responses(400, 404, 422, 503))
    def change(album_id: AlbumId, body: AlbumChange, request: Request) -> dict[str, Any]:
        """Rename it (English, Chinese), choose its cover or its order."""
        given = body.model_dump(exclude_none=True)
        number = parse_album_id(album_id)
        changed = albums().update(number, author_of(request), **given)
        if "title" in given or "title_zh" in given:
            sidecars_follow(holder, albums().ids(number))
        return changed

    install_album_writes(router, albums, lambda ids: sidecars_follow(holder, ids))
    install_album_shares(router, holder, albums)
    install_downloads(router, holder, albums)
    return router


def install_album_writes(
    router: APIRouter,
    albums: Callable[[], UserAlbums],
    follow: Callable[[Sequence[int]], None],
) -> None:
    """Deleting an album, and putting photos in, out and in order (``follow``: the photos
    whose albums changed, for their sidecars)."""

    @router.delete("/api/user-albums/{album_id}", responses=error_responses(404, 503))
    def remove_album(album_id: AlbumId, request: Request) -> dict[str, Any]:
        """Delete the album; its photos stay in the library."""
        number = parse_album_id(album_id)
        held = albums().ids(number)
        albums().delete(number, author_of(request))
        follow(held)
        return {"deleted": number}

    @router.post(
        "/api/user-albums/{album_id}/photos", responses=error_responses(400, 404, 422, 503)
    )
    def add(album_id: AlbumId, body: Photos, request: Request) -> dict[str, Any]:
        """Put photos in the album (one transaction, one activity entry)."""
        added = albums().add(parse_album_id(album_id), body.ids, author_of(request))
        follow(body.ids)
        return added

    @router.post("/api/user-albums/{album_id}/photos/remove",
                 responses=error_responses(400, 404, 422, 503))  # fmt: skip
    def take_out(album_id: AlbumId, body: Photos, request: Request) -> dict[str, Any]:
        """Take photos out of the album (they stay in the library)."""
        taken = albums().remove(parse_album_id(album_id), body.ids, author_of(request))
        follow(body.ids)
        return taken

    @router.post("/api/user-albums/{album_id}/order", responses=error_responses(400, 404, 422, 503))
    def reorder(album_id: AlbumId, body: Photos, request: Request) -> dict[str, Any]:
        """Order the album by hand: these photos first, in this order."""
        return albums().reorder(parse_album_id(album_id), body.ids, author_of(request))


def install_album_shares(
    router: APIRouter, holder: LibraryHolder, albums: Callable[[], UserAlbums]
) -> None:
    """Share links to a person's album."""

    @router.post("/api/user-albums/{album_id}/shares", status_code=201,
                 responses=error_responses(400, 404, 422, 503))  # fmt: skip
    def share(album_id: AlbumId, body: ShareRequest, request: Request) -> dict[str, Any]:
        """Make a share link to the album; the answer holds its token, shown only now."""
        number = parse_album_id(album_id)
        albums().album(number, 0, 1)
        return new_link(SharedView(holder).links(), USER_ALBUM, str(number), body, request)

    @router.get("/api/user-albums/{album_id}/shares", responses=error_responses(404, 503))
    def shares(album_id: AlbumId) -> dict[str, Any]:
        """The links to the album."""
        number = parse_album_id(album_id)
        albums().album(number, 0, 1)
        return {"links": SharedView(holder).links().listed(USER_ALBUM, str(number))}


def install_downloads(
    router: APIRouter, holder: LibraryHolder, albums: Callable[[], UserAlbums]
) -> None:
    """The ZIPs: a person's album, a smart album, a moment, a selection."""
    with_zip = {**ZIP, **error_responses(404, 422, 503)}

    def zipped(ids: list[int], name: str) -> StreamingResponse:
        return zip_response(download.Originals(holder.get().sessions, ids), name)

    @router.get("/api/user-albums/{album_id}/download", response_class=StreamingResponse,
                responses=with_zip)  # fmt: skip
    def album_zip(album_id: AlbumId) -> StreamingResponse:
        """The album's originals as a ZIP, streamed as it is made."""
        number = parse_album_id(album_id)
        found = albums().album(number, 0, 1)
        return zipped(albums().ids(number), found["title"])

    @router.get("/api/albums/{album_id}/download", response_class=StreamingResponse,
                responses=with_zip)  # fmt: skip
    def smart_album_zip(album_id: str) -> StreamingResponse:
        """A smart album's originals as a ZIP, best first."""
        found = holder.get().album(album_id, 0, 1)
        return zipped(holder.get().album_ids(found["id"]), found["id"])

    @router.get("/api/moments/{moment_id}/download", response_class=StreamingResponse,
                responses=with_zip)  # fmt: skip
    def moment_zip(moment_id: str) -> StreamingResponse:
        """A moment's originals as a ZIP, in time order."""
        found = holder.timeline().moment(moment_id, 0, 1)
        return zipped(every_id(holder.timeline().moment, moment_id), found["title"])

    @router.get("/api/selection/download", response_class=StreamingResponse,
                responses=with_zip)  # fmt: skip
    def selection_zip(ids: IdList) -> StreamingResponse:
        """The originals of the photos named (``ids=12,13,20``) as a ZIP."""
        return zipped(parse_ids(ids), "photos")


def parse_ids(text: str) -> list[int]:
    """``12,13,20`` as ids, at most ``download.MAX_IDS``; a RequestError past that."""
    ids = [int(part) for part in text.split(",")]
    if len(ids) > download.MAX_IDS:
        raise RequestError(t("at most {n} photos at once", n=download.MAX_IDS))
    return ids
