"""The text pass's reader processes: as many as fit in the index's memory, one a core at most.

A reader (PP-OCR's models on OpenVINO) is large and grows with the photos it reads: ~290 MB
built, 470–650 MB after a few dozen photos (each new image shape leaves the runtime's
buffers at the largest yet; docs/performance.md). A process a core would hold eight of them
on eight cores. So the pass starts with one reader process, and each reply says how big
that reader has grown; a reader is added while the index's processes, with one more reader
as big as the biggest yet, stay under the budget (``SMARTALBUM_INDEX_MEMORY_MB``) and in
the memory the system has free, and one goes when they no longer fit; a lone reader that
outgrows the budget is ended and started afresh (~2 s of loading, 1 to 3 times in 300
photos; docs/performance.md). Each process reads
a photo at a time (one reader's threads do not use two cores: docs/text.md), so a photo's
lines are the same whichever process reads it.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from smartalbum.engines.memory import trim
from smartalbum.ocr.reader import Line

Lines = list[Line] | None
ReadOne = Callable[[str], Lines]
MB = 1024 * 1024
# The share of the budget planned for: a photo's read spikes a reader by up to ~90 MB
# above what it holds between photos (300 samples, docs/performance.md).
HEADROOM = 0.9
RENEW_AFTER = 16  # photos a reader reads at least before it may be renewed (~2 s to load)


def read_measured(read: ReadOne, path: str) -> tuple[Lines, int]:
    """A photo's lines, and this process's peak resident memory (MB) once it was read."""
    lines = read(path)
    trim()  # the photo's buffers, freed, go back: a reader stays ~10 % smaller (measured)
    return lines, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # kB on Linux


def tree_mb(pid: int) -> int:
    """The resident memory (MB) of a process and every process under it; 0 where /proc is
    not (the budget then counts the readers alone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in os.listdir(f"/proc/{current}/task"):
                todo += map(int, Path(f"/proc/{current}/task/{task}/children").read_text().split())
        except OSError:
            continue  # it ended, or no /proc here
    return total // 1024


def available_mb() -> int | None:
    """The memory the system can give without swapping (MB); None where it does not say."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def fitting(most: int, budget_mb: int, others_mb: int, free_mb: int | None, reader_mb: int) -> int:
    """How many readers of ``reader_mb`` fit beside ``others_mb`` (the index and its other
    processes) under ``budget_mb`` (0: no budget) and in ``free_mb``: 1 to ``most``."""
    count = most
    if budget_mb:
        count = min(count, (budget_mb - others_mb) // max(reader_mb, 1))
    if free_mb is not None:
        count = min(count, free_mb // max(reader_mb, 1))
    return max(1, count)


class Lanes:
    """Reader processes, one photo at a time each, added and dropped as the memory allows."""

    def __init__(self, most: int, budget_mb: int, read: ReadOne) -> None:
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn"
        )
        self.most, self.budget_mb, self.read = most, budget_mb, read
        self.lanes: list[ProcessPoolExecutor] = []
        self.sizes: list[int] = []  # each lane's reader's peak (MB), 0 until it has read
        self.reader_mb = 0  # the biggest reader yet
        self.renewed = 0  # readers ended for growing past the budget, and started afresh
        self.read_by_lane = 0  # photos the lone reader has read

    def __call__(self, paths: list[str]) -> list[Lines]:
        """The lines of each file, read over the lanes that fit now."""
        self._fit()
        count = len(self.lanes)
        self.read_by_lane += len(paths)
        futures = [
            (i % count, self.lanes[i % count].submit(read_measured, self.read, path))
            for i, path in enumerate(paths)
        ]
        found: list[Lines] = []
        for lane, future in futures:
            lines, peak = future.result()
            self.sizes[lane] = max(self.sizes[lane], peak)
            self.reader_mb = max(self.reader_mb, peak)
            found.append(lines)
        return found

    def _fit(self) -> None:
        """One lane to start; then one more, or one fewer, as the last replies say."""
        if not self.lanes:
            self._add()
            return
        readers, now = sum(self.sizes), tree_mb(os.getpid())
        budget = max(1, int(self.budget_mb * HEADROOM)) if self.budget_mb else 0
        grown = budget and now > budget and self.read_by_lane >= RENEW_AFTER
        if grown and len(self.lanes) == 1:
            self._renew()  # the one reader outgrew the budget: a fresh one starts small
            return
        others = max(0, now - readers)
        free = available_mb()
        room = None if free is None else free + readers
        want = fitting(self.most, budget, others, room, self.reader_mb)
        if want > len(self.lanes):
            self._add()
        elif want < len(self.lanes):
            self.lanes.pop().shutdown(wait=True)
            self.sizes.pop()

    def _renew(self) -> None:
        self.lanes.pop().shutdown(wait=True)
        self.sizes.pop()
        self.renewed += 1
        self.read_by_lane = 0
        self._add()

    def _add(self) -> None:
        self.lanes.append(ProcessPoolExecutor(1, mp_context=self.context))
        self.sizes.append(0)

    def close(self) -> None:
        """End every reader process (their memory goes back to the system)."""
        for lane in self.lanes:
            lane.shutdown(wait=True)
        self.lanes.clear()
        self.sizes.clear()
