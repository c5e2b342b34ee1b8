"""What the served OpenAPI schema adds to FastAPI's: our error model, and the class names."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from smartalbum.models.labels import LabelSet, load_labels
from smartalbum.settings import Settings
from smartalbum.web.auth import PUBLIC, SESSION_COOKIE
from smartalbum.web.errors import STATUS_DESCRIPTIONS

_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def validation_errors_as_error(schema: dict[str, Any]) -> None:
    """The 422s FastAPI documents by itself, in the shape our handler really answers them."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422", {})
            if response.get("content", {}).get("application/json", {}).get("schema") == {
                "$ref": _FASTAPI_422
            }:
                operation["responses"]["422"] = {
                    "description": STATUS_DESCRIPTIONS[422],
                    "content": _ERROR,
                }
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def document_class_names(schema: dict[str, Any], labels: LabelSet) -> None:
    """List every wnid, English and Chinese class name as the values ``Correction.wnid`` (and
    ``Relabel.wnid``, a selection's correction) takes."""
    names = sorted({name for c in labels.classes for name in (c.wnid, c.en, c.zh)})
    for body in ("Correction", "Relabel"):
        wnid = schema["components"]["schemas"][body]["properties"]["wnid"]
        wnid["enum"] = names
        wnid["description"] = (
            "The class: its wnid, English name (any case) or Chinese name; any other is a 422"
        )


def document_security(schema: dict[str, Any]) -> None:
    """Both ways to sign in, and the 401/403 every operation but the public ones may answer."""
    schema.setdefault("components", {})["securitySchemes"] = {
        "token": {"type": "http", "scheme": "bearer", "description": "smartalbum tokens create"},
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                    "description": "POST /api/login; changes also need X-CSRF-Token"},
    }  # fmt: skip
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if (method.upper(), path) in PUBLIC:
                operation["security"] = []
                continue
            operation["security"] = [{"token": []}, {"session": []}]
            for status in (401, 403):
                operation["responses"].setdefault(
                    str(status), {"description": STATUS_DESCRIPTIONS[status], "content": _ERROR}
                )


def document_admin_required(schema: dict[str, Any]) -> None:
    """The 403 any protected operation answers a request from beyond this machine while the
    server has no accounts (``admin_required``), even on a server that asks nobody to sign in."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if (method.upper(), path) not in PUBLIC:
                operation.setdefault("responses", {}).setdefault(
                    "403", {"description": STATUS_DESCRIPTIONS[403], "content": _ERROR}
                )


def install_openapi(
    app: FastAPI, settings: Settings, secured: Callable[[], bool] = lambda: False
) -> None:
    """Serve FastAPI's schema completed as above (built at the first request, then cached).

    The security schemes and the 401/403 answers are in it while the server asks for
    sign-in (``secured``): a one-person server on loopback with no accounts asks for none.
    """
    build = app.openapi
    with_security: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()  # FastAPI's, cached on the app, completed here once
            validation_errors_as_error(schema)
            document_class_names(schema, load_labels(overrides=settings.labels_file))
            document_links(schema)
            document_admin_required(schema)
        if not secured():
            return app.openapi_schema or {}
        if not with_security:
            with_security.update(copy.deepcopy(app.openapi_schema or {}))
            document_security(with_security)
        return with_security

    app.openapi = openapi  # type: ignore[method-assign]


# Where a response names what another operation takes (OpenAPI links): a client, or a fuzzer
# walking the API, follows them from a list to its items, from a new job to its status.
_FIRST = {
    "album_id": "$response.body#/albums/0/id",
    "moment_id": "$response.body#/moments/0/id",
    "photo_id": "$response.body#/photos/0/id",
    "job_id": "$response.body#/id",
}
LINKS = {
    ("/api/albums", "get", "200"): [("/api/albums/{album_id}", "get")],
    ("/api/moments", "get", "200"): [("/api/moments/{moment_id}", "get")],
    ("/api/search", "get", "200"): [
        ("/api/photos/{photo_id}", "get"),
        ("/api/photos/{photo_id}/thumbnail", "get"),
        ("/api/photos/{photo_id}/original", "get"),
        ("/api/photos/{photo_id}/labels", "post"),
    ],
    ("/api/index", "post", "202"): [
        ("/api/jobs/{job_id}", "get"),
        ("/api/jobs/{job_id}/cancel", "post"),
    ],
}


def document_links(schema: dict[str, Any]) -> None:
    """Add LINKS to the responses they start from."""
    for (path, method, status), targets in LINKS.items():
        response = schema["paths"][path][method]["responses"][status]
        links = response.setdefault("links", {})
        for target, target_method in targets:
            operation = schema["paths"][target][target_method]
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            links[operation["operationId"]] = {
                "operationId": operation["operationId"],
                "parameters": {name: _FIRST[name] for name in names},
            }
