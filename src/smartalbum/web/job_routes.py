"""Import jobs over HTTP: start indexing server-side folders, follow a job, cancel it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field, StringConstraints

from smartalbum.errors import NotFoundError
from smartalbum.i18n import t
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import author_of
from smartalbum.web.state import AppState

# Job ids are uuid4 hex; anything else names no job (404), so the pattern documents, not checks.
JobId = Annotated[
    str,
    PathParam(
        description="A job id as returned by POST /api/index (32 hex digits)",
        json_schema_extra={"pattern": "^[0-9a-f]{32}$"},
    ),
]


class IndexRequest(BaseModel):
    """Body of ``POST /api/index``."""

    folders: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        min_length=1, description="Folders on the server to import, each an existing folder"
    )


def job_router(state: AppState) -> APIRouter:
    """``/api/index`` and ``/api/jobs/...`` over the app's job runner."""
    router = APIRouter(prefix="/api")

    @router.post("/index", status_code=202, responses=error_responses(400, 403, 422, 503))
    async def start_index(body: IndexRequest, request: Request) -> dict[str, Any]:
        """Start importing server-side folders into the catalog; poll the returned job.

        Each folder must lie inside an import root (on its real path), unless none is set
        and the server serves this machine only.
        """
        classifier = state.ready_classifier()
        folders = [state.import_roots.check(f) for f in body.folders]
        return state.jobs.submit(classifier, folders, author_of(request)).to_dict()

    @router.get("/folders", responses=error_responses(403, 422))
    def folders(
        path: Annotated[str | None, Query(min_length=1, max_length=4096)] = None,
    ) -> dict[str, Any]:
        """The import roots, or the subfolders of a folder inside one, to pick an import from.

        ``configured`` is false when no roots are set (any folder may be typed in).
        """
        return state.import_roots.listing(path)

    @router.post("/jobs/{job_id}/cancel", status_code=202, responses=error_responses(404, 409))
    async def cancel_job(job_id: JobId) -> dict[str, Any]:
        """Stop a job after the batches it has in hand; what it finished is kept."""
        found = state.jobs.cancel(job_id)
        if found is None:
            raise NotFoundError(t("no job {job_id}", job_id=job_id))
        return found.to_dict()

    @router.get("/schedule")
    async def schedule() -> dict[str, Any]:
        """The periodic work (admins): each task's interval, last run (when, how long, its
        result or error), next run, and whether it runs now; and what is being watched."""
        watching = [str(p) for p in state.watcher.watching] if state.settings.watch else []
        return {"tasks": state.schedule.status(), "watching": watching}

    @router.get("/jobs/{job_id}", responses=error_responses(404))
    async def job(job_id: JobId) -> dict[str, Any]:
        """A job's status, progress (done of total) and report or error."""
        found = state.jobs.get(job_id)
        if found is None:
            raise NotFoundError(t("no job {job_id}", job_id=job_id))
        return found.to_dict()

    return router
