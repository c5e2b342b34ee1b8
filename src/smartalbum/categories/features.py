"""What a category is learned on: a photo's embedding and class probabilities, as one short vector.

Measured on the 1000 sample photos (``smartalbum eval-categories``), three steps each add
mean AP over cosine on the centred embedding: the square root of the embedding (it is a
mean of ReLU6 activations, and the root evens out its few large values); the class
probabilities at temperature 3, which spread a photo's mass over the classes like it
(a dog breed's photo over the other breeds); and a projection on the library's own 256
main directions, which drops what the library does not vary in. The projection (the
``Basis``) is fitted on the library, so a library's features are comparable only under
the basis they were made with; it has an id, and a category records the id it was
trained under.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TEMPERATURE = 3.0  # softmax(logits / 3): p ** (1/3), normalised
PROBABILITY_WEIGHT = 1.5  # the probability part against the embedding part
DIMENSIONS = 256
FIT_AT_MOST = 4000  # photos the basis is fitted on: a sample beyond this changes little


def raw(embeddings: np.ndarray, probabilities: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """The two parts before centring: root embedding, probabilities at temperature 3.

    ``temperature`` is the one ``probabilities`` were computed at (a calibrated model's,
    see ``calibrated``): the features depend on the logits alone, however they were scaled.
    """
    roots = np.sqrt(np.clip(embeddings.astype(np.float32), 0, None))
    exponent = temperature / TEMPERATURE
    soft = np.power(np.clip(probabilities.astype(np.float64), 1e-30, None), exponent)
    soft /= soft.sum(axis=1, keepdims=True)
    return np.hstack([roots, soft.astype(np.float32)])


def unit(rows: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1)


@dataclass(frozen=True)
class Basis:
    """The library's centring and main directions, fitted once, for one model."""

    mean: np.ndarray  # of the raw parts, float32
    split: int  # where the embedding part ends
    components: np.ndarray  # (dimensions, raw size), float32
    fitted_on: int  # photos the library had when this was fitted

    @property
    def id(self) -> str:
        """A short digest: features and categories made under another basis are stale."""
        digest = hashlib.sha256(self.mean.tobytes() + self.components.tobytes())
        return digest.hexdigest()[:12]

    @property
    def dimensions(self) -> int:
        """The length of a feature."""
        return int(self.components.shape[0] or self.mean.shape[0])

    def _joined(self, parts: np.ndarray) -> np.ndarray:
        centred = parts - self.mean
        embedding = unit(centred[:, : self.split])
        probabilities = unit(centred[:, self.split :]) * PROBABILITY_WEIGHT
        return np.hstack([embedding, probabilities])

    def project(
        self, embeddings: np.ndarray, probabilities: np.ndarray, temperature: float = 1.0
    ) -> np.ndarray:
        """Unit features of photos, float32, from their embeddings and full probabilities."""
        joined = self._joined(raw(embeddings, probabilities, temperature))
        if self.components.shape[0]:
            joined = joined @ self.components.T
        return unit(joined).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write the basis to an .npz file (atomically: a reader never sees half of it)."""
        partial = path.with_suffix(".partial.npz")
        np.savez(
            partial,
            mean=self.mean,
            split=self.split,
            components=self.components,
            fitted_on=self.fitted_on,
        )
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> Basis:
        """A basis written by ``save``."""
        with np.load(path) as data:
            return cls(data["mean"], int(data["split"]), data["components"], int(data["fitted_on"]))


def fit(
    embeddings: np.ndarray, probabilities: np.ndarray, library_size: int, temperature: float = 1.0
) -> Basis:
    """The basis of a sample of the library's photos (at most FIT_AT_MOST of them)."""
    parts = raw(embeddings, probabilities, temperature)
    split = embeddings.shape[1]
    mean = parts.mean(axis=0)
    half = Basis(mean, split, np.zeros((0, parts.shape[1]), np.float32), library_size)
    joined = half._joined(parts)
    if len(parts) < 2 * DIMENSIONS:  # too few photos to tell their main directions
        return half
    _, _, vt = np.linalg.svd(joined - joined.mean(axis=0), full_matrices=False)
    components = vt[:DIMENSIONS]
    return Basis(mean.astype(np.float32), split, components.astype(np.float32), library_size)
