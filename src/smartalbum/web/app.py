"""The web app: the pages, ``POST /predict`` and the JSON API, built by ``create_app``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from smartalbum import __version__
from smartalbum.settings import Settings
from smartalbum.web import library_routes, memory_routes, people_routes
from smartalbum.web.album_routes import album_router
from smartalbum.web.auth import install_auth
from smartalbum.web.backup_routes import backup_router
from smartalbum.web.category_routes import CategoryCache, category_router
from smartalbum.web.errors import error_responses, install_error_handlers
from smartalbum.web.explain_routes import explain_router
from smartalbum.web.headers import SecurityHeadersMiddleware
from smartalbum.web.job_routes import job_router
from smartalbum.web.limits import UploadLimitMiddleware
from smartalbum.web.openapi import install_openapi
from smartalbum.web.pages import mount_pages
from smartalbum.web.predict_routes import predict_router
from smartalbum.web.proxies import TrustedProxyMiddleware
from smartalbum.web.selection_routes import selection_router
from smartalbum.web.share_routes import share_router
from smartalbum.web.state import AppState
from smartalbum.web.text_routes import text_router
from smartalbum.web.trash_routes import trash_router
from smartalbum.web.trimming import TrimWhenQuietMiddleware
from smartalbum.web.upload_routes import upload_router


def create_app(settings: Settings) -> FastAPI:
    """Build the web app for these settings; the model loads when the app starts."""
    state = AppState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.get_running_loop().run_in_executor(None, state.load)
        state.start()
        yield
        await state.stop()

    app = FastAPI(
        title="smartalbum",
        version=__version__,
        description="Private, offline photo classifier: 1000 ImageNet classes, English and 中文.",
        lifespan=lifespan,
        # Any operation can fail unexpectedly; it still answers with the Error model.
        responses=error_responses(500),
    )
    app.add_middleware(TrimWhenQuietMiddleware)  # freed memory back to the system when quiet
    app.add_middleware(TrustedProxyMiddleware, trusted=settings.proxy_networks())
    app.add_middleware(UploadLimitMiddleware, max_bytes=settings.max_upload_mb * 1024 * 1024)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: the 413 gets them too
    install_error_handlers(app)
    install_auth(app, state.gate)  # first: every route added after it is behind the gate
    mount_pages(app)
    # Routes are tried in order, router by router: the uploads' come first, since a burst of
    # photos makes them most of the requests (matching cost ~9 % of an upload's CPU, last).
    app.include_router(upload_router(state))
    categories = CategoryCache()  # the taught categories, shared by /predict and their routes
    app.include_router(predict_router(state, categories))
    app.state.library = state.library  # the library routes' dependency reads it here
    app.include_router(library_routes.router)
    app.include_router(text_router(state))  # a photo's text: the user's data, its own routes
    app.include_router(memory_routes.router)
    app.include_router(explain_router(state))
    app.include_router(job_router(state))
    app.include_router(category_router(categories))
    app.include_router(people_routes.router)
    app.include_router(people_routes.face_scan_router(state))  # the face pass's backfill job
    app.include_router(share_router(state.library, state.gate))
    app.include_router(trash_router(state.library, settings))
    app.include_router(album_router(state.library))
    app.include_router(backup_router(state))  # admins: the backups and "back up now"
    app.include_router(selection_router(state.library))
    install_openapi(app, settings, state.gate.required)
    return app
