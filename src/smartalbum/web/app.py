"""The web app: the upload page, ``POST /predict`` and the JSON API, built by ``create_app``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartalbum import __version__
from smartalbum.engines.classifier import Classifier, Prediction
from smartalbum.errors import (
    ModelUnavailableError,
    RequestError,
    SmartalbumError,
    error_body,
)
from smartalbum.models.zoo import MODELS
from smartalbum.settings import Settings
from smartalbum.web.batching import MicroBatcher
from smartalbum.web.jobs import JobRunner
from smartalbum.web import library_routes
from smartalbum.web.library_routes import LibraryHolder
from smartalbum.web.limits import UploadLimitMiddleware

log = logging.getLogger(__name__)

MAX_TOP_K = 10
ALBUM_LABELS = 5


def _error_response(error: SmartalbumError) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=error.status)


class _State:
    """What the app holds: the loaded classifier, or why it could not load."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.classifier: Classifier | None = None
        self.load_error: ModelUnavailableError | None = None
        self.batcher: MicroBatcher | None = None
        self.decoders = ThreadPoolExecutor(settings.decode_threads, "smartalbum-web-decode")
        self.library = LibraryHolder(settings)
        self.jobs = JobRunner(settings.library, self.library.rules)

    def load(self) -> None:
        try:
            self.classifier = Classifier.from_settings(self.settings)
        except ModelUnavailableError as exc:
            log.error("model not loadable: %s", exc.message)
            self.load_error = exc

    def ready_classifier(self) -> Classifier:
        if self.classifier is None:
            raise self.load_error or ModelUnavailableError("the model is still loading")
        return self.classifier


def create_app(settings: Settings) -> FastAPI:
    """Build the web app for these settings; the model loads when the app starts."""
    state = _State(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.get_running_loop().run_in_executor(None, state.load)
        if state.classifier is not None:
            state.batcher = MicroBatcher(
                state.classifier, settings.batch_size, float(settings.batch_wait_ms)
            )
            state.batcher.start()
        yield
        if state.batcher is not None:
            await state.batcher.stop()
        state.decoders.shutdown(wait=False, cancel_futures=True)
        state.jobs.shutdown()
        state.library.close()

    app = FastAPI(
        title="smartalbum",
        version=__version__,
        description="Private, offline photo classifier: 1000 ImageNet classes, English and 中文.",
        lifespan=lifespan,
    )
    app.add_middleware(UploadLimitMiddleware, max_bytes=settings.max_upload_mb * 1024 * 1024)
    _install_error_handlers(app)
    static = resources.files("smartalbum.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(static.joinpath("index.html").read_text("utf-8"))

    @app.get("/gallery", response_class=HTMLResponse, include_in_schema=False)
    async def gallery() -> HTMLResponse:
        return HTMLResponse(static.joinpath("gallery.html").read_text("utf-8"))

    app.state.library = state.library  # the library routes' dependency reads it here
    app.include_router(library_routes.router)

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        """Whether the model is loaded and which one serves."""
        classifier = state.classifier
        return {
            "ready": classifier is not None,
            "model": settings.model,
            "engine": classifier.engine.name if classifier else None,
            "error": state.load_error.to_dict() if state.load_error else None,
        }

    @app.get("/api/models")
    async def models() -> list[dict[str, Any]]:
        """The model zoo and which model serves."""
        return [
            {
                "name": spec.name,
                "title": spec.title,
                "input_size": spec.input_size,
                "serving": spec.name == settings.model,
            }
            for spec in MODELS.values()
        ]

    @app.post("/predict")
    async def predict(
        file: UploadFile | None = None,
        files: list[UploadFile] | None = None,
        top_k: int = Query(3, ge=1, le=MAX_TOP_K),
    ) -> dict[str, Any]:
        """Top-k labels for one photo (``file``) or several (``files``)."""
        started = time.perf_counter()
        classifier = state.ready_classifier()
        if file is None and not files:
            raise RequestError("no photo: send it as the multipart field 'file' (or 'files')")
        meta = {"model": classifier.spec.name, "engine": classifier.engine.name}
        if file is not None and not files:
            predictions = await _classify_upload(state, file, top_k)
            return {
                "predictions": [_prediction_json(p) for p in predictions[:top_k]],
                "albums": _albums_json(state, predictions),
                **meta,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
        uploads = [*([file] if file is not None else []), *(files or [])]
        outcomes = await asyncio.gather(
            *(_classify_upload(state, upload, top_k) for upload in uploads), return_exceptions=True
        )
        results = []
        for upload, outcome in zip(uploads, outcomes, strict=True):
            entry: dict[str, Any] = {"file": upload.filename}
            if isinstance(outcome, SmartalbumError):
                entry.update(error_body(outcome))
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                entry["predictions"] = [_prediction_json(p) for p in outcome[:top_k]]
                entry["albums"] = _albums_json(state, outcome)
            results.append(entry)
        return {"results": results, **meta, "ms": round((time.perf_counter() - started) * 1000, 1)}

    @app.post("/api/index", status_code=202)
    async def start_index(request: IndexRequest) -> dict[str, Any]:
        """Start importing server-side folders into the catalog; poll the returned job."""
        classifier = state.ready_classifier()
        folders = [Path(f).expanduser() for f in request.folders]
        if not folders:
            raise RequestError("give at least one folder to index")
        for folder in folders:
            if not folder.is_dir():
                raise RequestError(f"{folder}: not a folder on the server")
        return state.jobs.submit(classifier, folders).to_dict()

    @app.post("/api/jobs/{job_id}/cancel", status_code=202)
    async def cancel_job(job_id: str) -> dict[str, Any]:
        """Stop a job after the batches it has in hand; what it finished is kept."""
        found = state.jobs.cancel(job_id)
        if found is None:
            raise StarletteHTTPException(404, f"no job {job_id}")
        return found.to_dict()

    @app.get("/api/jobs/{job_id}")
    async def job(job_id: str) -> dict[str, Any]:
        """A job's status, progress (done of total) and report or error."""
        found = state.jobs.get(job_id)
        if found is None:
            raise StarletteHTTPException(404, f"no job {job_id}")
        return found.to_dict()

    return app


class IndexRequest(BaseModel):
    """Body of ``POST /api/index``."""

    folders: list[str]


async def _classify_upload(state: _State, upload: UploadFile, top_k: int) -> list[Prediction]:
    classifier = state.ready_classifier()
    assert state.batcher is not None
    data = await upload.read()
    name = upload.filename or "upload"
    loop = asyncio.get_running_loop()
    array = await loop.run_in_executor(state.decoders, classifier.load, data, name)
    # At least the top 5: the albums are computed from five labels, as for the catalog.
    return await state.batcher.predict(array, max(top_k, ALBUM_LABELS))


def _albums_json(state: _State, predictions: list[Prediction]) -> list[dict[str, Any]]:
    """The smart albums a just-classified photo would join."""
    rules = state.library.rules()
    scores = rules.memberships([(p.index, p.probability) for p in predictions[:ALBUM_LABELS]])
    return [
        {"id": a.id, "title": a.title, "title_zh": a.title_zh, "score": round(scores[a.id], 4)}
        for a in rules.albums
        if a.id in scores
    ]


def _prediction_json(p: Prediction) -> dict[str, Any]:
    return {**p.to_dict(), "probability": round(p.probability * 100, 2)}


def _install_error_handlers(app: FastAPI) -> None:
    """Every error, expected or not, leaves as ``{"error": {"code", "message"}}``."""

    @app.exception_handler(SmartalbumError)
    async def smartalbum_error(request: Request, exc: SmartalbumError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg')}"
            for e in exc.errors()
        )
        return _error_response(RequestError(f"invalid request ({problems})"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = SmartalbumError(str(exc.detail))
        error.status = exc.status_code
        error.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return _error_response(error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(SmartalbumError("internal error; the server log has details"))
