"""``POST /predict`` and the model's status: classify uploaded photos with the served model."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile

from smartalbum import imaging, video
from smartalbum.engines.classifier import Prediction
from smartalbum.errors import (
    ImageDecodeError,
    RequestError,
    SmartalbumError,
    UnsupportedImageError,
    error_body,
)
from smartalbum.i18n import t
from smartalbum.media import raw
from smartalbum.models.zoo import MODELS
from smartalbum.settings import MAX_TOP_K
from smartalbum.web.batching import Classified
from smartalbum.web.category_routes import CategoryCache
from smartalbum.web.errors import error_responses, request_language
from smartalbum.web.explain_routes import explain_upload
from smartalbum.web.state import AppState

ALBUM_LABELS = 5

# The types imaging decodes (imaging.SUPPORTED_FORMATS, camera RAW included), as the media
# types of an upload, and the videos smartalbum.video decodes (classified from their frames).
IMAGE_TYPES = ", ".join(
    ["image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff",
     "image/heic", "image/heif", "image/avif", *sorted(set(raw.MEDIA_TYPES.values())),
     *sorted(set(video.MEDIA_TYPES.values()))]
)  # fmt: skip
_DECODED_TYPES = frozenset(IMAGE_TYPES.split(", "))
_PHOTO = {"type": "string", "format": "binary"}

# The form is read by hand (one photo or several, per-file errors), so its schema is spelled
# out: at least one photo, as ``file`` or as a non-empty list of ``files``.
PREDICT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "title": "PhotoUpload",
                    "properties": {
                        "file": {**_PHOTO, "description": "One photo or video: its labels"},
                        "files": {
                            "type": "array",
                            "items": _PHOTO,
                            "description": "Several photos: answered with one result each",
                        },
                    },
                    # An empty list of files is not sent at all, so it is the same as none.
                    "anyOf": [
                        {"required": ["file"]},
                        {"required": ["files"], "properties": {"files": {"minItems": 1}}},
                    ],
                },
                # Not for ``files``: schemathesis would then send one photo in place of the
                # list. Each of ``files`` is answered on its own, a non-image with its error.
                "encoding": {"file": {"contentType": IMAGE_TYPES}},
            }
        },
    }
}


class PredictedClass(BaseModel):
    """One ranked class of a photo, as every answer names a class."""

    rank: int = Field(ge=1)
    index: int = Field(ge=0, description="The class index")
    wnid: str
    label: str
    label_zh: str
    probability: float = Field(
        ge=0, le=1, description="Calibrated probability, a fraction 0..1 (as everywhere)"
    )
    probability_percent: float = Field(
        ge=0, le=100, deprecated=True,
        description="The same in percent, as `probability` was in /predict before it became "
        "a fraction like everywhere else; removed in the next release",
    )  # fmt: skip


class ScoredAlbum(BaseModel):
    """A smart album the photo would join, with its membership score."""

    id: str
    title: str
    title_zh: str
    score: float = Field(ge=0, le=1, description="Membership score, a fraction 0..1")


class ScoredCategory(BaseModel):
    """A taught category the photo is in."""

    id: int
    name: str
    name_zh: str | None
    score: float = Field(ge=-1, le=1, description="Cosine with the category, -1..1")


class PredictResult(BaseModel):
    """One of several photos: its labels as for one photo, or its error."""

    file: str | None
    predictions: list[PredictedClass] = []
    albums: list[ScoredAlbum] = []
    categories: list[ScoredCategory] = []
    error: dict[str, str] | None = None


class PredictAnswer(BaseModel):
    """``predictions``, ``albums`` (and ``categories``) for one photo; ``results`` for several."""

    predictions: list[PredictedClass] = []
    albums: list[ScoredAlbum] = []
    categories: list[ScoredCategory] = []
    results: list[PredictResult] = []
    model: str
    engine: str
    ms: float


def predict_router(state: AppState, categories: CategoryCache | None = None) -> APIRouter:
    """``/predict``, ``/api/health``, ``/api/models``; ``categories`` scores uploads for them."""
    router = APIRouter()

    @router.get("/api/health")
    async def health(request: Request) -> dict[str, Any]:
        """Whether the model is loaded, which one serves, and the video decoder (None: none)."""
        classifier = state.classifier
        error = state.load_error
        lang = request_language(request)
        return {
            "ready": classifier is not None,
            "model": state.settings.model,
            "engine": classifier.engine.name if classifier else None,
            "engine_choice": classifier.engine_info(lang) if classifier else None,
            "error": error.to_dict(lang) if error else None,
            "video_decoder": video.decoder(),
            # HEIC, AVIF, RAW, videos in process and through ffmpeg: which library, or None
            "decoders": {**imaging.decoders(), **video.decoders()},
        }

    @router.get("/api/models")
    async def models() -> list[dict[str, Any]]:
        """The model zoo and which model serves."""
        return [
            {
                "name": spec.name,
                "title": spec.title,
                "input_size": spec.input_size,
                "serving": spec.name == state.settings.model,
            }
            for spec in MODELS.values()
        ]

    @router.post(
        "/predict",
        response_model=None,
        responses={200: {"model": PredictAnswer}, **error_responses(400, 413, 415, 422, 503)},
        openapi_extra=PREDICT_BODY,
    )
    async def predict(
        request: Request,
        top_k: int = Query(3, ge=1, le=MAX_TOP_K),
        explain: bool = Query(False, description="Also a heat-map of each of the top-k labels"),
    ) -> dict[str, Any]:
        """Top-k labels for one photo (``file``) or several (``files``).

        With ``explain``, each answer has ``explain``: for each label, where in the photo
        the model saw it (as ``GET /api/photos/{id}/explain`` answers).
        """
        started = time.perf_counter()
        classifier = state.ready_classifier()
        async with request.form() as form:
            single, uploads = _uploads(form)
            meta = {"model": classifier.spec.name, "engine": classifier.engine.name}
            if single:
                answer = await _one(state, uploads[0], top_k, explain, categories)
            else:
                lang = request_language(request)
                answer = await _several(state, uploads, top_k, lang, explain, categories)
        return {**answer, **meta, "ms": round((time.perf_counter() - started) * 1000, 1)}

    return router


def _uploads(form: FormData) -> tuple[bool, list[UploadFile]]:
    """The uploaded photos, and whether it is the one-photo form (``file`` alone)."""
    files = form.getlist("file")
    many = form.getlist("files")
    for field, value in [*(("file", v) for v in files), *(("files", v) for v in many)]:
        if not isinstance(value, UploadFile):
            raise RequestError(t("'{field}' must be a file, not a text field", field=field))
    uploads = [v for v in (*files, *many) if isinstance(v, UploadFile)]
    if not uploads:
        raise RequestError(t("no photo: send it as the multipart field 'file' (or 'files')"))
    return len(files) == 1 and not many, uploads


Outcome = tuple[list[Prediction], list[dict[str, Any]] | None, list[dict[str, Any]]]


async def _one(
    state: AppState, upload: UploadFile, top_k: int, explain: bool, taught: CategoryCache | None
) -> dict[str, Any]:
    return _answer(state, await _classify_upload(state, upload, top_k, explain, taught), top_k)


def _answer(state: AppState, outcome: Outcome, top_k: int) -> dict[str, Any]:
    predictions, heatmaps, categories = outcome
    answer: dict[str, Any] = {
        "predictions": [_prediction_json(p) for p in predictions[:top_k]],
        "albums": _albums_json(state, predictions, categories),
    }
    if categories:  # the taught categories it is in, when it is in any
        answer["categories"] = [{k: v for k, v in c.items() if k != "key"} for c in categories]
    return answer if heatmaps is None else {**answer, "explain": heatmaps}


async def _several(
    state: AppState,
    uploads: list[UploadFile],
    top_k: int,
    lang: str,
    explain: bool,
    taught: CategoryCache | None,
) -> dict[str, Any]:
    """One result per upload; a photo that fails gets its error, the others their labels."""
    outcomes = await asyncio.gather(
        *(_classify_upload(state, upload, top_k, explain, taught) for upload in uploads),
        return_exceptions=True,
    )
    results = []
    for upload, outcome in zip(uploads, outcomes, strict=True):
        entry: dict[str, Any] = {"file": upload.filename}
        if isinstance(outcome, SmartalbumError):
            entry.update(error_body(outcome, lang))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            entry.update(_answer(state, outcome, top_k))
        results.append(entry)
    return {"results": results}


async def _classify_upload(
    state: AppState, upload: UploadFile, top_k: int, explain: bool, taught: CategoryCache | None
) -> Outcome:
    try:
        return await _classify_as_sent(state, upload, top_k, explain, taught)
    except UnsupportedImageError as exc:
        declared = (upload.content_type or "").split(";")[0].strip().lower()
        await upload.seek(0)
        if declared in _DECODED_TYPES and imaging.recognised(await upload.read(4096)) is None:
            # Sent as a type we decode, and the bytes are nothing else: broken, not another type.
            reason = t("corrupt image data ({error})", error=declared)
            raise ImageDecodeError(exc.name, reason) from None
        raise


async def _classify_as_sent(
    state: AppState, upload: UploadFile, top_k: int, explain: bool, taught: CategoryCache | None
) -> Outcome:
    if explain:  # the heat-maps' own model call: no embedding, so no categories
        return (*await explain_upload(state, upload, top_k, max(top_k, ALBUM_LABELS)), [])
    classified = await _predict_upload(state, upload, top_k)
    return classified.predictions, None, _categories_json(state, classified, taught)


def _categories_json(
    state: AppState, classified: Classified, taught: CategoryCache | None
) -> list[dict[str, Any]]:
    """The taught categories an upload is in, scored from its embedding (none without a catalog)."""
    if taught is None:
        return []
    try:
        categories = taught.get(state.library)
    except SmartalbumError:  # no catalog to hold categories: the labels still answer
        return []
    temperature = state.ready_classifier().spec.temperature
    return categories.classify(classified.embedding, classified.probabilities, temperature)


async def _predict_upload(state: AppState, upload: UploadFile, top_k: int) -> Classified:
    classifier = state.ready_classifier()
    assert state.batcher is not None
    data = await upload.read()
    name = upload.filename or "upload"
    loop = asyncio.get_running_loop()
    array = await loop.run_in_executor(state.decoders, classifier.load, data, name)
    # At least the top 5: the albums are computed from five labels, as for the catalog.
    k = max(top_k, ALBUM_LABELS)
    if array.ndim == 3:
        return await state.batcher.classify(array, k)
    # A video: its frames go through the batcher, pooled by their mean as the indexer does.
    frames = await asyncio.gather(*(state.batcher.classify(frame, k) for frame in array))
    probabilities = np.mean([f.probabilities for f in frames], axis=0)
    embedding = np.mean([f.embedding for f in frames], axis=0)
    return Classified(classifier.top_k(probabilities, k), probabilities, embedding)


def _albums_json(
    state: AppState, predictions: list[Prediction], categories: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The smart albums a just-classified photo would join (by its labels and categories)."""
    rules = state.library.rules()
    labels = [(p.index, p.probability) for p in predictions[:ALBUM_LABELS]]
    scores = rules.memberships(labels, {c["key"]: c["score"] for c in categories})
    return [
        {"id": a.id, "title": a.title, "title_zh": a.title_zh, "score": round(scores[a.id], 4)}
        for a in rules.albums
        if a.id in scores
    ]


def _prediction_json(p: Prediction) -> dict[str, Any]:
    """A prediction as every answer gives it (``probability`` 0..1), and the old percent."""
    return {
        **p.to_dict(),
        "probability": round(p.probability, 4),
        # Deprecated (PredictedClass says so in OpenAPI): what ``probability`` was here before
        # it became a fraction like everywhere else; kept for one release, for old clients.
        "probability_percent": round(p.probability * 100, 2),
    }
