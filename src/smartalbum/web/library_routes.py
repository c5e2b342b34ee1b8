"""The library's JSON API: albums, moments, trips, photos, files, search and corrections.

Every handler is a plain function: FastAPI runs it in its thread pool, so catalog
queries never block the event loop that serves ``/predict``. Only the POST routes
write; every GET only reads the catalog.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from smartalbum.albums import RuleSet, RulesWatcher, class_groups
from smartalbum.errors import NotFoundError, SmartalbumError
from smartalbum.i18n import t
from smartalbum.library import activity
from smartalbum.library.pages import MAX_PAGE
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.sidecars import write_back
from smartalbum.models.labels import load_labels
from smartalbum.moments import Timeline
from smartalbum.search.service import search as search_library
from smartalbum.search.structured import Filters
from smartalbum.settings import Settings
from smartalbum.web.errors import error_responses, request_language
from smartalbum.web.ranges import sliced
from smartalbum.web.search_params import Grouping, Today, search_filters

log = logging.getLogger(__name__)

RULES_POLL_SECONDS = 2.0  # how soon an edited rules file regroups the library

# One page of a list: where it starts and how long it is. The offset's bound keeps it
# inside the catalog's 64-bit integers (SQLite refuses larger ones).
MAX_OFFSET = 2**63 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE)]


class LibraryHolder:
    """Opens the catalog on first use, so a bad library path fails requests, not the server.

    Once open, a background thread watches the rules file: an edit regroups the library
    there (a write where the change happens), never inside a request.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._watcher: RulesWatcher | None = None
        self._library: PhotoLibrary | None = None
        self._timeline: Timeline | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def rules(self) -> RuleSet:
        """The album rules in force (they need no catalog: uploads get albums too)."""
        if self._library is not None:
            return self._library.rules
        return self._rules_watcher().current()

    def _rules_watcher(self) -> RulesWatcher:
        with self._lock:
            if self._watcher is None:
                labels = load_labels(overrides=self.settings.labels_file)
                self._watcher = RulesWatcher(self.settings.albums_file, labels, class_groups())
            return self._watcher

    def prepare(self) -> None:
        """Open the library as the server starts, regrouped if the rules changed since.

        A library that cannot be opened yet (its server is down, say) is logged here, and
        opened by the first request that needs it.
        """
        try:
            self._open(regroup=True)
        except SmartalbumError as exc:
            log.error("the library cannot be opened yet: %s", exc.message)

    def get(self) -> PhotoLibrary:
        """The library, opened (and migrated) the first time it is asked for.

        A request never regroups: a library opened here is regrouped by the rules thread.
        """
        return self._open(regroup=False)

    def _open(self, regroup: bool) -> PhotoLibrary:
        watcher = self._rules_watcher()
        with self._lock:
            if self._library is None:
                self._library = PhotoLibrary.open(self.settings, watcher=watcher, regroup=regroup)
                threading.Thread(
                    target=self._watch,
                    args=(self._library, not regroup),
                    name="smartalbum-rules",
                    daemon=True,
                ).start()
            return self._library

    def _watch(self, library: PhotoLibrary, stale: bool) -> None:
        if stale:
            self._refresh(library)
        while not self._stop.wait(RULES_POLL_SECONDS):
            if library.watcher.current() is not library.rules:
                self._refresh(library)

    @staticmethod
    def _refresh(library: PhotoLibrary) -> None:
        try:
            library.refresh()
        except Exception:  # logged, and tried again when the rules next change
            log.exception("regrouping the library under the album rules failed")

    def close(self) -> None:
        """Stop watching the rules and close the catalog's connections (the app is stopping)."""
        self._stop.set()
        with self._lock:
            if self._library is not None:
                self._library.close()

    def timeline(self) -> Timeline:
        """The library's moments and trips (computed on demand, cached until it changes)."""
        library = self.get()
        with self._lock:
            if self._timeline is None:
                self._timeline = Timeline(library, self.settings)
            return self._timeline


def _holder(request: Request) -> LibraryHolder:
    holder: LibraryHolder = request.app.state.library
    return holder


Holder = Annotated[LibraryHolder, Depends(_holder)]


class Correction(BaseModel):
    """Body of ``POST /api/photos/{id}/labels``."""

    action: Literal["set", "confirm", "reject", "clear"]
    wnid: str  # a wnid, or an English or Chinese class name


# What parse_photo_id takes; anything else is a 404 (as an unknown id is), so the pattern documents.
PhotoId = Annotated[
    str,
    PathParam(
        description="A photo id: up to 18 decimal digits",
        json_schema_extra={"pattern": "^[0-9]{1,18}$"},
    ),
]


def parse_photo_id(text: str) -> int:
    """Photo ids are positive integers; anything else (``../etc``, ``١``) names no photo."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NotFoundError(t("no photo {text!r} in the library", text=text))
    return int(text)


def _rules_info(library: PhotoLibrary, request: Request) -> dict[str, Any]:
    error = library.watcher.error
    return {
        "source": library.rules.source,
        "digest": library.rules.digest,
        "error": error.to_dict(request_language(request)) if error else None,
    }


def _with_moment(holder: LibraryHolder, photo: dict[str, Any]) -> dict[str, Any]:
    """The photo's answer with the moment it belongs to (the web layer knows moments)."""
    return {**photo, "moment": holder.timeline().moment_of(photo["id"])}


router = APIRouter(prefix="/api")


@router.get("/albums", responses=error_responses(503))
def albums(holder: Holder, request: Request) -> dict[str, Any]:
    """Every smart album with its bilingual titles, photo count and cover photo."""
    library = holder.get()
    return {"albums": library.albums(), "rules": _rules_info(library, request)}


@router.post("/albums/reload", responses=error_responses(400, 503))
def reload_albums(holder: Holder, request: Request) -> dict[str, Any]:
    """Re-read the rules file now and regroup; a bad file is a 400 naming the line."""
    library = holder.get()
    regrouped = library.reload_rules(author_of(request))
    return {"regrouped": regrouped, "rules": _rules_info(library, request)}


@router.get("/activity", responses=error_responses(422, 503))
def activity_log(
    holder: Holder, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """Who did what, newest first: imports, rules reloads, share links made and revoked."""
    return {"activity": activity.recent(holder.get().sessions, limit)}


@router.get("/albums/{album_id}", responses=error_responses(404, 422, 503))
def album(
    holder: Holder, album_id: str, offset: Offset = 0, limit: PageSize = 100
) -> dict[str, Any]:
    """One album and a page of its photos, best first."""
    return holder.get().album(album_id, offset, limit)


@router.get("/search", responses=error_responses(422, 503))
def search(
    holder: Holder,
    request: Request,
    filters: Annotated[Filters, Depends(search_filters)],
    q: Annotated[str, Query(min_length=1, max_length=1000, pattern=r"\S")] = "",
    offset: Offset = 0,
    limit: PageSize = 100,
    today: Today = None,
    group: Grouping = None,
) -> dict[str, Any]:
    """Photos matching a sentence ("去年冬天在日本滑雪") and the filters, best first.

    ``interpretation`` lists the understood parts (kind, English and Chinese text, what
    each matched); ``instead`` says what a query that finds nothing finds without the
    part that failed; ``moments`` lists the moments whose places or titles ``q`` names.
    """
    timeline = holder.timeline()
    found = search_library(holder.get(), q, offset, limit, filters=filters, today=today,
                           moments=timeline, by_moment=group == "moment",
                           user=author_of(request))  # fmt: skip
    found["moments"] = timeline.matching(q)
    return found


@router.get("/moments", responses=error_responses(422, 503))
def moments(holder: Holder, offset: Offset = 0, limit: PageSize = 100) -> dict[str, Any]:
    """A page of moments, newest first: dates, place, albums, cover, titles and trip."""
    return holder.timeline().page(offset, limit)


@router.get("/moments/{moment_id}", responses=error_responses(404, 422, 503))
def moment(
    holder: Holder, moment_id: str, offset: Offset = 0, limit: PageSize = 100
) -> dict[str, Any]:
    """One moment and a page of its photos, in time order."""
    return holder.timeline().moment(moment_id, offset, limit)


@router.get("/trips", responses=error_responses(503))
def trips(holder: Holder) -> dict[str, Any]:
    """Every trip away from home, newest first, and where home is taken to be."""
    timeline = holder.timeline()
    return {"home": timeline.home(), "trips": timeline.trips()}


@router.get("/classes", responses=error_responses(422, 503))
def classes(holder: Holder, q: Annotated[str, Query(max_length=100)] = "") -> list[dict[str, Any]]:
    """Up to 20 classes whose English or Chinese name contains ``q`` (for corrections)."""
    return [
        {"index": c.index, "wnid": c.wnid, "label": c.en, "label_zh": c.zh}
        for c in holder.get().labels.matching(q, 20)
    ]


@router.get("/photos/{photo_id}", responses=error_responses(404, 503))
def photo(holder: Holder, photo_id: PhotoId) -> dict[str, Any]:
    """A photo's labels (corrections applied), albums, EXIF facts, place and moment."""
    return _with_moment(holder, holder.get().photo(parse_photo_id(photo_id)))


@router.get(
    "/photos/{photo_id}/thumbnail",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **error_responses(404, 503)},
)
def thumbnail(holder: Holder, photo_id: PhotoId) -> Response:
    """The photo's small JPEG (long side 256 px)."""
    data = holder.get().thumbnail(parse_photo_id(photo_id))
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})


@router.get(
    "/photos/{photo_id}/original",
    response_class=FileResponse,
    responses={200: {"content": {"image/*": {}}}, **error_responses(404, 503)},
)
def original(holder: Holder, photo_id: PhotoId) -> FileResponse:
    """The photo file itself, only from inside a folder that was indexed."""
    path, media_type = holder.get().original(parse_photo_id(photo_id))
    return FileResponse(path, media_type=media_type)


@router.get(
    "/photos/{photo_id}/motion",
    response_class=Response,
    responses={200: {"content": {"video/*": {}}}, 206: {}, **error_responses(404, 503)},
)
def motion(holder: Holder, photo_id: PhotoId, request: Request) -> Response:
    """A Live Photo's MOV or a Motion Photo's video, with range requests (a phone seeks)."""
    found = holder.get().motion(parse_photo_id(photo_id))
    if found.start == 0:
        return FileResponse(found.path, media_type=found.media_type)
    return sliced(request, found.path, found.start, found.length, found.media_type)


@router.post("/photos/{photo_id}/labels", responses=error_responses(400, 404, 422, 503))
def correct(
    holder: Holder, photo_id: PhotoId, body: Correction, request: Request
) -> dict[str, Any]:
    """Set, confirm, reject or clear a class for the photo; returns the photo as it is now.

    The correction records who made it (the signed-in account, when there is sign-in).
    """
    by = author_of(request)
    photo = holder.get().correct(parse_photo_id(photo_id), body.action, body.wnid, by)
    sidecars_follow(holder, [photo["id"]])
    return _with_moment(holder, photo)


def sidecars_follow(holder: LibraryHolder, ids: Sequence[int]) -> None:
    """With SMARTALBUM_XMP_WRITE on, rewrite these photos' sidecars (each failure logged):
    a correction, a heart or an album reaches digiKam, darktable and Lightroom."""
    if holder.settings.xmp_write and ids:
        for warning in write_back(holder.get(), holder.settings, list(ids)).warnings:
            log.warning("XMP sidecar not written: %s", warning)


def author_of(request: Request) -> str | None:
    """The account a request acts for, or None on a server nobody signs in to."""
    principal = getattr(request.state, "principal", None)
    return None if principal is None or principal.anonymous else str(principal.name)
