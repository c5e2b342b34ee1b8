"""The feature matrix (categories/matrix.py) written by several processes at once: the server
and each worker on a machine keep it open, and one of them grows it (a new file) when a photo
id passes its end."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np

from smartalbum.categories.features import Basis
from smartalbum.categories.matrix import FeatureMatrix

DIMENSIONS = 8


def basis() -> Basis:
    """A basis of 8 features (no directions: the centred parts as they are)."""
    return Basis(np.zeros(DIMENSIONS, np.float32), 4, np.zeros((0, DIMENSIONS), np.float32), 1)


def rows(ids: list[int]) -> tuple[list[int], np.ndarray, list[float]]:
    """Each photo's feature all its id, stamped its id + 0.5."""
    features = np.repeat(np.array(ids, np.float32)[:, None], DIMENSIONS, axis=1)
    return ids, features, [i + 0.5 for i in ids]


def test_rows_written_after_another_process_grew_the_files_are_kept(tmp_path: Path) -> None:
    # Two processes' matrices (each its own mapping), both open at 1024 rows.
    first, second = FeatureMatrix(tmp_path, basis()), FeatureMatrix(tmp_path, basis())
    first.write(*rows([0]))
    second.refresh()
    assert first.capacity == second.capacity == 1024
    first.write(*rows([1010, 1500]))  # past the end: a new, larger file
    second.write(*rows([1011, 1012]))  # its mapping is of the file replaced
    second.write(*rows([2000]))  # a grow, from what it had
    stamps = FeatureMatrix(tmp_path, basis()).stamps()
    assert {i: stamps[i] for i in (0, 1010, 1011, 1012, 1500, 2000)} == {
        i: i + 0.5 for i in (0, 1010, 1011, 1012, 1500, 2000)
    }


def _write_every(folder: Path, ids: list[int]) -> None:
    matrix = FeatureMatrix(folder, basis())
    for start in range(0, len(ids), 16):
        matrix.write(*rows(ids[start : start + 16]))


def test_processes_writing_and_growing_at_once_lose_no_row(tmp_path: Path) -> None:
    FeatureMatrix(tmp_path, basis()).write(*rows([0]))
    ids = list(range(1, 6000))
    shares = [ids[n::3] for n in range(3)]  # interleaved: each grows the files in turn
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_every, args=(tmp_path, s)) for s in shares]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    matrix = FeatureMatrix(tmp_path, basis())
    stamps = matrix.stamps()
    lost = [i for i in [0, *ids] if stamps[i] != i + 0.5]
    assert lost == []
    assert np.array_equal(matrix.rows([2000])[0], np.full(DIMENSIONS, 2000, np.float32))
