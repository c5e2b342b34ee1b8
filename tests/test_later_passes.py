"""Indexing's second phase: every photo is written at the model's speed first, then its text
is read (resumable), from the indexer, the command line and the web app's jobs."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import class_groups, load_rules
from smartalbum.bench.text_set import Sample, fonts_missing, make_set
from smartalbum.catalog import Photo, PhotoLabel, open_engine, session_factory
from smartalbum.catalog.people import FaceScan
from smartalbum.catalog.texts import PhotoTextLine
from smartalbum.cli import main
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.library.later_passes import run_later_passes
from smartalbum.library.text_pass import read_text
from smartalbum.ocr import backfill, photos_saying
from smartalbum.ocr.store import count_unread
from smartalbum.settings import Settings
from smartalbum.web.jobs import LATER, JobRunner
from tests.helpers import LiveServer

pytestmark = pytest.mark.skipif(bool(fonts_missing()), reason="needs fonts-noto-cjk, dejavu")


@pytest.fixture(scope="module")
def rendered(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sample]]:
    """Six photos of the text set: five say something, one nothing."""
    folder = tmp_path_factory.mktemp("rendered")
    return folder, make_set(samples, folder, count=5, seed=11)


def _photos(rendered: tuple[Path, list[Sample]], into: Path) -> Path:
    folder, made = rendered
    into.mkdir()
    for sample in made:
        shutil.copy(folder / sample.file, into / sample.file)
    return into


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_photos_are_in_before_their_text_is_read_and_a_stopped_run_resumes(
    settings: Settings, rendered: tuple[Path, list[Sample]], tmp_path: Path
) -> None:
    photos = _photos(rendered, tmp_path / "photos")
    on = dataclasses.replace(settings, text=True, index_processes=1)
    engine = open_engine(tmp_path / "library.db")
    try:
        sessions = session_factory(engine)
        indexer = Indexer(Classifier.from_settings(on), sessions, str(tmp_path / "library.db"),
                          later=False)  # fmt: skip
        report = indexer.run([photos])
        # The first phase: every photo in, with its labels, and no text read yet.
        assert report.added == 6 and report.later is None
        assert _count(sessions, Photo) == 6 and _count(sessions, PhotoLabel) == 6 * 5
        with sessions() as session:
            assert count_unread(session) == 6
        # The second, stopped after its first batch; the next run reads the rest.
        stopped = run_later_passes(sessions, str(indexer.library), on, indexer.writer.rules,
                                   lambda _name, _done, _total: False)  # fmt: skip
        assert stopped.stopped and stopped.text is not None and stopped.faces is None
        assert 0 < stopped.text["read"] < 6 and stopped.text["total"] == 6
        rest = run_later_passes(sessions, str(indexer.library), on, indexer.writer.rules)
        assert not rest.stopped and rest.text is not None
        assert rest.text["total"] == rest.text["read"] == 6 - stopped.text["read"]
        assert rest.text["seconds"] > 0
        _, made = rendered
        with sessions() as session:
            assert count_unread(session) == 0
            ids = {Path(p).name: i for p, i in session.execute(select(Photo.path, Photo.id))}
            for sample in made[:5]:
                assert ids[sample.file] in photos_saying(session, sample.lines[0]), sample
    finally:
        engine.dispose()


def test_the_text_is_read_in_processes_as_in_this_one(
    settings: Settings,
    rendered: tuple[Path, list[Sample]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = _photos(rendered, tmp_path / "photos")
    # No memory budget: two reader processes, whatever this test process holds already.
    on = dataclasses.replace(settings, text=True, index_processes=1, index_memory_mb=0)
    said: list[dict[str, list[str]]] = []
    for processes in (1, 2):
        monkeypatch.setattr(backfill, "MIN_PER_PROCESS", 2)  # six photos are enough for two
        engine = open_engine(tmp_path / f"library-{processes}.db")
        try:
            sessions = session_factory(engine)
            library = str(tmp_path / f"library-{processes}.db")
            Indexer(Classifier.from_settings(on), sessions, library, later=False).run([photos])
            rules = load_rules(None, Classifier.from_settings(on).labels, class_groups())
            done = read_text(sessions, on, rules, processes=processes)
            assert (done.total, done.read, done.failed) == (6, 6, 0)
            with sessions() as session:
                rows = session.execute(select(Photo.path, PhotoTextLine.text).join(
                    PhotoTextLine, PhotoTextLine.photo_id == Photo.id).order_by(
                    Photo.path, PhotoTextLine.line))  # fmt: skip
                lines: dict[str, list[str]] = {}
                for path, text in rows:
                    lines.setdefault(Path(path).name, []).append(text)
            said.append(lines)
        finally:
            engine.dispose()
    assert said[0] == said[1] and len(said[0]) >= 5


def test_a_changed_file_is_looked_at_again_for_faces(
    settings: Settings, rendered: tuple[Path, list[Sample]], tmp_path: Path
) -> None:
    photos = _photos(rendered, tmp_path / "photos")
    off = dataclasses.replace(settings, text=False, faces=False, index_processes=1)
    engine = open_engine(tmp_path / "library.db")
    try:
        sessions = session_factory(engine)
        indexer = Indexer(Classifier.from_settings(off), sessions, str(tmp_path / "library.db"))
        indexer.run([photos])
        with sessions.begin() as session:  # as if the face pass had looked at every photo
            ids = list(session.scalars(select(Photo.id).order_by(Photo.path)))
            for i in ids:
                session.add(FaceScan(photo_id=i, version=1, faces=0, scanned_at=0.0))
        changed = sorted(photos.iterdir())[0]
        changed.write_bytes(changed.read_bytes() + b"\0")
        indexer.run([photos])
        with sessions() as session:
            assert set(session.scalars(select(FaceScan.photo_id))) == set(ids[1:])
    finally:
        engine.dispose()


def test_the_command_line_prints_both_phases(
    settings: Settings,
    rendered: tuple[Path, list[Sample]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    photos = _photos(rendered, tmp_path / "photos")
    monkeypatch.setenv("SMARTALBUM_TEXT", "true")
    monkeypatch.setenv("SMARTALBUM_INDEX_PROCESSES", "1")
    library = str(tmp_path / "library.db")
    assert main(["index", str(photos), "--library", library, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["added"] == 6 and printed["seconds"] > 0
    assert printed["later"]["text"]["read"] == 6 and printed["later"]["faces"] is None
    assert printed["later"]["text"]["with_text"] >= 5
    assert main(["index", str(photos), "--library", library]) == 0  # nothing left to read
    out = capsys.readouterr().out
    assert "6 unchanged" in out and "then text: 0 of 0 photos read" in out


def test_an_import_job_is_followed_by_the_second_phase(
    settings: Settings, rendered: tuple[Path, list[Sample]], tmp_path: Path
) -> None:
    photos = _photos(rendered, tmp_path / "photos")
    on = dataclasses.replace(settings, text=True, library=str(tmp_path / "library.db"))
    with LiveServer(on) as url, httpx.Client(base_url=url, timeout=60) as client:
        job = client.post("/api/index", json={"folders": [str(photos)]}).json()
        job = _finished(client, job["id"])
        assert job["status"] == "done" and job["report"]["added"] == 6, job
        later = _finished(client, job["report"]["later_job"])
        assert later["kind"] == "later" and later["status"] == "done", later
        assert later["report"]["text"]["read"] == 6 and not later["report"]["stopped"]
        assert client.get("/api/text").json()["unread"] == 0


def _finished(client: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while True:
        job = dict(client.get(f"/api/jobs/{job_id}").json())
        if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_the_second_phase_gives_way_to_a_job_that_waits(
    settings: Settings, rendered: tuple[Path, list[Sample]], tmp_path: Path
) -> None:
    photos = _photos(rendered, tmp_path / "photos")
    library = str(tmp_path / "library.db")
    off = dataclasses.replace(settings, text=False, index_processes=1, library=library)
    engine = open_engine(library)
    try:
        Indexer(Classifier.from_settings(off), session_factory(engine), library).run([photos])
    finally:
        engine.dispose()
    on = dataclasses.replace(off, text=True)
    rules = load_rules(None, Classifier.from_settings(off).labels, class_groups())
    runner = JobRunner(library, lambda: rules)
    try:
        later = runner.submit_work(LATER, runner._later(on))
        waiting = runner.submit_work("other", lambda _job: {})  # an import, say
        for job in (later, waiting):
            deadline = time.monotonic() + 300
            while not job.over and time.monotonic() < deadline:
                time.sleep(0.1)
        assert later.status == "done" and waiting.status == "done"
        assert later.report is not None and later.report["stopped"]
        assert later.report["text"]["read"] == backfill.BATCH < 6  # one batch, then gave way
    finally:
        runner.shutdown()
