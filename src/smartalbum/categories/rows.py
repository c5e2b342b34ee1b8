"""A category's rows as the catalog holds them: names, examples, members, and the checks.

Plain functions over a session, shared by the writer (store.py), the pages, album rules
and search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartalbum.catalog import OK, Photo, live
from smartalbum.catalog.schema import Category, CategoryExample, CategoryMember
from smartalbum.errors import CategoryConflictError, NotFoundError, RequestError
from smartalbum.i18n import t

MAX_NAME = 64
CONCEPT_PREFIX = "category:"  # how search names a category among albums: "category:3"


def key_of(name: str) -> str:
    """How a category's name is compared: case and spacing do not count."""
    return " ".join(name.split()).casefold()


def clean_names(name: str, name_zh: str | None) -> tuple[str, str | None]:
    """The names with their spacing folded; RequestError for none or one too long."""
    name = " ".join(name.split())
    name_zh = " ".join((name_zh or "").split()) or None
    if not name:
        raise RequestError(t("a category needs a name"))
    if len(name) > MAX_NAME or len(name_zh or "") > MAX_NAME:
        raise RequestError(t("a category's name is at most {count} characters", count=MAX_NAME))
    return name, name_zh


def check_unique(session: Session, name: str, name_zh: str | None) -> None:
    """No other category has either name, in either language (case and spacing aside)."""
    for existing in session.scalars(select(Category)):
        names = {existing.key, key_of(existing.name_zh or "")} - {""}
        for given in (name, name_zh):
            if given and key_of(given) in names:
                raise CategoryConflictError(
                    t("there is already a category named {name!r}", name=given)
                )


def check_photos(session: Session, photo_ids: Sequence[int], ids: np.ndarray, model: str) -> None:
    """Every example is a photo of the library, indexed with the model in force."""
    rows = session.execute(
        select(Photo.id, Photo.status, Photo.trashed_at).where(Photo.id.in_(list(photo_ids)))
    )
    found = {photo_id: (status, trashed_at) for photo_id, status, trashed_at in rows}
    present = set(ids.tolist())
    for photo_id in photo_ids:
        if photo_id not in found:
            raise NotFoundError(t("no photo {photo_id} in the library", photo_id=photo_id))
        status, trashed_at = found[photo_id]
        if trashed_at is not None:
            raise CategoryConflictError(
                t("photo {photo_id} is in the trash, so it cannot be an example", photo_id=photo_id)
            )
        if status != OK:
            raise CategoryConflictError(
                t(
                    "photo {photo_id} failed to index, so it cannot be an example",
                    photo_id=photo_id,
                )
            )
        if photo_id not in present:
            raise CategoryConflictError(
                t(
                    "photo {photo_id} has no embedding of the model {model}: index it again",
                    photo_id=photo_id,
                    model=model,
                )
            )


def category_or_404(session: Session, category_id: int) -> Category:
    """The category with this id; NotFoundError if there is none."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFoundError(t("no category {category_id}", category_id=category_id))
    return category


def examples_of(session: Session, category_id: int) -> tuple[list[int], list[int]]:
    """(examples, counter-examples) of a category, as photo ids, oldest first."""
    rows = session.execute(
        select(CategoryExample.photo_id, CategoryExample.positive)
        .where(CategoryExample.category_id == category_id)
        .order_by(CategoryExample.created_at, CategoryExample.photo_id)
    ).all()
    return [p for p, yes in rows if yes], [p for p, yes in rows if not yes]


def summary(session: Session, category: Category, space: str | None) -> dict[str, Any]:
    """A category as answers show it; ``space``: the one in force (is it trained there?)."""
    positives, negatives = examples_of(session, category.id)
    members = session.scalar(
        select(func.count())
        .select_from(CategoryMember)
        .join(Photo, Photo.id == CategoryMember.photo_id)
        .where(CategoryMember.category_id == category.id, live())
    )
    return {
        "id": category.id,
        "name": category.name,
        "name_zh": category.name_zh,
        "threshold": round(category.threshold, 4),
        "examples": positives,
        "counter_examples": negatives,
        "count": int(members or 0),
        "model": category.model.split(":")[0] if category.model else None,
        "trained": category.model == space,
        "author": category.author,
    }


def photo_categories(session: Session, photo_id: int) -> list[dict[str, Any]]:
    """The categories a photo is in, with its score in each, best first."""
    rows = session.execute(
        select(Category.id, Category.name, Category.name_zh, CategoryMember.score)
        .join(CategoryMember, CategoryMember.category_id == Category.id)
        .where(CategoryMember.photo_id == photo_id)
        .order_by(CategoryMember.score.desc(), Category.id)
    )
    return [
        {"id": i, "name": name, "name_zh": zh, "score": round(score, 4)}
        for i, name, zh, score in rows
    ]


def best_category(
    session: Session, category_ids: Sequence[int], photo_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Photo id -> the best of these categories it is in, as ``photo_categories`` lists one."""
    if not category_ids or not photo_ids:
        return {}
    rows = session.execute(
        select(CategoryMember.photo_id, Category.id, Category.name, Category.name_zh,
               CategoryMember.score)
        .join(Category, Category.id == CategoryMember.category_id)
        .where(CategoryMember.category_id.in_(list(category_ids)),
               CategoryMember.photo_id.in_(list(photo_ids)))
        .order_by(CategoryMember.score, Category.id.desc())
    )  # fmt: skip
    # Ascending, so the best (and among equals the first category) is written last.
    return {
        photo_id: {"id": i, "name": name, "name_zh": zh, "score": round(score, 4)}
        for photo_id, i, name, zh, score in rows
    }


def members_of(session: Session, photo_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Photo id -> {category key: score} of the categories these photos are in."""
    result: dict[int, dict[str, float]] = {}
    rows = session.execute(
        select(CategoryMember.photo_id, Category.key, CategoryMember.score)
        .join(Category, Category.id == CategoryMember.category_id)
        .where(CategoryMember.photo_id.in_(list(photo_ids)))
    )
    for photo_id, key, score in rows:
        result.setdefault(photo_id, {})[key] = score
    return result


def category_names(session: Session) -> list[tuple[int, str, str | None]]:
    """(id, name, Chinese name) of every category, for search to know them by."""
    rows = session.execute(
        select(Category.id, Category.name, Category.name_zh).order_by(Category.id)
    )
    return [(i, name, zh) for i, name, zh in rows]


def concept_scores(session: Session, refs: Sequence[str]) -> list[tuple[int, float, str | None]]:
    """(photo id, score, taken_at) of present photos in the categories ``refs`` name.

    A score is 0.5 plus half the photo's score in its best category, as album rules count it.
    """
    ids = [int(r.removeprefix(CONCEPT_PREFIX)) for r in refs if r.startswith(CONCEPT_PREFIX)]
    if not ids:
        return []
    rows = session.execute(
        select(CategoryMember.photo_id, func.max(CategoryMember.score), Photo.taken_at)
        .join(Photo, Photo.id == CategoryMember.photo_id)
        .where(CategoryMember.category_id.in_(ids), live())
        .group_by(CategoryMember.photo_id, Photo.taken_at)
    )
    return [(i, min(1.0, 0.5 + float(s) / 2), taken) for i, s, taken in rows]
