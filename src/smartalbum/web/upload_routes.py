"""Uploads into the library over HTTP: tus 1.0.0 (core, creation, creation-with-upload,
termination).

``/api/uploads`` is for accounts (editors and admins; web/auth.py); the same routes under
``/api/shared/{token}/uploads`` are for a share link's guests, when its sharer allows it:
the token is their credential, and their files go to the sharer's folder, marked with the
link, within its budget. Before creating uploads a client asks ``POST .../check`` which
of its files (by sha256) the library already holds; a creation of such content answers
200 "already here" instead of 201.

A chunk's body (a PATCH's, or a creation's first bytes) is streamed to the upload's
temporary file (``request.stream()``, written off the event loop a megabyte at a time),
never held whole in memory. The last chunk stores the photo, which then goes to be indexed.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.convertors import Convertor, register_url_convertor

from smartalbum.catalog import Upload
from smartalbum.errors import (
    ForbiddenError,
    NotFoundError,
    RequestError,
    TooManyAttemptsError,
    TusVersionError,
    UnsupportedImageError,
)
from smartalbum.i18n import t
from smartalbum.ingest.trash import Trash
from smartalbum.ingest.uploads import SHA256, Appender, Created, NewUpload, Uploader, UploadStore
from smartalbum.library.accounts import Principal
from smartalbum.web.auth import client_address
from smartalbum.web.errors import error_responses
from smartalbum.web.lean_routes import Lean, LeanRoute, lean, short_text, whole_number
from smartalbum.web.library_routes import PhotoId, author_of, parse_photo_id
from smartalbum.web.share_routes import PASS_COOKIE, LinkId, Pass, SharedView, Token
from smartalbum.web.state import AppState

TUS_VERSION = "1.0.0"
OFFSET_TYPE = "application/offset+octet-stream"
WRITE_BLOCK = 1024 * 1024  # bytes gathered from the stream before each write to disk
MAX_CHECK = 1000  # files one "already here?" check may ask about
LARGEST = 2**62  # the largest Upload-Length and Upload-Offset taken
METADATA_CHARS = 8192  # the longest Upload-Metadata taken
TYPE_CHARS = 200  # the longest Content-Type taken
# A guest link's creations and checks per address (the budget bounds the bytes).
GUEST_LIMITS = (RateLimitItemPerMinute(120), RateLimitItemPerHour(2000))

_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*")
UploadId = Annotated[
    str,
    PathParam(description="An upload's id: 32 hex digits",
              json_schema_extra={"pattern": "^[0-9a-f]{32}$"}),
]  # fmt: skip
# Documented as the one version; any other is answered 412, as tus asks (not 422).
TusResumable = Annotated[
    str | None,
    Header(alias="Tus-Resumable", description="The tus version: 1.0.0",
           json_schema_extra={"enum": [TUS_VERSION]}),
]  # fmt: skip
UploadLength = Annotated[
    int, Header(alias="Upload-Length", ge=0, le=LARGEST, description="The file's size in bytes")
]
UploadMetadata = Annotated[
    str | None,
    Header(
        alias="Upload-Metadata",
        max_length=METADATA_CHARS,
        description="Comma-separated `key base64(value)` pairs: filename, filetype, sha256 "
        "(required: lowercase hex), modified (ms since the epoch)",
    ),
]
UploadOffset = Annotated[
    int, Header(alias="Upload-Offset", ge=0, le=LARGEST, description="Where this chunk starts")
]
ContentType = Annotated[
    str | None, Header(alias="Content-Type", max_length=TYPE_CHARS, description=OFFSET_TYPE)
]


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


TUS = _header("1.0.0")
OFFSET = _header("Bytes of the upload the server has")
Responses = dict[int | str, dict[str, Any]]
CREATED: Responses = {
    201: {
        "description": "Created: send the bytes to Location with PATCH",
        "headers": {"Location": _header("The upload's URL"), "Upload-Offset": OFFSET,
                    "Tus-Resumable": TUS,
                    "Smartalbum-Status": _header("'stored' once the last byte is in (a body "
                                                 "sent with the creation)")},
    },
    200: {
        "description": "Already here: the library holds this content; nothing to send",
        "headers": {"Smartalbum-Photo": _header("The photo's id (empty: not yet indexed)")},
    },
}  # fmt: skip
HEAD_OK: Responses = {
    200: {
        "description": "How far the upload got",
        "headers": {"Upload-Offset": OFFSET, "Upload-Length": _header("Its size"),
                    "Tus-Resumable": TUS},
    }
}  # fmt: skip
PATCHED: Responses = {
    204: {
        "description": "The chunk is stored and fsynced",
        "headers": {"Upload-Offset": OFFSET, "Tus-Resumable": TUS,
                    "Smartalbum-Status": _header("'stored' once the last byte is in")},
    }
}  # fmt: skip
CREATION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {OFFSET_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}
CHUNK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {OFFSET_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _number(value: object) -> object:
    if isinstance(value, (bool, str)):
        raise ValueError("a size is a number of bytes")  # pydantic reports a ValueError
    return value


class FileCheck(BaseModel):
    """One file a client means to upload, named by its content."""

    model_config = ConfigDict(strict=True)  # a size of ``false`` is not 0

    name: str = Field(default="", max_length=1024)
    # 2**53: a bound a JSON number holds exactly (a fuzzer's 2**62 + 95 is 2**62 as a double).
    # A whole number however written (JSON Schema's integer takes 5.0), but never false or "5".
    size: Annotated[int, Field(ge=0, le=2**53, strict=False), BeforeValidator(_number)] = 0
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="Lowercase hex")


class CheckRequest(BaseModel):
    """Body of ``POST /api/uploads/check``."""

    files: list[FileCheck] = Field(max_length=MAX_CHECK)


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus ``Upload-Metadata``: ``key base64,key base64``; a bad pair is a 422 naming it."""
    found: dict[str, str] = {}
    for pair in (header or "").split(","):
        key, _, value = pair.strip().partition(" ")
        if not key:
            continue
        try:
            found[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise RequestError(
                t("Upload-Metadata: the value of {key!r} is not base64 of UTF-8 text", key=key)
            ) from None
    return found


def announced(length: int, metadata: dict[str, str]) -> NewUpload:
    """What a creation announces: name, size, sha256, file time and type."""
    name = metadata.get("filename") or "upload"
    digest = metadata.get("sha256", "").strip().lower()
    if not SHA256.match(digest):
        raise RequestError(
            t("{name}: Upload-Metadata needs the file's sha256 (64 hex digits)", name=name)
        )
    modified = None
    if metadata.get("modified"):
        try:
            modified = float(metadata["modified"]) / 1000.0
        except ValueError:
            raise RequestError(
                t("{name}: modified must be milliseconds since 1970", name=name)
            ) from None
    filetype = metadata.get("filetype") or None
    return NewUpload(name, length, digest, modified, filetype)


def _tus(version: str | None) -> None:
    if version is None or version == TUS_VERSION:
        return
    if not _VERSION.fullmatch(version):  # no version at all ("null"): a bad header, not a 412
        raise RequestError(t("Tus-Resumable must be a tus version such as 1.0.0"))
    raise TusVersionError(t("this server speaks tus 1.0.0, not {version}", version=version))


class UploadIdConvertor(Convertor[str]):
    """An upload id in a path: 32 hex digits. So ``/api/uploads/check`` is not an upload, and
    a method it lacks is a 405, not an upload that does not exist."""

    name = "upload_id"
    regex = "[0-9a-f]{32}"

    def convert(self, value: str) -> str:
        """The id as it is."""
        return value

    def to_string(self, value: str) -> str:
        """The id as it is."""
        return value


def _upload_id(text: str) -> str:
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        raise NotFoundError(t("no upload {upload_id}", upload_id=text[:40]))
    return text


class UploadHandlers:
    """The tus operations, for whoever ``who`` finds a request acts for."""

    def __init__(
        self,
        state: AppState,
        who: Callable[[Request, bool], tuple[Uploader, int | None]],
        prefix: Callable[[Request], str],
        guests: bool = False,
    ) -> None:
        self.state = state
        self.who = who  # (uploader, budget in MB or None)
        self.prefix = prefix  # where the upload URLs start, for Location
        self.guests = guests  # a guest never sees a server path

    def store(self) -> UploadStore:
        """The library's upload store."""
        return self.state.upload_store()

    def options(self, request: Request) -> Response:
        """What this tus server speaks (to whoever may upload here)."""
        self.who(request, False)
        return Response(status_code=204, headers={
            "Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION,
            "Tus-Extension": "creation,creation-with-upload,termination",
            "Tus-Max-Size": str(self.state.settings.max_file_mb * 1024 * 1024),
        })  # fmt: skip

    def check(self, request: Request, body: CheckRequest) -> dict[str, Any]:
        """Which of these files (by sha256) the library already holds."""
        self.who(request, True)
        here = self.store().already_here([f.sha256 for f in body.files])
        return {
            "files": [
                {"sha256": f.sha256, "exists": f.sha256 in here, "photo_id": here.get(f.sha256)}
                for f in body.files
            ]
        }

    async def create(
        self,
        request: Request,
        length: int,
        metadata: str | None,
        version: str | None,
        kind: str | None = None,
    ) -> Response:
        """A new upload (201 with Location), or 200 if the library has its content.

        With a body (tus creation-with-upload: ``Content-Type`` is OFFSET_TYPE) its bytes
        are the upload's first: a small photo is created, sent and stored in one request.
        An upload already under way (the same content, resumed) takes no bytes here: its
        Upload-Offset says where the client goes on with PATCH.
        """
        _tus(version)
        first: bytes | None = None  # a small photo's whole body, received before the thread trip
        more = False
        if _chunk_type(kind) and length > 0:
            stream = request.stream()
            first, more = await _block(stream)
        if first is not None and not more:
            # One trip to a thread for the creation, the bytes, the store and the answer:
            # each trip costs the event loop a wake-up, and this is most photos' only request.
            return await run_in_threadpool(self._create_whole, request, length, metadata, first)
        created = await run_in_threadpool(self._create, request, length, metadata)
        if created.upload is None:
            return self._here(created)
        upload = created.upload
        offset = self.store().offset(upload)
        if first is not None and more and offset == 0:
            headers = await self._receive(upload, 0, first, stream)
        else:
            headers = {"Upload-Offset": str(offset)}
        return self._created(request, upload, headers)

    def _create_whole(
        self, request: Request, length: int, metadata: str | None, body: bytes
    ) -> Response:
        """A creation whose body came whole: the upload, then its bytes written and stored
        (or, when an upload of it is under way already, its offset: it resumes by PATCH)."""
        created = self._create(request, length, metadata, whole=True)
        upload = created.upload
        if upload is None:
            return self._here(created)
        offset = self.store().offset(upload)
        if offset != 0:
            return self._created(request, upload, {"Upload-Offset": str(offset)})
        return self._created(request, upload, self._append(upload, 0, [body]))

    def _here(self, created: Created) -> Response:
        """200 "already here", with the photo's id (empty: not yet indexed)."""
        photo = "" if created.photo_id is None else str(created.photo_id)
        return _json(
            {"exists": True, "photo_id": created.photo_id}, 200,
            {"Smartalbum-Photo": photo, "Tus-Resumable": TUS_VERSION},
        )  # fmt: skip

    def _created(self, request: Request, upload: Upload, headers: dict[str, str]) -> Response:
        """201: the upload, its URL and how far it got."""
        headers.update(
            {"Location": f"{self.prefix(request)}/{upload.id}", "Tus-Resumable": TUS_VERSION}
        )
        # Just created or stored: not indexed yet, nothing to look up.
        return _json(self._shown(self.store().describe(upload, look=False)), 201, headers)

    def _create(
        self, request: Request, length: int, metadata: str | None, whole: bool = False
    ) -> Created:
        who, budget = self.who(request, True)
        new = announced(length, parse_metadata(metadata))
        return self.store().create(who, new, budget, whole)

    def head(self, request: Request, upload_id: str) -> Response:
        """How far an upload got (the client resumes from there)."""
        store = self.store()
        upload = store.find(self.who(request, False)[0], _upload_id(upload_id))
        return Response(status_code=200, headers={
            "Upload-Offset": str(store.offset(upload)), "Upload-Length": str(upload.size),
            "Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store",
        })  # fmt: skip

    async def patch(
        self, request: Request, upload_id: str, offset: int, kind: str | None, version: str | None
    ) -> Response:
        """Append the body to the upload from ``offset``; the last chunk stores the photo."""
        _tus(version)
        if not _chunk_type(kind):
            raise UnsupportedImageError(upload_id, t("a chunk is sent as {type}", type=OFFSET_TYPE))
        stream = request.stream()
        block, more = await _block(stream)
        if not more:  # a chunk of one block: found, written and stored in one trip to a thread
            headers = await run_in_threadpool(self._patch_whole, request, upload_id, offset, block)
        else:
            upload = await run_in_threadpool(self._find, request, upload_id)
            headers = await self._receive(upload, offset, block, stream)
        return Response(status_code=204, headers={"Tus-Resumable": TUS_VERSION, **headers})

    def _find(self, request: Request, upload_id: str) -> Upload:
        """The upload with this id, if it is the requester's; else NotFoundError."""
        return self.store().find(self.who(request, False)[0], _upload_id(upload_id))

    def _patch_whole(
        self, request: Request, upload_id: str, offset: int, body: bytes
    ) -> dict[str, str]:
        """A chunk that came whole: its upload found, the bytes written from ``offset``."""
        return self._append(self._find(request, upload_id), offset, [body])

    async def _receive(
        self, upload: Upload, offset: int, block: bytes, stream: AsyncIterator[bytes]
    ) -> dict[str, str]:
        """A body of more than one block appended to the upload from ``offset`` (its first
        block, received already, then the rest of its stream), fsynced; the last byte stores
        the photo and sends it to be indexed. The headers that say so. (A body of one block
        is written and stored in the same trip to a thread as the rest of its request.)"""
        appender = await run_in_threadpool(self.store().appender, upload, offset)
        try:
            await run_in_threadpool(appender.write, block)
            more = True
            while more:
                block, more = await _block(stream)
                await run_in_threadpool(appender.write, block)
            return await run_in_threadpool(self._complete, upload, appender)
        finally:
            await run_in_threadpool(appender.close)

    def _append(self, upload: Upload, offset: int, blocks: list[bytes]) -> dict[str, str]:
        """Write these bytes from ``offset``, then as ``_complete``."""
        appender = self.store().appender(upload, offset)
        try:
            for block in blocks:
                appender.write(block)
            # The whole file in one block (most photos): sniffed and dated from memory.
            whole = blocks[0] if offset == 0 and len(blocks) == 1 else None
            return self._complete(upload, appender, whole)
        finally:
            appender.close()

    def _complete(
        self, upload: Upload, appender: Appender, data: bytes | None = None
    ) -> dict[str, str]:
        """Make the bytes durable; the last ones store the photo and send it to be indexed
        (``data``: all its bytes, when they came in one block)."""
        store = self.store()
        headers = {"Upload-Offset": str(appender.sync())}
        if appender.complete:
            stored = store.finish(upload, appender.digest(), data)
            headers["Smartalbum-Status"] = stored.status
            if stored.path:
                self.state.index_stored(Path(stored.path))
        else:
            store.progressed(upload)
        return headers

    def get(self, request: Request, upload_id: str) -> dict[str, Any]:
        """An upload: its name, size, offset, status and, once indexed, its photo."""
        store = self.store()
        upload = store.find(self.who(request, False)[0], _upload_id(upload_id))
        return self._shown(store.describe(upload))

    def listed(self, request: Request) -> dict[str, Any]:
        """The recent uploads, newest first."""
        return {
            "uploads": [self._shown(u) for u in self.store().recent(self.who(request, False)[0])]
        }

    def delete(self, request: Request, upload_id: str, version: str | None) -> Response:
        """Cancel an upload under way: its bytes are removed (tus termination)."""
        _tus(version)
        store = self.store()
        store.cancel(store.find(self.who(request, False)[0], _upload_id(upload_id)))
        return Response(status_code=204, headers={"Tus-Resumable": TUS_VERSION})

    def _shown(self, upload: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in upload.items() if k != "path"} if self.guests else upload


async def _block(stream: AsyncIterator[bytes]) -> tuple[bytes, bool]:
    """The next megabyte or so of a request's body, and whether more follows."""
    gathered: list[bytes] = []
    size = 0
    async for chunk in stream:
        gathered.append(chunk)
        size += len(chunk)
        if size >= WRITE_BLOCK:
            return b"".join(gathered), True
    return b"".join(gathered), False


def _chunk_type(kind: str | None) -> bool:
    """Whether a Content-Type is tus's for upload bytes."""
    return (kind or "").split(";")[0].strip().lower() == OFFSET_TYPE


def _json(body: dict[str, Any], status: int, headers: dict[str, str]) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def _account(request: Request, creating: bool = False) -> tuple[Uploader, int | None]:
    principal: Principal = request.state.principal
    return Uploader(principal.name), None


def upload_router(state: AppState) -> APIRouter:
    """The account routes (``/api/uploads``) and the guests' (``/api/shared/{token}/uploads``)."""
    register_url_convertor(UploadIdConvertor.name, UploadIdConvertor())
    router = APIRouter(route_class=LeanRoute)  # the tus routes' lean handlers (lean_routes.py)
    mine = UploadHandlers(state, _account, lambda request: "/api/uploads")
    install_tus_routes(router, "/api/uploads", mine, guest=False)
    view = SharedView(state.library)

    def guest(request: Request, creating: bool = False) -> tuple[Uploader, int | None]:
        token = request.path_params["token"]
        link = view.opened(token, request.cookies.get(PASS_COOKIE))
        if not link.allow_upload:
            raise ForbiddenError(t("this share link does not take uploads"))
        if creating:
            _throttle(state, link.id, client_address(request))
        return Uploader(link.created_by or "local", link.id), link.upload_budget_mb

    guests = UploadHandlers(
        state, guest, lambda r: f"/api/shared/{r.path_params['token']}/uploads", guests=True
    )
    install_tus_routes(router, "/api/shared/{token}/uploads", guests, guest=True)
    install_sharer_routes(router, state, view)
    return router


def install_sharer_routes(router: APIRouter, state: AppState, view: SharedView) -> None:
    """What a link's guests added, for its sharer (editors): listed, and removed."""

    @router.get("/api/shares/{link_id}/uploads", responses=error_responses(404, 422, 503))
    def guest_photos(link_id: LinkId) -> dict[str, Any]:
        """The photos a share link's guests added, newest first."""
        return {"photos": view.links().guest_photos(link_id)}

    @router.delete("/api/shares/{link_id}/uploads/{photo_id}",
                   responses=error_responses(404, 422, 503))  # fmt: skip
    def remove_guest_photo(link_id: LinkId, photo_id: PhotoId, request: Request) -> dict[str, Any]:
        """Take out a photo a link's guest added: it goes to the trash."""
        number = parse_photo_id(photo_id)
        view.links().check_guest_photo(link_id, number)
        # The trash does it, as any delete: the uploaded file into the trash folder, one
        # transaction and one activity entry, restorable for the trash days.
        Trash(state.library.get(), state.settings).delete([number], author_of(request))
        return {"removed": number}


def _throttle(state: AppState, link_id: int, address: str) -> None:
    limiter = state.gate.limiter
    for item in GUEST_LIMITS:
        if not limiter.hit(item, "guest-upload", str(link_id), address):
            reset = limiter.get_window_stats(item, "guest-upload", str(link_id), address).reset_time
            wait = max(1, int(reset - time.time()) + 1)
            raise TooManyAttemptsError(
                t("too many uploads through this share link; try again in {seconds} s",
                  seconds=wait), wait
            )  # fmt: skip


def _guest_params(token: Token, smartalbum_share: Pass = None) -> None:
    """The share link's token in the path (and a locked link's pass cookie): the guests'
    credential, checked by the handlers."""


def install_tus_routes(router: APIRouter, base: str, handlers: UploadHandlers, guest: bool) -> None:
    """The tus operations at ``base`` (and ``base/{upload_id}``) for these handlers."""
    extra = [Depends(_guest_params)] if guest else []  # a route with these is never lean
    found = (404, 422, 503)
    creation, chunk, offset_of = _lean_handlers(handlers)
    creating = (400, 404, 412, 413, 415, 422, 503, *((429,) if guest else ()))
    one = f"{base}/{{upload_id:{UploadIdConvertor.name}}}"

    @router.options(base, status_code=204, dependencies=extra,
                    responses={204: {"description": "Tus-Version, Tus-Extension, Tus-Max-Size"},
                               **error_responses(*found)})  # fmt: skip
    def tus_options(request: Request) -> Response:
        """What this tus server speaks: version 1.0.0, creation (with upload: a small photo's
        bytes in the creating request) and termination, the largest file it takes
        (Tus-Max-Size)."""
        return handlers.options(request)

    @router.post(f"{base}/check", dependencies=extra,
                 responses=error_responses(400, *found, *((429,) if guest else ())))  # fmt: skip
    def check_uploads(request: Request, body: CheckRequest) -> dict[str, Any]:
        """Which of these files (by sha256) the library already holds, anyone's, not in the
        trash: a client uploads only the others."""
        return handlers.check(request, body)

    @router.post(base, status_code=201, dependencies=extra, openapi_extra=CREATION_BODY,
                 responses={**CREATED, **error_responses(*creating, 409)})  # fmt: skip
    @lean(creation)
    async def create_upload(
        request: Request,
        length: UploadLength,
        metadata: UploadMetadata = None,
        version: TusResumable = None,
        kind: ContentType = None,
    ) -> Response:
        """Start an upload (tus creation): 201 and its URL in Location, or 200 "already
        here" when the library holds its content. The same file created again while it is
        still arriving gets the same upload back, to resume. 413 past the size limit, 415
        for a type the library does not index: before any byte is sent.

        tus creation-with-upload: a body sent as application/offset+octet-stream is the
        upload's first bytes (a small photo: all of them, stored at once, as a PATCH would:
        the answer's Upload-Offset and Smartalbum-Status say how far it got)."""
        return await handlers.create(request, length, metadata, version, kind)

    @router.get(base, dependencies=extra, responses=error_responses(*found))
    def list_uploads(request: Request) -> dict[str, Any]:
        """The recent uploads, newest first."""
        return handlers.listed(request)

    @router.head(one, dependencies=extra, responses={**HEAD_OK, **error_responses(*found)})
    @lean(offset_of)
    def upload_offset(request: Request, upload_id: UploadId) -> Response:
        """How many bytes of an upload are here (Upload-Offset): resume from there."""
        return handlers.head(request, upload_id)

    chunk_errors = error_responses(400, 409, 412, 413, 415, *found)

    @router.patch(one, status_code=204, dependencies=extra, openapi_extra=CHUNK_BODY,
                  responses={**PATCHED, **chunk_errors})  # fmt: skip
    @lean(chunk)
    async def upload_chunk(
        request: Request,
        upload_id: UploadId,
        offset: UploadOffset,
        kind: ContentType = None,
        version: TusResumable = None,
    ) -> Response:
        """Send bytes from Upload-Offset (which must be how far the upload got: else 409).
        The last chunk checks the sha256 (422 and nothing stored if it differs), sniffs
        the type (415) and stores the photo, which is then indexed."""
        return await handlers.patch(request, upload_id, offset, kind, version)

    @router.get(one, dependencies=extra, responses=error_responses(*found))
    def upload_status(request: Request, upload_id: UploadId) -> dict[str, Any]:
        """An upload's name, size, offset and status; its photo's id once indexed."""
        return handlers.get(request, upload_id)

    @router.delete(one, status_code=204, dependencies=extra,
                   responses=error_responses(409, 412, *found))  # fmt: skip
    def cancel_upload(
        request: Request, upload_id: UploadId, version: TusResumable = None
    ) -> Response:
        """Cancel an upload under way (tus termination): its bytes are removed."""
        return handlers.delete(request, upload_id, version)


def _lean_handlers(handlers: UploadHandlers) -> tuple[Lean, Lean, Lean]:
    """The creation's, the chunk's and the offset's lean handlers (web/lean_routes.py): the
    headers taken as they are, or declined (None) for FastAPI to validate; the same gate."""
    gate = handlers.state.gate

    async def creation(request: Request) -> Response | None:
        headers = request.headers
        length = whole_number(headers.get("upload-length"), LARGEST)
        metadata, kind = headers.get("upload-metadata"), headers.get("content-type")
        if length is None or not short_text(metadata, METADATA_CHARS):
            return None
        if not short_text(kind, TYPE_CHARS):
            return None
        await gate.guard(request)
        version = headers.get("tus-resumable")
        return await handlers.create(request, length, metadata, version, kind)

    async def chunk(request: Request) -> Response | None:
        headers = request.headers
        offset = whole_number(headers.get("upload-offset"), LARGEST)
        kind = headers.get("content-type")
        if offset is None or not short_text(kind, TYPE_CHARS):
            return None
        await gate.guard(request)
        upload_id = request.path_params["upload_id"]
        return await handlers.patch(request, upload_id, offset, kind, headers.get("tus-resumable"))

    async def offset_of(request: Request) -> Response | None:
        await gate.guard(request)
        return await run_in_threadpool(handlers.head, request, request.path_params["upload_id"])

    return creation, chunk, offset_of
