"""Taught categories beside the classes (issue 28, item 6): "terriers" after teaching a
category "Terriers" finds the category's photos OR the terrier classes', as "terrier" does;
a category named like a group ("Dog") joins it in both numbers ("dogs")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smartalbum.catalog import Photo
from smartalbum.catalog.schema import CategoryMember
from smartalbum.library.categories import categories_of
from smartalbum.library.service import PhotoLibrary
from smartalbum.search.service import search
from smartalbum.search.taught import forms
from smartalbum.settings import Settings
from tests.helpers import SAMPLES, index_folder

TERRIERS = [
    "n02093754_Border_terrier",
    "n02094258_Norwich_terrier",
    "n02094433_Yorkshire_terrier",
    "n02093991_Irish_terrier",
    "n02095570_Lakeland_terrier",
    "n02097298_Scotch_terrier",
]
OTHERS = ["n02108915_French_bulldog", "n02110958_pug", "n07745940_strawberry", "n07749582_lemon",
          "n04228054_ski", "n03345487_fire_engine"]  # fmt: skip


@pytest.fixture(scope="module")
def taught(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PhotoLibrary, dict[str, int], dict[str, int]]]:
    """The photos indexed, "Terriers" taught from three terriers and "Dog" from three dogs:
    the library, ids by sample name, and the categories' ids."""
    root = tmp_path_factory.mktemp("terriers")
    for name in TERRIERS + OTHERS:
        (root / f"{name}.jpg").write_bytes((SAMPLES / f"{name}.JPEG").read_bytes())
    catalog = tmp_path_factory.mktemp("terrier-catalog") / "library.db"
    assert index_folder(settings, root, catalog) == len(TERRIERS + OTHERS)
    chosen = settings.with_overrides(library=str(catalog))
    library = PhotoLibrary.open(chosen)
    with library.sessions() as session:
        ids = {Path(p).stem: i for p, i in session.execute(select(Photo.path, Photo.id))}
    categories = categories_of(library, chosen)
    made = {
        "Terriers": categories.teach("Terriers", "㹴犬们", [ids[n] for n in TERRIERS[:3]])["id"],
        "Dog": categories.teach("Dog", None, [ids[n] for n in (*TERRIERS[3:4], *OTHERS[:2])])["id"],
    }
    yield library, ids, made
    library.close()


def _found(library: PhotoLibrary, ids: dict[str, int], query: str) -> tuple[set[str], Any]:
    answer = search(library, query, limit=100)
    names = {i: name for name, i in ids.items()}
    return {names[p["id"]] for p in answer["photos"]}, answer


def _members(library: PhotoLibrary, ids: dict[str, int], category: int) -> set[str]:
    names = {i: name for name, i in ids.items()}
    with library.sessions() as session:
        rows = session.execute(
            select(CategoryMember.photo_id).where(CategoryMember.category_id == category)
        )
        return {names[i] for (i,) in rows}


@pytest.mark.parametrize("query", ["terriers", "terrier", "Terriers", "TERRIER"])
def test_a_word_naming_a_category_and_classes_finds_either(
    taught: tuple[PhotoLibrary, dict[str, int], dict[str, int]], query: str
) -> None:
    library, ids, made = taught
    found, answer = _found(library, ids, query)
    assert set(TERRIERS) <= found  # every real terrier, not only the category's matches
    assert found == set(TERRIERS) | _members(library, ids, made["Terriers"])
    [part] = answer["interpretation"]
    kinds = {c["kind"] for c in part["concepts"]}
    assert kinds == {"category", "keyword"}, part
    by_category = [p for p in answer["photos"] if p["category"]]
    assert {p["label"] for p in answer["photos"] if not p["category"]} <= {
        n.split("_", 1)[1].replace("_", " ") for n in TERRIERS
    }
    assert all(p["category"]["id"] == made["Terriers"] for p in by_category)


def test_a_category_named_like_a_group_joins_it_in_both_numbers(
    taught: tuple[PhotoLibrary, dict[str, int], dict[str, int]],
) -> None:
    library, ids, made = taught
    for query in ("dogs", "dog", "Dog"):
        found, answer = _found(library, ids, query)
        concepts = {(c["kind"], c["id"]) for c in answer["interpretation"][0]["concepts"]}
        assert {("group", "dog"), ("category", f"category:{made['Dog']}")} <= concepts, query
        assert set(TERRIERS) | set(OTHERS[:2]) <= found, query


def test_a_name_is_read_in_both_numbers() -> None:
    assert forms("Terriers") == ["terriers", "terrier"]
    assert forms("Dog") == ["dog", "dogs"]
    assert forms("Puppy") == ["puppy", "puppies"]
    assert forms("Boxes") == ["boxes", "box"]
    assert forms("㹴犬们") == ["㹴犬们"]
