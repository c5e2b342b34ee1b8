"""The scheduler on a real SQLite catalog: a task runs once an interval across processes (two
schedulers on one catalog stand in for two servers), never while another holds the lock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartalbum.catalog import open_engine, session_factory
from smartalbum.catalog.locks import SCHEDULE, LibraryLock
from smartalbum.ingest.schedule import Scheduler

HOUR = 3600.0


def schedulers(tmp_path: Path, run: Callable[[], Any], count: int = 2) -> list[Scheduler]:
    library = str(tmp_path / "library.db")
    sessions = session_factory(open_engine(library))
    made = []
    for _ in range(count):
        scheduler = Scheduler(library, lambda: sessions)
        scheduler.add("work", HOUR, run)
        scheduler.add("never", 0, run)
        made.append(scheduler)
    return made


def test_a_task_runs_once_an_interval_whichever_process_looks(tmp_path: Path) -> None:
    runs: list[int] = []

    def work() -> dict[str, int]:
        runs.append(1)
        return {"done": len(runs)}

    first, second = schedulers(tmp_path, work)
    assert first.run_due() == ["work"]
    assert second.run_due() == []  # the other "server" ran it: recorded in the catalog
    last = second.last("work")
    assert last is not None and last["ok"] and last["result"] == {"done": 1}
    assert second.run_due(now=last["at"] + HOUR - 1) == []
    assert second.run_due(now=last["at"] + HOUR) == ["work"]
    assert len(runs) == 2
    status = {task["name"]: task for task in first.status()}
    assert status["never"]["next_run"] is None and status["never"]["last_run"] is None
    assert status["work"]["next_run"] > last["at"] + HOUR - 1


def test_nothing_runs_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    runs: list[int] = []
    (scheduler,) = schedulers(tmp_path, lambda: runs.append(1), count=1)
    with LibraryLock(scheduler.library, SCHEDULE):
        assert scheduler.run_due() == []
    assert runs == []
    assert scheduler.run_due() == ["work"]


def test_a_failure_is_recorded_and_nothing_to_do_is_not_written(tmp_path: Path) -> None:
    def fail() -> None:
        raise OSError("disk on fire")

    first, second = schedulers(tmp_path, fail)
    first.run_due()
    last = second.last("work")
    assert last is not None and not last["ok"] and "disk on fire" in last["error"]

    (tmp_path / "quiet").mkdir()
    quiet, other = schedulers(tmp_path / "quiet", lambda: None)
    assert quiet.run_due() == ["work"]
    assert quiet.last("work") is not None  # remembered here...
    assert other.last("work") is None  # ...but not written: another process runs it too
