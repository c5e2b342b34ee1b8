"""The place a photo was taken, as the catalog stores it: one JSON text of seven names.

The one home of that text: its keys, how it is written, how it is read back and how a
query names it. Everything that shows or searches places goes through here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from smartalbum.places.geocoding import NAME_KEYS, Place
from smartalbum.text import fold_name, has_chinese, name_matches

KEYS = NAME_KEYS


def encode(place: Place | None) -> str | None:
    """The stored text of a place: its names only (the coordinates live with the photo)."""
    if place is None:
        return None
    return json.dumps(place.to_dict(), ensure_ascii=False)


def parse(raw: str | None) -> dict[str, Any] | None:
    """A stored place read back: the seven name keys, or None (none stored, or a damaged row)."""
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    return {key: found.get(key) for key in KEYS}


def matches(place: Mapping[str, Any], text: str) -> bool:
    """Whether a query names this place: "Sapporo", "japan", "北海道", "日本北海道"."""
    query = fold_name(text)
    if not query:
        return False
    if has_chinese(query):
        query = query.replace(" ", "")
        country, region, city = (place.get(k) or "" for k in ("country_zh", "region_zh", "city_zh"))
        return any(query in name for name in (country + region + city, country + city) if name)
    english = fold_name(" ".join(place.get(k) or "" for k in ("city", "region", "country")))
    parts = [part.strip() for part in query.split(",") if part.strip()]
    return bool(parts) and all(name_matches(part, english) for part in parts)
