"""The indexer on a generated library of real photos and bad files, killed and resumed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from smartalbum.library.indexer import LibraryLock
from smartalbum.settings import Settings
from tests.helpers import copy_samples, finish, index, tiff_with_text_profile


def make_library(root: Path, samples: Path, count: int = 150) -> dict[str, str]:
    """Real photos in several formats and folders, plus broken files; expected status by name."""
    expected: dict[str, str] = {}
    photos = sorted(samples.glob("n0*.JPEG"))[:count]
    for i, src in enumerate(photos):
        folder = root / f"year-{2020 + i % 3}" / f"trip-{i % 5}"
        folder.mkdir(parents=True, exist_ok=True)
        fmt = ("JPEG", "PNG", "WEBP")[i % 3]
        target = folder / f"{src.stem}.{fmt.lower().replace('jpeg', 'jpg')}"
        with Image.open(src) as img:
            img.convert("RGB").save(target, fmt)
        expected[str(target)] = "ok"
    broken = root / "year-2020" / "broken"
    broken.mkdir(parents=True)
    (broken / "empty.jpg").write_bytes(b"")
    (broken / "notes.jpg").write_text("a text file named like a photo")
    (broken / "cut.jpg").write_bytes(photos[0].read_bytes()[:1500])
    (broken / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3000))
    for name in ("empty.jpg", "notes.jpg", "cut.jpg", "garbage.png"):
        expected[str(broken / name)] = "failed"
    (root / ".hidden.jpg").write_bytes(photos[1].read_bytes())  # skipped
    (root / "readme.txt").write_text("not an image suffix: skipped")
    (root / "year-2021" / "loop").symlink_to(root)  # a symlink loop
    return expected


def under_way(proc: subprocess.Popen[str], library: Path) -> subprocess.Popen[str]:
    """Return once the indexer has committed a few batches (at most five minutes)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if library.exists():
            with sqlite3.connect(library) as db:
                try:
                    done = db.execute("SELECT count(*) FROM photos").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
            if done >= 24:
                break
        time.sleep(0.02)
    return proc


def catalog(library: Path) -> dict[str, tuple[object, ...]]:
    with sqlite3.connect(library) as db:
        rows = db.execute(
            "SELECT p.path, p.status, p.error IS NOT NULL, p.sha256, p.width, "
            "(SELECT length(b.thumbnail) <= 20480 FROM photo_blobs b WHERE b.photo_id = p.id), "
            "(SELECT wnid FROM photo_labels l WHERE l.photo_id = p.id AND l.rank = 1) "
            "FROM photos p"
        ).fetchall()
        count = db.execute("SELECT count(*), count(DISTINCT path) FROM photos").fetchone()
    assert count[0] == count[1] == len(rows)
    return {row[0]: row[1:] for row in rows}


@pytest.mark.soak  # timings: Ctrl-C stops it within 8 s, a re-run takes a third of the time
def test_index_kill_and_resume_equals_a_clean_run(
    classifier: object, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    root = tmp_path / "photos"
    expected = make_library(root, samples)
    clean_db = tmp_path / "clean.db"
    report = finish(index(clean_db, root, settings))
    assert report["scanned"] == len(expected)
    assert (report["added"], report["failed"]) == (150, 4)
    assert any("symlink loop" in w for w in report["warnings"])  # type: ignore[attr-defined]
    clean = catalog(clean_db)
    assert {path: row[0] for path, row in clean.items()} == expected
    right = 0
    for path, (status, has_error, sha, width, small_thumb, top1) in clean.items():
        if status == "ok":
            assert sha and width and small_thumb and isinstance(top1, str), path
            right += top1 == Path(path).name.split("_")[0]
        else:
            assert has_error and top1 is None, path
    assert right / 150 >= 0.75, right  # real predictions, not placeholders

    # Kill a run mid-way (after some batches are committed), then resume it.
    killed_db = tmp_path / "killed.db"
    proc = under_way(index(killed_db, root, settings), killed_db)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)  # reap it and close its pipes
    partial = len(catalog(killed_db))
    assert 24 <= partial < len(expected), partial  # it really died mid-run
    resumed = finish(index(killed_db, root, settings))
    assert resumed["unchanged"] == partial
    assert catalog(killed_db) == clean

    # Ctrl-C: it stops at once (its workers too), keeps what it wrote, and resumes.
    stopped_db = tmp_path / "stopped.db"
    proc = under_way(index(stopped_db, root, settings), stopped_db)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=8)  # workers blocked on a full pipe took 20 s here
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    partial = len(catalog(stopped_db))
    assert 24 <= partial < len(expected), partial
    assert finish(index(stopped_db, root, settings))["unchanged"] == partial
    assert catalog(stopped_db) == clean

    # Unchanged library: nothing re-classified, a fraction of the time.
    again = finish(index(clean_db, root, settings))
    assert (again["unchanged"], again["added"], again["updated"]) == (len(expected), 0, 0)
    assert again["seconds"] < report["seconds"] / 3  # type: ignore[operator]


def test_moved_deleted_and_changed_files(
    classifier: object, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    names = [p.name for p in sorted(samples.glob("n021*.JPEG"))[:6]]
    for name in names:
        (root / name).write_bytes((samples / name).read_bytes())
    library = tmp_path / "library.db"
    first = finish(index(library, root, settings))
    assert first["added"] == 6
    (root / "album").mkdir()
    (root / names[0]).rename(root / "album" / "moved.JPEG")
    (root / names[1]).unlink()
    os.utime(root / names[2], (1_000_000_000, 1_000_000_000))
    report = finish(index(library, root, settings))
    assert (report["moved"], report["missing"], report["updated"], report["unchanged"]) == (
        1,
        1,
        1,
        3,
    )
    rows = catalog(library)
    assert rows[str(root / "album" / "moved.JPEG")][0] == "ok"
    assert rows[str(root / names[1])][0] == "missing"
    assert len(rows) == 6  # the move kept its record: no duplicate
    redo = finish(index(library, root, settings, "--reclassify"))
    assert redo["updated"] == 5 and redo["unchanged"] == 0


def test_a_second_indexer_is_refused(settings: Settings, tmp_path: Path) -> None:
    library = tmp_path / "library.db"
    (tmp_path / "photos").mkdir()
    with LibraryLock(library):
        proc = index(library, tmp_path / "photos", settings)
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    error = json.loads(out)["error"]  # --json: the error in the one JSON shape
    assert error["code"] == "library_busy" and "already indexing" in error["message"]
    assert "Traceback" not in err


def test_exact_and_near_duplicates(
    classifier: object, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    cat = samples / "n02124075_Egyptian_cat.JPEG"
    (root / "cat.jpg").write_bytes(cat.read_bytes())
    (root / "cat-copy.jpg").write_bytes(cat.read_bytes())
    with Image.open(cat) as img:  # a resized, re-encoded copy
        img.resize((img.width // 2, img.height // 2)).save(root / "cat-small.webp", quality=70)
    for name in (
        "n02123045_tabby.JPEG",
        "n02085782_Japanese_spaniel.JPEG",
        "n02086079_Pekinese.JPEG",
    ):
        (root / name).write_bytes((samples / name).read_bytes())
    (root / "tabby-copy.jpg").write_bytes((samples / "n02123045_tabby.JPEG").read_bytes())
    library = tmp_path / "library.db"
    finish(index(library, root, settings))
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(library)}
    proc = subprocess.run(
        [sys.executable, "-m", "smartalbum", "duplicates", "--json"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    groups = json.loads(proc.stdout)
    # The original, its byte copy and its re-encode: one group of three, not two that overlap;
    # an exact pair with no re-encode stays an exact group.
    assert [(g["kind"], sorted(Path(p).name for p in g["paths"])) for g in groups] == [
        ("exact", ["n02123045_tabby.JPEG", "tabby-copy.jpg"]),
        ("near", ["cat-copy.jpg", "cat-small.webp", "cat.jpg"]),
    ]
    assert groups[1]["similarity"] >= 0.6


def test_exif_time_gps_and_place_are_catalogued(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from smartalbum.catalog import Photo, open_engine, session_factory
    from smartalbum.engines.classifier import Classifier
    from smartalbum.library.indexer import Indexer
    from tests.helpers import dms, make_exif, r

    root = tmp_path / "trip"
    root.mkdir()
    exif = make_exif(
        detail={0x9003: "2025:01:14 09:30:00", 0x9011: "+09:00"},
        gps={1: "N", 2: dms(43, 3, 4356), 3: "E", 4: dms(141, 21, 1584), 5: 0, 6: r(25)},
    )
    with Image.open(samples / "n04228054_ski.JPEG") as img:
        img.save(root / "sapporo.jpg", "JPEG", exif=exif)
    with Image.open(samples / "n09193705_alp.JPEG") as img:
        img.save(root / "no-exif.jpg", "JPEG")
    broken = make_exif(gps={1: "N", 2: (r(0, 0), r(0), r(0)), 3: "E", 4: dms(141, 0, 0)})
    with Image.open(samples / "n09193705_alp.JPEG") as img:
        img.save(root / "broken-gps.jpg", "JPEG", exif=broken)
    os.utime(root / "no-exif.jpg", (1_700_000_000, 1_700_000_000))
    library = tmp_path / "library.db"
    sessions = session_factory(open_engine(library))
    classifier = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(classifier, sessions, library).run([root])
    assert report.added == 3 and report.failed == 0
    with sessions() as s:
        photos = {Path(p.path).name: p for p in s.query(Photo)}
    sapporo = photos["sapporo.jpg"]
    assert (sapporo.taken_at, sapporo.taken_at_offset, sapporo.time_source) == (
        "2025-01-14T09:30:00", "+09:00", "original"
    )  # fmt: skip
    assert sapporo.gps_lat == pytest.approx(43.0621, abs=1e-4)
    assert sapporo.gps_lon == pytest.approx(141.3544, abs=1e-4) and sapporo.gps_alt == 25
    assert sapporo.place is not None
    place = json.loads(sapporo.place)
    assert (place["country_code"], place["country_zh"], place["region_zh"]) == (
        "JP",
        "日本",
        "北海道",
    )
    plain = photos["no-exif.jpg"]
    assert plain.time_source == "mtime" and plain.place is None
    assert plain.taken_at == datetime.fromtimestamp(1_700_000_000).isoformat()
    bad = photos["broken-gps.jpg"]
    assert bad.status == "ok" and bad.gps_lat is None and bad.place is None
    assert bad.warnings and "GPS" in bad.warnings


@pytest.mark.parametrize("processes", [1, 2])
def test_a_file_that_decodes_but_fails_later_costs_only_itself(
    processes: int, settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from smartalbum.catalog import Photo, PhotoBlob, PhotoLabel, open_engine, session_factory
    from smartalbum.engines.classifier import Classifier
    from smartalbum.library.indexer import MIN_FILES_PER_PROCESS, Indexer

    # Two processes need this many files before the indexer starts workers at all.
    count = 12 if processes == 1 else MIN_FILES_PER_PROCESS * processes
    root = copy_samples(samples, tmp_path / "photos", "n0*.JPEG", count)
    photos = sorted(root.iterdir())
    # Named to sort among them: it lands in a batch with others, and after the first
    # batches, which run here while the workers start.
    odd = tiff_with_text_profile(photos[0], root / f"{photos[count * 3 // 4].stem}-p3.tif")
    library = tmp_path / "library.db"
    sessions = session_factory(open_engine(library))
    onnx = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(onnx, sessions, library, processes=processes).run([root])
    assert (report.scanned, report.added, report.failed) == (count + 1, count, 1)
    with sessions() as s:
        rows = {p.path: (p.status, p.error) for p in s.query(Photo)}
        labelled = {p for (p,) in s.query(Photo.path).join(PhotoLabel).distinct()}
        thumbnails = {p for (p,) in s.query(Photo.path).join(PhotoBlob)}
        ranks = sorted(r for (r,) in s.query(PhotoLabel.rank).distinct())
    assert ranks == [1, 2, 3, 4, 5]  # each photo keeps its top five labels, no more
    assert rows.pop(str(odd)) == (
        "failed",
        f"{odd}: unexpected failure while analysing (TypeError: can't concat str to bytes)",
    )
    assert rows == {str(p): ("ok", None) for p in photos}  # every batch-mate recorded
    assert labelled == thumbnails == set(rows)


def test_each_batch_is_grouped_into_albums_as_it_is_written(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    from smartalbum.albums import class_groups, load_rules
    from smartalbum.albums.membership import current_members
    from smartalbum.albums.rules import parse_rules_text
    from smartalbum.catalog import Photo, open_engine, session_factory
    from smartalbum.engines.classifier import Classifier
    from smartalbum.library.indexer import Indexer

    root = tmp_path / "photos"
    root.mkdir()
    for name in ("n02124075_Egyptian_cat.JPEG", "n11939491_daisy.JPEG"):
        (root / name).write_bytes((samples / name).read_bytes())
    (root / "notes.jpg").write_text("not a photo")
    library = tmp_path / "library.db"
    sessions = session_factory(open_engine(library))
    onnx = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    built_in = load_rules(None, onnx.labels, class_groups())
    Indexer(onnx, sessions, library).run([root])  # no rules given: the built-in ones

    def albums() -> tuple[dict[str, set[str]], set[str | None]]:
        with sessions() as s:
            names = {p.id: Path(p.path).name for p in s.query(Photo)}
            digests = {d for (d,) in s.query(Photo.albums_digest)}
            members = current_members(s)  # what the catalog holds: no sync has run
        return {a: {names[i] for i in ids} for a, ids in members.items()}, digests

    members, digests = albums()
    assert "n02124075_Egyptian_cat.JPEG" in members["pets"]
    assert "n11939491_daisy.JPEG" in members["plants"]
    assert digests == {built_in.digest}  # the failed file too: it is in no album
    assert "notes.jpg" not in set().union(*members.values())

    cats_only = parse_rules_text(
        '[albums.cats]\ntitle = "Cats"\ntitle_zh = "猫"\nclasses = ["n02124075"]\n',
        "cats.toml",
        onnx.labels,
        class_groups(),
    )
    (root / "album").mkdir()  # a move keeps its labels, and so its albums
    (root / "n11939491_daisy.JPEG").rename(root / "album" / "daisy.JPEG")
    report = Indexer(onnx, sessions, library, rules=cats_only).run([root], reclassify=True)
    assert (report.moved, report.updated) == (1, 1)
    members, digests = albums()
    assert members["cats"] == {"n02124075_Egyptian_cat.JPEG"}
    assert "daisy.JPEG" in members["plants"]  # grouped when it was written, not regrouped
    assert digests == {built_in.digest, cats_only.digest}
