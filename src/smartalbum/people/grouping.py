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


class FaceIndex:
    """The library's faces in memory: id, embedding and person (-1: none) of each.

    Kept in arrays that grow by doubling, with each face's squared length: placing a face
    among 100,000 is one matrix-vector product, a few milliseconds.
    """

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.rejected: dict[int, set[int]] = {}  # face -> people it was taken out of
        self._row_of: dict[int, int] = {}
        self._data = np.zeros((64, 128), np.float32)
        self._squares = np.zeros(64, np.float32)
        self._people = np.full(64, -1, np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def matrix(self) -> np.ndarray:
        """Every embedding, one row a face."""
        return self._data[: len(self.ids)]

    @property
    def people(self) -> list[int]:
        """Each face's person, -1 for none, in the order of ``ids``."""
        found: list[int] = self._people[: len(self.ids)].tolist()
        return found

    def add(self, face_id: int, vector: np.ndarray, person: int | None) -> None:
        """Put one face in the index."""
        row = len(self.ids)
        if row == len(self._data):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])
            self._squares = np.concatenate([self._squares, np.zeros_like(self._squares)])
            self._people = np.concatenate([self._people, np.full_like(self._people, -1)])
        vector = np.asarray(vector, np.float32)
        self._data[row] = vector
        self._squares[row] = float(vector @ vector)
        self._people[row] = -1 if person is None else person
        self.ids.append(face_id)
        self._row_of[face_id] = row

    def place(self, face_id: int, vector: np.ndarray) -> tuple[int | None, list[int]]:
        """Where a new face goes: (its person or None, unplaced faces that go with it).

        The face is added to the index either way. Partners without a person: the caller
        makes a new person of the face and its partners; with one, the partners join it
        too. Either way the caller then calls ``settle``.
        """
        person: int | None = None
        partners: list[int] = []
        vector = np.asarray(vector, np.float32)
        if len(self):
            count = len(self.ids)
            squared = self._squares[:count] + float(vector @ vector) - 2.0 * (self.matrix @ vector)
            near = np.sqrt(np.maximum(squared, 0.0))
            person, partners = self._nearest(face_id, vector, near)
        self.add(face_id, vector, person)
        return person, partners

    def _nearest(
        self, face_id: int, vector: np.ndarray, near: np.ndarray
    ) -> tuple[int | None, list[int]]:
        people = self._people[: len(self.ids)]
        close = np.nonzero(near < JOIN)[0]
        refused = self.rejected.get(face_id, set())
        candidates = {int(p) for p in people[close] if p >= 0} - refused
        best, best_distance = None, CENTRE
        for person in candidates:
            # The person's mean face, not only its nearest one: a stranger who happens to be
            # near one face of a person is far from the person as a whole.
            centre = self.matrix[people == person].mean(0)
            distance = float(np.sqrt(((centre - vector) ** 2).sum()))
            if distance < best_distance:
                best, best_distance = person, distance
        if best is not None:
            return best, []
        pairs = close[(near[close] < PAIR) & (people[close] < 0)]
        return None, [self.ids[row] for row in pairs[np.argsort(near[pairs])]]

    def forget(self, face_ids: set[int]) -> None:
        """Take these faces out of the index (their photo was scanned again, or deleted)."""
        keep = [row for row, face_id in enumerate(self.ids) if face_id not in face_ids]
        self._data = self._data[keep] if keep else np.zeros((64, 128), np.float32)
        self._squares = self._squares[keep] if keep else np.zeros(64, np.float32)
        self._people = self._people[keep] if keep else np.full(64, -1, np.int64)
        self.ids = [self.ids[row] for row in keep]
        self._row_of = {face_id: row for row, face_id in enumerate(self.ids)}
        for face_id in face_ids:
            self.rejected.pop(face_id, None)

    def settle(self, face_ids: Sequence[int], person: int) -> None:
        """Record that these faces now belong to ``person``."""
        for face_id in face_ids:
            row = self._row_of.get(face_id)
            if row is not None:
                self._people[row] = person


Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # i, j, distance


def neighbours(vectors: np.ndarray, link: float = LINK) -> Pairs:
    """Pairs (i, j), i < j, of faces nearer than ``link``, with their distances (compared by
    cells past EXACT_UP_TO faces)."""
    count = len(vectors)
    if count <= EXACT_UP_TO:
        return _pairs_within(vectors, np.arange(count), np.arange(count), link)
    return _pairs_by_cells(vectors, link)


def _pairs_within(
    vectors: np.ndarray, rows: np.ndarray, cols: np.ndarray, link: float, upper: bool = True
) -> Pairs:
    """Pairs of ``rows`` x ``cols`` nearer than ``link``, compared a block of rows at a time;
    ``upper``: only i < j (rows and cols the same faces), else every i != j."""
    block = 2048
    found_i, found_j, found_d = [], [], []
    for start in range(0, len(rows), block):
        part = rows[start : start + block]
        near = distances(vectors[part], vectors[cols])
        i, j = np.nonzero(near < link)
        d = near[i, j]
        i, j = part[i], cols[j]
        keep = i < j if upper else i != j
        found_i.append(i[keep])
        found_j.append(j[keep])
        found_d.append(d[keep])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)


def _pairs_by_cells(vectors: np.ndarray, link: float) -> Pairs:
    """Close pairs among many faces: a coarse k-means partition, each face compared within
    its own cell and the next nearest (an inverted file, as in FAISS's IVF)."""
    rng = np.random.default_rng(0)
    cells = max(2, len(vectors) // CELLS_PER_FACE)
    centres = vectors[rng.choice(len(vectors), cells, replace=False)].copy()
    for _ in range(4):  # a few rounds of k-means are enough for a partition
        home = _nearest_cells(vectors, centres, 1)[:, 0]
        sums = np.zeros_like(centres)
        np.add.at(sums, home, vectors)
        sizes = np.bincount(home, minlength=cells)[:, None]
        centres = np.where(sizes > 0, sums / np.maximum(sizes, 1), centres)
    probes = _nearest_cells(vectors, centres, PROBES)
    home = probes[:, 0]
    by_home = np.argsort(home, kind="stable")
    home_starts = np.searchsorted(home[by_home], np.arange(cells + 1))
    found_i, found_j, found_d = [], [], []
    for cell in range(cells):
        rows = by_home[home_starts[cell] : home_starts[cell + 1]]
        cols = np.nonzero((probes == cell).any(1))[0]
        if len(rows) and len(cols):
            i, j, d = _pairs_within(vectors, rows, cols, link, upper=False)
            found_i.append(np.minimum(i, j))
            found_j.append(np.maximum(i, j))
            found_d.append(d)
    count = len(vectors)
    keys = np.concatenate(found_i) * count + np.concatenate(found_j)
    keys, first = np.unique(keys, return_index=True)  # once a pair
    return keys // count, keys % count, np.concatenate(found_d)[first]


def _nearest_cells(vectors: np.ndarray, centres: np.ndarray, count: int) -> np.ndarray:
    out = []
    for start in range(0, len(vectors), 8192):
        near = distances(vectors[start : start + 8192], centres)
        nearest = np.argpartition(near, count - 1, axis=1)[:, :count]
        order = np.take_along_axis(near, nearest, 1).argsort(1)
        out.append(np.take_along_axis(nearest, order, 1))
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
        span = int(labels.max()) + 1
        keys, inverse = np.unique(s * span + label, return_inverse=True)  # (face, label) as one
        votes = np.bincount(inverse.ravel(), weights=weight[take])
        faces, voted = keys // span, keys % span  # sorted by face, then label
        # The label with most votes for each face: the keys come grouped by face.
        starts = np.r_[0, np.nonzero(faces[1:] != faces[:-1])[0] + 1]
        top = np.maximum.reduceat(votes, starts)
        winner = votes == np.repeat(top, np.diff(np.r_[starts, len(votes)]))
        changed = labels.copy()
        changed[faces[winner]] = voted[winner]  # a tie: the last (highest) label wins
        moved = int((changed != labels).sum())
        labels = changed
        if moved <= count // 1000:  # settled: what still moves is a face or two in a tie
            break
    return labels


def regroup(vectors: np.ndarray, seeds: np.ndarray | None = None, link: float = LINK) -> np.ndarray:
    """A group for each face (-1: alone, or in a group smaller than MIN_PERSON).

    Groups holding a seed are numbered ``count + seed``; the others from 0.
    """
    count = len(vectors)
    if count == 0:
        return np.zeros(0, np.int64)
    vectors = np.asarray(vectors, np.float32)
    i, j, near = neighbours(vectors, link)
    labels = whispers(count, i, j, (link - near) / link, seeds)
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    small = sizes[inverse] < MIN_PERSON
    seeded = labels >= count
    labels[small & ~seeded] = -1
    return labels
