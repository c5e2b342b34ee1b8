"""What the served OpenAPI schema adds to FastAPI's: our error model, and the class names."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from smartalbum.models.labels import LabelSet, load_labels
from smartalbum.settings import Settings
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
    """List every wnid, English and Chinese class name as the values ``Correction.wnid`` takes."""
    names = sorted({name for c in labels.classes for name in (c.wnid, c.en, c.zh)})
    wnid = schema["components"]["schemas"]["Correction"]["properties"]["wnid"]
    wnid["enum"] = names
    wnid["description"] = (
        "The class: its wnid, English name (any case) or Chinese name; any other is a 422"
    )


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve FastAPI's schema completed as above (built at the first request, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()  # FastAPI's, cached on the app, completed here once
            validation_errors_as_error(schema)
            document_class_names(schema, load_labels(overrides=settings.labels_file))
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
