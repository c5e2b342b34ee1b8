"""People and the library (library/people_pass.py): album rules that name people, kept in step
with every change to people, and the face scan of photos indexed before, as a web job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.catalog.people import Face, FaceScan
from smartalbum.cli import main
from smartalbum.cli.common import EXIT_FAILED
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.library.people_pass import edit_people, scan_library_faces
from smartalbum.library.service import PhotoLibrary
from smartalbum.people import directory
from smartalbum.people.scan import count_unscanned, scan
from smartalbum.settings import Settings
from tests.helpers import LiveServer, assert_error, bearer_headers, copy_catalog
from tests.people_library import face_photos, face_video, index_few

RULES = """
[albums.colin]
title = "Colin"
title_zh = "科林"
people = ["colin"]

[albums.serena]
title = "Serena"
title_zh = "小威"
people = ["小威", "Nobody Else"]
"""


class Few:
    """The small library indexed twice: with faces (named) and without."""

    def __init__(self, root: Path, with_faces: Path, without: Path, photos: int) -> None:
        self.root, self.with_faces, self.without, self.photos = root, with_faces, without, photos


@pytest.fixture(scope="module")
def few(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Few:
    """The small library with its people named (Colin, 小威), and a copy indexed without faces."""
    base = tmp_path_factory.mktemp("few")
    with_faces, without = base / "faces.db", base / "none.db"
    photos = index_few(base / "photos", str(with_faces), settings)
    index_few(base / "photos", str(without), settings, faces=False)
    engine = open_engine(str(with_faces))
    with session_factory(engine).begin() as session:
        for folder, (en, zh) in {"Colin": ("Colin", None), "Serena": (None, "小威")}.items():
            person = _person_of(session, folder)
            directory.rename(session, person, en, zh)
    engine.dispose()
    return Few(base / "photos", with_faces, without, photos)


def _person_of(session: Session, prefix: str) -> int:
    """The person most faces in the photos named ``prefix...`` went to."""
    rows = session.execute(select(Face.person_id, Photo.path).join(Photo)).all()
    people = [p for p, path in rows if Path(path).name.startswith(prefix) and p is not None]
    assert people, f"{prefix}: nobody"
    return int(max(set(people), key=people.count))


@pytest.fixture
def library(few: Few, settings: Settings, tmp_path: Path) -> Iterator[PhotoLibrary]:
    """This test's copy of the small library (with faces), under RULES."""
    rules = tmp_path / "albums.toml"
    rules.write_text(RULES, encoding="utf-8")
    own = copy_catalog(few.with_faces, tmp_path / "library.db")
    opened = PhotoLibrary.open(settings.with_overrides(library=str(own), albums_file=rules))
    yield opened
    opened.close()


def members(library: PhotoLibrary, album: str) -> set[str]:
    """The names of an album's photos."""
    return {Path(p["path"]).name for p in library.album(album)["photos"]}


def test_an_album_rule_names_people_in_english_or_chinese(library: PhotoLibrary) -> None:
    colin = members(library, "colin")
    assert "both.jpg" in colin and len(colin) >= 3
    assert all(n.startswith("Colin") for n in colin - {"both.jpg"}), colin
    serena = members(library, "serena")
    assert "both.jpg" in serena and all(n.startswith("Serena") for n in serena - {"both.jpg"})


def test_the_album_follows_a_rename_a_face_taken_out_and_a_hide(library: PhotoLibrary) -> None:
    with library.sessions() as session:
        colin = directory.named(session, "Colin")[0]
        face = next(f for f in directory.person_page(session, colin)["face_list"])
        photo = Path(session.get(Photo, face["photo_id"]).path).name  # type: ignore[union-attr]
    before = members(library, "colin")
    edit_people(library, lambda s: directory.rename(s, colin, "Colin P", None), [colin])
    assert members(library, "colin") == set()
    edit_people(library, lambda s: directory.rename(s, colin, "COLIN", None), [colin])
    assert members(library, "colin") == before  # any case
    edit_people(library, lambda s: directory.remove_face(s, face["id"]), faces=[face["id"]])
    assert members(library, "colin") == before - {photo}
    edit_people(library, lambda s: directory.hide(s, colin, True), [colin])
    assert members(library, "colin") == set()


def test_a_scan_job_finds_the_faces_of_a_library_indexed_without(
    few: Few, settings: Settings, tmp_path: Path
) -> None:
    own = str(copy_catalog(few.without, tmp_path / "library.db"))
    headers = bearer_headers(own, ["viewer", "editor"], "a long password 1")
    with LiveServer(settings.with_overrides(library=own, faces=True)) as url:
        with httpx.Client(base_url=url, timeout=60, headers=headers["viewer"]) as viewer:
            status = viewer.get("/api/faces").json()
            assert status == {"enabled": True, "unscanned": few.photos, "job": None}
            assert_error(viewer.post("/api/faces/scan"), 403, "forbidden")
        with httpx.Client(base_url=url, timeout=60, headers=headers["editor"]) as editor:
            job = editor.post("/api/faces/scan")
            assert job.status_code == 202 and job.json()["kind"] == "faces", job.text
            status = _finished(editor)
            assert status["job"]["status"] == "done", status
            assert status["job"]["done"] == status["job"]["total"] == few.photos
            assert status["job"]["report"]["faces"] >= 8  # 3 + 3 alone, 2 together
            assert status["unscanned"] == 0
            people = editor.get("/api/people").json()["people"]
            assert len(people) >= 2 and people[0]["faces"] >= 3
    off = LiveServer(settings.with_overrides(library=own, faces=False))
    with off as url, httpx.Client(base_url=url, timeout=60, headers=headers["editor"]) as editor:
        assert_error(editor.post("/api/faces/scan"), 409, "pass_off")


def _finished(client: httpx.Client) -> dict[str, Any]:
    """``GET /api/faces`` once its job is over (a minute at most)."""
    for _ in range(600):
        status: dict[str, Any] = client.get("/api/faces").json()
        if status["job"] and status["job"]["status"] not in ("queued", "running"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"the face scan did not finish: {status}")


def test_a_stopped_scan_carries_on_where_it_stopped(
    few: Few, settings: Settings, tmp_path: Path
) -> None:
    own = copy_catalog(few.without, tmp_path / "library.db")
    library = PhotoLibrary.open(settings.with_overrides(library=str(own)))
    try:

        def two(items: Iterator[Any], total: int) -> Iterator[Any]:
            assert total == few.photos
            for n, item in enumerate(items):
                if n == 2:
                    return  # stopped: the two in hand are written
                yield item

        assert scan_library_faces(library, settings, two).photos == 2
        with library.sessions() as session:
            assert count_unscanned(session) == few.photos - 2
        assert scan_library_faces(library, settings).photos == few.photos - 2
        with library.sessions() as session:
            assert count_unscanned(session) == 0
    finally:
        library.close()


def test_a_new_photo_of_a_named_person_joins_their_album_as_it_is_indexed(
    library: PhotoLibrary, few: Few, settings: Settings, tmp_path: Path
) -> None:
    new = tmp_path / "new"
    new.mkdir()
    (new / "Colin-new.jpg").write_bytes(face_photos("Colin_Powell")[3].read_bytes())
    own = settings.with_overrides(faces=True, index_processes=1, engine="onnx")
    catalog = str(library.sessions.kw["bind"].url.database)
    indexer = Indexer(Classifier.from_settings(own), library.sessions, catalog, rules=library.rules)
    assert indexer.run([new]).added == 1
    assert "Colin-new.jpg" in members(library, "colin")


def test_a_video_s_frames_give_each_person_once(settings: Settings, tmp_path: Path) -> None:
    """Four frames of one person: one face; two of each of two people: two faces; the same
    whether found while indexing or by a scan later."""
    colin, serena = face_photos("Colin_Powell"), face_photos("Serena_Williams")
    (tmp_path / "videos").mkdir()
    face_video(tmp_path / "videos" / "one.mp4", colin[:4])
    face_video(tmp_path / "videos" / "two.mp4", [colin[4], serena[3], colin[5], serena[4]])
    found = {}
    for faces in (True, False):
        library = str(tmp_path / f"{faces}.db")
        own = settings.with_overrides(faces=faces, library=library, index_processes=1)
        engine = open_engine(library)
        sessions = session_factory(engine)
        try:
            report = Indexer(Classifier.from_settings(own), sessions, library).run(
                [tmp_path / "videos"]
            )
            assert report.added == 2 and report.failed == 0, report
            if not faces:
                assert scan(sessions, own.max_pixels).photos == 2
            with sessions() as session:
                rows = session.execute(select(Photo.path, Face.id).join(Face)).all()
            found[faces] = sorted(Path(path).name for path, _ in rows)
        finally:
            engine.dispose()
    assert found[True] == found[False] == ["one.mp4", "two.mp4", "two.mp4"], found


def test_the_command_line_refuses_to_scan_while_recognition_is_off(
    few: Few, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    own = copy_catalog(few.without, tmp_path / "library.db")
    monkeypatch.setenv("SMARTALBUM_FACES", "false")
    assert main(["people", "scan", "--library", str(own), "--json"]) == EXIT_FAILED
    refused = json.loads(capsys.readouterr().out)["error"]
    assert refused["code"] == "pass_off" and "SMARTALBUM_FACES=false" in refused["message"]
    monkeypatch.setenv("SMARTALBUM_LANG", "zh_CN")
    assert main(["people", "scan", "--library", str(own)]) == EXIT_FAILED
    assert "人脸识别已关闭（SMARTALBUM_FACES=false）" in capsys.readouterr().err
    engine = open_engine(str(own))
    try:
        with session_factory(engine)() as session:  # nothing looked at
            assert session.scalar(select(func.count()).select_from(FaceScan)) == 0
    finally:
        engine.dispose()


def test_the_command_line_scans_once_and_keeps_the_albums_in_step(
    few: Few, settings: Settings, tmp_path: Path
) -> None:
    own = copy_catalog(few.without, tmp_path / "library.db")
    rules = tmp_path / "albums.toml"
    rules.write_text(RULES, encoding="utf-8")
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(own), "SMARTALBUM_ALBUMS_FILE": str(rules),
           "SMARTALBUM_FACES": "true"}  # fmt: skip

    def people(*args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "smartalbum", "people", *args, "--json"],
            env=env, capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
        return json.loads(done.stdout)

    assert people("scan")["photos"] == few.photos
    assert people("scan")["photos"] == 0  # nothing left: a stopped scan carries on from there
    engine = open_engine(str(own))
    with session_factory(engine)() as session:
        colin = _person_of(session, "Colin")
    engine.dispose()
    assert people("name", str(colin), "--en", "Colin")["name"] == "Colin"
    library = PhotoLibrary.open(settings.with_overrides(library=str(own), albums_file=rules))
    try:
        assert "both.jpg" in members(library, "colin")
    finally:
        library.close()
