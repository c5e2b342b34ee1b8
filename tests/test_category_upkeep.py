"""A long-lived writer (a distributed worker's: one per worker process) started before the
first category was taught scores its later photos for it, and writes their features
(categories/indexing.py; found by the chaos soak, scripts/soak: photos the workers indexed
after a category was taught were in no category, and `smartalbum check` found them
missing from the feature space)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.catalog.schema import CategoryMember
from smartalbum.engines.classifier import Classifier
from smartalbum.library.analysis import Decoding, analyze, embed
from smartalbum.library.categories import categories_of
from smartalbum.library.indexer import Indexer
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.writer import CatalogWriter
from smartalbum.settings import Settings
from tests.helpers import dogs_and_things


def test_a_writer_started_before_the_first_category_scores_for_it(
    settings: Settings, tmp_path: Path
) -> None:
    dogs, things = dogs_and_things()
    first, later = tmp_path / "first", tmp_path / "later"
    for folder, photos in ((first, dogs[:15] + things[:15]), (later, dogs[15:] + things[15:])):
        folder.mkdir()
        for p in photos:
            (folder / p.name).write_bytes(p.read_bytes())
    catalog = str(tmp_path / "library.db")
    local = settings.with_overrides(library=catalog, engine="onnx")
    engine = open_engine(catalog)
    sessions = session_factory(engine)
    classifier = Classifier.from_settings(local)
    try:
        assert Indexer(classifier, sessions, catalog).run([first]).added == 30
        # A worker starts: its writer is made now, before anything was taught.
        library = PhotoLibrary.open(local)
        writer = CatalogWriter(sessions, classifier, library.rules)
        try:
            with library.sessions() as s:
                examples = list(
                    s.scalars(select(Photo.id).where(Photo.path.contains("/n02")).limit(10))
                )
            category = categories_of(library, local).teach("Dogs", "狗", examples)
        finally:
            library.close()
        settings_ = classifier.settings
        decoding = Decoding(
            classifier.preprocess, settings_.max_pixels, settings_.fast_decode,
            settings_.enhance, settings_.text, settings_.faces,
        )  # fmt: skip
        batch = [analyze(p, decoding) for p in sorted(later.iterdir())]
        embed(classifier.engine, batch)
        assert writer.write(batch, {}).added == 30  # as the worker writes a task's batch
        with sessions() as s:
            later_ids = set(s.scalars(select(Photo.id).where(Photo.path.startswith(str(later)))))
            members = set(
                s.scalars(
                    select(CategoryMember.photo_id).where(
                        CategoryMember.category_id == category["id"]
                    )
                )
            )
            assert s.scalar(select(func.count()).select_from(Photo)) == 60
        # Dogs indexed after the teaching joined it, scored by the writer that began before.
        assert len(members & later_ids) >= 3, members
        # And their features are in the space: nothing for `smartalbum check` to find.
        library = PhotoLibrary.open(local)
        try:
            space = categories_of(library, local).space
            with library.sessions() as s:
                ids, stamps = space.present(s)
            assert space.matrix is not None
            have = space.matrix.stamps()
            stale = [i for i, t in zip(ids, stamps, strict=True) if i >= len(have) or have[i] != t]
            assert stale == []
        finally:
            library.close()
    finally:
        engine.dispose()
