"""The folder queue: a burst of asks becomes one run, after the folders settle."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from smartalbum.ingest.queue import FolderQueue


class Recorder:
    """Records each run's folders and when it started."""

    def __init__(self) -> None:
        self.runs: list[tuple[float, list[Path]]] = []
        self.ran = threading.Event()

    def __call__(self, folders: list[Path]) -> None:
        self.runs.append((time.monotonic(), folders))
        self.ran.set()


def test_a_burst_of_asks_is_one_run_over_every_folder_named() -> None:
    recorder = Recorder()
    queue = FolderQueue(recorder, settle=0.3, settle_max=5.0)
    queue.start()
    try:
        for i in range(20):
            queue.submit([Path(f"/photos/{i % 3}")])
        assert recorder.ran.wait(5)
        time.sleep(0.5)  # no second run follows
        assert [folders for _, folders in recorder.runs] == [
            [Path("/photos/0"), Path("/photos/1"), Path("/photos/2")]
        ]
        assert queue.pending() == []
    finally:
        queue.close()


def test_asks_that_never_stop_still_run_by_settle_max() -> None:
    recorder = Recorder()
    queue = FolderQueue(recorder, settle=0.5, settle_max=1.0)
    queue.start()
    try:
        started = time.monotonic()
        while not recorder.ran.is_set() and time.monotonic() - started < 5:
            queue.submit([Path("/photos")])  # a copy that goes on and on
            time.sleep(0.1)
        assert recorder.ran.is_set()
        assert recorder.runs[0][0] - started < 2.0  # not held back until the asks stop
    finally:
        queue.close()


def test_a_failing_run_is_logged_and_the_queue_goes_on() -> None:
    calls: list[list[Path]] = []
    done = threading.Event()

    def run(folders: list[Path]) -> None:
        calls.append(folders)
        if len(calls) == 1:
            raise OSError("disk gone")
        done.set()

    queue = FolderQueue(run, settle=0.05)
    queue.start()
    try:
        queue.submit([Path("/a")])
        time.sleep(0.3)
        queue.submit([Path("/b")])
        assert done.wait(5)
        assert calls == [[Path("/a")], [Path("/b")]]
    finally:
        queue.close()
