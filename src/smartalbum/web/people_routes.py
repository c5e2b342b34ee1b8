"""The people's JSON API: list and look (viewers), name, merge, hide, fix and delete (editors)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from smartalbum.catalog.people import Face
from smartalbum.errors import NotFoundError, PassOffError
from smartalbum.i18n import t
from smartalbum.library.people_pass import edit_people, scan_library_faces
from smartalbum.people import directory
from smartalbum.people.crops import face_crop
from smartalbum.people.scan import count_unscanned
from smartalbum.web.errors import error_responses
from smartalbum.web.jobs import Job
from smartalbum.web.library_routes import Holder, PhotoId, author_of, parse_photo_id
from smartalbum.web.state import AppState

MAX_ID = 2**53 - 1
SCAN_KIND = "faces"  # the face scan's jobs, among the job runner's
PersonId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
FaceId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


class Names(BaseModel):
    """Body of ``POST /api/people/{id}/name``: null leaves a name as it is, "" clears it."""

    name: str | None = Field(None, max_length=64)
    name_zh: str | None = Field(None, max_length=64)


class Merge(BaseModel):
    """Body of ``POST /api/people/{id}/merge``: the person whose faces move in."""

    other: int = Field(ge=1, le=MAX_ID)


class Hidden(BaseModel):
    """Body of ``POST /api/people/{id}/hide``."""

    hidden: bool = True


router = APIRouter(prefix="/api")


@router.get("/people", responses=error_responses(422, 503))
def people(holder: Holder, hidden: Annotated[bool, Query()] = False) -> dict[str, Any]:
    """Everyone found: named people by name, then unnamed groups largest first."""
    with holder.get().sessions() as session:
        return {"people": directory.list_people(session, hidden)}


@router.get("/people/{person_id}", responses=error_responses(404, 422, 503))
def person(holder: Holder, person_id: PersonId) -> dict[str, Any]:
    """A person and their faces, newest photo first."""
    with holder.get().sessions() as session:
        return directory.person_page(session, person_id)


@router.post("/people/{person_id}/name", responses=error_responses(400, 404, 422, 503))
def name(holder: Holder, person_id: PersonId, body: Names) -> dict[str, Any]:
    """Name a person in English and/or Chinese; their faces now count as confirmed."""
    return edit_people(
        holder.get(), lambda s: directory.rename(s, person_id, body.name, body.name_zh), [person_id]
    )


@router.post("/people/{person_id}/merge", responses=error_responses(400, 404, 422, 503))
def merge(holder: Holder, person_id: PersonId, body: Merge) -> dict[str, Any]:
    """Move every face of ``other`` into this person; ``other`` is gone."""
    merging = [person_id, body.other]
    return edit_people(holder.get(), lambda s: directory.merge(s, *merging), merging)


@router.post("/people/{person_id}/hide", responses=error_responses(400, 404, 422, 503))
def hide(holder: Holder, person_id: PersonId, body: Hidden) -> dict[str, Any]:
    """Hide a person from the People page and searches, or show them again."""
    edit_people(holder.get(), lambda s: directory.hide(s, person_id, body.hidden), [person_id])
    return {"id": person_id, "hidden": body.hidden}


@router.delete("/people/{person_id}", status_code=204, responses=error_responses(404, 422, 503))
def delete(holder: Holder, person_id: PersonId) -> None:
    """Delete a person and their faces, embeddings included."""
    edit_people(holder.get(), lambda s: directory.delete_person(s, person_id), [person_id])


@router.delete("/faces/{face_id}/person", status_code=204, responses=error_responses(404, 422, 503))
def remove_face(holder: Holder, face_id: FaceId) -> None:
    """Take a face out of its person, for good: it never joins that person again."""
    edit_people(holder.get(), lambda s: directory.remove_face(s, face_id), faces=[face_id])


@router.get(
    "/faces/{face_id}/crop",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **error_responses(404, 422, 503)},
)
def crop(holder: Holder, face_id: FaceId) -> Response:
    """A square JPEG of the face (160 px), cut from its photo."""
    library = holder.get()
    with library.sessions() as session:
        face = session.get(Face, face_id)
        if face is None:
            raise NotFoundError(t("no face {face_id}", face_id=face_id))
        photo_id, box = face.photo_id, (face.x, face.y, face.w, face.h)
    path, _ = library.original(photo_id)
    data = face_crop(path, box, holder.settings.max_pixels)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})


@router.get("/photos/{photo_id}/faces", responses=error_responses(404, 503))
def photo_faces(holder: Holder, photo_id: PhotoId) -> dict[str, Any]:
    """The faces of a photo: boxes (fractions of the photo) and their people's names."""
    library = holder.get()
    number = parse_photo_id(photo_id)
    with library.sessions() as session:
        library.present(session, number)
        return {"faces": directory.faces_in_photo(session, number)}


def face_scan_router(state: AppState) -> APIRouter:
    """``GET /api/faces`` and ``POST /api/faces/scan``: the face pass over photos indexed before."""
    scans = APIRouter(prefix="/api")

    def latest() -> Job | None:
        found = [j for j in list(state.jobs.jobs.values()) if j.kind == SCAN_KIND]
        return max(found, key=lambda j: j.created, default=None)

    @scans.get("/faces", responses=error_responses(503))
    def face_status(holder: Holder) -> dict[str, Any]:
        """Whether indexing finds faces (``SMARTALBUM_FACES``), how many photos the face pass
        has not scanned, and the latest scan job (done of total), for the People page."""
        with holder.get().sessions() as session:
            waiting = count_unscanned(session)
        job = latest()
        return {
            "enabled": state.settings.faces,
            "unscanned": waiting,
            "job": None if job is None else job.to_dict(),
        }

    @scans.post("/faces/scan", status_code=202, responses=error_responses(403, 409, 503))
    def scan_faces(holder: Holder, request: Request) -> dict[str, Any]:
        """Look for faces in the photos indexed before the face pass (editors), as a job: its
        progress is in ``GET /api/faces`` (admins also ``GET /api/jobs/{id}``, and cancel it
        there); a stopped scan carries on from there next time. A scan already running is
        answered instead of a second one. Refused while recognition is off."""
        if not state.settings.faces:
            raise PassOffError(
                t("face recognition is off (SMARTALBUM_FACES=false): no face is looked for")
            )
        running = latest()
        if running is not None and not running.over:
            return running.to_dict()
        library = holder.get()

        def work(job: Job) -> dict[str, Any]:
            def count(items: Iterator[Any], total: int) -> Iterator[Any]:
                job.total = total
                for item in items:
                    if job.cancel_requested.is_set():
                        return  # the photos in hand are written; the next scan carries on
                    yield item
                    job.done += 1

            return scan_library_faces(library, state.settings, count).to_dict()

        return state.jobs.submit_work(SCAN_KIND, work, author_of(request)).to_dict()

    return scans
