"""Commands of a distributed index: ``worker`` (a machine's share of the work) and ``jobs``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smartalbum.cli.common import EXIT_FAILED, EXIT_OK, language, progress, say
from smartalbum.errors import ConfigError, NotFoundError
from smartalbum.i18n import t
from smartalbum.settings import Settings

if TYPE_CHECKING:
    from smartalbum.library.indexer import IndexReport

LIBRARY_HELP = "catalog: the PostgreSQL URL the coordinator indexes into (SMARTALBUM_LIBRARY)"


def add_parsers(sub: Any) -> None:
    """The ``worker`` and ``jobs`` subcommands."""
    worker = sub.add_parser(
        "worker",
        help="analyse photos for distributed index runs (needs SMARTALBUM_BROKER)",
        description="A Celery worker on SMARTALBUM_BROKER: each process loads the model once "
        "and writes its batches to the catalog. Stop it with Ctrl-C or SIGTERM.",
    )
    worker.add_argument(
        "--concurrency", type=int, help="worker processes, one model thread each (default: cores)"
    )
    worker.add_argument("--library", help=LIBRARY_HELP)
    worker.add_argument("--loglevel", default="INFO", help="Celery's log level (default INFO)")

    jobs = sub.add_parser("jobs", help="distributed index runs: list, follow or cancel one")
    jobs.add_argument("job", nargs="?", metavar="ID", help="the job to show")
    jobs.add_argument("--cancel", action="store_true", help="ask the job to stop")
    jobs.add_argument("--watch", action="store_true", help="show its progress until it ends")
    jobs.add_argument("--library", help=LIBRARY_HELP)
    jobs.add_argument("--json", action="store_true", help="print JSON")


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.distributed.runtime import run_worker
    from smartalbum.library.workers import usable_cores

    concurrency = args.concurrency or len(usable_cores())
    if concurrency < 1:
        raise ConfigError(t("--concurrency must be at least 1, got {value}", value=concurrency))
    if not settings.broker:
        raise ConfigError(t("no broker is set: set SMARTALBUM_BROKER, such as redis://host:6379/0"))
    # A worker is a service: its log is how its operator follows it (each process ready,
    # each batch), so our messages show at Celery's level, not the commands' quiet default.
    logging.getLogger("smartalbum").setLevel(args.loglevel.upper())
    run_worker(settings, concurrency, args.loglevel)
    return EXIT_OK


def distributed_index(args: argparse.Namespace, settings: Settings) -> IndexReport:
    """``smartalbum index`` with a broker: the coordinator, with a progress bar."""
    from smartalbum.albums import RulesWatcher, class_groups
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.distributed import DistributedIndexer
    from smartalbum.library.sidecars import landing
    from smartalbum.models.labels import load_labels

    labels = load_labels(overrides=settings.labels_file)
    rules = RulesWatcher(settings.albums_file, labels, class_groups())
    if rules.error is not None:
        say(t("smartalbum: warning: {message}; built-in albums used", message=rules.error.text))
    engine = open_engine(settings.library)
    try:
        sessions = session_factory(engine)
        landed = landing(settings, sessions, rules.current())  # XMP sidecars, when on
        indexer = DistributedIndexer(
            settings, sessions, settings.library, rules=rules.current(), landed=landed
        )
        return indexer.run(args.folders, reclassify=args.reclassify, wrap=progress)
    finally:
        engine.dispose()


def _jobs(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.distributed import records

    engine = open_engine(settings.library)
    try:
        sessions = session_factory(engine)
        if args.job is None:
            shown = [records.job_json(sessions, job_id) for job_id in records.recent(sessions)]
            _print_jobs([j for j in shown if j is not None], args.json)
            return EXIT_OK
        if args.cancel and not records.request_cancel(sessions, args.job):
            raise NotFoundError(t("no job {job_id}", job_id=args.job))
        job = records.job_json(sessions, args.job)
        while args.watch and job is not None and job["status"] == "running":
            print(f"{job['done']}/{job['total']}", file=sys.stderr)
            time.sleep(1)
            job = records.job_json(sessions, args.job)
        if job is None:
            raise NotFoundError(t("no job {job_id}", job_id=args.job))
        if args.json:  # one job: its object
            print(json.dumps(job, ensure_ascii=False, indent=2))
        else:
            _print_jobs([job], as_json=False)
        return EXIT_OK if job["status"] != "failed" else EXIT_FAILED
    finally:
        engine.dispose()


def _print_jobs(jobs: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(jobs, ensure_ascii=False, indent=2))
        return
    lang = language()
    statuses = {
        "queued": t("queued"),
        "running": t("running"),
        "done": t("done"),
        "failed": t("failed"),
        "cancelled": t("cancelled"),
        "interrupted": t("interrupted"),
    }
    for job in jobs:
        when = datetime.fromtimestamp(job["created_at"]).isoformat(timespec="seconds")
        status = (
            statuses[job["status"]].render(lang) if job["status"] in statuses else job["status"]
        )
        failed = t("{count} failed", count=job["failed"]).render(lang)
        print(
            f"{job['id']}  {when}  {status:<11} {job['done']:>7}/{job['total']:<7} "
            f"{failed}  {', '.join(job['folders'])}"
        )


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "worker": _worker,
    "jobs": _jobs,
}
