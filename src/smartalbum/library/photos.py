"""One photo as the library shows it: its facts, its labels with corrections, its albums."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartalbum.albums import RuleSet, membership
from smartalbum.catalog import CONFIRM, SET, Correction, Photo, live
from smartalbum.categories.store import photo_categories
from smartalbum.library import companions
from smartalbum.models.labels import LabelSet
from smartalbum.places import stored as stored_place

_SOURCES = {SET: "set", CONFIRM: "confirmed"}  # where a shown label comes from; else "model"


def class_json(labels: LabelSet, index: int) -> dict[str, Any]:
    """A class as every answer names it: index, wnid, English and Chinese names."""
    c = labels[index]
    return {"index": c.index, "wnid": c.wnid, "label": c.en, "label_zh": c.zh}


def photo_json(session: Session, photo: Photo, labels: LabelSet, rules: RuleSet) -> dict[str, Any]:
    """Everything known of one photo: labels (corrected), albums, EXIF facts and place."""
    corrections = session.scalars(select(Correction).where(Correction.photo_id == photo.id)).all()
    model = [(p.class_index, p.probability) for p in photo.predictions]
    shown = membership.effective_labels(model, [(c.class_index, c.action) for c in corrections])
    sources = {c.class_index: c.action for c in corrections}
    in_albums = membership.photo_albums(session, photo.id)
    return {
        **_facts(photo),
        "labels": [
            {
                "rank": rank,
                **class_json(labels, index),
                "probability": round(p, 4),
                "source": _SOURCES.get(sources.get(index, ""), "model"),
            }
            for rank, (index, p) in enumerate(shown, 1)
        ],
        "corrections": [
            {"action": c.action, "by": c.author, **class_json(labels, c.class_index)}
            for c in corrections
        ],
        "albums": [
            {"id": a.id, "title": a.title, "title_zh": a.title_zh, "score": in_albums[a.id]}
            for a in rules.albums
            if a.id in in_albums
        ],
        "categories": photo_categories(session, photo.id),  # taught ones, beside the labels
        **companions.describe(session, photo),  # its RAW, its Live Photo's MOV; its motion
    }


def photo_cards(
    session: Session, photo_ids: Sequence[int], labels: LabelSet
) -> dict[int, dict[str, Any]]:
    """What a page of photos shows of each (size, date, kind, motion, labels corrected and
    best first, as ``photo_json`` has them), in three queries for the page: live ones only."""
    rows = session.execute(
        select(Photo.id, Photo.width, Photo.height, Photo.taken_at, Photo.kind, Photo.duration,
               Photo.motion_path).where(Photo.id.in_(photo_ids), live())
    ).all()  # fmt: skip
    shown = membership.labels_of(session, [row.id for row in rows])
    return {
        row.id: {
            "id": row.id, "width": row.width, "height": row.height, "taken_at": row.taken_at,
            "kind": row.kind or "photo", "duration": row.duration,
            "motion": row.motion_path is not None,
            "labels": [{**class_json(labels, index), "probability": round(p, 4)}
                       for index, p in shown.get(row.id, [])],
        }
        for row in rows
    }  # fmt: skip


def _facts(photo: Photo) -> dict[str, Any]:
    gps = None
    if photo.gps_lat is not None:
        gps = {"lat": photo.gps_lat, "lon": photo.gps_lon, "alt": photo.gps_alt}
    return {
        "id": photo.id,
        "path": photo.path,
        "name": Path(photo.path).name,
        "width": photo.width,
        "height": photo.height,
        "format": photo.format,
        "taken_at": photo.taken_at,
        "taken_at_offset": photo.taken_at_offset,
        "time_source": photo.time_source,
        "camera": " ".join(p for p in (photo.camera_make, photo.camera_model) if p) or None,
        "gps": gps,
        "place": stored_place.parse(photo.place),
        "model": photo.model,
        "kind": photo.kind or "photo",
        "duration": photo.duration,
        "codec": photo.codec,
        "xmp": {  # what its XMP sidecar or embedded packet says (digiKam, Lightroom…)
            "keywords": photo.xmp_keywords.split("\n") if photo.xmp_keywords else [],
            "rating": photo.xmp_rating,
            "title": photo.xmp_title,
        },
    }
