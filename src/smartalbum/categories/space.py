"""One library's feature space for one model: its basis and matrix, kept in step with the catalog.

The catalog stores each photo's embedding and only its top-5 probabilities; the full
probabilities a feature needs are the model's last layer applied to the embedding
(``Head``), so a photo's feature can be made again from the catalog without decoding
anything. The indexer, which has the full probabilities at hand, writes the rows of
the photos it indexes (``writer.py``); ``sync`` makes whatever it missed.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import OK, Photo, PhotoBlob, sqlite_file
from smartalbum.categories.features import FIT_AT_MOST, Basis, fit
from smartalbum.categories.matrix import FeatureMatrix
from smartalbum.models.state_dict import read_state_dict
from smartalbum.models.weights import find_weights
from smartalbum.models.zoo import get_model
from smartalbum.settings import Settings

READ_CHUNK = 2000  # embeddings read from the catalog at a time


@dataclass(frozen=True)
class Head:
    """The model's last layer: logits = embedding @ weight.T + bias."""

    weight: np.ndarray
    bias: np.ndarray

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """Full softmax probabilities of embeddings."""
        logits = embeddings.astype(np.float32) @ self.weight.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def load_head(settings: Settings, model: str, folder: Path) -> Head:
    """The last layer of a model, from its weights file (kept beside the features once read)."""
    cached = folder / "head.npz"
    if cached.is_file():
        with np.load(cached) as data:
            return Head(data["weight"], data["bias"])
    spec = get_model(model)
    path = find_weights(spec, settings.weights if settings.model == model else None)
    if path is None:
        from smartalbum.models.weights import resolve_weights

        path = resolve_weights(spec, None, settings.allow_download)
    state = read_state_dict(path)  # numpy, no torch: serving installs leave it out
    weight = next(v for k, v in state.items() if k.endswith("fc.weight"))
    bias = next(v for k, v in state.items() if k.endswith("fc.bias"))
    head = Head(weight.astype(np.float32), bias.astype(np.float32))
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "head.partial.npz", weight=head.weight, bias=head.bias)
    (folder / "head.partial.npz").replace(cached)
    return head


def features_folder(settings: Settings, library: str, model: str) -> Path:
    """Where a library's features for a model live: beside a SQLite file, else in the cache."""
    file = sqlite_file(library)
    if file is not None:
        return file.with_name(file.name + "-features") / model
    digest = hashlib.sha256(library.encode()).hexdigest()[:16]
    return settings.cache_dir / "features" / digest / model


class Space:
    """The feature space of one model over one library: basis, matrix and catalog in step."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, library: str, model: str
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.model = model
        self.folder = features_folder(settings, library, model)
        self._lock = threading.Lock()
        self.matrix: FeatureMatrix | None = None
        self._basis_stamp: tuple[int, int] | None = None
        self._load_basis()

    def _load_basis(self) -> None:
        """The basis on disk, again if another process (an indexer) fitted a new one since."""
        path = self.folder / "basis.npz"
        try:
            info = path.stat()
        except OSError:
            return
        stamp = (info.st_ino, info.st_mtime_ns)
        if stamp != self._basis_stamp:
            self._basis_stamp = stamp
            self.matrix = FeatureMatrix(self.folder, Basis.load(path))

    def reload(self) -> None:
        """The basis again if one was fitted on disk since (one stat when none was): a
        long-lived writer (a worker) started before the first category was taught."""
        with self._lock:
            self._load_basis()

    @property
    def id(self) -> str | None:
        """``model:basis``: what a category trained here records; None before any basis."""
        return None if self.matrix is None else f"{self.model}:{self.matrix.basis.id}"

    def present(self, session: Session) -> tuple[np.ndarray, np.ndarray]:
        """(ids ascending, indexed_at) of the library's photos with this model's embedding."""
        rows = session.execute(
            select(Photo.id, Photo.indexed_at)
            .join(PhotoBlob, PhotoBlob.photo_id == Photo.id)
            .where(Photo.status == OK, Photo.model == self.model, PhotoBlob.embedding.is_not(None))
            .order_by(Photo.id)
        ).all()
        ids = np.array([r[0] for r in rows], np.int64)
        return ids, np.array([r[1] for r in rows], np.float64)

    def sync(self, refit: bool = False) -> np.ndarray:
        """Make the rows the matrix lacks; ``refit``: a new basis if the library outgrew it.

        Returns the ids of the photos in the space, ascending. Only this cache is written,
        never the catalog. A new basis makes every category trained under the old one stale.
        """
        with self._lock, self.sessions() as session:
            ids, stamps = self.present(session)
            if not len(ids):
                return ids
            self._load_basis()
            if self.matrix is not None:
                self.matrix.refresh()
            if self.matrix is None or (refit and self._outgrown(len(ids))):
                self._fit(session, ids)
            assert self.matrix is not None
            have = self.matrix.stamps()
            known = ids < len(have)
            stale = ~known
            stale[known] = have[ids[known]] != stamps[known]
            for start in range(0, int(stale.sum()), READ_CHUNK):
                chunk = ids[stale][start : start + READ_CHUNK]
                self._make_rows(session, chunk)
            return ids

    def _outgrown(self, photos: int) -> bool:
        assert self.matrix is not None
        fitted = self.matrix.basis.fitted_on
        return fitted < FIT_AT_MOST and photos >= 2 * fitted

    def _embeddings(
        self, session: Session, ids: np.ndarray
    ) -> tuple[list[int], np.ndarray, list[float]]:
        rows = session.execute(
            select(Photo.id, PhotoBlob.embedding, Photo.indexed_at)
            .join(PhotoBlob, PhotoBlob.photo_id == Photo.id)
            .where(Photo.id.in_([int(i) for i in ids]))
            .order_by(Photo.id)
        ).all()
        vectors = np.stack([np.frombuffer(r[1] or b"", dtype="<f4") for r in rows])
        return [r[0] for r in rows], vectors, [r[2] for r in rows]

    def _fit(self, session: Session, ids: np.ndarray) -> None:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(ids, min(FIT_AT_MOST, len(ids)), replace=False))
        head = load_head(self.settings, self.model, self.folder)
        _, embeddings, _ = self._embeddings(session, sample)
        basis = fit(embeddings, head.probabilities(embeddings), len(ids))
        self.folder.mkdir(parents=True, exist_ok=True)
        basis.save(self.folder / "basis.npz")
        for old in self.folder.glob("*.npy"):  # the features of an older basis
            if not old.name.startswith(basis.id):
                old.unlink()
        self._load_basis()

    def _make_rows(self, session: Session, ids: np.ndarray) -> None:
        assert self.matrix is not None
        head = load_head(self.settings, self.model, self.folder)
        found, embeddings, stamps = self._embeddings(session, ids)
        features = self.matrix.basis.project(embeddings, head.probabilities(embeddings))
        self.matrix.write(found, features, stamps)

    def photo_count(self, session: Session) -> int:
        """Photos of the library with this model's embedding."""
        count = session.scalar(
            select(func.count())
            .select_from(Photo)
            .where(Photo.status == OK, Photo.model == self.model)
        )
        return int(count or 0)
