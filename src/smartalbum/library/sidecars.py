"""Write-back to XMP sidecars: each photo's labels (above a threshold, corrections applied),
albums (smart ones and those people made), in English and Chinese, and favourites as a
rating, merged into ``photo.jpg.xmp`` for digiKam, darktable and Lightroom (smartalbum.xmp
does the merging; nothing another tool wrote is lost).

A favourite is rated five stars when anyone put a heart on it: a file has one rating, and
a heart in a shared library marks a keeper. Runs when asked (``smartalbum xmp write``) and,
with ``SMARTALBUM_XMP_WRITE`` on, after each correction, heart and album change, and for
photos as they are indexed (``landing``: after each written batch of an index, an import or
the uploads' run, after a distributed run, and after a later pass moved photos between
albums). A folder that cannot be written to is that photo's warning, never an error.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.albums.membership import CHUNK, labels_of
from smartalbum.catalog import AlbumMember, Photo, live
from smartalbum.catalog.schema import Favourite, UserAlbum, UserAlbumPhoto
from smartalbum.models.labels import LabelSet, load_labels
from smartalbum.settings import Settings
from smartalbum.xmp import XmpError, sidecar_path, write_sidecar

log = logging.getLogger(__name__)

# Told the ids of photos just written (indexed, moved, regrouped); see ``landing``.
Landed = Callable[[Sequence[int]], None]


class Catalog(Protocol):
    """What a write-back reads: a PhotoLibrary, or ``Keywords`` beside an indexer."""

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The catalog's sessions."""

    @property
    def labels(self) -> LabelSet:
        """The label names (English and Chinese)."""

    @property
    def rules(self) -> RuleSet:
        """The album rules, for the albums' titles."""


@dataclass(frozen=True)
class Keywords:
    """A catalog and the names of its labels and albums, without a PhotoLibrary."""

    sessions: sessionmaker[Session]
    labels: LabelSet
    rules: RuleSet


@dataclass
class SidecarReport:
    """How a write-back went: sidecars written, and each photo that could not have one."""

    written: int = 0
    warnings: list[str] = field(default_factory=list)


def keywords_of(
    library: Catalog, photo_ids: Sequence[int], threshold: float
) -> dict[int, list[tuple[str, str]]]:
    """(branch, keyword) of each photo: its labels at ``threshold`` or above, its albums."""
    titles = {a.id: (a.title, a.title_zh) for a in library.rules.albums}
    words: dict[int, list[tuple[str, str]]] = defaultdict(list)
    with library.sessions() as session:
        labels = labels_of(session, photo_ids)
        rows = session.execute(
            select(AlbumMember.photo_id, AlbumMember.album_id).where(
                AlbumMember.photo_id.in_(photo_ids)
            )
        ).all()
        made = session.execute(  # once for the chunk, not once a photo
            select(UserAlbumPhoto.photo_id, UserAlbum.title, UserAlbum.title_zh)
            .join(UserAlbum, UserAlbum.id == UserAlbumPhoto.album_id)
            .where(UserAlbumPhoto.photo_id.in_(photo_ids))
            .order_by(UserAlbum.id)
        ).all()
    for photo_id in photo_ids:
        for index, probability in labels.get(photo_id, []):
            if probability >= threshold:
                name = library.labels[index]
                words[photo_id] += [("labels", name.en), ("labels", name.zh)]
    for photo_id, album_id in sorted(rows):
        if album_id in titles:
            words[photo_id] += [("albums", titles[album_id][0]), ("albums", titles[album_id][1])]
    for photo_id, title, title_zh in made:
        words[photo_id] += [("albums", name) for name in (title, title_zh) if name]
    return words


def hearted(library: Catalog, photo_ids: Sequence[int]) -> set[int]:
    """Those of these photos that anyone put a heart on."""
    with library.sessions() as session:
        query = select(Favourite.photo_id).where(Favourite.photo_id.in_(photo_ids)).distinct()
        return set(session.scalars(query))


def write_back(
    library: Catalog, settings: Settings, photo_ids: Sequence[int] | None = None
) -> SidecarReport:
    """Write the sidecars of these photos (all present ones when None)."""
    report = SidecarReport()
    with library.sessions() as session:
        query = select(Photo.id, Photo.path).where(live())
        if photo_ids is not None:
            query = query.where(Photo.id.in_(photo_ids))
        paths: dict[int, str] = {photo_id: path for photo_id, path in session.execute(query)}
    ids = sorted(paths)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        words = keywords_of(library, chunk, settings.xmp_threshold)
        hearts = hearted(library, chunk)
        for photo_id in chunk:
            target = sidecar_path(Path(paths[photo_id]), settings.xmp_naming)
            try:
                write_sidecar(target, words.get(photo_id, []), favourite=photo_id in hearts)
                report.written += 1
            except XmpError as exc:
                report.warnings.append(exc.message)
            except OSError as exc:
                report.warnings.append(f"{target}: {exc.strerror or exc}")
    return report


def landing(settings: Settings, sessions: sessionmaker[Session], rules: RuleSet) -> Landed | None:
    """With SMARTALBUM_XMP_WRITE on, what writes the sidecars of photos as they land (each
    photo's failure logged, never the indexing's); None when it is off."""
    if not settings.xmp_write:
        return None
    catalog = Keywords(sessions, load_labels(overrides=settings.labels_file), rules)

    def landed(photo_ids: Sequence[int]) -> None:
        if photo_ids:
            for warning in write_back(catalog, settings, photo_ids).warnings:
                log.warning("XMP sidecar not written: %s", warning)

    return landed
