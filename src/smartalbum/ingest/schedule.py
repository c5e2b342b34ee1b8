"""The server's periodic work, on one thread: re-scans, the trash's purge, uploads' clean-up.

Each task has a name, an interval and a function. When each one last ran, and how it
ended, is kept in the catalog (``state`` rows ``schedule.<name>``), so every server process
on one catalog sees the same clock: a task is due once its interval has passed since its
last run anywhere. The due tasks run under the catalog's schedule lock (catalog/locks.py),
so two processes never run them at once, and the second finds them done. A run that
found nothing to do (its function returned None) is only remembered by this process: a
server that has nothing to do writes nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import State, put_state
from smartalbum.catalog.locks import SCHEDULE, LibraryLock
from smartalbum.errors import LibraryBusyError, SmartalbumError

log = logging.getLogger(__name__)

KEY = "schedule."  # + the task's name: its last run, in the catalog's state table


@dataclass(frozen=True)
class Task:
    """Work to run every ``every`` seconds (0: never); ``run`` returns what it did (JSON), or
    None when there was nothing to do."""

    name: str
    every: float
    run: Callable[[], Any]


class Scheduler:
    """Runs each due task of one catalog, from a thread of the server, one task at a time."""

    def __init__(
        self,
        library: str | Path,
        sessions: Callable[[], sessionmaker[Session]],
        tick: float = 30.0,
        first: float = 2.0,
    ) -> None:
        self.library = library
        self.sessions = sessions  # the catalog's, opened when first asked for
        self.tick = tick  # seconds between looks at what is due
        self.first = first  # seconds after the start before the first look
        self.tasks: dict[str, Task] = {}
        self.running: str | None = None
        self._seen: dict[str, dict[str, Any]] = {}  # last runs here (a read-only catalog)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="smartalbum-schedule", daemon=True)

    def add(self, name: str, every: float, run: Callable[[], Any]) -> None:
        """Schedule ``run`` every ``every`` seconds (0: listed, never run)."""
        self.tasks[name] = Task(name, every, run)

    def start(self) -> None:
        """Start the thread: a first look soon, then one every ``tick`` seconds."""
        self._thread.start()

    def close(self) -> None:
        """Stop after the task in hand."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        wait = self.first
        while not self._stop.wait(wait):
            wait = self.tick
            try:
                self.run_due()
            except Exception:  # logged; the next tick tries again
                log.exception("the scheduled work failed")

    def run_due(self, now: float | None = None) -> list[str]:
        """Run every task due now under the schedule lock; the names of those that ran."""
        ran: list[str] = []
        try:
            with LibraryLock(self.library, SCHEDULE):
                for task in list(self.tasks.values()):
                    if self._stop.is_set():
                        break
                    if self._due(task, time.time() if now is None else now):
                        self._run(task)
                        ran.append(task.name)
        except LibraryBusyError as exc:  # another process runs them right now
            log.info("%s", exc.message)
        except SmartalbumError as exc:  # no lock to be had (a read-only catalog's folder)
            log.warning("the scheduled work cannot run: %s", exc.message)
        return ran

    def _due(self, task: Task, now: float) -> bool:
        if task.every <= 0:
            return False
        last = self.last(task.name)
        return last is None or now >= last["at"] + task.every

    def _run(self, task: Task) -> None:
        self.running = task.name
        started = time.time()
        outcome: dict[str, Any]
        try:
            outcome = {"ok": True, "result": task.run()}
        except SmartalbumError as exc:
            outcome = {"ok": False, "error": exc.message}
        except Exception as exc:  # recorded and logged: never swallowed
            log.exception("the scheduled task %s failed", task.name)
            outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            self.running = None
        record = {"at": started, "seconds": round(time.time() - started, 3), **outcome}
        self._seen[task.name] = record
        if outcome.get("ok") and outcome.get("result") is None:
            return  # nothing done: nothing to tell other processes, no write
        try:
            with self.sessions().begin() as session:
                put_state(session, KEY + task.name, json.dumps(record, default=str))
        except (DBAPIError, SmartalbumError) as exc:  # a read-only catalog: kept here only
            log.warning("the last run of %s is not recorded in the catalog: %s", task.name, exc)

    def last(self, name: str) -> dict[str, Any] | None:
        """The task's last run anywhere (``at``, ``seconds``, ``ok``, ``result``/``error``)."""
        recorded = None
        try:
            with self.sessions()() as session:
                row = session.get(State, KEY + name)
                recorded = json.loads(row.value) if row is not None else None
        except (DBAPIError, SmartalbumError, ValueError):
            recorded = None
        here = self._seen.get(name)
        if recorded is None or (here is not None and here["at"] > recorded["at"]):
            return here
        return dict(recorded)

    def status(self) -> list[dict[str, Any]]:
        """Each task: its interval, last run, next run, and whether it runs right now."""
        shown = []
        for task in self.tasks.values():
            last = self.last(task.name)
            if task.every <= 0:
                upcoming = None
            else:
                upcoming = time.time() if last is None else last["at"] + task.every
            shown.append(
                {
                    "name": task.name,
                    "every_minutes": round(task.every / 60, 2) if task.every > 0 else None,
                    "last_run": last,
                    "next_run": upcoming,
                    "running": self.running == task.name,
                }
            )
        return shown
