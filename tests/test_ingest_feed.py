"""The uploads' feed: files handed over as they are stored, indexed by one run that stays up
while they keep coming (real model, worker processes, real SQLite, real photos)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from smartalbum.albums import class_groups, load_rules
from smartalbum.catalog import MISSING, Photo, PhotoLabel, open_engine, session_factory
from smartalbum.engines.classifier import Classifier
from smartalbum.ingest.feed import UploadFeed, _Writes, index_feed
from smartalbum.library.analysis import Analysis
from smartalbum.library.indexer import Indexer, IndexReport
from smartalbum.library.writer import Written
from smartalbum.settings import Settings
from tests.helpers import SAMPLES


def test_a_burst_starts_one_run_and_the_next_burst_another() -> None:
    starts: list[float] = []
    feed = UploadFeed(lambda: starts.append(time.monotonic()), idle=0.3, gather=0.0)
    feed.submit([Path("a.jpg")])
    feed.submit([Path("b.jpg"), Path("c.jpg")])
    assert len(starts) == 1, "a run is under way: the files wait for it"
    assert feed.take(8, wait=False) == [], "not a whole batch yet, and work is in flight"
    assert feed.take(2, wait=False) == [Path("a.jpg"), Path("b.jpg")]
    assert feed.take(8, wait=True) == [Path("c.jpg")]
    began = time.monotonic()
    assert feed.take(8, wait=True) == [], "nothing came for the idle time: the run ends"
    assert time.monotonic() - began >= 0.3
    feed.submit([Path("d.jpg")])
    assert len(starts) == 2 and feed.pending() == [Path("d.jpg")]


def test_a_waiting_run_takes_a_file_as_soon_as_it_comes() -> None:
    feed = UploadFeed(lambda: None, idle=10.0, gather=0.05)
    feed.submit([])
    later = threading.Timer(0.2, feed.submit, [[Path("late.jpg")]])
    later.start()
    began = time.monotonic()
    assert feed.take(8, wait=True) == [Path("late.jpg")]
    assert time.monotonic() - began < 5
    stopped = time.monotonic()
    assert feed.take(8, wait=True, stop=lambda: True) == []  # a cancelled job ends at once
    assert time.monotonic() - stopped < 1


def grandchildren() -> list[int]:
    """The processes whose parent is a child of this one (the fork server's workers)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):  # ended meanwhile
            continue
    children = {pid for pid, parent in parents.items() if parent == os.getpid()}
    return sorted(pid for pid, parent in parents.items() if parent in children)


@pytest.fixture(scope="module")
def onnx(settings: Settings) -> Classifier:
    return Classifier.from_settings(settings.with_overrides(engine="onnx", index_processes=2))


def test_files_that_arrive_one_by_one_are_indexed_by_one_run_with_its_workers(
    onnx: Classifier, tmp_path: Path
) -> None:
    names = sorted(p.name for p in SAMPLES.glob("n02*.JPEG"))[:20]
    folder = tmp_path / "uploads" / "alice" / "2021" / "06"
    folder.mkdir(parents=True)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not a whole photo")
    catalog = str(tmp_path / "library.db")
    engine = open_engine(catalog)
    sessions = session_factory(engine)
    rules = load_rules(None, onnx.labels, class_groups())
    feed = UploadFeed(lambda: None, idle=1.0, gather=0.05)
    workers: list[int] = []

    def uploads() -> None:  # as a client's uploads would be stored, one at a time
        deadline = time.monotonic() + 60  # the workers start slowly on a busy machine
        for i, name in enumerate(names):
            shutil.copy(SAMPLES / name, folder / name)
            feed.submit([folder / name])
            if i == 5:
                feed.submit([folder / "broken.jpg"])
            # Up while the files keep coming (the fork server forks them one after the
            # other: on a busy machine the second can come a moment after the first).
            while i >= 10 and len(workers) < 2 and time.monotonic() < deadline:
                workers[:] = grandchildren()
                time.sleep(0.05)
            time.sleep(0.05)

    sender = threading.Thread(target=uploads)
    sender.start()
    try:
        report = index_feed(onnx, sessions, catalog, rules, feed.take)
    finally:
        sender.join()
    assert report.added == 20 and report.failed == 1 and report.scanned == 21
    assert len(workers) == 2, "the run's workers (forked by the fork server) stayed up"
    with sessions() as session:
        paths = set(session.scalars(select(Photo.path).where(Photo.status != "failed")))
        labelled = set(session.scalars(select(PhotoLabel.photo_id)))
    assert {str(folder / n) for n in names} <= paths and len(labelled) == 20
    engine.dispose()


def test_a_moved_file_keeps_its_photo_and_a_recorded_one_is_left_alone(
    onnx: Classifier, tmp_path: Path
) -> None:
    old, new = tmp_path / "old", tmp_path / "uploads"
    old.mkdir()
    new.mkdir()
    for name in ("n01440764_tench.JPEG", "n01443537_goldfish.JPEG"):
        shutil.copy(SAMPLES / name, old / name)
    catalog = str(tmp_path / "library.db")
    engine = open_engine(catalog)
    sessions = session_factory(engine)
    Indexer(onnx, sessions, catalog).run([old])
    with sessions.begin() as session:
        tench = session.scalar(select(Photo.id).where(Photo.path.endswith("tench.JPEG")))
        session.execute(update(Photo).where(Photo.id == tench).values(status=MISSING))
    (old / "n01440764_tench.JPEG").rename(new / "tench.jpg")  # the same bytes, uploaded
    feed = UploadFeed(lambda: None, idle=0.2, gather=0.0)
    feed.submit([new / "tench.jpg", old / "n01443537_goldfish.JPEG"])
    report = index_feed(onnx, sessions, catalog, load_rules(None, onnx.labels, class_groups()),
                        feed.take)  # fmt: skip
    assert report.moved == 1 and report.added == 0 and report.updated == 0
    with sessions() as session:
        assert session.scalar(select(Photo.path).where(Photo.id == tench)) == str(new / "tench.jpg")
        assert session.scalar(select(Photo.status).where(Photo.id == tench)) != MISSING
    engine.dispose()


def test_batches_that_come_while_one_is_written_are_written_together() -> None:
    written: list[list[str]] = []
    writing, go_on = threading.Event(), threading.Event()

    def write(group: list[Analysis]) -> Written:
        written.append([a.path for a in group])
        writing.set()
        go_on.wait(10)  # the first write is slow: the next batches queue meanwhile
        return Written(added=len(group))

    report = IndexReport()
    writes = _Writes(write, report)
    writes.put([Analysis("a", 1, 0.0)])
    assert writing.wait(10)
    for name in ("b", "c", "d"):
        writes.put([Analysis(name, 1, 0.0)])
    go_on.set()
    writes.close()
    assert written == [["a"], ["b", "c", "d"]], "one transaction for what waited"
    assert report.added == 4


def test_batches_that_come_one_after_another_are_written_in_groups_as_an_index_writes() -> None:
    sizes: list[int] = []
    alone = threading.Event()

    def write(group: list[Analysis]) -> Written:
        sizes.append(len(group))
        alone.set()
        return Written(added=len(group))

    report = IndexReport()
    writes = _Writes(write, report, wait=5.0)
    for i in range(5):  # a steady stream of model batches, the writer idle in between
        writes.put([Analysis(f"{i}-{j}", 1, 0.0) for j in range(8)])
        time.sleep(0.05)
    assert writes_done(sizes, 1), "32 files in hand: written without waiting more"
    writes.close()
    assert sizes == [32, 8], "one transaction for 32 files, the rest when the run ends"
    assert report.added == 40
    alone.clear()
    late = _Writes(write, IndexReport(), wait=0.2)
    late.put([Analysis("lone", 1, 0.0)])
    assert alone.wait(5), "a lone batch is written once the wait is over, not at the run's end"
    late.close()
    assert sizes[-1] == 1


def writes_done(sizes: list[int], count: int) -> bool:
    """Whether ``count`` writes happened within a few seconds."""
    deadline = time.monotonic() + 5
    while len(sizes) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return len(sizes) >= count


def test_a_failed_write_is_raised_in_the_run() -> None:
    def write(group: list[Analysis]) -> Written:
        raise OSError("disk full")

    writes = _Writes(write, IndexReport())
    writes.put([Analysis("a", 1, 0.0)])
    with pytest.raises(OSError, match="disk full"):
        writes.close()
