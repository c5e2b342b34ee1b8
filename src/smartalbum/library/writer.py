"""The one place an indexed batch reaches the catalog: one transaction a batch.

The indexer's model batches are small (8 files); ``grouped`` joins them into batches
of at least 32 to write, which halves the writer's CPU a photo.

A batch's photos, labels, thumbnails and embeddings go in as bulk statements on the
Core tables (ORM objects cost ~3 ms a photo, these ~0.3 ms), and in the same
transaction their album rows are brought up to date under the rules in force: a
photo is never committed with labels its albums have not seen, so no read has to
regroup anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.albums.membership import write_members
from smartalbum.catalog import (
    FAILED,
    MISSING,
    OK,
    STORED,
    TRASH_VANISHED,
    Photo,
    PhotoBlob,
    PhotoLabel,
    Root,
    Upload,
    claim_photos,
    table,
)
from smartalbum.catalog.people import FaceScan
from smartalbum.categories.indexing import CategoryUpkeep
from smartalbum.engines.classifier import Classifier
from smartalbum.filedates import fallback_time
from smartalbum.library import activity, companions
from smartalbum.library.analysis import Analysis
from smartalbum.metadata import PhotoMetadata
from smartalbum.ocr import write_batch_text
from smartalbum.people.store import FaceWriter, faces_of
from smartalbum.places import geocoder
from smartalbum.places import stored as stored_place
from smartalbum.xmp import xmp_columns

# Bulk inserts go to the tables, not the ORM classes: half the writer's CPU per photo.
PHOTOS, LABELS, BLOBS = table(Photo), table(PhotoLabel), table(PhotoBlob)
MISSING_CHUNK = 10_000  # photos marked missing per statement
TOP_LABELS = 5  # labels kept per photo
# Photos a transaction at least: its ~10 statements cost the same for 8 photos or 32, and
# 32 bring the writer's CPU with album rows (~0.3 ms a photo) back to what it was without.
WRITE_AT_LEAST = 32


@dataclass
class Written:
    """What one batch did to the catalog."""

    added: int = 0
    updated: int = 0
    moved: int = 0
    failed: int = 0


@dataclass
class _Rows:
    """A batch as statements' parameters, before its transaction."""

    moves: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by path
    blobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # by path


def grouped(batches: Iterable[list[Analysis]]) -> Iterator[list[Analysis]]:
    """The batches joined, in order, into groups of at least WRITE_AT_LEAST files (bar the last)."""
    group: list[Analysis] = []
    for batch in batches:
        group += batch
        if len(group) >= WRITE_AT_LEAST:
            yield group
            group = []
    if group:
        yield group


class CatalogWriter:
    """Writes analysed batches, the folders indexed and what went missing, for one indexer."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        classifier: Classifier | None,
        rules: RuleSet,
        landed: Callable[[Sequence[int]], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.landed = landed  # told each committed batch's photos (their XMP sidecars)
        # None: a distributed run's coordinator, which writes only moves, folders and missing
        self.classifier = classifier
        self.rules = rules  # the album rules each batch is grouped under
        self.categories = None
        self.faces = FaceWriter() if classifier is not None and classifier.settings.faces else None
        if classifier is not None:  # each batch's photos scored for the taught categories
            self.categories = CategoryUpkeep(
                sessions, classifier.settings, classifier.spec.name, self._regroup
            )

    def write(
        self,
        batch: Sequence[Analysis],
        known: Mapping[str, int],
        then: Callable[[Session, Written], None] | None = None,
    ) -> Written:
        """One transaction: the batch's photos (new or known by path), labels, blobs and albums.

        ``then`` runs last in the same transaction (a distributed task records itself done).
        """
        written = Written()
        now = time.time()
        rows = self._rows(batch, known, written, now)
        with self.sessions.begin() as session:
            claim_photos(session, [row["id"] for row in rows.moves + rows.updates])
            if rows.moves:  # a moved file keeps its labels, so its albums stay right too
                session.execute(update(Photo), rows.moves)
            ids = {row["path"]: row["id"] for row in rows.updates}
            if rows.updates:
                session.execute(update(Photo), rows.updates)
                for model in (PhotoLabel, PhotoBlob):
                    session.execute(delete(model).where(model.photo_id.in_(ids.values())))
            if rows.inserts:
                photos = insert(PHOTOS).returning(PHOTOS.c.id, PHOTOS.c.path)
                new = {path: id_ for id_, path in session.execute(photos, rows.inserts)}
                _mark_uploads(session, new)
                ids.update(new)
            labels = [
                {"photo_id": ids[path], **label}
                for path, photo_labels in rows.labels.items()
                for label in photo_labels
            ]
            if labels:
                session.execute(insert(LABELS), labels)
            if rows.blobs:
                blobs = [{"photo_id": ids[path], **blob} for path, blob in rows.blobs.items()]
                session.execute(insert(BLOBS), blobs)
            companions.pair(session, list(ids.values()))  # a RAW under its JPEG, a Live Photo
            self._score_categories(session, batch, ids, now)
            write_batch_text(
                session, [(a.path, a.text) for a in batch if a.moved_from is None], ids
            )
            self._write_faces(session, batch, ids, now)  # before albums: a rule may name people
            if ids:
                write_members(session, list(ids.values()), self.rules)
            _unscanned(session, batch, rows.updates)
            back = [row["id"] for row in rows.moves] + [row["id"] for row in rows.updates]
            _returned(session, back)
            if then is not None:
                then(session, written)
        self._committed([row["id"] for row in rows.moves] + list(ids.values()))
        return written

    def _committed(self, photo_ids: list[int]) -> None:
        if self.categories is not None:  # the features, once their photos are committed
            self.categories.store()
        if self.landed is not None:
            self.landed(photo_ids)

    def _write_faces(
        self, session: Session, batch: Sequence[Analysis], ids: Mapping[str, int], now: float
    ) -> None:
        if self.faces is not None:  # the face pass's faces and people, in the batch's transaction
            self.faces.write(session, faces_of(batch, ids), now)

    def _regroup(self, session: Session, photo_ids: list[int]) -> None:
        write_members(session, photo_ids, self.rules)

    def _score_categories(
        self, session: Session, batch: Sequence[Analysis], ids: Mapping[str, int], now: float
    ) -> None:
        if self.categories is None:
            return
        fresh = [a for a in batch if a.path in ids and a.error is None]
        fresh = [a for a in fresh if a.embedding is not None and a.probabilities is not None]
        if fresh:
            self.categories.score(
                session,
                [ids[a.path] for a in fresh],
                np.stack([a.embedding for a in fresh]),  # type: ignore[misc]
                np.stack([a.probabilities for a in fresh]),  # type: ignore[misc]
                now,
            )

    def finish(self) -> None:
        """After a run: retrain the categories the run made stale (another model, a new basis)."""
        if self.categories is not None:
            self.categories.finish()

    def _rows(
        self, batch: Sequence[Analysis], known: Mapping[str, int], written: Written, now: float
    ) -> _Rows:
        rows = _Rows()
        for a in batch:
            if a.moved_from is not None:
                rows.moves.append(
                    {"id": a.moved_from, "path": a.path, "size": a.size, "mtime": a.mtime,
                     "status": OK, "indexed_at": now}
                )  # fmt: skip
                written.moved += 1
                continue
            row = self._record(a, now)
            rows.labels[a.path] = self._labels(a)
            if a.error is None and a.embedding is not None:
                embedding = a.embedding.astype("<f4").tobytes()
                rows.blobs[a.path] = {"thumbnail": a.thumbnail, "embedding": embedding}
            existing = known.get(a.path)
            if existing is None:
                rows.inserts.append(row)
                written.added += a.error is None
            else:
                rows.updates.append({"id": existing, **row})
                written.updated += a.error is None
            written.failed += a.error is not None
        return rows

    def _record(self, a: Analysis, now: float) -> dict[str, Any]:
        """Every column a (re-)analysed file sets; a failed file clears what it no longer has."""
        row: dict[str, Any] = {
            "path": a.path, "size": a.size, "mtime": a.mtime, "sha256": a.sha256,
            "indexed_at": now, "status": OK, "error": None,
            "model": None, "engine": None, "dhash": None, "colours": None,
            "width": None, "height": None, "format": None, "taken_at": None, "orientation": None,
            "camera_make": None, "camera_model": None, "gps_lat": None, "gps_lon": None,
            "gps_alt": None, "taken_at_offset": None, "time_source": None, "warnings": None,
            "place": None, "albums_digest": self.rules.digest,  # grouped in the same transaction
            "kind": a.kind, "duration": a.duration, "codec": a.codec,
            "companion_of": None, "content_id": None, "motion_path": None, "motion_offset": None,
            "xmp_keywords": None, "xmp_rating": None, "xmp_title": None,
        }  # fmt: skip
        if a.error is not None:
            row.update(status=FAILED, error=a.error.message)
            return row
        assert self.classifier is not None, "only moves are written without a classifier"
        row.update(
            model=self.classifier.spec.name,
            engine=self.classifier.engine.name,
            dhash=a.dhash,
            colours=a.colours,
        )
        if a.meta is not None:
            m = a.meta
            row.update(
                width=m.width, height=m.height, format=m.format, taken_at=m.taken_at,
                taken_at_offset=m.taken_at_offset, time_source=m.time_source,
                orientation=m.orientation, camera_make=m.camera_make,
                camera_model=m.camera_model, gps_lat=m.gps_lat, gps_lon=m.gps_lon,
                gps_alt=m.gps_alt, warnings="\n".join(m.warnings) or None, place=_place(m),
                content_id=m.content_id, motion_offset=m.motion_offset,
            )  # fmt: skip
        if a.xmp is not None:  # what digiKam, darktable or Lightroom said of it
            row.update(xmp_columns(a.xmp))
        if a.xmp_warnings:
            row["warnings"] = "\n".join(filter(None, (row["warnings"], *a.xmp_warnings)))
        if row["taken_at"] is None:  # the name's date, else the file's, stands in and says so
            taken, source = fallback_time(Path(a.path).name, a.mtime)
            row.update(taken_at=taken, time_source=source)
        return row

    def _labels(self, a: Analysis) -> list[dict[str, Any]]:
        if a.probabilities is None:
            return []
        assert self.classifier is not None, "only moves are written without a classifier"
        return [
            {"rank": p.rank, "class_index": p.index, "wnid": p.wnid, "probability": p.probability}
            for p in self.classifier.top_k(a.probabilities, TOP_LABELS)
        ]

    def remember_roots(self, roots: Sequence[Path]) -> None:
        """Record the folders indexed: only files inside them are ever served back."""
        now = time.time()
        with self.sessions.begin() as session:
            for root in roots:
                path = str(root.absolute())
                if session.get(Root, path) is None:
                    session.add(Root(path=path, indexed_at=now))
                else:
                    session.execute(update(Root).where(Root.path == path).values(indexed_at=now))

    def mark_missing(self, ids: Sequence[int]) -> int:
        """Mark these photos missing (their files are gone); returns how many.

        Each goes to the trash ("vanished"), its labels, corrections, album and category
        rows kept, so that it comes back whole when its file does (``_returned``).
        """
        if not ids:
            return 0
        now = time.time()
        trashed: list[int] = []
        with self.sessions.begin() as session:
            claim_photos(session, ids)
            # In slices: a whole unplugged drive can vanish, and PostgreSQL takes at most
            # 65,535 parameters a statement.
            for start in range(0, len(ids), MISSING_CHUNK):
                chunk = ids[start : start + MISSING_CHUNK]
                session.execute(update(Photo).where(Photo.id.in_(chunk)).values(status=MISSING))
                companions.release(session, chunk)  # a vanished JPEG's RAW is its own again
                newly = session.scalars(
                    update(Photo)
                    .where(Photo.id.in_(chunk), Photo.trashed_at.is_(None))
                    .values(trashed_at=now, trashed_by=None, trash_reason=TRASH_VANISHED)
                    .returning(Photo.id)
                )
                trashed += newly
            if trashed:
                subject = activity.photos_subject(trashed)
                activity.record(session, None, activity.TRASH_VANISHED, subject)
        return len(ids)


def _unscanned(session: Session, batch: Sequence[Analysis], updates: list[dict[str, Any]]) -> None:
    """Changed files whose faces were not looked for (the second phase's) lose their face
    scan's record, so that ``people.scan`` looks at them again."""
    unseen = {a.path for a in batch if a.faces is None}
    ids = [row["id"] for row in updates if row["path"] in unseen]
    if ids:
        session.execute(delete(FaceScan).where(FaceScan.photo_id.in_(ids)))


def _returned(session: Session, ids: Sequence[int]) -> None:
    """Photos whose vanished file is back (moved, or copied back) leave the trash, whole."""
    if not ids:
        return
    back = list(
        session.scalars(
            update(Photo)
            .where(Photo.id.in_(ids), Photo.trash_reason == TRASH_VANISHED)
            .values(trashed_at=None, trashed_by=None, trash_reason=None)
            .returning(Photo.id)
        )
    )
    if back:
        activity.record(session, None, activity.TRASH_RETURNED, activity.photos_subject(back))


def _mark_uploads(session: Session, new: Mapping[str, int]) -> None:
    """New photos that came in through an upload get its uploader (and a guest's share link),
    and the upload its photo: the mark that lets the trash delete the file smartalbum wrote."""
    found = session.execute(_STORED_AT, {"paths": list(new)}).all()
    if not found:
        return
    # Core statements run once for many rows: the ORM's bulk updates cost three times as much.
    rows = [{"upload": id_, "photo": new[str(path)], "owner": owner, "link": link}
            for id_, path, owner, link in found]  # fmt: skip
    session.execute(_MARK_PHOTO, rows)
    session.execute(_MARK_UPLOAD, rows)


UPLOADS = table(Upload)
_STORED_AT = select(UPLOADS.c.id, UPLOADS.c.path, UPLOADS.c.owner, UPLOADS.c.link_id).where(
    UPLOADS.c.path.in_(bindparam("paths", expanding=True)), UPLOADS.c.status == STORED
)
_MARK_PHOTO = (
    update(PHOTOS)
    .where(PHOTOS.c.id == bindparam("photo"))
    .values(uploaded_by=bindparam("owner"), upload_link_id=bindparam("link"))
)
_MARK_UPLOAD = (
    update(UPLOADS).where(UPLOADS.c.id == bindparam("upload")).values(photo_id=bindparam("photo"))
)


def _place(meta: PhotoMetadata) -> str | None:
    """The nearest town of a photo with GPS, as the catalog stores it."""
    # Looked up in the writer: one geocoder a run (~1 s and ~130 MB to load), not one in
    # every worker process.
    if meta.gps_lat is None or meta.gps_lon is None:
        return None
    return stored_place.encode(geocoder().lookup(meta.gps_lat, meta.gps_lon))
