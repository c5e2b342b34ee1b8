"""How fast categories learn and score: synthetic features of the real size, a real matrix file.

The matrix is written with random unit features of the basis' size (what the indexer would
write for that many photos), so the times measured are those of the real code on a real
memory-mapped file: training from ``examples`` photos (a prototype, one pass over every
photo for the query expansion, the refined direction), and scoring every photo.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from smartalbum.categories import features, learner
from smartalbum.categories.matrix import FeatureMatrix

CHUNK = 20_000  # rows written at a time while the matrix is built


def _basis(rng: np.random.Generator, photos: int) -> features.Basis:
    """A basis of the real size, fitted on synthetic embeddings and probabilities."""
    sample = min(photos, 2 * features.DIMENSIONS + 64)
    embeddings = np.abs(rng.standard_normal((sample, 1280), dtype=np.float32))
    probabilities = rng.dirichlet(np.full(1000, 0.05), sample).astype(np.float32)
    return features.fit(embeddings, probabilities, photos)


def bench_categories(photos: int = 100_000, examples: int = 50, repeats: int = 5) -> dict[str, Any]:
    """Median seconds to train a category from ``examples`` photos and to score ``photos``."""
    rng = np.random.default_rng(0)
    basis = _basis(rng, photos)
    with tempfile.TemporaryDirectory(prefix="smartalbum-bench-") as folder:
        matrix = FeatureMatrix(Path(folder), basis)
        for start in range(0, photos, CHUNK):
            ids = list(range(start + 1, min(start + CHUNK, photos) + 1))
            rows = features.unit(rng.standard_normal((len(ids), basis.dimensions)))
            matrix.write(ids, rows, [1.0] * len(ids))
        ids_all = np.arange(1, photos + 1)
        chosen = list(rng.choice(ids_all, examples, replace=False))
        train, score = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            wanted = matrix.rows(chosen)
            empty = np.zeros((0, basis.dimensions), np.float32)
            first = learner.train(wanted, empty)
            nearest = ids_all[np.argsort(-matrix.score(first.weights, ids_all))[:64]]
            direction = learner.train(wanted, empty, matrix.rows(list(nearest)))
            train.append(time.perf_counter() - started)
            started = time.perf_counter()
            matrix.score(direction.weights, ids_all)
            score.append(time.perf_counter() - started)
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
    return {
        "photos": photos,
        "examples": examples,
        "dimensions": basis.dimensions,
        "matrix_mb": round(size / 1e6, 1),
        "train_seconds": round(statistics.median(train), 4),
        "score_seconds": round(statistics.median(score), 4),
        "repeats": repeats,
    }
