"""The library's JSON API: albums, moments, trips, photos, files, search and corrections.

Every handler is a plain function: FastAPI runs it in its thread pool, so catalog
queries never block the event loop that serves ``/predict``.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel
from sqlalchemy import Engine

from smartalbum.albums import RuleSet, RulesWatcher, class_groups
from smartalbum.catalog import open_engine, session_factory
from smartalbum.errors import NotFoundError
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import load_labels
from smartalbum.moments import Timeline
from smartalbum.settings import Settings

# One page of a list: where it starts and how long it is (at most 500).
Offset = Annotated[int, Query(ge=0)]
PageSize = Annotated[int, Query(ge=1, le=500)]


class LibraryHolder:
    """Opens the catalog on first use, so a bad library path fails requests, not the server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._watcher: RulesWatcher | None = None
        self._library: PhotoLibrary | None = None
        self._timeline: Timeline | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def rules(self) -> RuleSet:
        """The album rules in force (they need no catalog: uploads get albums too)."""
        return self._rules_watcher().current()

    def _rules_watcher(self) -> RulesWatcher:
        with self._lock:
            if self._watcher is None:
                labels = load_labels(overrides=self.settings.labels_file)
                self._watcher = RulesWatcher(self.settings.albums_file, labels, class_groups())
            return self._watcher

    def get(self) -> PhotoLibrary:
        """The library, opened (and migrated) the first time it is asked for."""
        watcher = self._rules_watcher()
        with self._lock:
            if self._library is None:
                self._engine = open_engine(self.settings.library)
                sessions = session_factory(self._engine)
                self._library = PhotoLibrary(sessions, watcher.labels, watcher)
            return self._library

    def close(self) -> None:
        """Close the catalog's connections (the app is stopping)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()

    def timeline(self) -> Timeline:
        """The library's moments and trips (computed on demand, cached until it changes)."""
        library = self.get()
        with self._lock:
            if self._timeline is None:
                self._timeline = Timeline(library, self.settings)
            return self._timeline


class Correction(BaseModel):
    """Body of ``POST /api/photos/{id}/labels``."""

    action: str  # set, confirm, reject or clear
    wnid: str  # a wnid, or an English or Chinese class name


def _photo_id(text: str) -> int:
    """Photo ids are positive integers; anything else (``../etc``) names no photo."""
    if not text.isdigit() or len(text) > 18:
        raise NotFoundError(f"no photo {text!r} in the library")
    return int(text)


def library_router(holder: LibraryHolder) -> APIRouter:
    """Routes over the catalog the holder opens."""
    router = APIRouter(prefix="/api")

    def with_moment(photo: dict[str, Any]) -> dict[str, Any]:
        """The photo's answer with the moment it belongs to (the web layer knows moments)."""
        return {**photo, "moment": holder.timeline().moment_of(photo["id"])}

    def rules_info(library: PhotoLibrary) -> dict[str, Any]:
        rules = library.rules
        error = library.watcher.error
        return {
            "source": rules.source,
            "digest": rules.digest,
            "error": error.to_dict() if error else None,
        }

    @router.get("/albums")
    def albums() -> dict[str, Any]:
        """Every smart album with its bilingual titles, photo count and cover photo."""
        library = holder.get()
        return {"albums": library.albums(), "rules": rules_info(library)}

    @router.post("/albums/reload")
    def reload_albums() -> dict[str, Any]:
        """Re-read the rules file now and regroup; a bad file is a 400 naming the line."""
        library = holder.get()
        library.watcher.reload()
        return {"regrouped": library.refresh(), "rules": rules_info(library)}

    @router.get("/albums/{album_id}")
    def album(album_id: str, offset: Offset = 0, limit: PageSize = 100) -> dict[str, Any]:
        """One album and a page of its photos, best first."""
        return holder.get().album(album_id, offset, limit)

    @router.get("/search")
    def search(
        q: str = Query(..., max_length=200),
        offset: Offset = 0,
        limit: PageSize = 100,
    ) -> dict[str, Any]:
        """Photos by English or Chinese label, group, album title or place, best first.

        ``moments`` lists the moments whose places or titles the query names.
        """
        found = holder.get().search(q, offset, limit)
        found["moments"] = holder.timeline().matching(q)
        return found

    @router.get("/moments")
    def moments(offset: Offset = 0, limit: PageSize = 100) -> dict[str, Any]:
        """A page of moments, newest first: dates, place, albums, cover, titles and trip."""
        return holder.timeline().page(offset, limit)

    @router.get("/moments/{moment_id}")
    def moment(moment_id: str, offset: Offset = 0, limit: PageSize = 100) -> dict[str, Any]:
        """One moment and a page of its photos, in time order."""
        return holder.timeline().moment(moment_id, offset, limit)

    @router.get("/trips")
    def trips() -> dict[str, Any]:
        """Every trip away from home, newest first, and where home is taken to be."""
        timeline = holder.timeline()
        return {"home": timeline.home(), "trips": timeline.trips()}

    @router.get("/classes")
    def classes(q: str = Query("", max_length=100)) -> list[dict[str, Any]]:
        """Up to 20 classes whose English or Chinese name contains ``q`` (for corrections)."""
        needle = q.strip().lower()
        labels = holder.get().labels
        found = [
            c for c in labels.classes if not needle or needle in c.en.lower() or needle in c.zh
        ]
        found.sort(key=lambda c: (not c.en.lower().startswith(needle), len(c.en)))
        return [{"index": c.index, "wnid": c.wnid, "label": c.en, "label_zh": c.zh} for c in found][
            :20
        ]

    @router.get("/photos/{photo_id}")
    def photo(photo_id: str) -> dict[str, Any]:
        """A photo's labels (corrections applied), albums, EXIF facts, place and moment."""
        return with_moment(holder.get().photo(_photo_id(photo_id)))

    @router.get("/photos/{photo_id}/thumbnail")
    def thumbnail(photo_id: str) -> Response:
        """The photo's small JPEG (long side 256 px)."""
        data = holder.get().thumbnail(_photo_id(photo_id))
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})

    @router.get("/photos/{photo_id}/original")
    def original(photo_id: str) -> FileResponse:
        """The photo file itself, only from inside a folder that was indexed."""
        return FileResponse(holder.get().original(_photo_id(photo_id)))

    @router.post("/photos/{photo_id}/labels")
    def correct(photo_id: str, body: Correction) -> dict[str, Any]:
        """Set, confirm, reject or clear a class for the photo; returns the photo as it is now."""
        return with_moment(holder.get().correct(_photo_id(photo_id), body.action, body.wnid))

    return router
