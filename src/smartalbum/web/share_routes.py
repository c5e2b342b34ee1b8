"""Share links over HTTP: editors make, list and revoke them; anyone with one sees its photos.

The routes under ``/api/shared/{token}`` and the page ``/s/{token}`` are public (the token
is the credential); they show only the linked album's or moment's photos — thumbnails,
originals, dates and the labels worth believing (``GUEST_FLOOR``) — never a path of the
server, a GPS position, another album or search. A link with a password asks for it once
(``POST .../unlock``), which sets a cookie scoped to that link's API path. Wrong passwords
are throttled like sign-ins.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field, StrictBool

from smartalbum.catalog import ALBUM, MOMENT, USER_ALBUM
from smartalbum.errors import ForbiddenError, NotFoundError, ShareLockedError, UnauthorizedError
from smartalbum.i18n import t
from smartalbum.library import download
from smartalbum.library.shares import OpenLink, ShareLinks
from smartalbum.library.user_albums import UserAlbums
from smartalbum.web.auth import Gate, client_address
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import (
    LibraryHolder,
    Offset,
    PageSize,
    PhotoId,
    author_of,
    parse_photo_id,
)
from smartalbum.web.ranges import sliced
from smartalbum.web.zips import ZIP, every_id, zip_response

PASS_COOKIE = "smartalbum_share"
Token = Annotated[
    str,
    PathParam(description="A share link's token", json_schema_extra={"pattern": "^sh_[\\w-]{32}$"}),
]
# The pass a locked link's password gave this browser (see ShareLinks.unlock).
Pass = Annotated[str | None, Cookie(alias=PASS_COOKIE, include_in_schema=False)]
LinkId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
SHOWN_LABELS = 3
# A guest sees a label only when it is worth believing: a person's (set or confirmed: 1.0) or
# the model's at even odds or better. The probabilities are calibrated ("70 %" is right about
# 70 % of the time), so a shown label is right more often than not, and at most one model
# label can pass (they sum to 1). Below it ("jackfruit 23 %") a guest, who cannot correct it
# and may not read the percentage, would mostly be told something wrong about the photo.
GUEST_FLOOR = 0.5
DEFAULT_BUDGET_MB = 1024  # what a link's guests may add when the sharer names no budget


class ShareRequest(BaseModel):
    """Body of ``POST /api/albums/{id}/shares`` and ``POST /api/moments/{id}/shares``."""

    expires_in_days: float | None = Field(
        default=None, gt=0, le=3650, description="Days until the link stops working (none: never)"
    )
    password: str | None = Field(
        default=None, min_length=8, max_length=1024, description="Asked of whoever opens the link"
    )
    allow_upload: bool = Field(
        default=False, description="Whether whoever opens the link may add photos to it"
    )
    upload_budget_mb: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description=f"How many MB the link's guests may add in all ({DEFAULT_BUDGET_MB} if unset)",
    )  # fmt: skip
    allow_download: StrictBool = Field(
        default=False, description="Whether whoever opens the link may download it all as a ZIP"
    )


class Unlock(BaseModel):
    """Body of ``POST /api/shared/{token}/unlock``."""

    password: str = Field(min_length=1, max_length=1024)


class SharedView:
    """What a link shows: its album's or moment's title, page of photos and files."""

    def __init__(self, holder: LibraryHolder) -> None:
        self.holder = holder

    def links(self) -> ShareLinks:
        """The library's share links (opened with it)."""
        return ShareLinks(self.holder.get().sessions)

    def opened(self, token: str, sent: str | None) -> OpenLink:
        """The link a token names, if it exists, has not expired and the pass opens it."""
        link = self.links().open(token)
        if not ShareLinks.admits(link, token, sent):
            raise ShareLockedError(t("this share link needs its password"))
        return link

    def summary(self, link: OpenLink, offset: int, limit: int) -> dict[str, Any]:
        """Titles, count and a page of photos (no paths), for the share page."""
        extra: dict[str, Any] = {}
        if link.kind == ALBUM:
            found = self.holder.get().album(link.target, offset, limit)
        elif link.kind == USER_ALBUM:
            found = self.user_albums().album(int(link.target), offset, limit)
        else:
            found = self.holder.timeline().moment(link.target, offset, limit)
            extra = {"start": found["start"], "end": found["end"], "place": found["place"]}
        return {
            "kind": link.kind,
            "title": found["title"],
            "title_zh": found["title_zh"],
            "count": found["count"],
            "offset": offset,
            "expires_at": link.expires_at,
            **extra,
            "photos": self._photos([p["id"] for p in found["photos"]]),
            "allow_upload": link.allow_upload,
            "allow_download": link.allow_download,
            "guest_photos": self._photos([p["id"] for p in self.guest_photos(link)]),
        }

    def guest_photos(self, link: OpenLink) -> list[dict[str, Any]]:
        """The photos the link's guests added (none for a link that takes no uploads)."""
        return self.links().guest_photos(link.id) if link.allow_upload else []

    def check_photo(self, link: OpenLink, photo_id: int) -> None:
        """NotFoundError unless the photo is in what the link shows."""
        if any(p["id"] == photo_id for p in self.guest_photos(link)):
            return
        if link.kind == ALBUM:
            inside = any(
                a["id"] == link.target for a in self.holder.get().photo(photo_id)["albums"]
            )
        elif link.kind == USER_ALBUM:
            inside = self.user_albums().contains(int(link.target), photo_id)
        else:
            moment = self.holder.timeline().moment_of(photo_id)
            inside = moment is not None and moment["id"] == link.target
        if not inside:
            raise NotFoundError(t("no photo {photo_id} in this share", photo_id=photo_id))

    def user_albums(self) -> UserAlbums:
        """The albums people made (a link may show one)."""
        return UserAlbums(self.holder.get().sessions)

    def photo_ids(self, link: OpenLink) -> list[int]:
        """Every photo the link shows, guests' ones last (for its ZIP)."""
        if link.kind == USER_ALBUM:
            ids = self.user_albums().ids(int(link.target))
        elif link.kind == ALBUM:
            ids = self.holder.get().album_ids(link.target)
        else:
            ids = every_id(self.holder.timeline().moment, link.target)
        return ids + [p["id"] for p in self.guest_photos(link)]

    def _photos(self, photo_ids: list[int]) -> list[dict[str, Any]]:
        # A page's photos in a few queries, not a whole photo record each (100 on a page).
        shown = []
        for photo in self.holder.get().cards(photo_ids):
            labels = [
                {"label": p["label"], "label_zh": p["label_zh"], "probability": p["probability"]}
                for p in photo["labels"][:SHOWN_LABELS]
                if p["probability"] >= GUEST_FLOOR
            ]
            shown.append({**photo, "labels": labels})
        return shown


def new_link(
    links: ShareLinks, kind: str, target: str, body: ShareRequest, request: Request
) -> dict[str, Any]:
    """A new link to what the caller checked exists, as the body asks; its token once."""
    lifetime = body.expires_in_days * 86400.0 if body.expires_in_days else None
    budget = (body.upload_budget_mb or DEFAULT_BUDGET_MB) if body.allow_upload else None
    return links.create(kind, target, author_of(request), lifetime, body.password, budget,
                        body.allow_download)  # fmt: skip


def share_router(holder: LibraryHolder, gate: Gate) -> APIRouter:
    """The share routes: managing links (editors) and opening them (public)."""
    router = APIRouter()
    view = SharedView(holder)
    links = view.links

    def create(kind: str, target: str, body: ShareRequest, request: Request) -> dict[str, Any]:
        return new_link(links(), kind, target, body, request)

    @router.post("/api/albums/{album_id}/shares", status_code=201,
                 responses=error_responses(400, 404, 422, 503))  # fmt: skip
    def share_album(album_id: str, body: ShareRequest, request: Request) -> dict[str, Any]:
        """Make a link to an album (read-only, unless ``allow_upload`` lets its guests add
        photos); the answer holds its token, shown only now."""
        holder.get().album(album_id, 0, 1)  # 404 for an album that does not exist
        return create(ALBUM, album_id, body, request)

    @router.post("/api/moments/{moment_id}/shares", status_code=201,
                 responses=error_responses(400, 404, 422, 503))  # fmt: skip
    def share_moment(moment_id: str, body: ShareRequest, request: Request) -> dict[str, Any]:
        """Make a read-only link to a moment; the answer holds its token, shown only now."""
        holder.timeline().moment(moment_id, 0, 1)
        return create(MOMENT, moment_id, body, request)

    @router.get("/api/albums/{album_id}/shares", responses=error_responses(404, 503))
    def album_shares(album_id: str) -> dict[str, Any]:
        """The links to an album: who made them, when, their expiry, whether locked."""
        holder.get().album(album_id, 0, 1)
        return {"links": links().listed(ALBUM, album_id)}

    @router.get("/api/moments/{moment_id}/shares", responses=error_responses(404, 503))
    def moment_shares(moment_id: str) -> dict[str, Any]:
        """The links to a moment."""
        holder.timeline().moment(moment_id, 0, 1)
        return {"links": links().listed(MOMENT, moment_id)}

    @router.get("/api/shares", responses=error_responses(503))
    def every_share() -> dict[str, Any]:
        """Every share link of the library, newest first."""
        return {"links": links().listed()}

    @router.delete("/api/shares/{link_id}", responses=error_responses(404, 422, 503))
    def revoke(link_id: LinkId, request: Request) -> dict[str, Any]:
        """Revoke a link: it answers 404 from now on."""
        links().revoke(link_id, author_of(request))
        return {"revoked": link_id}

    install_link_routes(router, view, gate)
    install_file_routes(router, view)
    return router


def install_link_routes(router: APIRouter, view: SharedView, gate: Gate) -> None:
    """``/s/{token}``, ``/api/shared/{token}`` and its unlock: public, the token is the key."""

    @router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
    def page(token: str) -> HTMLResponse:
        # A link that does not exist (or no longer) gets the page too, as a 404: it says so
        # in the reader's language.
        html = resources.files("smartalbum.web").joinpath("static", "share.html")
        try:
            view.links().open(token)
        except NotFoundError:
            return HTMLResponse(html.read_text("utf-8"), status_code=404)
        return HTMLResponse(html.read_text("utf-8"))

    @router.get("/api/shared/{token}", responses=error_responses(401, 404, 422, 503))
    def shared(
        token: Token, smartalbum_share: Pass = None, offset: Offset = 0, limit: PageSize = 100
    ) -> dict[str, Any]:
        """What a share link shows: its title, photo count and a page of photos."""
        return view.summary(view.opened(token, smartalbum_share), offset, limit)

    @router.post("/api/shared/{token}/unlock", responses=error_responses(401, 404, 422, 429))
    def unlock(token: Token, body: Unlock, request: Request, response: Response) -> dict[str, Any]:
        """Give a link's password once: a cookie for this link lets its photos show."""
        links = view.links()
        link = links.open(token)
        address = client_address(request)
        gate.throttle(f"share-{link.id}", address)
        granted = links.unlock(link, token, body.password)
        if granted is None:
            gate.failed(f"share-{link.id}", address)
            raise UnauthorizedError(t("wrong password for this share link"))
        response.set_cookie(PASS_COOKIE, granted, path=f"/api/shared/{token}", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")  # fmt: skip
        return {"unlocked": True}


def install_file_routes(router: APIRouter, view: SharedView) -> None:
    """A shared photo's thumbnail and original, for whoever may open its link."""
    files = {200: {"content": {"image/*": {}}}, **error_responses(401, 404, 503)}

    @router.get("/api/shared/{token}/photos/{photo_id}/thumbnail", response_class=Response,
                responses=files)  # fmt: skip
    def thumbnail(token: Token, photo_id: PhotoId, smartalbum_share: Pass = None) -> Response:
        """A shared photo's small JPEG."""
        number = parse_photo_id(photo_id)
        view.check_photo(view.opened(token, smartalbum_share), number)
        data = view.holder.get().thumbnail(number)
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private"})

    @router.get("/api/shared/{token}/photos/{photo_id}/original", response_class=FileResponse,
                responses=files)  # fmt: skip
    def original(token: Token, photo_id: PhotoId, smartalbum_share: Pass = None) -> FileResponse:
        """A shared photo's file."""
        number = parse_photo_id(photo_id)
        view.check_photo(view.opened(token, smartalbum_share), number)
        path, media_type = view.holder.get().original(number)
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private"})

    @router.get("/api/shared/{token}/photos/{photo_id}/motion", response_class=Response,
                responses={200: {"content": {"video/*": {}}}, 206: {},
                           **error_responses(401, 404, 503)})  # fmt: skip
    def motion(
        token: Token, photo_id: PhotoId, request: Request, smartalbum_share: Pass = None
    ) -> Response:
        """A shared Live Photo's or Motion Photo's video, with range requests."""
        number = parse_photo_id(photo_id)
        view.check_photo(view.opened(token, smartalbum_share), number)
        found = view.holder.get().motion(number)
        headers = {"Cache-Control": "private"}
        if found.start == 0:
            return FileResponse(found.path, media_type=found.media_type, headers=headers)
        answer = sliced(request, found.path, found.start, found.length, found.media_type)
        answer.headers.update(headers)
        return answer

    @router.get("/api/shared/{token}/download", response_class=StreamingResponse,
                responses={**ZIP, **error_responses(401, 403, 404, 422, 503)})  # fmt: skip
    def download_all(token: Token, smartalbum_share: Pass = None) -> StreamingResponse:
        """Everything the link shows as one ZIP of originals, if its sharer allowed it."""
        link = view.opened(token, smartalbum_share)
        if not link.allow_download:
            raise ForbiddenError(t("this share link does not allow downloads"))
        files = download.Originals(view.holder.get().sessions, view.photo_ids(link))
        return zip_response(files, "shared")
