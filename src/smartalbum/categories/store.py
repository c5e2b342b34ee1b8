"""Categories in the catalog: taught, answered, retrained and scored — the one writer of their rows.

Each change trains the category again at once from its examples (kept as photo ids) and
rewrites its members in the same transaction; ``on_change`` then lets the layer above
regroup the photos whose membership changed (their smart albums), in that transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import Photo, claim_photos
from smartalbum.catalog.schema import Category, CategoryExample, CategoryMember
from smartalbum.categories import learner
from smartalbum.categories.rows import (
    CONCEPT_PREFIX,
    best_category,
    category_names,
    category_or_404,
    check_photos,
    check_unique,
    clean_names,
    concept_scores,
    examples_of,
    key_of,
    members_of,
    photo_categories,
    summary,
)
from smartalbum.categories.space import Space
from smartalbum.errors import CategoryConflictError, RequestError
from smartalbum.i18n import t

__all__ = [  # the rows' functions, where the layers above have always found them
    "CONCEPT_PREFIX",
    "Categories",
    "CategoryReads",
    "best_category",
    "category_names",
    "concept_scores",
    "key_of",
    "members_of",
    "photo_categories",
]

OnChange = Callable[[Session, list[int]], None]  # photos whose categories changed
CANDIDATES = 64  # photos nearest the prototype, among which query expansion picks


class Categories:
    """The categories of one library, trained in one feature space."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        space: Space,
        on_change: OnChange = lambda _session, _ids: None,
    ) -> None:
        self.sessions = sessions
        self.space = space
        self.on_change = on_change

    # -- writes -----------------------------------------------------------------------------

    def teach(
        self,
        name: str,
        name_zh: str | None,
        examples: Sequence[int],
        counter: Sequence[int] = (),
        by: str | None = None,
    ) -> dict[str, Any]:
        """A new category from at least three example photos (and any counter-examples)."""
        name, name_zh = clean_names(name, name_zh)
        examples, counter = list(dict.fromkeys(examples)), list(dict.fromkeys(counter))
        if len(examples) < learner.MIN_EXAMPLES:
            raise CategoryConflictError(
                t(
                    "a category needs at least {count} example photos, got {given}",
                    count=learner.MIN_EXAMPLES,
                    given=len(examples),
                )
            )
        both = sorted(set(examples) & set(counter))
        if both:
            raise CategoryConflictError(
                t("photo {photo_id} is both an example and a counter-example", photo_id=both[0])
            )
        ids = self.space.sync(refit=True)
        with self.sessions.begin() as session:
            check_photos(session, [*examples, *counter], ids, self.space.model)
            check_unique(session, name, name_zh)
            now = time.time()
            category = Category(
                key=key_of(name), name=name, name_zh=name_zh, threshold=0.0,
                created_at=now, author=by,
            )  # fmt: skip
            session.add(category)
            session.flush()
            session.execute(
                insert(CategoryExample),
                [
                    {"category_id": category.id, "photo_id": photo_id, "positive": positive,
                     "created_at": now, "author": by}
                    for photo_ids, positive in ((examples, 1), (counter, 0))
                    for photo_id in photo_ids
                ],
            )  # fmt: skip
            self._train(session, category, ids, reset_threshold=True)
            taught = summary(session, category, self.space.id)
        self.retrain_stale()  # a basis fitted just now leaves the others to learn again
        return taught

    def answer(
        self, category_id: int, photo_id: int, yes: bool, by: str | None = None
    ) -> dict[str, Any]:
        """A person's word on one photo ("is this X?"): it becomes an example; retrained at once."""
        ids = self.space.sync()
        with self.sessions.begin() as session:
            category = category_or_404(session, category_id)
            check_photos(session, [photo_id], ids, self.space.model)
            session.execute(
                delete(CategoryExample).where(
                    CategoryExample.category_id == category.id,
                    CategoryExample.photo_id == photo_id,
                )
            )
            session.add(
                CategoryExample(
                    category_id=category.id, photo_id=photo_id, positive=int(yes),
                    created_at=time.time(), author=by,
                )
            )  # fmt: skip
            session.flush()
            positives = examples_of(session, category.id)[0]
            if len(positives) < learner.MIN_EXAMPLES:
                raise CategoryConflictError(
                    t(
                        "a category needs at least {count} example photos, got {given}",
                        count=learner.MIN_EXAMPLES,
                        given=len(positives),
                    )
                )
            self._train(session, category, ids)
            return summary(session, category, self.space.id)

    def set_threshold(self, category_id: int, threshold: float) -> dict[str, Any]:
        """Move where membership starts; the members follow at once."""
        if not -1.0 <= threshold <= 1.0:
            raise RequestError(
                t("a threshold is a score from -1 to 1, got {value}", value=threshold)
            )
        ids = self.space.sync()
        with self.sessions.begin() as session:
            category = category_or_404(session, category_id)
            category.threshold = threshold
            if category.model == self.space.id:
                self._rescore(session, category, ids)
            else:  # trained in a space since replaced (a new basis, a new model): learn again
                self._train(session, category, ids)
            return summary(session, category, self.space.id)

    def remove(self, category_id: int) -> None:
        """Forget a category, its examples and its members."""
        with self.sessions.begin() as session:
            category = category_or_404(session, category_id)
            members = list(
                session.scalars(
                    select(CategoryMember.photo_id).where(CategoryMember.category_id == category.id)
                )
            )
            session.delete(category)
            session.flush()
            if members:
                claim_photos(session, members)
                self.on_change(session, members)

    def retrain_stale(self) -> int:
        """Train again every category trained in another space (a new model or basis); how many."""
        ids = self.space.sync(refit=True)
        done = 0
        with self.sessions.begin() as session:
            for category in session.scalars(select(Category).order_by(Category.id)):
                if category.model != self.space.id:
                    self._train(session, category, ids)
                    done += 1
        return done

    def classify(
        self, embedding: np.ndarray, probabilities: np.ndarray, temperature: float
    ) -> list[dict[str, Any]]:
        """The categories a new photo (an upload, not in the library) is in, best first.

        Scored from its embedding and full probabilities (at ``temperature``, the model's
        calibration) like a library photo; nothing is stored.
        """
        matrix = self.space.matrix
        if matrix is None:
            return []
        feature = matrix.basis.project(embedding[None], probabilities[None], temperature)
        with self.sessions() as session:
            found = session.scalars(select(Category).order_by(Category.id)).all()
        scored = []
        for category in found:
            if category.weights is None or category.model != self.space.id:
                continue
            score = float(learner.Direction.from_bytes(category.weights).score(feature)[0])
            if score >= category.threshold:
                scored.append(
                    {"id": category.id, "key": category.key, "name": category.name,
                     "name_zh": category.name_zh, "score": round(score, 4)}
                )  # fmt: skip
        return sorted(scored, key=lambda c: -c["score"])

    # -- training and scoring ---------------------------------------------------------------

    def _train(
        self, session: Session, category: Category, ids: np.ndarray, reset_threshold: bool = False
    ) -> None:
        matrix = self.space.matrix
        positives, negatives = examples_of(session, category.id)
        present = set(ids.tolist())
        positives = [i for i in positives if i in present]
        negatives = [i for i in negatives if i in present]
        if matrix is None or not positives:  # its examples are not in this space (yet)
            category.weights, category.model = None, None
            self._rescore(session, category, ids)
            return
        wanted, unwanted = matrix.rows(positives), matrix.rows(negatives)
        first = learner.train(wanted, unwanted)
        scores = matrix.score(first.weights, ids)
        nearest = ids[np.argsort(-scores)[:CANDIDATES]]
        direction = learner.train(wanted, unwanted, matrix.rows(list(nearest)))
        category.weights = direction.to_bytes()
        category.model = self.space.id
        category.trained_at = time.time()
        if reset_threshold:
            scores = matrix.score(direction.weights, ids)
            others = scores[~np.isin(ids, positives + negatives)]
            category.threshold = learner.default_threshold(direction.score(wanted), others)
        self._rescore(session, category, ids)

    def scores(self, category: Category, ids: np.ndarray) -> np.ndarray:
        """The category's score of each photo id (ascending ids of the space); 0 if untrained."""
        if category.weights is None or category.model != self.space.id or self.space.matrix is None:
            return np.zeros(len(ids), np.float32)
        direction = learner.Direction.from_bytes(category.weights)
        return self.space.matrix.score(direction.weights, ids)

    def _rescore(self, session: Session, category: Category, ids: np.ndarray) -> None:
        """Rewrite the category's members from its scores; regroup the photos that moved."""
        changed = rewrite_members(session, category, ids, self.scores(category, ids))
        if changed:
            claim_photos(session, changed)
            self.on_change(session, changed)


def rewrite_members(
    session: Session, category: Category, ids: np.ndarray, scores: np.ndarray
) -> list[int]:
    """A category's members: photos at its threshold or above, examples decided; who moved."""
    positives, negatives = examples_of(session, category.id)
    member = {
        int(i): float(s)
        for i, s in zip(ids, scores, strict=True)
        if s >= category.threshold and category.weights is not None
    }
    for photo_id in negatives:
        member.pop(photo_id, None)
    for photo_id in positives:  # a person's word outranks the model
        member[photo_id] = 1.0
    before = dict(
        session.execute(
            select(CategoryMember.photo_id, CategoryMember.score).where(
                CategoryMember.category_id == category.id
            )
        ).all()
    )
    session.execute(delete(CategoryMember).where(CategoryMember.category_id == category.id))
    if member:
        session.execute(
            insert(CategoryMember),
            [
                {"category_id": category.id, "photo_id": i, "score": round(s, 6)}
                for i, s in member.items()
            ],
        )
    return sorted(set(before) ^ set(member))


QUESTIONS = 3  # uncertain photos a category page asks about


class CategoryReads:
    """What the pages and the command line show of categories: only reads the catalog."""

    def __init__(self, categories: Categories) -> None:
        self.categories = categories

    def all(self) -> list[dict[str, Any]]:
        """Every category, oldest first, with its member count."""
        c = self.categories
        with c.sessions() as session:
            found = session.scalars(select(Category).order_by(Category.id)).all()
            return [summary(session, category, c.space.id) for category in found]

    def one(self, category_id: int, limit: int = 60) -> dict[str, Any]:
        """A category, its best matches with their scores, and the photos to ask about."""
        c = self.categories
        ids = c.space.sync()
        with c.sessions() as session:
            category = category_or_404(session, category_id)
            shown = summary(session, category, c.space.id)
            scores = c.scores(category, ids)
            positives, negatives = examples_of(session, category.id)
            trashed = list(session.scalars(select(Photo.id).where(Photo.trashed_at.is_not(None))))
        # A photo in the trash keeps its features (a restore is exact) but is never shown.
        shown_ids = ~np.isin(ids, trashed)
        ids, scores = ids[shown_ids], scores[shown_ids]
        decided = set(positives) | set(negatives)
        order = np.argsort(-scores, kind="stable")[: max(0, limit)]
        undecided = ~np.isin(ids, sorted(decided))
        uncertain = np.argsort(np.abs(scores - category.threshold), kind="stable")
        questions = [int(ids[i]) for i in uncertain[undecided[uncertain]][:QUESTIONS]]
        return {
            **shown,
            "matches": [
                {
                    "id": int(ids[i]),
                    "score": round(float(scores[i]), 4),
                    "example": _role(int(ids[i]), positives, negatives),
                }
                for i in order
            ],
            "questions": questions if category.weights is not None else [],
        }


def _role(photo_id: int, positives: list[int], negatives: list[int]) -> str | None:
    if photo_id in positives:
        return "yes"
    if photo_id in negatives:
        return "no"
    return None
