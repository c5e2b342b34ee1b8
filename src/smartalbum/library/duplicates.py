"""Duplicates in the catalog: exact (same sha256) and near (resized or re-encoded copies).

A near copy has a close difference hash (at most ``MAX_HASH_DISTANCE`` of 64 bits)
and a similar model embedding (cosine at least ``MIN_SIMILARITY``), or an almost
equal embedding alone (``SAME_CONTENT``). Measured on the 1000 distinct sample
photos: 31 pairs have hashes within 8 bits, but none of them has an embedding
similarity above 0.44, and no two samples exceed 0.75; a half-size WebP copy of a
sample is 2 bits and 0.82 away from its original.

Copies of one photo are one group: a near group holds every exact copy of its members (an
original, its byte copy and a re-encode are one group of three, not two that overlap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import Photo, PhotoBlob, live

MAX_HASH_DISTANCE = 8
MIN_SIMILARITY = 0.6
SAME_CONTENT = 0.95
_BLOCK = 1024


@dataclass(frozen=True)
class DuplicateGroup:
    """Paths that hold the same photo; ``similarity`` is 1.0 for byte-identical files."""

    kind: str  # "exact" or "near"
    paths: list[str]
    similarity: float


def exact_duplicates(session: Session) -> list[DuplicateGroup]:
    """Groups of catalogued files with the same content hash."""
    shared = select(Photo.sha256).where(live()).group_by(Photo.sha256).having(func.count() > 1)
    groups: dict[str, list[str]] = {}
    rows = session.execute(select(Photo.sha256, Photo.path).where(Photo.sha256.in_(shared), live()))
    # Sorted here, not in SQL: the database's collation would decide the order there.
    for sha, path in sorted(rows, key=lambda row: row.path):
        groups.setdefault(sha or "", []).append(path)
    return [DuplicateGroup("exact", paths, 1.0) for paths in groups.values()]


def near_duplicates(session: Session) -> list[DuplicateGroup]:
    """Groups of different files that show the same picture."""
    rows = sorted(  # by path: the same representatives whatever the database's row order
        session.execute(
            select(Photo.path, Photo.sha256, PhotoBlob.embedding, Photo.dhash)
            .join(PhotoBlob, PhotoBlob.photo_id == Photo.id)
            .where(live(), PhotoBlob.embedding.is_not(None), Photo.dhash.is_not(None))
        ),
        key=lambda row: row.path,
    )
    # One representative per content hash, compared; a group then lists all its copies.
    unique: dict[str, tuple[str, bytes, str]] = {}
    copies: dict[str, list[str]] = {}
    for path, sha, embedding, dhash in rows:
        unique.setdefault(sha or path, (path, embedding or b"", dhash or "0"))
        copies.setdefault(unique[sha or path][0], []).append(path)
    if len(unique) < 2:
        return []
    paths = [p for p, _, _ in unique.values()]
    vectors = np.stack([np.frombuffer(e, dtype="<f4") for _, e, _ in unique.values()])
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    hashes = np.array([int(h, 16) for _, _, h in unique.values()], dtype=np.uint64)
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1).astype(np.float32)
    parent = list(range(len(paths)))
    weakest: dict[int, float] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for start in range(0, len(paths), _BLOCK):
        block = slice(start, start + _BLOCK)
        similarity = vectors[block] @ vectors.T
        # Hamming distance from dot products of the bit vectors: a + b - 2ab.
        ones = bits.sum(axis=1)
        distance = ones[block, None] + ones[None, :] - 2 * (bits[block] @ bits.T)
        near = ((distance <= MAX_HASH_DISTANCE) & (similarity >= MIN_SIMILARITY)) | (
            similarity >= SAME_CONTENT
        )
        for a, b in zip(*np.nonzero(near), strict=True):
            i, j = start + int(a), int(b)
            if i < j:
                ri, rj = root(i), root(j)
                keep = min(ri, rj)
                parent[max(ri, rj)] = keep
                score = float(similarity[a, b])
                weakest[keep] = min(weakest.get(ri, 1.0), weakest.get(rj, 1.0), score)
    groups: dict[int, list[str]] = {}
    for i, path in enumerate(paths):
        groups.setdefault(root(i), []).append(path)
    return [  # two pictures at least: byte copies of one are an exact group, not a near one
        DuplicateGroup(
            "near", sorted(p for rep in reps for p in copies[rep]), round(weakest.get(r, 1.0), 4)
        )
        for r, reps in groups.items()
        if len(reps) > 1
    ]


def find_duplicates(sessions: sessionmaker[Session]) -> list[DuplicateGroup]:
    """Exact groups first, then near ones; an exact group inside a near one is merged there."""
    with sessions() as session:
        near = near_duplicates(session)
        in_near = {path for group in near for path in group.paths}
        exact = [g for g in exact_duplicates(session) if not in_near.intersection(g.paths)]
        return exact + near
