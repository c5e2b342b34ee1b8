"""The text pass's reader processes: as many as fit in the index's memory budget, a core each
at most, and every photo's lines the same whichever process reads it. Real readers (PP-OCR on
OpenVINO) in real processes, over photos of the text set."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from smartalbum.bench.text_set import Sample, fonts_missing, make_set
from smartalbum.ocr import lanes
from smartalbum.ocr.backfill import read_file
from smartalbum.ocr.lanes import Lanes, fitting, tree_mb
from smartalbum.ocr.reader import TextReader

pytestmark = pytest.mark.skipif(bool(fonts_missing()), reason="needs fonts-noto-cjk, dejavu")


@pytest.fixture(scope="module")
def said(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Eight photos of the text set (six say something), as paths."""
    folder = tmp_path_factory.mktemp("said")
    made: list[Sample] = make_set(samples, folder, count=6, seed=5)
    return [str(folder / sample.file) for sample in made]


def test_as_many_readers_as_fit_beside_the_others_and_in_free_memory() -> None:
    assert fitting(most=8, budget_mb=1024, others_mb=390, free_mb=20_000, reader_mb=600) == 1
    assert fitting(most=8, budget_mb=4096, others_mb=390, free_mb=20_000, reader_mb=600) == 6
    assert fitting(most=2, budget_mb=4096, others_mb=390, free_mb=20_000, reader_mb=600) == 2
    assert fitting(most=8, budget_mb=0, others_mb=390, free_mb=20_000, reader_mb=600) == 8
    assert fitting(most=8, budget_mb=0, others_mb=390, free_mb=1300, reader_mb=600) == 2
    assert fitting(most=8, budget_mb=0, others_mb=390, free_mb=None, reader_mb=600) == 8
    # Never none: the pass reads with one process over budget rather than not at all.
    assert fitting(most=8, budget_mb=300, others_mb=390, free_mb=100, reader_mb=600) == 1


def test_the_memory_of_a_process_tree_counts_its_children() -> None:
    alone = tree_mb(os.getpid())
    assert alone > 20
    holding = "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); print(1, flush=True)"
    child = subprocess.Popen(  # 200 MB of its own, held until it is killed
        [sys.executable, "-c", holding + "; import time; time.sleep(60)"], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"1"
        assert tree_mb(os.getpid()) >= alone + 200
    finally:
        child.kill()
        child.communicate()


def test_readers_are_added_only_while_they_fit_and_read_the_same(
    said: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lanes, "RENEW_AFTER", 4)  # eight photos: one renewal at most
    read = partial(read_file, max_pixels=50_000_000, fast=True)
    here = [read(path) for path in said]
    assert sum(bool(lines) for lines in here) >= 5
    roomy = Lanes(2, 0, read)  # no budget: a second reader joins after the first batch
    try:
        first, second = roomy(said[:4]), roomy(said[4:])
        assert len(roomy.lanes) == 2
        assert roomy.reader_mb > 100  # measured by the reader itself: models and runtime
    finally:
        roomy.close()
    assert first + second == here and roomy.renewed == 0
    tight = Lanes(2, roomy.reader_mb, read)  # room for one reader and nothing beside it
    try:
        assert tight(said[:4]) + tight(said[4:]) == here
        assert len(tight.lanes) == 1
        assert tight.renewed == 1  # over the budget after the first batch: read afresh
    finally:
        tight.close()
    assert lanes.available_mb() is not None  # Linux says what it has free


def test_the_probe_runs_the_full_reads_detection_model() -> None:
    reader = TextReader()
    assert reader.probe is not None
    assert reader.probe.text_det.session is reader.full.text_det.session  # one model, not two
