"""Faces into people, without being told how many: a graph of close faces, then Chinese whispers.

Two faces are joined when their embeddings are nearer than ``LINK`` (dlib's ResNet puts
nine in ten of a person's pairs within 0.54, and 99 in 100 of different people's beyond 0.61;
docs/people.md has the distributions measured on the shared set). Chinese whispers then
lets each face take the person most of its neighbours hold, so a blurred face that sits
between two people does not weld them into one (as connected components would).

The library keeps in step one photo at a time (``FaceIndex.place``): a new face joins,
among the people with a face within ``JOIN`` of it, the one whose mean face is nearest
(within ``CENTRE``), unless it was taken out of that person; else it starts a person with
the unplaced faces near it. Nothing else moves. (Joining the nearest face's person alone
chains: on the shared set in folder order, where one person's photos come together as a
day's do, it welded people together, pairwise precision 0.85 against 0.99.) ``regroup`` redoes the
whole library, keeping every named person's confirmed faces where the user put them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

LINK = 0.55  # faces this close are joined in the graph (regroup)
JOIN = 0.55  # a new face may join the people of the faces this close to it ...
CENTRE = 0.5  # ... the one whose mean face is nearest, if this close
PAIR = 0.5  # unplaced faces this close start a new person together
MIN_PERSON = 2  # faces a group needs to become a person
EXACT_UP_TO = 20_000  # faces compared all with all; past this, within nearby cells only
CELLS_PER_FACE = 400  # faces a cell holds on average (the coarse partition past EXACT_UP_TO)
PROBES = 3  # cells a face is compared within
ROUNDS = 12  # Chinese whispers' rounds


def distances(vectors: np.ndarray, to: np.ndarray) -> np.ndarray:
    """Euclidean distances from each of ``vectors`` to each of ``to``."""
    squared = (vectors**2).sum(1)[:, None] + (to**2).sum(1)[None, :] - 2.0 * vectors @ to.T
    found: np.ndarray = np.sqrt(np.maximum(squared, 0.0))
    return found


@dataclass
class FaceIndex:
    """The library's faces in memory: id, embedding and person (-1: none) of each."""

    ids: list[int] = field(default_factory=list)
    people: list[int] = field(default_factory=list)
    rejected: dict[int, set[int]] = field(default_factory=dict)  # face -> people it left
    _rows: list[np.ndarray] = field(default_factory=list)
    _matrix: np.ndarray | None = None
    _vector: np.ndarray = field(default_factory=lambda: np.zeros(128, np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, face_id: int, vector: np.ndarray, person: int | None) -> None:
        """Put one face in the index."""
        self.ids.append(face_id)
        self.people.append(-1 if person is None else person)
        self._rows.append(np.asarray(vector, np.float32))
        self._matrix = None

    @property
    def matrix(self) -> np.ndarray:
        """Every embedding, one row a face."""
        if self._matrix is None:
            self._matrix = np.stack(self._rows) if self._rows else np.zeros((0, 128), np.float32)
        return self._matrix

    def place(self, face_id: int, vector: np.ndarray) -> tuple[int | None, list[int]]:
        """Where a new face goes: (its person or None, unplaced faces that go with it).

        The face is added to the index either way. Partners without a person: the caller
        makes a new person of the face and its partners; with one, the partners join it
        too. Either way the caller then calls ``settle``.
        """
        person: int | None = None
        partners: list[int] = []
        if len(self):
            vector = np.asarray(vector, np.float32)
            near = distances(vector[None, :], self.matrix)[0]
            self._vector = vector
            person, partners = self._nearest(face_id, near)
        self.add(face_id, vector, person)
        return person, partners

    def _nearest(self, face_id: int, near: np.ndarray) -> tuple[int | None, list[int]]:
        people = np.asarray(self.people)
        refused = self.rejected.get(face_id, set())
        close = near < JOIN
        candidates = {int(p) for p in people[close & (people >= 0)]} - refused
        best, best_distance = None, CENTRE
        for person in candidates:
            # The person's mean face, not only its nearest one: a stranger who happens to be
            # near one face of a person is far from the person as a whole.
            members = people == person
            centre = self.matrix[members].mean(0)
            distance = float(np.sqrt(((centre - self._vector) ** 2).sum()))
            if distance < best_distance:
                best, best_distance = person, distance
        if best is not None:
            return best, []
        order = np.argsort(near)
        partners = [self.ids[row] for row in order if near[row] < PAIR and people[row] < 0]
        return None, partners

    def forget(self, face_ids: set[int]) -> None:
        """Take these faces out of the index (their photo was scanned again, or deleted)."""
        keep = [row for row, face_id in enumerate(self.ids) if face_id not in face_ids]
        self.ids = [self.ids[row] for row in keep]
        self.people = [self.people[row] for row in keep]
        self._rows = [self._rows[row] for row in keep]
        self._matrix = None
        for face_id in face_ids:
            self.rejected.pop(face_id, None)

    def settle(self, face_ids: Sequence[int], person: int) -> None:
        """Record that these faces now belong to ``person``."""
        wanted = set(face_ids)
        for row, face_id in enumerate(self.ids):
            if face_id in wanted:
                self.people[row] = person


def neighbours(vectors: np.ndarray, link: float = LINK) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, of faces nearer than ``link`` (by cells past EXACT_UP_TO faces)."""
    count = len(vectors)
    if count <= EXACT_UP_TO:
        return _pairs_within(vectors, np.arange(count), np.arange(count), link)
    return _pairs_by_cells(vectors, link)


def _pairs_within(
    vectors: np.ndarray, rows: np.ndarray, cols: np.ndarray, link: float, block: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of ``rows`` x ``cols`` nearer than ``link``, compared a block of rows at a time."""
    found_i, found_j = [], []
    for start in range(0, len(rows), block):
        part = rows[start : start + block]
        near = distances(vectors[part], vectors[cols]) < link
        i, j = np.nonzero(near)
        i, j = part[i], cols[j]
        keep = i < j
        found_i.append(i[keep])
        found_j.append(j[keep])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_i), np.concatenate(found_j)


def _pairs_by_cells(vectors: np.ndarray, link: float) -> tuple[np.ndarray, np.ndarray]:
    """Close pairs among many faces: a coarse k-means partition, each face compared within
    its own cell and the next nearest (an inverted file, as in FAISS's IVF)."""
    rng = np.random.default_rng(0)
    cells = max(2, len(vectors) // CELLS_PER_FACE)
    centres = vectors[rng.choice(len(vectors), cells, replace=False)].copy()
    for _ in range(4):  # a few rounds of k-means are enough for a partition
        home = _nearest_cells(vectors, centres, 1)[:, 0]
        for cell in range(cells):
            members = vectors[home == cell]
            if len(members):
                centres[cell] = members.mean(0)
    probes = _nearest_cells(vectors, centres, PROBES)
    home = probes[:, 0]
    found_i, found_j = [], []
    for cell in range(cells):
        rows = np.nonzero(home == cell)[0]
        cols = np.nonzero((probes == cell).any(1))[0]
        if len(rows) and len(cols):
            i, j = _pairs_within(vectors, rows, cols, link)
            found_i.append(np.minimum(i, j))
            found_j.append(np.maximum(i, j))
    pairs = np.unique(np.stack([np.concatenate(found_i), np.concatenate(found_j)], 1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs[:, 0], pairs[:, 1]


def _nearest_cells(vectors: np.ndarray, centres: np.ndarray, count: int) -> np.ndarray:
    out = []
    for start in range(0, len(vectors), 8192):
        near = distances(vectors[start : start + 8192], centres)
        out.append(np.argsort(near, axis=1)[:, :count])
    return np.concatenate(out)


def whispers(
    count: int,
    i: np.ndarray,
    j: np.ndarray,
    weights: np.ndarray,
    seeds: np.ndarray | None = None,
) -> np.ndarray:
    """Chinese whispers over the graph: a label for each face (faces alone keep their own).

    ``seeds`` (-1 where free) fixes the labels of some faces: the confirmed faces of named
    people, which never move and pull their neighbours along.
    """
    labels = np.arange(count, dtype=np.int64)
    fixed = np.zeros(count, bool)
    if seeds is not None:
        fixed = seeds >= 0
        labels[fixed] = count + seeds[fixed]  # apart from every face's own label
    src = np.concatenate([i, j])
    dst = np.concatenate([j, i])
    weight = np.concatenate([weights, weights])
    rng = np.random.default_rng(0)
    for _ in range(ROUNDS):
        moving = rng.random(count) < 0.5  # half at a time: all at once oscillates
        take = moving[src] & ~fixed[src]
        if not take.any():
            continue
        s, label = src[take], labels[dst[take]]
        keys, inverse = np.unique(np.stack([s, label], 1), axis=0, return_inverse=True)
        votes = np.bincount(inverse.ravel(), weights=weight[take])
        # The label with most votes for each face: sort by (face, votes), keep the last.
        order = np.lexsort((votes, keys[:, 0]))
        keys = keys[order]
        last = np.r_[keys[1:, 0] != keys[:-1, 0], True]
        changed = labels.copy()
        changed[keys[last, 0]] = keys[last, 1]
        if np.array_equal(changed, labels):
            break
        labels = changed
    return labels


def regroup(vectors: np.ndarray, seeds: np.ndarray | None = None, link: float = LINK) -> np.ndarray:
    """A group for each face (-1: alone, or in a group smaller than MIN_PERSON).

    Groups holding a seed are numbered ``count + seed``; the others from 0.
    """
    count = len(vectors)
    if count == 0:
        return np.zeros(0, np.int64)
    vectors = np.asarray(vectors, np.float32)
    i, j = neighbours(vectors, link)
    near = np.sqrt(((vectors[i] - vectors[j]) ** 2).sum(1))
    labels = whispers(count, i, j, (link - near) / link, seeds)
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    small = sizes[inverse] < MIN_PERSON
    seeded = labels >= count
    labels[small & ~seeded] = -1
    return labels
