"""Categories kept in step by the indexer: each batch's photos scored in its own transaction.

The writer has each photo's full probabilities at hand, so its features are made there
(no head, no catalog read) and written to the matrix once the batch has committed. At
the end of a run, a library that outgrew its basis gets a new one, and every category
trained in another space (another model, or the old basis) is trained again from its
examples: re-indexing with another model retrains every category.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog.schema import Category, CategoryExample, CategoryMember
from smartalbum.categories.learner import Direction
from smartalbum.categories.space import Space
from smartalbum.categories.store import Categories, OnChange
from smartalbum.models.zoo import get_model
from smartalbum.settings import Settings


def library_of(sessions: sessionmaker[Session]) -> str:
    """The library a session factory is bound to, as a URL string."""
    return str(sessions.kw["bind"].url.render_as_string(hide_password=False))


class CategoryUpkeep:
    """What the indexer does for categories: score each batch, and retrain after a run."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, model: str, on_change: OnChange
    ) -> None:
        self.sessions = sessions
        self.space = Space(sessions, settings, library_of(sessions), model)
        self.on_change = on_change
        self.temperature = get_model(model).temperature
        self._pending: list[tuple[list[int], np.ndarray, list[float]]] = []

    def score(
        self,
        session: Session,
        ids: Sequence[int],
        embeddings: np.ndarray,
        probabilities: np.ndarray,
        indexed_at: float,
    ) -> None:
        """In the batch's transaction: these photos' category rows from their new features."""
        ids = list(ids)
        session.execute(delete(CategoryMember).where(CategoryMember.photo_id.in_(ids)))
        self.space.reload()  # taught (or refitted) since this writer began: score with it
        matrix = self.space.matrix
        features = None
        self._pending = []
        if matrix is not None and len(ids):
            # The writer's probabilities are calibrated, at the model's temperature.
            features = matrix.basis.project(embeddings, probabilities, self.temperature)
            # One batch a transaction: what a rolled-back batch left here is dropped.
            self._pending = [(ids, features, [indexed_at] * len(ids))]
        rows = []
        for category in session.scalars(select(Category)):
            decided = dict(
                session.execute(
                    select(CategoryExample.photo_id, CategoryExample.positive).where(
                        CategoryExample.category_id == category.id,
                        CategoryExample.photo_id.in_(ids),
                    )
                ).all()
            )
            scores = np.zeros(len(ids), np.float32)
            trained = category.weights is not None and category.model == self.space.id
            if trained and features is not None and category.weights is not None:
                scores = Direction.from_bytes(category.weights).score(features)
            for photo_id, score in zip(ids, scores.tolist(), strict=True):
                if decided.get(photo_id) == 1:
                    score = 1.0  # an example is in, whatever the model says
                elif decided.get(photo_id) == 0 or not trained or score < category.threshold:
                    continue
                rows.append({"category_id": category.id, "photo_id": photo_id, "score": score})
        if rows:
            session.execute(insert(CategoryMember), rows)

    def store(self) -> None:
        """After the commit: the batch's features into the matrix."""
        matrix = self.space.matrix
        while self._pending and matrix is not None:
            ids, features, stamps = self._pending.pop(0)
            matrix.write(ids, features, stamps)
        self._pending.clear()

    def finish(self) -> int:
        """After a run: a new basis if the library outgrew it, and stale categories retrained."""
        with self.sessions() as session:
            if session.scalar(select(Category.id).limit(1)) is None:
                return 0  # nothing taught: no features to fit or make either
        return Categories(self.sessions, self.space, self.on_change).retrain_stale()
