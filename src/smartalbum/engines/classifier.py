"""The Python API: one classifier built from settings, classifying paths, bytes or PIL images.

Decoding runs in a thread pool a batch ahead of the model (Pillow releases the
GIL while it decodes), so the CPU decodes the next batch while the current one
is in the network. One bad input becomes one error result, never a failed batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from smartalbum import imaging, video
from smartalbum.engines import Engine, ModelFiles, auto_choice, load_engine
from smartalbum.engines.choice import Choice, forced_info
from smartalbum.engines.pipeline import batches_ahead
from smartalbum.errors import ImageDecodeError, SmartalbumError
from smartalbum.i18n import t
from smartalbum.imaging import ImageSource
from smartalbum.models.labels import LabelSet, load_labels
from smartalbum.models.weights import resolve_weights
from smartalbum.models.zoo import ModelSpec, get_model
from smartalbum.settings import Settings


@dataclass(frozen=True)
class Prediction:
    """One ranked class for one image; probability is the softmax, 0..1."""

    rank: int
    index: int
    wnid: str
    label: str
    label_zh: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields in the documented order."""
        return {
            "rank": self.rank,
            "index": self.index,
            "wnid": self.wnid,
            "label": self.label,
            "label_zh": self.label_zh,
            "probability": self.probability,
        }


@dataclass(frozen=True)
class Result:
    """What became of one input: its predictions, or the error that stopped it."""

    name: str
    predictions: list[Prediction]
    error: SmartalbumError | None = None
    embedding: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        """True when the input was classified."""
        return self.error is None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """``{"file", "predictions"}`` or ``{"file", "error": {"code", "message"}}`` in ``lang``."""
        if self.error is not None:
            return {"file": self.name, "error": self.error.to_dict(lang)}
        return {"file": self.name, "predictions": [p.to_dict() for p in self.predictions]}


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64, stable for large logits."""
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def calibrated(logits: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """Probabilities at the model's fitted temperature: "70 %" is right about 70 % of the time."""
    return softmax(logits / spec.temperature)


class Classifier:
    """A loaded model with its labels and input pipeline; thread-compatible, not thread-safe."""

    def __init__(self, settings: Settings, spec: ModelSpec, engine: Engine, labels: LabelSet):
        self.settings = settings
        self.spec = spec
        self.engine = engine
        self.labels = labels
        self.preprocess = spec.preprocess
        self.choice: Choice | None = None  # how ``auto`` picked the engine, if it did

    @classmethod
    def from_settings(cls, settings: Settings) -> Classifier:
        """Resolve model, weights, engine and labels; ModelUnavailableError if it cannot load."""
        files = model_files(settings)
        labels = load_labels(files.spec.labels, settings.labels_file)
        choice = auto_choice(files, settings.threads) if settings.engine == "auto" else None
        engine = load_engine(files, choice.engine if choice else settings.engine, settings.threads)
        classifier = cls(settings, files.spec, engine, labels)
        classifier.choice = choice
        return classifier

    def engine_info(self, lang: str = "en") -> dict[str, Any]:
        """Which engine serves and why: measured here (``auto``), or set by the settings."""
        return self.choice.to_dict(lang) if self.choice else forced_info(self.engine.name, lang)

    def load(self, source: ImageSource, name: str | None = None) -> np.ndarray:
        """Decode and preprocess one input (a video: a row a frame); raises ImageDecodeError."""
        frames = video.model_input(
            source, self.preprocess, name=imaging.display_name(source, name),
            max_pixels=self.settings.max_pixels, enhance=self.settings.enhance,
        )  # fmt: skip
        if frames is not None:
            return frames
        return imaging.load(
            source,
            self.preprocess,
            name=name,
            max_pixels=self.settings.max_pixels,
            fast=self.settings.fast_decode,
            enhance=self.settings.enhance,
        )

    def classify(
        self,
        sources: Sequence[ImageSource],
        top_k: int | None = None,
        names: Sequence[str] | None = None,
    ) -> list[Result]:
        """Classify every input, in order; a bad input gives an error Result, not an exception."""
        return list(self.iter_classify(sources, top_k=top_k, names=names))

    def classify_one(self, source: ImageSource, top_k: int | None = None) -> list[Prediction]:
        """Top-k predictions for one input; raises the input's error."""
        result = self.classify([source], top_k=top_k)[0]
        if result.error is not None:
            raise result.error
        return result.predictions

    def iter_classify(
        self,
        sources: Iterable[ImageSource],
        top_k: int | None = None,
        names: Iterable[str] | None = None,
        embeddings: bool = False,
    ) -> Iterator[Result]:
        """Results in input order, decoding ahead of the model in a thread pool."""
        k = min(top_k or self.settings.top_k, len(self.labels))
        batch_size = self.settings.batch_size
        named = (
            zip(sources, names, strict=True) if names is not None else ((s, None) for s in sources)
        )

        def decode(
            item: tuple[ImageSource, str | None],
        ) -> tuple[str, np.ndarray | SmartalbumError]:
            source, name = item
            label = imaging.display_name(source, name)
            try:
                return label, self.load(source, label)
            except SmartalbumError as exc:
                return label, exc
            except Exception as exc:  # a decoder bug must cost one image, not the batch
                reason = t("unexpected decoder failure ({reason})", reason=exc)
                return label, ImageDecodeError(label, reason)

        for decoded in batches_ahead(
            named, decode, batch_size, self.settings.decode_threads, "smartalbum-decode"
        ):
            yield from self._run_batch(decoded, k, embeddings)

    def _run_batch(
        self,
        decoded: list[tuple[str, np.ndarray | SmartalbumError]],
        k: int,
        embeddings: bool,
    ) -> Iterator[Result]:
        # A photo is one row of the model's batch, a video a row a frame, pooled by their mean.
        arrays = [_rows(value) for _, value in decoded if isinstance(value, np.ndarray)]
        if arrays:
            logits, features = self.engine.embed(np.concatenate(arrays))
            probabilities = calibrated(logits, self.spec)
        row = 0
        for label, value in decoded:
            if isinstance(value, SmartalbumError):
                yield Result(label, [], error=value)
                continue
            end = row + len(_rows(value))
            yield Result(
                label,
                self.top_k(probabilities[row:end].mean(axis=0), k),
                embedding=features[row:end].mean(axis=0) if embeddings else None,
            )
            row = end

    def top_k(self, probabilities: np.ndarray, k: int) -> list[Prediction]:
        """The k most probable classes, best first, named in both languages."""
        top = np.argpartition(-probabilities, k - 1)[:k]
        top = top[np.argsort(-probabilities[top], kind="stable")]
        predictions = []
        for rank, index in enumerate(top, start=1):
            label = self.labels[int(index)]
            predictions.append(
                Prediction(
                    rank, label.index, label.wnid, label.en, label.zh, float(probabilities[index])
                )
            )
        return predictions


def _rows(array: np.ndarray) -> np.ndarray:
    """An input as the model's rows: a photo's one, or a video's frames."""
    return array if array.ndim == 4 else array[np.newaxis]


def model_files(settings: Settings) -> ModelFiles:
    """The configured model's verified weights and its cache; ModelUnavailableError if absent."""
    spec = get_model(settings.model)
    weights = resolve_weights(spec, settings.weights, settings.allow_download)
    return ModelFiles(spec, weights, settings.cache_dir, user_weights=settings.weights is not None)
