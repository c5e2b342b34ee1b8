"""The categories' JSON API: teach one from photos, answer its questions, move its threshold."""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, BeforeValidator, Field
from pydantic.config import JsonDict

from smartalbum.categories.store import Categories, CategoryReads
from smartalbum.library.categories import categories_of
from smartalbum.library.service import PhotoLibrary
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import Holder, LibraryHolder, author_of

MAX_ID = 2**53 - 1  # exact in JSON numbers (doubles): a larger bound rounds in clients
CategoryId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


def _json_number(value: Any) -> Any:
    """A JSON number, as the schema says: a string or a boolean is not one (1.0 is 1)."""
    if isinstance(value, str | bool):
        raise ValueError("not a number")
    return value


Number = BeforeValidator(_json_number)
PhotoId = Annotated[int, Field(ge=1, le=MAX_ID), Number]  # the bounds first: the schema shows them
UNIQUE: JsonDict = {"uniqueItems": True}  # documented; a repeated id would only count once


class NewCategory(BaseModel):
    """Body of ``POST /api/categories``."""

    name: str = Field(min_length=1, max_length=64, pattern=r"\S")
    name_zh: str | None = Field(None, max_length=64)
    examples: list[PhotoId] = Field(min_length=3, max_length=1000, json_schema_extra=UNIQUE)
    counter_examples: list[PhotoId] = Field([], max_length=1000, json_schema_extra=UNIQUE)


class Answer(BaseModel):
    """Body of ``POST /api/categories/{id}/answers``: is this photo in the category?"""

    photo_id: PhotoId
    answer: Literal["yes", "no"]


class Threshold(BaseModel):
    """Body of ``POST /api/categories/{id}/threshold``."""

    threshold: Annotated[float, Field(ge=-1.0, le=1.0), Number]


class CategoryCache:
    """One Categories per opened library (its basis and matrix stay open between requests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._for: PhotoLibrary | None = None
        self._categories: Categories | None = None

    def get(self, holder: LibraryHolder) -> Categories:
        """The categories of the holder's library, opened once."""
        library = holder.get()
        with self._lock:
            if self._for is not library or self._categories is None:
                self._categories = categories_of(library, holder.settings)
                self._for = library
            return self._categories


def category_router(cache: CategoryCache) -> APIRouter:
    """The routes under ``/api/categories``."""
    router = APIRouter(prefix="/api/categories")

    @router.get("", responses=error_responses(503))
    def all_categories(holder: Holder) -> dict[str, Any]:
        """Every taught category, with its names, threshold, examples and member count."""
        return {"categories": CategoryReads(cache.get(holder)).all()}

    @router.post("", status_code=201, responses=error_responses(400, 404, 409, 422, 503))
    def teach(holder: Holder, body: NewCategory, request: Request) -> dict[str, Any]:
        """Teach a category from at least 3 example photos (and any counter-examples)."""
        return cache.get(holder).teach(
            body.name, body.name_zh, body.examples, body.counter_examples, author_of(request)
        )

    @router.get("/{category_id}", responses=error_responses(404, 422, 503))
    def category(
        holder: Holder,
        category_id: CategoryId,
        limit: Annotated[int, Query(ge=0, le=1000)] = 60,
    ) -> dict[str, Any]:
        """A category, its best matches with their scores, and the photos it asks about."""
        return CategoryReads(cache.get(holder)).one(category_id, limit)

    @router.post("/{category_id}/answers", responses=error_responses(400, 404, 409, 422, 503))
    def answer(
        holder: Holder, category_id: CategoryId, body: Answer, request: Request
    ) -> dict[str, Any]:
        """Say whether a photo is in the category: it becomes an example, retrained at once."""
        categories = cache.get(holder)
        yes = body.answer == "yes"
        categories.answer(category_id, body.photo_id, yes, author_of(request))
        return CategoryReads(categories).one(category_id)

    @router.post("/{category_id}/threshold", responses=error_responses(400, 404, 422, 503))
    def threshold(holder: Holder, category_id: CategoryId, body: Threshold) -> dict[str, Any]:
        """Move where membership starts; its members (and albums) follow at once."""
        return cache.get(holder).set_threshold(category_id, body.threshold)

    @router.delete("/{category_id}", status_code=204, responses=error_responses(404, 422, 503))
    def remove(holder: Holder, category_id: CategoryId) -> None:
        """Forget a category, its examples and its members."""
        cache.get(holder).remove(category_id)

    return router
