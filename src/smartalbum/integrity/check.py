"""The catalog against the files in its roots, its derived rows, and the database's own check.

Each check finds problems (paths or ids, as a person reads them) and knows its repair, if
there is one. A repair never deletes what a person made: a photo whose file is gone goes to
the trash (``vanished``, as a scan does it: it comes back whole with its file), a file
without a row is indexed, a missing thumbnail or feature row is made again, and only rows
that point at no photo at all are deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from smartalbum import imaging
from smartalbum.catalog import OK, Photo, PhotoBlob, Root
from smartalbum.i18n import Message, t
from smartalbum.integrity.catalog_checks import catalog_problems
from smartalbum.library.analysis import make_thumbnail
from smartalbum.library.categories import categories_of
from smartalbum.library.scan import walk
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.writer import CatalogWriter
from smartalbum.settings import Settings

SHOWN = 10  # problems of each kind listed in a report (all are counted)
# Rows that belong to one photo: (table, column); the ones whose photo is gone are deleted.
PHOTO_ROWS = (
    ("photo_labels", "photo_id"),
    ("photo_blobs", "photo_id"),
    ("album_members", "photo_id"),
    ("category_members", "photo_id"),
    ("user_album_photos", "photo_id"),
    ("favourites", "photo_id"),
    ("corrections", "photo_id"),
)


@dataclass
class Finding:
    """One check's outcome: what it looked for, what it found, what a repair did."""

    name: str
    title: Message
    problems: list[str] = field(default_factory=list)
    repaired: int | None = None  # None: not asked to, or nothing to repair with
    note: Message | None = None  # why the check could not run

    def as_json(self, lang: str = "en") -> dict[str, Any]:
        """The finding for ``--json`` and the API."""
        return {
            "name": self.name,
            "title": self.title.render(lang),
            "count": len(self.problems),
            "problems": self.problems[:SHOWN],
            "repaired": self.repaired,
            "note": None if self.note is None else self.note.render(lang),
        }


class Checker:
    """The checks of one library, each a find and (maybe) a repair."""

    def __init__(self, library: PhotoLibrary, settings: Settings) -> None:
        self.library = library
        self.settings = settings
        self.sessions = library.sessions

    def missing_files(self) -> tuple[list[str], Callable[[], int] | None]:
        """Photos not in the trash whose file is gone: to the trash, as vanished."""
        with self.sessions() as session:
            rows = session.execute(
                select(Photo.id, Photo.path).where(Photo.trashed_at.is_(None)).order_by(Photo.id)
            ).all()
        gone = [(i, p) for i, p in rows if not os.path.exists(p)]

        def repair() -> int:
            writer = CatalogWriter(self.sessions, None, self.library.rules)
            return writer.mark_missing([i for i, _ in gone])

        return [p for _, p in gone], repair

    def unindexed_files(self) -> tuple[list[str], Callable[[], int] | None]:
        """Files in the indexed folders without a row: indexed."""
        with self.sessions() as session:
            roots = [Path(r) for r in session.scalars(select(Root.path).order_by(Root.path))]
            known = set(session.scalars(select(Photo.path)))
            known |= set(
                session.scalars(select(Photo.motion_path).where(Photo.motion_path.is_not(None)))
            )
        files, _ = walk([r for r in roots if r.is_dir()])
        new = sorted(str(f) for f in files if str(f) not in known)

        def repair() -> int:
            from smartalbum.engines.classifier import Classifier
            from smartalbum.library.indexer import Indexer

            folders = [r for r in roots if any(_inside(f, r) for f in new)]
            classifier = Classifier.from_settings(self.settings)
            report = Indexer(classifier, self.sessions, self.settings.library).run(folders)
            return report.added

        return new, repair

    def thumbnails(self) -> tuple[list[str], Callable[[], int] | None]:
        """Photos in the library without a thumbnail: made again from the file."""
        with self.sessions() as session:
            rows = session.execute(
                select(Photo.id, Photo.path)
                .outerjoin(PhotoBlob, PhotoBlob.photo_id == Photo.id)
                .where(
                    Photo.status == OK,
                    Photo.trashed_at.is_(None),
                    Photo.kind.is_distinct_from("video"),
                )
                .where(PhotoBlob.thumbnail.is_(None))
                .order_by(Photo.id)
            ).all()

        def repair() -> int:
            return sum(self._thumbnail(i, p) for i, p in rows)

        return [p for _, p in rows], repair

    def _thumbnail(self, photo_id: int, path: str) -> int:
        try:
            made, _ = make_thumbnail(imaging.decode(path, max_pixels=self.settings.max_pixels))
        except Exception:  # an unreadable file stays reported: the next check shows it again
            return 0
        with self.sessions.begin() as session:
            blob = session.get(PhotoBlob, photo_id)
            if blob is None:
                session.add(PhotoBlob(photo_id=photo_id, thumbnail=made))
            else:
                blob.thumbnail = made
        return 1

    def orphan_rows(self) -> tuple[list[str], Callable[[], int] | None]:
        """Labels, albums' and categories' members, favourites of photos that do not exist."""
        with self.sessions() as session:
            found = {table: _orphans(session, table, column) for table, column in PHOTO_ROWS}

        def repair() -> int:
            with self.sessions.begin() as session:
                for table, column in PHOTO_ROWS:
                    if found[table]:
                        session.execute(
                            text(
                                f"DELETE FROM {table} WHERE {column} NOT IN (SELECT id FROM photos)"
                            )
                        )
            return sum(map(len, found.values()))

        return [f"{table}: photo {i}" for table, ids in found.items() for i in ids], repair

    def features(self) -> tuple[list[str], Callable[[], int] | None]:
        """Photos whose row in the feature space is missing or older than the photo."""
        categories = categories_of(self.library, self.settings)
        space = categories.space
        with self.sessions() as session:
            ids, stamps = space.present(session)
        if space.matrix is None:
            return [], None  # no space yet: made when a category is first taught
        space.matrix.refresh()
        have = space.matrix.stamps()
        stale = [int(i) for i, s in zip(ids, stamps, strict=True) if i >= len(have) or have[i] != s]

        def repair() -> int:
            space.sync()
            return len(stale)

        return [f"photo {i}" for i in stale], repair

    def catalog(self) -> tuple[list[str], Callable[[], int] | None]:
        """The database's own integrity check."""
        with self.sessions() as session:
            problems = catalog_problems(session)
        if problems is None:
            raise _Skipped(t("amcheck is not installed in the catalog's database: not checked"))
        return problems, None


class _Skipped(Exception):
    def __init__(self, why: Message) -> None:
        super().__init__(str(why))
        self.why = why


def _inside(path: str, root: Path) -> bool:
    return os.path.commonpath([path, str(root)]) == str(root)


def _orphans(session: Session, table: str, column: str) -> list[int]:
    query = text(
        f"SELECT DISTINCT {column} FROM {table} WHERE {column} NOT IN (SELECT id FROM photos)"
    )
    return sorted(int(i) for i in session.scalars(query))


CHECKS: Sequence[tuple[str, Message]] = (
    ("catalog", t("the catalog's own integrity check")),
    ("missing_files", t("photos whose file is gone (not in the trash)")),
    ("unindexed_files", t("files in the indexed folders without a photo")),
    ("orphan_rows", t("rows of photos that do not exist (labels, album members, favourites)")),
    ("thumbnails", t("photos without a thumbnail")),
    ("features", t("photos missing from the feature space")),
)


def check(library: PhotoLibrary, settings: Settings, repair: bool = False) -> list[Finding]:
    """Run every check (and, with ``repair``, each repair); the findings in order."""
    checker = Checker(library, settings)
    findings = []
    for name, title in CHECKS:
        finding = Finding(name, title)
        try:
            problems, fix = getattr(checker, name)()
        except _Skipped as skipped:
            finding.note = skipped.why
            findings.append(finding)
            continue
        finding.problems = problems
        if repair and problems and fix is not None:
            finding.repaired = fix()
        findings.append(finding)
    return findings
