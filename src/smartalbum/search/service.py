"""A search of the library as the web and the command line answer it: photos, best first."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from smartalbum.catalog import Photo
from smartalbum.errors import RequestError
from smartalbum.i18n import t
from smartalbum.library.pages import page_of
from smartalbum.library.service import PhotoLibrary
from smartalbum.places import stored as stored_place
from smartalbum.search.interpret import interpret
from smartalbum.search.query import best_labels, find_photos, matching_places


def search(library: PhotoLibrary, text: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """Photos whose labels, groups, albums or places the query names, best first."""
    if not text.strip():
        raise RequestError(t("give something to search for, e.g. 'cat' or '猫'"))
    rules = library.rules
    wanted = interpret(text, library.labels, library.groups, rules)
    with library.sessions() as session:
        wanted = dataclasses.replace(wanted, places=matching_places(session, text))
        hits = find_photos(session, wanted)
        page = page_of(hits, offset, limit)
        ids = [photo_id for photo_id, _ in page]
        found = session.execute(select(Photo.id, Photo.path, Photo.place).where(Photo.id.in_(ids)))
        rows = {photo_id: (path, place) for photo_id, path, place in found}
        why = best_labels(session, ids, wanted, rules)
    photos = []
    for photo_id, score in page:
        path, place = rows[photo_id]
        c = library.labels[why[photo_id]] if photo_id in why else None  # found by place alone
        photos.append(
            {
                "id": photo_id,
                "path": path,
                "score": score,
                "label": c.en if c else None,
                "label_zh": c.zh if c else None,
                "wnid": c.wnid if c else None,
                # where it was taken, when that is what the query named
                "place": stored_place.parse(place) if place in wanted.places else None,
            }
        )
    return {
        "query": text,
        "groups": list(wanted.groups),
        "albums": list(wanted.albums),
        "places": [stored_place.parse(raw) for raw in wanted.places],
        "total": len(hits),
        "offset": offset,
        "photos": photos,
    }
