"""The job record of a distributed run in the catalog: its batches, progress and outcome.

Progress is read from the batches' own rows, which workers set in the transaction that
writes the batch's photos: a batch delivered twice counts once. A batch that was split
counts through its single-file parts.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import FAILED, table
from smartalbum.catalog.schema import (
    CANCELLED,
    DONE,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    IndexJob,
    IndexTask,
)

SPLIT, GIVEN_UP = "split", "given_up"  # task states besides queued and done
BEAT_SECONDS = 3.0  # a worker bumps the lease of the batch in its hands this often
# A claimed batch whose lease stood still this long, by the coordinator's clock, has lost
# its worker: it is sent again (the broker would wait out its visibility timeout, 600 s).
LEASE_SECONDS = 20.0
OVER = (DONE, GIVEN_UP)  # a task whose files are accounted for
TASKS = table(IndexTask)


@dataclass
class Progress:
    """How far a job is: files accounted for, tasks still to do, and what was written."""

    done: int = 0
    pending: int = 0
    added: int = 0
    updated: int = 0
    failed: int = 0
    cancel_requested: bool = False
    status: str = RUNNING


def start_job(
    sessions: sessionmaker[Session],
    folders: Sequence[str],
    paths: Sequence[str],
    batch: int,
    *,
    job_id: str | None = None,
    reclassify: bool = False,
    coordinator: str | None = None,
    by: str | None = None,
) -> str:
    """Record a running job and its batches of ``batch`` paths (not sent yet); its id."""
    job_id = job_id or uuid.uuid4().hex
    rows = [
        {"job_id": job_id, "task": str(n), "paths": json.dumps(list(paths[i : i + batch])),
         "files": len(paths[i : i + batch]), "status": QUEUED, "attempts": 0,
         "added": 0, "updated": 0, "failed": 0}
        for n, i in enumerate(range(0, len(paths), batch))
    ]  # fmt: skip
    with sessions.begin() as session:
        session.add(
            IndexJob(
                id=job_id, folders=json.dumps(list(folders)), status=RUNNING, total=len(paths),
                reclassify=reclassify, cancel_requested=False, created_at=time.time(),
                coordinator=coordinator, by=by,
            )
        )  # fmt: skip
        session.flush()
        for start in range(0, len(rows), 1000):  # PostgreSQL: at most 65,535 parameters
            session.execute(insert(TASKS), rows[start : start + 1000])
    return job_id


def interrupt_stale(sessions: sessionmaker[Session]) -> int:
    """Mark jobs still running as interrupted: the caller holds the index lock, so their
    coordinator is gone. Workers skip what is left of them; how many there were."""
    with sessions.begin() as session:
        stale = list(
            session.scalars(select(IndexJob.id).where(IndexJob.status.in_((QUEUED, RUNNING))))
        )
        session.execute(
            update(IndexJob)
            .where(IndexJob.id.in_(stale))
            .values(status=INTERRUPTED, finished_at=time.time())
        )
        _forget_paths(session, stale)
    return len(stale)


def _forget_paths(session: Session, job_ids: Sequence[str]) -> None:
    """Drop the path lists of ended jobs' tasks (~80 bytes a photo), bar the given-up ones."""
    session.execute(
        update(IndexTask)
        .where(IndexTask.job_id.in_(job_ids), IndexTask.status != GIVEN_UP)
        .values(paths="[]")
    )


def queued(
    sessions: sessionmaker[Session], job_id: str, tasks: Collection[str] | None = None
) -> list[tuple[str, list[str]]]:
    """(task, paths) of every task of the job still to do (of ``tasks``, if given)."""
    query = select(IndexTask.task, IndexTask.paths).where(
        IndexTask.job_id == job_id, IndexTask.status == QUEUED
    )
    if tasks is not None:
        query = query.where(IndexTask.task.in_(tasks))
    with sessions() as session:
        return [(task, json.loads(paths)) for task, paths in session.execute(query)]


def leases(sessions: sessionmaker[Session], job_id: str) -> dict[str, tuple[int, int]]:
    """The job's claimed tasks still to do: task -> (deliveries, lease count)."""
    with sessions() as session:
        rows = session.execute(
            select(IndexTask.task, IndexTask.attempts, IndexTask.beat).where(
                IndexTask.job_id == job_id, IndexTask.status == QUEUED, IndexTask.attempts > 0
            )
        )
        return {task: (attempts, beat or 0) for task, attempts, beat in rows}


def renew(sessions: sessionmaker[Session], job_id: str, task: str) -> None:
    """Bump the lease of a task this process is working on (nothing once it is written)."""
    with sessions.begin() as session:
        session.execute(
            update(IndexTask)
            .where(IndexTask.job_id == job_id, IndexTask.task == task)
            .where(IndexTask.status == QUEUED)
            .values(beat=func.coalesce(IndexTask.beat, 0) + 1)
        )


class Leases:
    """Which claimed tasks lost their worker: their lease stood still for ``seconds``.

    Time is the watcher's own (monotonic): the workers' clocks never enter into it. A task
    is reported once for each state it stands still in; a new delivery's claim moves it.
    """

    def __init__(self, seconds: float = LEASE_SECONDS) -> None:
        self.seconds = seconds
        self._since: dict[str, tuple[tuple[int, int], float]] = {}
        self._reported: set[tuple[str, tuple[int, int]]] = set()

    def lost(self, claimed: dict[str, tuple[int, int]], now: float) -> list[str]:
        """The tasks of ``claimed`` (from ``leases``) whose lease stood still too long."""
        lost = []
        for task, state in claimed.items():
            before = self._since.get(task)
            if before is None or before[0] != state:
                self._since[task] = (state, now)
            elif now - before[1] > self.seconds and (task, state) not in self._reported:
                self._reported.add((task, state))
                lost.append(task)
        for task in self._since.keys() - claimed.keys():  # written, split or given up
            del self._since[task]
        return lost


def progress(sessions: sessionmaker[Session], job_id: str) -> Progress:
    """The job's progress as its tasks' rows say."""
    counts = (
        func.count(), func.sum(IndexTask.files), func.sum(IndexTask.added),
        func.sum(IndexTask.updated), func.sum(IndexTask.failed),
    )  # fmt: skip
    with sessions() as session:
        job = session.get(IndexJob, job_id)
        found = Progress() if job is None else Progress(
            cancel_requested=bool(job.cancel_requested), status=job.status
        )  # fmt: skip
        by_status = session.execute(
            select(IndexTask.status, *counts)
            .where(IndexTask.job_id == job_id)
            .group_by(IndexTask.status)
        )
        for status, tasks, files, added, updated, failed in by_status:
            if status == QUEUED:
                found.pending += tasks
            elif status in OVER:
                found.done += files or 0
                found.added += added or 0
                found.updated += updated or 0
                found.failed += failed or 0
    return found


def request_cancel(sessions: sessionmaker[Session], job_id: str) -> bool:
    """Ask a job to stop: workers skip its tasks not yet begun. False if there is no such job."""
    with sessions.begin() as session:
        result = session.execute(
            update(IndexJob).where(IndexJob.id == job_id).values(cancel_requested=True)
        )
    return bool(getattr(result, "rowcount", 0))


def finish(
    sessions: sessionmaker[Session],
    job_id: str,
    status: str,
    report: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Record how the job ended: done, cancelled or failed, with its report or error."""
    assert status in (DONE, CANCELLED, FAILED)
    with sessions.begin() as session:
        session.execute(
            update(IndexJob)
            .where(IndexJob.id == job_id)
            .values(
                status=status,
                finished_at=time.time(),
                report=None if report is None else json.dumps(report),
                error=error,
            )
        )
        _forget_paths(session, [job_id])


def job_json(sessions: sessionmaker[Session], job_id: str) -> dict[str, Any] | None:
    """A job as ``smartalbum jobs`` shows it, with its progress; None if there is none."""
    with sessions() as session:
        job = session.get(IndexJob, job_id)
        if job is None:
            return None
        fields = {
            "id": job.id, "folders": json.loads(job.folders), "status": job.status,
            "total": job.total, "created_at": job.created_at, "finished_at": job.finished_at,
            "coordinator": job.coordinator, "by": job.by,
            "cancel_requested": bool(job.cancel_requested),
            "report": None if job.report is None else json.loads(job.report),
            "error": job.error,
        }  # fmt: skip
    now = progress(sessions, job_id)
    return {**fields, "done": now.done, "pending_tasks": now.pending, "failed": now.failed}


def recent(sessions: sessionmaker[Session], limit: int = 20) -> list[str]:
    """Ids of the latest jobs, newest first."""
    with sessions() as session:
        return list(
            session.scalars(select(IndexJob.id).order_by(IndexJob.created_at.desc()).limit(limit))
        )
