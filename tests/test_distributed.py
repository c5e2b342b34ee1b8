"""Distributed indexing on a real redis-server, a real PostgreSQL and real `smartalbum worker`s.

Each worker is a `smartalbum worker --concurrency 1` process with a home and a cache folder
of its own, as a separate machine would have (its model file exported there, once per
slot); the coordinator is a `smartalbum index` process with SMARTALBUM_BROKER set, as in
compose.yaml. scripts/test starts both servers and names them in SMARTALBUM_TEST_REDIS_URL
and SMARTALBUM_TEST_POSTGRES_URL; without them these tests skip, so a bare `pytest` needs
no server. The restart test runs a redis-server of its own, to restart it at will.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]
from PIL import Image
from sqlalchemy import NullPool, create_engine, func, make_url, select, text

from smartalbum.catalog import AlbumMember, Photo, PhotoLabel, open_engine, session_factory
from smartalbum.catalog.schema import IndexJob, IndexTask
from smartalbum.distributed.broker import queue_name
from smartalbum.library.duplicates import find_duplicates
from smartalbum.settings import Settings
from tests.helpers import (
    CAT,
    LIBRARY_PHOTOS,
    POSTGRES_URL,
    REPO,
    SAMPLES,
    LiveServer,
    copy_samples,
    finish,
    index,
    new_database,
    redis_db,
)
from tests.test_sidecars import DAISY, DOG
from tests.test_sidecars_indexing import assert_sidecars
from tests.test_xmp import DIGIKAM

REDIS_URL = redis_db(os.environ.get("SMARTALBUM_TEST_REDIS_URL", ""))
pytestmark = pytest.mark.slow
# The worker's command line, as compose.yaml's worker service runs it.
WORKER_ARGS = ["worker", "--concurrency", "1"]
SAMPLE_COUNT = 1000
# The runs that are cut short (a worker, the coordinator or Redis gone a third of the way) take
# six batches (coordinator.BATCH = 64): enough for the cut to land mid-run, at a third of the cost.
CUT_COUNT = 384
VISIBILITY = 12  # s: a batch whose worker vanished is delivered again after this
READY_TIMEOUT = 180  # s for a worker to export or open its model
RUN_TIMEOUT = 420  # s for any one run of the 1000 photos on a loaded 2-core machine
# A worker whose decoder dies on every file named poison*: the whole process, as a crash in
# native code would take it (no such file can be made on demand).
POISONED_WORKER = """
import os, signal, sys
import smartalbum.distributed.worker as worker
analyze = worker.analyze
def crash_on_poison(path, decoding):
    if path.name.startswith("poison"):
        os.kill(os.getpid(), signal.SIGKILL)
    return analyze(path, decoding)
worker.analyze = crash_on_poison
from smartalbum.cli import main
sys.exit(main(sys.argv[1:]))
"""


def environment(
    broker: str, library: str, visibility: int | None = VISIBILITY, **extra: str
) -> dict[str, str]:
    """What every process of a distributed run here is given: broker, catalog, ONNX, and
    the broker's visibility timeout (None: the default, 600 s)."""
    env = {
        **os.environ,
        "SMARTALBUM_BROKER": broker,
        "SMARTALBUM_LIBRARY": library,
        "SMARTALBUM_ENGINE": "onnx",
        **extra,
    }
    env.pop("SMARTALBUM_BROKER_VISIBILITY_TIMEOUT", None)
    if visibility is not None:
        env["SMARTALBUM_BROKER_VISIBILITY_TIMEOUT"] = str(visibility)
    return env


@dataclass
class Worker:
    """One `smartalbum worker` process group, logging to a file."""

    process: subprocess.Popen[bytes]
    log: Path

    def ready(self) -> None:
        """Wait until its pool process has opened the model."""
        deadline = time.monotonic() + READY_TIMEOUT
        while not re.search(r"worker process \d+ ready", self.log.read_text(errors="replace")):
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the worker did not get ready"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the whole worker, pool included: its machine died."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop it (warm shutdown), or kill it if it will not."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def crashes(self) -> int:
        """Pool processes lost to a signal, as the worker logged them."""
        return self.log.read_text(errors="replace").count("exited with 'signal 9 (SIGKILL)'")


class Fleet:
    """Worker 'machines': slot N keeps its home and cache folder across the module's tests."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.visibility: int | None = VISIBILITY  # the broker's, for what starts next
        self.started: list[Worker] = []
        self.coordinators: list[subprocess.Popen[str]] = []

    def start(self, slot: int, broker: str, library: str, poisoned: bool = False) -> Worker:
        """A worker on its slot's folders, not waited for."""
        home = self.base / f"machine-{slot}"
        (home / "cache").mkdir(parents=True, exist_ok=True)
        log = home / f"worker-{len(self.started)}.log"
        env = environment(
            broker, library, self.visibility,
            HOME=str(home), SMARTALBUM_CACHE_DIR=str(home / "cache"),
            XDG_CACHE_HOME=str(home / "xdg-cache"), XDG_DATA_HOME=str(home / "xdg-data"),
            XDG_CONFIG_HOME=str(home / "xdg-config"),
        )  # fmt: skip
        head = ["-c", POISONED_WORKER] if poisoned else ["-m", "smartalbum"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, *head, *WORKER_ARGS],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        worker = Worker(process, log)
        self.started.append(worker)
        return worker

    def two(self, broker: str, library: str, poisoned: bool = False) -> list[Worker]:
        """Two workers, ready."""
        workers = [self.start(slot, broker, library, poisoned) for slot in (0, 1)]
        for worker in workers:
            worker.ready()
        return workers

    def coordinator(self, broker: str, library: str, folder: Path) -> subprocess.Popen[str]:
        """`smartalbum index FOLDER --json` with the broker set: the coordinator."""
        process = subprocess.Popen(
            [sys.executable, "-m", "smartalbum", "index", str(folder), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=environment(broker, library, self.visibility),
        )  # fmt: skip
        self.coordinators.append(process)
        return process

    def stop_all(self) -> None:
        """Stop the workers; kill a coordinator a failed test left running."""
        for worker in self.started:
            worker.stop()
        for process in self.coordinators:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)
        self.started, self.coordinators = [], []


@pytest.fixture(scope="module")
def machines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker machines' folders, kept for the module: each exports its model once."""
    return tmp_path_factory.mktemp("machines")


@pytest.fixture
def fleet(machines: Path) -> Iterator[Fleet]:
    """Workers a test starts, all stopped after it."""
    workers = Fleet(machines)
    try:
        yield workers
    finally:
        workers.stop_all()


@pytest.fixture
def catalog() -> Iterator[str]:
    """An empty PostgreSQL catalog of the test's own (and so a task queue of its own)."""
    if not (POSTGRES_URL and REDIS_URL):
        pytest.skip(
            "SMARTALBUM_TEST_POSTGRES_URL or SMARTALBUM_TEST_REDIS_URL is not set "
            "(scripts/test starts both servers and sets them)"
        )
    with new_database() as url:
        open_engine(url).dispose()  # migrated: the tests look into it from the start
        yield url


@contextmanager
def connected(library: str) -> Iterator[Any]:
    """A plain connection to the catalog (no pool left behind)."""
    engine = create_engine(library, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def photo_count(library: str) -> int:
    with connected(library) as c:
        return int(c.execute(select(func.count()).select_from(Photo)).scalar_one())


def wait_for(what: Callable[[], bool], timeout: float = RUN_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def assert_whole(library: str, count: int = SAMPLE_COUNT) -> None:
    """``count`` photos, distinct paths, all ok, each with its five labels exactly once."""
    with connected(library) as c:
        paths = list(c.execute(select(Photo.path)).scalars())
        statuses = dict(c.execute(select(Photo.status, func.count()).group_by(Photo.status)).all())
        labels = c.execute(select(func.count()).select_from(PhotoLabel)).scalar_one()
        per_photo = set(
            c.execute(
                select(func.count()).select_from(PhotoLabel).group_by(PhotoLabel.photo_id)
            ).scalars()
        )
    assert len(paths) == len(set(paths)) == count
    assert statuses == {"ok": count}
    assert labels == 5 * count and per_photo == {5}


def contents(library: str) -> dict[str, Any]:
    """What a catalog holds, by path: top-5 labels, albums, duplicates."""
    engine = open_engine(library)
    try:
        sessions = session_factory(engine)
        with sessions() as s:
            path_of = dict(s.execute(select(Photo.id, Photo.path)).all())
            labels: dict[str, list[tuple[str, float]]] = defaultdict(list)
            rows = s.execute(
                select(PhotoLabel.photo_id, PhotoLabel.wnid, PhotoLabel.probability).order_by(
                    PhotoLabel.photo_id, PhotoLabel.rank
                )
            )
            for photo_id, wnid, probability in rows:
                labels[path_of[photo_id]].append((wnid, probability))
            albums: dict[str, set[str]] = defaultdict(set)
            for album, photo_id in s.execute(select(AlbumMember.album_id, AlbumMember.photo_id)):
                albums[album].add(path_of[photo_id])
            columns = (Photo.path, Photo.sha256, Photo.taken_at, Photo.time_source, Photo.place)
            facts = {path: rest for path, *rest in s.execute(select(*columns))}
        duplicates = [(g.kind, tuple(g.paths)) for g in find_duplicates(sessions)]
        return {
            "labels": dict(labels), "albums": dict(albums), "duplicates": duplicates,
            "facts": facts,
        }  # fmt: skip
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def with_copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 1000 samples (linked) and two copies of the cat, exact and resized: duplicates."""
    folder = tmp_path_factory.mktemp("with-copies")
    for sample in SAMPLES.glob("*.JPEG"):
        (folder / sample.name).symlink_to(sample)
    shutil.copy(SAMPLES / CAT, folder / "cat-copy.jpg")
    with Image.open(SAMPLES / CAT) as img:
        img.resize((img.width // 2, img.height // 2)).save(folder / "cat-small.webp", quality=70)
    return folder


@pytest.fixture(scope="module")
def cut_short(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first CUT_COUNT samples (linked): the folder of the runs a test cuts short."""
    folder = tmp_path_factory.mktemp("cut-short")
    for sample in sorted(SAMPLES.glob("*.JPEG"))[:CUT_COUNT]:
        (folder / sample.name).symlink_to(sample)
    return folder


@pytest.fixture(scope="module")
def reference(
    settings: Settings, with_copies: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The folder indexed by a local `smartalbum index` (SQLite), to compare with."""
    library = tmp_path_factory.mktemp("local") / "library.db"
    report = finish(index(library, with_copies, settings))
    assert (report["added"], report["failed"]) == (SAMPLE_COUNT + 2, 0)
    return contents(str(library))


def test_two_workers_make_the_catalog_a_local_index_makes(
    catalog: str, fleet: Fleet, reference: dict[str, Any], with_copies: Path
) -> None:
    fleet.two(REDIS_URL, catalog)
    report = finish(fleet.coordinator(REDIS_URL, catalog, with_copies))
    assert (report["scanned"], report["added"], report["failed"]) == (1002, 1002, 0)
    assert_whole(catalog, 1002)
    got = contents(catalog)
    assert got["labels"].keys() == reference["labels"].keys()
    for path, labels in got["labels"].items():
        local = dict(reference["labels"][path])
        assert labels[0][0] == reference["labels"][path][0][0], path  # the same top class
        # The same top five with the same probabilities, bar a near-tie at the fifth.
        shared = [(local[wnid], p) for wnid, p in labels if wnid in local]
        assert len(shared) >= 4 and all(abs(a - b) < 1e-3 for a, b in shared), path
    assert got["albums"] == reference["albums"] and len(got["albums"]) >= 5
    assert got["duplicates"] == reference["duplicates"]
    kinds = {(kind, tuple(Path(p).name for p in paths)) for kind, paths in got["duplicates"]}
    # A byte copy and a re-encode of one photo: one group of three.
    assert kinds == {("near", ("cat-copy.jpg", "cat-small.webp", CAT))}
    assert got["facts"] == reference["facts"]  # what moments are made of
    # The job record: done, every file accounted for; a re-run sends nothing.
    jobs = subprocess.run(
        [sys.executable, "-m", "smartalbum", "jobs", "--json"],
        capture_output=True, text=True, timeout=120, env=environment(REDIS_URL, catalog),
    )  # fmt: skip
    (job,) = json.loads(jobs.stdout)
    assert (job["status"], job["done"], job["total"], job["failed"]) == ("done", 1002, 1002, 0)
    again = finish(fleet.coordinator(REDIS_URL, catalog, with_copies))
    assert (again["unchanged"], again["added"], again["updated"]) == (1002, 0, 0)


def test_a_worker_killed_mid_run_loses_nothing(fleet: Fleet, catalog: str, cut_short: Path) -> None:
    fleet.visibility = None  # the broker's default (600 s): the lease, not the broker, acts
    doomed, _ = fleet.two(REDIS_URL, catalog)
    run = fleet.coordinator(REDIS_URL, catalog, cut_short)
    wait_for(lambda: photo_count(catalog) >= CUT_COUNT // 3)
    doomed.kill()  # mid-batch: it takes one batch at a time, and has one in hand
    killed = time.monotonic()
    out, err = run.communicate(timeout=RUN_TIMEOUT)
    after_kill = time.monotonic() - killed
    assert run.returncode == 0 and "Traceback" not in err, err
    # Sent again when its lease stood still, not after the broker's 600 s: the goal
    # is the end of the run within 60 s of the kill; a loaded machine gets some slack here.
    assert "lost their worker" in err, err
    assert after_kill < 240, f"the run ended {after_kill:.0f} s after the kill"
    print(f"the run ended {after_kill:.1f} s after the kill")
    report = json.loads(out)
    assert (report["added"], report["failed"]) == (CUT_COUNT, 0)
    assert_whole(catalog, CUT_COUNT)
    with connected(catalog) as c:  # its batch came back, and was split to be safe
        split = c.execute(select(func.count()).where(IndexTask.status == "split")).scalar_one()
    assert split >= 1


def test_a_killed_coordinator_is_carried_on_by_the_next_run(
    fleet: Fleet, catalog: str, cut_short: Path
) -> None:
    fleet.two(REDIS_URL, catalog)
    first = fleet.coordinator(REDIS_URL, catalog, cut_short)
    wait_for(lambda: photo_count(catalog) >= CUT_COUNT // 3)
    first.kill()
    first.wait(timeout=30)
    written = photo_count(catalog)
    report: dict[str, Any] = finish(fleet.coordinator(REDIS_URL, catalog, cut_short))
    assert report["failed"] == 0 and report["unchanged"] >= written
    assert_whole(catalog, CUT_COUNT)
    with connected(catalog) as c:
        jobs = list(
            c.execute(select(IndexJob.status, IndexJob.total).order_by(IndexJob.created_at))
        )
    # The dead run's job is marked interrupted; the re-run sent only what was missing.
    assert [status for status, _ in jobs] == ["interrupted", "done"]
    assert jobs[1].total == CUT_COUNT - report["unchanged"] < CUT_COUNT


@contextmanager
def own_redis(folder: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A redis-server of our own on 127.0.0.1 (no persistence); its URL and a restart."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/test installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--appendonly", "no", "--dir", str(folder)]  # fmt: skip
    server: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        server.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)

    def restart() -> None:
        server[-1].terminate()
        server[-1].wait(timeout=30)
        time.sleep(2)  # gone for a moment: everyone's connections break
        start()

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        server[-1].terminate()
        server[-1].wait(timeout=30)


def test_redis_restarted_mid_run_and_the_run_finishes(
    fleet: Fleet, catalog: str, cut_short: Path, tmp_path: Path
) -> None:
    with own_redis(tmp_path) as (broker, restart):
        fleet.two(broker, catalog)
        run = fleet.coordinator(broker, catalog, cut_short)
        wait_for(lambda: photo_count(catalog) >= CUT_COUNT // 3)
        restart()  # with no persistence: the queue is gone, the coordinator sends it again
        report = finish(run)
        written = photo_count(catalog)
    assert (report["added"], report["failed"], written) == (CUT_COUNT, 0, CUT_COUNT)
    assert_whole(catalog, CUT_COUNT)


def test_a_file_that_kills_its_worker_every_time_is_given_up_on(
    fleet: Fleet, catalog: str, samples: Path, tmp_path: Path
) -> None:
    folder = copy_samples(samples, tmp_path / "photos", "n0*.JPEG", 70)
    shutil.copy(samples / next(iter(LIBRARY_PHOTOS)), folder / "poison.JPEG")
    workers = fleet.two(REDIS_URL, catalog, poisoned=True)
    report = finish(fleet.coordinator(REDIS_URL, catalog, folder))
    assert (report["added"], report["failed"]) == (70, 1)
    with connected(catalog) as c:
        poison = c.execute(select(Photo).where(Photo.path.like("%poison.JPEG"))).one()
        tasks = {t.task: t for t in c.execute(select(IndexTask))}
        others = c.execute(select(func.count()).where(Photo.status == "ok")).scalar_one()
    assert poison.status == "failed" and "died on this file 2 times" in poison.error
    assert others == 70
    # Bounded: its batch twice (then split), the file alone twice, then given up unopened.
    assert (tasks["1"].status, tasks["1"].attempts) == ("split", 2)
    given_up = [t for t in tasks.values() if t.status == "given_up"]
    assert [(t.files, t.attempts) for t in given_up] == [(1, 3)]
    assert sum(w.crashes for w in workers) == 3


def test_a_cancelled_job_stops_and_its_batches_are_skipped(
    fleet: Fleet, catalog: str, samples: Path, tmp_path: Path
) -> None:
    import redis

    folder = copy_samples(samples, tmp_path / "photos", "n01*.JPEG", 100)
    run = fleet.coordinator(REDIS_URL, catalog, folder)  # no worker yet: nothing gets done
    with connected(catalog) as c:
        wait_for(lambda: c.execute(select(func.count()).select_from(IndexJob)).scalar_one() == 1)
        job_id = c.execute(select(IndexJob.id)).scalar_one()
        c.rollback()
    cancel = subprocess.run(
        [sys.executable, "-m", "smartalbum", "jobs", job_id, "--cancel", "--json"],
        capture_output=True, text=True, timeout=120, env=environment(REDIS_URL, catalog),
    )  # fmt: skip
    assert cancel.returncode == 0, cancel.stderr
    report = finish(run)
    assert (report["added"], report["failed"]) == (0, 0)
    fleet.two(REDIS_URL, catalog)
    again = finish(fleet.coordinator(REDIS_URL, catalog, folder))  # carries on: everything, once
    assert (again["added"], again["failed"]) == (100, 0)
    assert_whole(catalog, 100)
    engine = open_engine(catalog)
    queue = queue_name(session_factory(engine))
    engine.dispose()
    with connected(catalog) as c:
        cancelled = c.execute(select(IndexJob).where(IndexJob.id == job_id)).one()
        attempts = set(
            c.execute(select(IndexTask.attempts).where(IndexTask.job_id == job_id)).scalars()
        )
    # The workers took the cancelled job's tasks off the queue and did nothing with them.
    assert (cancelled.status, attempts) == ("cancelled", {0})
    assert redis.Redis.from_url(REDIS_URL).llen(queue) == 0


def test_the_web_import_goes_through_the_workers(
    fleet: Fleet, catalog: str, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    folder = copy_samples(samples, tmp_path / "photos", "n02*.JPEG", 20)
    fleet.two(REDIS_URL, catalog)
    served = settings.with_overrides(
        library=catalog, broker=REDIS_URL, broker_visibility_timeout=VISIBILITY, engine="onnx"
    )
    with LiveServer(served) as url, httpx.Client(base_url=url, timeout=60) as client:
        deadline = time.monotonic() + READY_TIMEOUT
        while not client.get("/api/health").json()["ready"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        job = client.post("/api/index", json={"folders": [str(folder)]}).json()
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline + RUN_TIMEOUT
            time.sleep(0.2)
            job = client.get(f"/api/jobs/{job['id']}").json()
    assert (job["status"], job["done"], job["total"]) == ("done", 20, 20)
    assert (job["report"]["added"], job["report"]["failed"]) == (20, 0)
    assert_whole(catalog, 20)
    with connected(catalog) as c:  # the catalog's job record is the web's job
        record = c.execute(select(IndexJob).where(IndexJob.id == job["id"])).one()
    assert record.status == "done" and record.total == 20


def test_a_distributed_run_writes_the_sidecars_beside_the_catalogs_photos(
    fleet: Fleet, catalog: str, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in (CAT, DOG, DAISY):
        shutil.copy(SAMPLES / name, folder / name)
    (folder / f"{DAISY}.xmp").write_text(DIGIKAM, "utf-8")
    fleet.two(REDIS_URL, catalog)  # the workers write no sidecar: the coordinator does
    run = subprocess.Popen(
        [sys.executable, "-m", "smartalbum", "index", str(folder), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=environment(REDIS_URL, catalog, fleet.visibility, SMARTALBUM_XMP_WRITE="true"),
    )  # fmt: skip
    fleet.coordinators.append(run)
    assert finish(run)["added"] == 3
    assert_sidecars(folder)


def test_compose_runs_the_commands_these_tests_run() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert services["worker"]["command"] == WORKER_ARGS
    assert services["index"]["command"] == ["index", "/photos"]
    assert services["web"]["command"][0] == "serve"
    for name in ("web", "worker", "index"):
        env = services[name]["environment"]
        assert env["SMARTALBUM_BROKER"] == "redis://redis:6379/0"
        assert env["SMARTALBUM_LIBRARY"].endswith("@postgres:5432/smartalbum")
        assert "PGPASSWORD" in env and make_url(env["SMARTALBUM_LIBRARY"]).password is None
        assert any(v.endswith(":/photos:ro") for v in services[name]["volumes"])
        # Uploads: written by the web app, indexed by the workers, at one path in all.
        assert "uploads:/uploads" in services[name]["volumes"]
        assert env["SMARTALBUM_UPLOAD_ROOT"] == "/uploads"
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}
    assert "--appendonly" in services["redis"]["command"]
    assert {"catalog", "queue", "models", "uploads"} <= set(compose["volumes"])
    dockerfile = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["smartalbum"]' in dockerfile
    lock = re.search(r"pip install --require-hashes --requirement (\S+)", dockerfile)
    assert lock is not None  # the image installs its lock: extras named in its header
    extras = re.search(r"^# extras: ([a-z,]+)$", (REPO / lock[1]).read_text(), re.MULTILINE)
    assert extras is not None
    optional = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert set(extras[1].split(",")) <= set(optional["optional-dependencies"])


def test_postgresql_briefly_away_and_the_run_finishes(
    catalog: str, fleet: Fleet, samples: Path, tmp_path: Path
) -> None:
    folder = copy_samples(samples, tmp_path / "photos", "n0*.JPEG", 300)
    fleet.two(REDIS_URL, catalog)
    run = fleet.coordinator(REDIS_URL, catalog, folder)
    wait_for(lambda: photo_count(catalog) >= 64)
    name = make_url(catalog).database
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as c:  # every connection cut, and new ones refused, for 4 s
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            c.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            time.sleep(4)
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()
    report = finish(run)
    assert (report["added"], report["failed"]) == (300, 0)
    assert_whole(catalog, 300)
    logs = [w.log.read_text(errors="replace") for w in fleet.started]
    assert any("the catalog is unreachable" in log for log in logs)  # and they waited it out
