"""Heat-maps over the web: ``GET /api/photos/{id}/explain?class=`` and ``POST /predict?explain=1``.

The maps run in the decode pool on the class-maps graph (``engines.explain``), loaded at
the first request that asks: serving without heat-maps never loads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.datastructures import UploadFile

from smartalbum.engines.classifier import Classifier, Prediction
from smartalbum.engines.explain import Heatmap, photo_input
from smartalbum.errors import NotFoundError
from smartalbum.i18n import t
from smartalbum.models.labels import ClassLabel
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import Holder, PhotoId, parse_photo_id
from smartalbum.web.state import AppState

ClassRef = Annotated[
    str | None,
    Query(
        alias="class",
        max_length=200,
        description="The class to explain: a wnid, or an English or Chinese class name "
        "(default: the class the model puts first)",
    ),
]


def heatmap_json(heatmap: Heatmap, label: ClassLabel) -> dict[str, Any]:
    """A heat-map as the API answers it, named like a prediction."""
    return {"wnid": label.wnid, "label": label.en, "label_zh": label.zh, **heatmap.to_dict()}


def _class_of(classifier: Classifier, ref: str | None) -> ClassLabel | None:
    if ref is None:
        return None
    found = classifier.labels.find(ref)
    if found is None:
        # The map of a class that does not exist is a resource that does not: 404.
        raise NotFoundError(t("no class named {name!r}", name=ref))
    return found


async def explain_upload(
    state: AppState, upload: UploadFile, top_k: int, labels: int
) -> tuple[list[Prediction], list[dict[str, Any]]]:
    """Classify one upload as ``/predict`` does (``labels`` classes) and draw the maps of
    its top-k classes."""
    classifier = state.ready_classifier()
    assert state.batcher is not None
    data = await upload.read()
    name = upload.filename or "upload"
    loop = asyncio.get_running_loop()
    array, size = await loop.run_in_executor(state.decoders, photo_input, classifier, data, name)
    predictions = await state.batcher.predict(array, labels)
    indices = [p.index for p in predictions[:top_k]]
    _, maps = await loop.run_in_executor(
        state.decoders, lambda: state.explainer.get().explain(array, size, indices)
    )
    return predictions, _named(classifier, maps)


def _named(classifier: Classifier, maps: Sequence[Heatmap]) -> list[dict[str, Any]]:
    return [heatmap_json(m, classifier.labels[m.index]) for m in maps]


def explain_router(state: AppState) -> APIRouter:
    """``GET /api/photos/{id}/explain``."""
    router = APIRouter(prefix="/api")

    @router.get("/photos/{photo_id}/explain", responses=error_responses(400, 404, 422, 503))
    def explain_photo(holder: Holder, photo_id: PhotoId, ref: ClassRef = None) -> dict[str, Any]:
        """The heat-map of one class over a photo of the library: where the model saw it.

        ``grid`` is the map over the crop the model saw (rows of 0..1), ``box`` that crop
        in fractions of the photo (left, top, width, height), ``overlay`` a PNG of it.
        """
        path, _ = holder.get().original(parse_photo_id(photo_id))
        classifier = state.ready_classifier()
        label = _class_of(classifier, ref)
        array, size = photo_input(classifier, path, str(path))
        classes = None if label is None else [label.index]
        _, (heatmap,) = state.explainer.get().explain(array, size, classes)
        return {"photo": int(photo_id), **_named(classifier, [heatmap])[0]}

    return router
