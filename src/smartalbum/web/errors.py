"""How the web answers errors: one JSON shape, in the reader's language, and documented.

Every error leaves as ``{"error": {"code", "message"}}``; the message follows the request's
``Accept-Language`` (English or Chinese) and the ``code`` stays the same in both. The same
``Error`` model is what the OpenAPI schema lists for every status an operation can return.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartalbum.catalog import refused
from smartalbum.errors import NotFoundError, RequestError, SmartalbumError, error_body
from smartalbum.i18n import negotiate, t

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    """What went wrong: a stable machine-readable code and a message for a person."""

    code: str = Field(description="Stable machine-readable key, the same in every language")
    message: str = Field(description="For a person, in the language Accept-Language asks for")


class Error(BaseModel):
    """The one error body every operation answers with."""

    error: ErrorDetail


# Why each status happens, as the schema tells client authors.
STATUS_DESCRIPTIONS = {
    400: "The input cannot be used (e.g. an image that cannot be decoded)",
    401: "No valid sign-in: a session cookie or an API token is needed",
    403: "Not allowed (the role may not, a cross-site request, a folder outside the roots; "
    "admin_required: a request from beyond this machine while the server has no accounts; "
    "untrusted_host: one naming another host than this machine while it has none)",
    404: "No such resource",
    409: "Conflicts with the current state (the library is busy, the job has finished, an "
    "upload's offset is not the server's)",
    412: "A tus request of another protocol version than 1.0.0 (Tus-Version says which)",
    413: "The upload is larger than the server's limit (or a share link's upload budget)",
    415: "The upload is not an image type the server decodes",
    422: "A parameter or the body is missing or invalid",
    429: "Too many failed sign-ins; Retry-After says when to try again",
    500: "Unexpected server error; the server log has the details",
    503: "The model or the catalog is unavailable",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, each with the Error model."""
    return {s: {"model": Error, "description": STATUS_DESCRIPTIONS[s]} for s in statuses}


class HTTPError(SmartalbumError):
    """An error the HTTP layer itself raises (no route here, a method the route lacks)."""

    def __init__(self, status: int, code: str, message: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def request_language(request: Request) -> str:
    """The language to answer this request in: "zh" if Accept-Language prefers it, else "en"."""
    return negotiate(request.headers.get("accept-language"))


def error_response(
    error: SmartalbumError, lang: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON answer for an error, in ``lang``, with its status."""
    return JSONResponse(error_body(error, lang), status_code=error.status, headers=headers)


def _from_http(
    exc: StarletteHTTPException, request: Request, headers: Mapping[str, str]
) -> SmartalbumError:
    """Our error for one the router or the framework raised (``headers``: what it sends)."""
    if exc.status_code == 404:
        return NotFoundError(t("nothing at {path}", path=request.url.path))
    if exc.status_code == 405:
        allowed = headers.get("Allow", "")
        return HTTPError(
            405,
            "method_not_allowed",
            t(
                "{method} is not allowed here (allowed: {allowed})",
                method=request.method,
                allowed=allowed,
            ),
        )
    if exc.status_code == 400:
        # FastAPI's only 400: a body it cannot parse (say JSON that is not UTF-8). That is an
        # invalid body, the 422 every operation with a body documents, not an undocumented 400.
        return RequestError(t("the request cannot be read: {detail}", detail=exc.detail))
    return HTTPError(exc.status_code, "error", t("{detail}", detail=exc.detail))


def _allowed_methods(request: Request) -> str:
    """The methods of the path's operations in the schema (Starlette names only the first
    route's, and cannot see inside included routers). The most specific paths win:
    ``/api/albums/reload`` is that, not the album called "reload"."""
    found: dict[int, set[str]] = {}
    for template, operations in request.app.openapi().get("paths", {}).items():
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        if re.fullmatch(pattern, request.url.path):
            found.setdefault(template.count("{"), set()).update(m.upper() for m in operations)
    return ", ".join(sorted(found[min(found)])) if found else ""


def _validation_message(exc: RequestValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
    )


def install_error_handlers(app: FastAPI) -> None:
    """Every error, expected or not, leaves as ``{"error": {"code", "message"}}``."""

    @app.exception_handler(SmartalbumError)
    async def smartalbum_error(request: Request, exc: SmartalbumError) -> JSONResponse:
        return error_response(exc, request_language(request), headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        error = RequestError(t("invalid request ({problems})", problems=_validation_message(exc)))
        return error_response(error, request_language(request))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # A 405 names the allowed methods (RFC 9110): of every route at the path, where
        # Starlette's names only the first one's.
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        error = _from_http(exc, request, headers)
        return error_response(error, request_language(request), headers=headers)

    @app.exception_handler(DBAPIError)
    async def catalog_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # A read-only catalog refusing a change, a database server gone away: a 503 that
        # says so, not an "internal error".
        log.warning("the catalog failed %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(refused(exc), request_language(request))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        error = SmartalbumError(t("internal error; the server log has details"))
        return error_response(error, request_language(request))
