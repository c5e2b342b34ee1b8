"""The embeddings and full class probabilities of a labelled folder, for ``eval-categories``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from smartalbum.bench.accuracy import labelled_images
from smartalbum.engines.classifier import Classifier
from smartalbum.settings import Settings

Wrap = Callable[[Iterator[Any], int], Iterator[Any]]


def embed_folder(
    settings: Settings, directory: Path, wrap: Wrap = lambda it, _n: it
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(embeddings, full probabilities, wnids) of every labelled image that decodes."""
    samples = labelled_images(directory)
    classifier = Classifier.from_settings(settings)
    classes = len(classifier.labels.classes)
    embeddings, probabilities, wnids = [], [], []
    results = classifier.iter_classify([p for p, _ in samples], top_k=classes, embeddings=True)
    for (_, wnid), result in zip(samples, wrap(results, len(samples)), strict=True):
        if not result.ok or result.embedding is None:
            continue
        full = np.zeros(classes, np.float32)
        for p in result.predictions:
            full[p.index] = p.probability
        embeddings.append(result.embedding)
        probabilities.append(full)
        wnids.append(wnid)
    return np.stack(embeddings), np.stack(probabilities), wnids
