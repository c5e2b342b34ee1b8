"""INT8 without a manual step: the first big enough import builds it from the library's own
photos, checks it against fp32 on others, and the next import serves with what ``auto`` picks.
Real photos, a real catalog, real ``smartalbum index`` processes."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from smartalbum import imaging
from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.engines import MIN_SURE, build_checked_int8, choice, judge_int8
from smartalbum.engines.classifier import model_files
from smartalbum.library import int8
from smartalbum.settings import Settings
from tests.helpers import SAMPLES, LiveServer, cache_with_fp32


def _index(
    folder: Path, library: Path, cache: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMARTALBUM_CACHE_DIR": str(cache), "SMARTALBUM_ENGINE": "auto"}
    return subprocess.run(
        [sys.executable, "-m", "smartalbum", "index", str(folder), "--library", str(library),
         *flags],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def _some_samples(folder: Path, names: list[str]) -> Path:
    folder.mkdir()
    for name in names:
        (folder / name).symlink_to(SAMPLES / name)
    return folder


def test_the_first_big_import_builds_int8_and_the_next_one_serves_with_auto(
    settings: Settings, tmp_path: Path
) -> None:
    cache = cache_with_fp32(settings, tmp_path / "cache")
    names = sorted(p.name for p in SAMPLES.glob("*.JPEG"))
    random.Random(3).shuffle(names)
    library = tmp_path / "library.db"
    first = _index(_some_samples(tmp_path / "first", names[:120]), library, cache)
    assert first.returncode == 0, first.stderr
    # The index's own line, then the INT8 build as a step of its own, with its own time.
    assert re.fullmatch(r"120 files: 120 added, .* in [\d.]+ s \([\d.]+ img/s\)\n", first.stdout)
    building, built = first.stderr.splitlines()
    assert (
        building == "smartalbum: building the INT8 model from your photos (once; it takes a while)"
    )
    assert re.match(r"smartalbum: built the INT8 model from 60 of your photos in [\d.]+ s: ", built)
    assert "Collecting tensor data" not in first.stdout + first.stderr  # ONNX Runtime's, not ours
    files = model_files(settings.with_overrides(cache_dir=cache))
    verdict = json.loads(int8.verdict_path(files).read_text())
    assert verdict["kept"] and verdict["sure_agreement"] >= int8.MIN_AGREEMENT
    assert verdict["sure"] >= MIN_SURE and verdict["agreement"] > 0.9
    assert (verdict["calibrated_on"], verdict["checked_on"], verdict["photos"]) == (60, 60, 120)
    assert files.onnx_path("int8").is_file()

    second = _index(_some_samples(tmp_path / "second", names[120:130]), library, cache, "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["added"] == 10
    assert "INT8" not in second.stderr  # built once, not again
    remembered = json.loads((cache / choice.CACHE_NAME).read_text())
    (latest,) = [c for c in remembered.values() if "onnx-int8" in c["timings"]]
    assert latest["timings"]["onnx-int8"] is not None  # the INT8 engines were measured
    with session_factory(open_engine(library))() as session:
        rows = session.execute(select(Photo.path, Photo.engine)).all()
    new = {engine for path, engine in rows if "/second/" in path}
    assert new == {latest["engine"]}, (new, latest)  # what auto measured fastest


def test_an_int8_model_that_disagrees_with_fp32_is_not_kept(
    settings: Settings, tmp_path: Path
) -> None:
    cache = cache_with_fp32(settings, tmp_path / "cache")
    files = model_files(settings.with_overrides(cache_dir=cache))
    photos = sorted(SAMPLES.glob("*.JPEG"))[:70]
    arrays = [imaging.load(p, files.spec.preprocess) for p in photos]
    refused = build_checked_int8(files, arrays[:50], arrays[50:], min_agreement=1.01)
    assert not refused.kept and 0.8 < refused.agreement <= 1.0 and refused.checked == 20
    assert not files.onnx_path("int8").exists()
    assert list((cache / "models").glob("*.part")) == []  # no half-made file left behind


def test_int8_is_judged_where_fp32_is_sure_once_there_are_enough_such_photos(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.onnx"
    # 40 photos: fp32 sure of 30, INT8 agreeing on all of them and on 5 of the 10 others.
    same, sure = [True] * 30 + [True] * 5 + [False] * 5, [True] * 30 + [False] * 10
    judged = judge_int8(path, same, sure, 0.97)
    assert judged.kept and (judged.agreement, judged.sure_agreement) == (35 / 40, 1.0)
    assert (judged.checked, judged.sure) == (40, 30)
    # A flip where fp32 is sure counts: 29 of 30 is under 97 %.
    assert not judge_int8(path, [False, *same[1:]], sure, 0.97).kept
    # Too few sure photos: all of them are judged.
    few = [True] * (MIN_SURE - 1) + [False] * (41 - MIN_SURE)  # 40 in all
    assert not judge_int8(path, same, few, 0.97).kept
    assert judge_int8(path, [True] * 40, few, 0.97).kept


def test_the_server_switches_to_what_auto_picks_after_an_import_without_a_restart(
    settings: Settings, tmp_path: Path
) -> None:
    cache = cache_with_fp32(settings, tmp_path / "cache")
    names = sorted(p.name for p in SAMPLES.glob("*.JPEG"))[::8][:110]
    folder = _some_samples(tmp_path / "photos", names)
    served = settings.with_overrides(
        engine="auto", cache_dir=cache, library=str(tmp_path / "library.db")
    )
    with LiveServer(served) as url, httpx.Client(base_url=url, timeout=60) as c:
        before = c.get("/api/health").json()["engine_choice"]
        assert "onnx-int8" not in before["timings_ms"]  # nothing to measure it on yet
        job = c.post("/api/index", json={"folders": [str(folder)]}).json()
        after = before
        deadline = time.monotonic() + 600  # the import, then the INT8 build: ~2 min here
        while time.monotonic() < deadline:
            after = c.get("/api/health").json()["engine_choice"]
            if "onnx-int8" in after["timings_ms"]:
                break
            time.sleep(0.5)
        assert c.get(f"/api/jobs/{job['id']}").json()["status"] == "done"
        assert after["timings_ms"]["onnx-int8"] is not None, after
        assert c.get("/api/health").json()["engine"] == after["engine"]
