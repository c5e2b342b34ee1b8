"""A library's categories, wired to its albums: a change of membership regroups the photo."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartalbum.albums import membership
from smartalbum.categories.space import Space
from smartalbum.categories.store import Categories, CategoryReads
from smartalbum.library.service import PhotoLibrary
from smartalbum.settings import Settings


def library_url(library: PhotoLibrary, settings: Settings) -> str:
    """The library as a URL string (the features folder is named after it)."""
    if library.engine is None:
        return str(settings.library)
    return library.engine.url.render_as_string(hide_password=False)


def categories_of(
    library: PhotoLibrary, settings: Settings, model: str | None = None
) -> Categories:
    """The categories of a library in the feature space of ``model`` (default: the settings')."""

    def regroup(session: Session, photo_ids: list[int]) -> None:
        membership.write_members(session, photo_ids, library.rules)

    space = Space(
        library.sessions, settings, library_url(library, settings), model or settings.model
    )
    return Categories(library.sessions, space, regroup)


def category_reads(library: PhotoLibrary, settings: Settings) -> CategoryReads:
    """What pages and commands show of the library's categories."""
    return CategoryReads(categories_of(library, settings))
