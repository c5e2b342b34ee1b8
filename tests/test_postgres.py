"""The catalog on a real PostgreSQL server: migrations, `smartalbum index`, queries, the lock.

scripts/test starts a throwaway server and names it in SMARTALBUM_TEST_POSTGRES_URL (a
role that may create databases); every test gets a database of its own. Without the
variable these tests skip, so a developer's bare `pytest` needs no server.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import (
    BigInteger,
    Engine,
    NullPool,
    create_engine,
    func,
    insert,
    inspect,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from smartalbum.albums import RulesWatcher, class_groups, load_rules, membership
from smartalbum.albums.rules import parse_rules_text
from smartalbum.catalog import (
    MISSING,
    OK,
    Photo,
    PhotoBlob,
    PhotoLabel,
    claim_photos,
    open_engine,
    session_factory,
    table,
)
from smartalbum.catalog.database import MIGRATIONS, SCHEMA_VERSION, schema_version
from smartalbum.catalog.schema import Base
from smartalbum.engines.classifier import Classifier
from smartalbum.errors import ConfigError, LibraryBusyError
from smartalbum.ingest.uploads import UploadStore
from smartalbum.library.duplicates import find_duplicates
from smartalbum.library.indexer import Indexer, LibraryLock
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import load_labels
from smartalbum.moments import Timeline
from smartalbum.moments.geo_clusters import clusters
from smartalbum.search.service import search
from smartalbum.settings import Settings
from tests.helpers import (
    CAT,
    LIBRARY_PHOTOS,
    SAMPLES,
    LiveServer,
    all_at_once,
    copy_catalog,
    dms,
    finish,
    get_every_route,
    import_job,
    index,
    make_exif,
    new_database,
    r,
)
from tests.test_ingest_uploads import assert_creations_find_what_is_here_or_under_way

POSTGRES_URL = os.environ.get("SMARTALBUM_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="SMARTALBUM_TEST_POSTGRES_URL is not set (scripts/test starts a PostgreSQL server "
    "and sets it; by hand: a postgresql+psycopg:// URL of a role that may create databases)",
)
LABELS = load_labels()
DAISY = "n11939491_daisy.JPEG"


@contextmanager
def opened(library: str | Path) -> Iterator[Engine]:
    """The catalog opened (and migrated) for a block; its connections closed after."""
    engine = open_engine(library)
    try:
        yield engine
    finally:
        engine.dispose()


def browse(engine: Engine) -> PhotoLibrary:
    """The library as the web app and the command line read it, under the built-in rules."""
    return PhotoLibrary(session_factory(engine), LABELS, RulesWatcher(None, LABELS, class_groups()))


@pytest.fixture
def pg_library() -> Iterator[str]:
    """The URL of an empty database of its own."""
    with new_database() as url:
        yield url


# -- migrations -------------------------------------------------------------------------------


def test_a_new_catalog_is_migrated_from_empty(pg_library: str) -> None:
    with opened(pg_library) as engine:
        assert schema_version(engine) == SCHEMA_VERSION == len(MIGRATIONS)
        tables = set(inspect(engine).get_table_names())
        # Every declared table, made by the migrations (a model without a step fails here).
        assert tables == {"schema_version", *Base.metadata.tables}
        assert {
            "photos",
            "photo_labels",
            "share_links",
            "user_albums",
            "favourites",
            "photo_texts",
            "photo_text_lines",
            "people",
            "faces",
            "face_rejections",
            "face_scans",
        } <= tables
        size = next(c for c in inspect(engine).get_columns("photos") if c["name"] == "size")
        assert isinstance(size["type"], BigInteger)
        sessions = session_factory(engine)
        with sessions.begin() as s:  # a 3 GB file: past PostgreSQL's INTEGER
            s.add(Photo(path="/p/pano.tif", size=3_000_000_000, mtime=2.5, status=OK, indexed_at=3))
        with sessions() as s:
            assert s.scalar(select(Photo.size)) == 3_000_000_000
    with opened(pg_library) as engine:  # runs no step twice
        assert schema_version(engine) == SCHEMA_VERSION
        with engine.begin() as c:
            c.execute(text("UPDATE schema_version SET version = 99"))
    with pytest.raises(ConfigError, match="newer than this smartalbum"):
        open_engine(pg_library)


# The catalog as version 1 left it, written for PostgreSQL.
V1_SCHEMA = [
    "CREATE TABLE schema_version (version INTEGER)",
    "INSERT INTO schema_version VALUES (1)",
    """CREATE TABLE photos (
        id SERIAL PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
        mtime FLOAT NOT NULL, sha256 VARCHAR(64), status VARCHAR(16) NOT NULL, error TEXT,
        width INTEGER, height INTEGER, format VARCHAR(16), taken_at VARCHAR(32),
        camera_make VARCHAR(64), camera_model VARCHAR(64), gps_lat FLOAT, gps_lon FLOAT,
        orientation INTEGER, thumbnail BYTEA, model VARCHAR(64), engine VARCHAR(32),
        embedding BYTEA, dhash VARCHAR(16), indexed_at FLOAT NOT NULL)""",
    """CREATE TABLE photo_labels (
        photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
        rank INTEGER NOT NULL, class_index INTEGER NOT NULL, wnid VARCHAR(16) NOT NULL,
        probability FLOAT NOT NULL, PRIMARY KEY (photo_id, rank))""",
    """INSERT INTO photos (id, path, size, mtime, status, indexed_at, thumbnail, embedding)
        VALUES (7, '/p/a.jpg', 1, 2, 'ok', 3, '\\xffd8ff', '\\x0000803f')""",
    "INSERT INTO photo_labels VALUES (7, 1, 285, 'n02124075', 0.5)",
]


def test_a_version_1_catalog_is_migrated_and_keeps_its_photos(pg_library: str) -> None:
    admin = create_engine(pg_library, poolclass=NullPool)
    with admin.begin() as c:
        for statement in V1_SCHEMA:
            c.execute(text(statement))
    admin.dispose()
    with opened(pg_library) as engine:
        assert schema_version(engine) == SCHEMA_VERSION
        with session_factory(engine)() as s:
            photo = s.get(Photo, 7)
            assert photo is not None and photo.albums_digest is None
            assert [p.class_index for p in photo.predictions] == [285]
            blob = s.get(PhotoBlob, 7)  # moved out of the row, bytes intact
            assert blob is not None
            assert (blob.thumbnail, blob.embedding) == (b"\xff\xd8\xff", b"\0\0\x80?")
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("photos")}
        assert {"place", "albums_digest"} <= columns.keys()
        assert not {"thumbnail", "embedding"} & columns.keys()
        assert isinstance(columns["size"], BigInteger)


def test_processes_opening_a_new_catalog_at_once_migrate_it_once(pg_library: str) -> None:
    engines: list[Engine] = []
    errors = all_at_once(lambda: engines.append(open_engine(pg_library)), 4)
    for engine in engines:
        engine.dispose()
    assert errors == []
    with opened(pg_library) as engine:
        assert schema_version(engine) == SCHEMA_VERSION


# -- indexing a real library, and the same answers as SQLite --------------------------------


def write_photos(root: Path) -> None:
    """Real photos, two copies of the cat (exact and resized), one with GPS, and a cut file."""
    root.mkdir()
    for name in LIBRARY_PHOTOS:
        shutil.copy(SAMPLES / name, root / name)
    shutil.copy(SAMPLES / CAT, root / "cat-copy.jpg")
    with Image.open(SAMPLES / CAT) as img:
        img.resize((img.width // 2, img.height // 2)).save(root / "cat-small.webp", quality=70)
    exif = make_exif(
        detail={0x9003: "2025:01:14 09:30:00", 0x9011: "+09:00"},
        gps={1: "N", 2: dms(43, 3, 4356), 3: "E", 4: dms(141, 21, 1584), 5: 0, 6: r(25)},
    )
    with Image.open(SAMPLES / "n04228054_ski.JPEG") as img:
        img.save(root / "sapporo.jpg", "JPEG", exif=exif)
    (root / "broken.jpg").write_bytes((SAMPLES / CAT).read_bytes()[:1500])


@dataclasses.dataclass(frozen=True)
class Indexed:
    """One folder indexed by `smartalbum index` into PostgreSQL (twice) and into SQLite."""

    root: Path
    postgres: str
    sqlite: str
    first: dict[str, Any]
    again: dict[str, Any]


@pytest.fixture(scope="module")
def indexed(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexed]:
    base = tmp_path_factory.mktemp("pg-index")
    write_photos(base / "photos")
    sqlite = str(base / "library.db")
    with new_database() as url:
        first = finish(index(url, base / "photos", settings))
        again = finish(index(url, base / "photos", settings))
        finish(index(sqlite, base / "photos", settings))
        yield Indexed(base / "photos", url, sqlite, first, again)


@pytest.fixture
def own_indexed(indexed: Indexed, tmp_path: Path) -> Iterator[Indexed]:
    """Copies of the module's two indexed catalogs, for a test that changes them."""
    sqlite = copy_catalog(Path(indexed.sqlite), tmp_path / "library.db")
    with new_database(template=indexed.postgres) as url:
        yield dataclasses.replace(indexed, postgres=url, sqlite=str(sqlite))


def test_smartalbum_index_fills_the_catalog_and_a_rerun_changes_nothing(indexed: Indexed) -> None:
    first, again = indexed.first, indexed.again
    assert (first["scanned"], first["added"], first["failed"]) == (11, 10, 1)
    assert (again["unchanged"], again["added"], again["updated"]) == (11, 0, 0)
    with opened(indexed.postgres) as engine, session_factory(engine)() as s:
        photos = {Path(p.path).name: p for p in s.scalars(select(Photo))}
        assert photos["broken.jpg"].status == "failed" and photos["broken.jpg"].error
        assert all(p.status == OK for name, p in photos.items() if name != "broken.jpg")
        assert photos["sapporo.jpg"].place is not None
        assert json.loads(photos["sapporo.jpg"].place)["country_code"] == "JP"
        top = select(PhotoLabel.photo_id, PhotoLabel.wnid).where(PhotoLabel.rank == 1)
        tops = {photo_id: wnid for photo_id, wnid in s.execute(top)}
        right = [tops[photos[name].id] == name.split("_")[0] for name in LIBRARY_PHOTOS]
        assert sum(right) >= 5, right  # the real model on the real files
        assert s.scalar(select(func.count()).select_from(PhotoLabel)) == 10 * 5
        blobs = s.execute(select(func.count(), func.max(func.length(PhotoBlob.thumbnail)))).one()
        assert blobs[0] == 10 and 0 < blobs[1] <= 20 * 1024


def views(library: str, settings: Settings) -> dict[str, Any]:
    """What a person sees of a library, photo ids replaced by paths (ids are the catalog's)."""
    with opened(library) as engine:
        lib = browse(engine)
        with lib.sessions() as s:
            rows = s.execute(select(Photo.id, Photo.path))
            path_of: dict[int | None, str | None] = {i: path for i, path in rows}
        path_of[None] = None
        albums = lib.albums()
        photos = {}
        for photo_id, path in path_of.items():
            if photo_id is not None and Path(path or "").name != "broken.jpg":
                photos[path] = {k: v for k, v in lib.photo(photo_id).items() if k != "id"}
        timeline = Timeline(lib, dataclasses.replace(settings, library=library))
        moments = [
            {**m, "id": None, "cover": path_of[m["cover"]], "trip": bool(m["trip"])}
            for m in timeline.moments()
        ]
        searches = {}
        for query in ("cat", "猫", "pets", "Sapporo", "札幌", "snow", "violin"):
            found = search(lib, query)
            found["photos"] = [{**p, "id": path_of[p["id"]]} for p in found["photos"]]
            searches[query] = found
        return {
            "albums": [{**a, "cover": path_of[a["cover"]]} for a in albums],
            "album photos": {
                a["id"]: [{**p, "id": None} for p in lib.album(a["id"])["photos"]] for a in albums
            },
            "photos": photos,
            "search": searches,
            "moments": moments,
            "moment photos": [
                [p["path"] for p in timeline.moment(m["id"])["photos"]] for m in timeline.moments()
            ],
            "trips": [{**t, "id": None, "moments": len(t["moments"])} for t in timeline.trips()],
            "duplicates": [dataclasses.asdict(g) for g in find_duplicates(lib.sessions)],
            "map": [map_view(lib, zoom, path_of) for zoom in (0, 3, 12)],
        }


def map_view(lib: PhotoLibrary, zoom: int, path_of: dict[int | None, str | None]) -> Any:
    """The map's clusters at a zoom (binned and summed by the catalog), covers as paths."""
    found = clusters(lib, zoom)
    found["clusters"] = [{**c, "cover": path_of[c["cover"]]} for c in found["clusters"]]
    return found


def test_albums_search_labels_moments_and_duplicates_match_sqlite(
    indexed: Indexed, settings: Settings
) -> None:
    on_postgres = views(indexed.postgres, settings)
    assert on_postgres == views(indexed.sqlite, settings)
    # ... and they are right, not merely equal.
    counts = {a["id"]: a["count"] for a in on_postgres["albums"]}
    assert counts["pets"] >= 4 and counts["plants"] == 1 and counts["music"] == 1
    cats = {Path(p["id"]).name for p in on_postgres["search"]["猫"]["photos"]}
    assert {CAT, "cat-copy.jpg", "cat-small.webp"} <= cats
    sapporo = on_postgres["search"]["札幌"]["photos"]
    assert [Path(p["id"]).name for p in sapporo] == ["sapporo.jpg"]
    groups = {
        (g["kind"], tuple(Path(p).name for p in g["paths"])) for g in on_postgres["duplicates"]
    }
    # A byte copy and a re-encode of one photo are one group of three.
    assert ("near", ("cat-copy.jpg", "cat-small.webp", CAT)) in groups
    assert sum(m["count"] for m in on_postgres["moments"]) == 10
    assert on_postgres["map"][0]["count"] >= 1  # the map's SQL bins on both: Sapporo at least


def test_corrections_move_photos_the_same_way_on_both(
    own_indexed: Indexed, settings: Settings
) -> None:
    indexed = own_indexed
    daisy = str(indexed.root / DAISY)
    for library in (indexed.postgres, indexed.sqlite):
        with opened(library) as engine:
            lib = browse(engine)
            photo = lib.correct(lib.find(daisy), "set", "golden retriever")
            assert [a["id"] for a in photo["albums"]] == ["pets"]
            assert photo["labels"][0]["source"] == "set"
    assert views(indexed.postgres, settings) == views(indexed.sqlite, settings)


def test_the_command_line_and_the_web_app_read_a_postgresql_library(
    own_indexed: Indexed, settings: Settings, tmp_path: Path
) -> None:
    indexed = own_indexed  # the web app imports a photo into it
    found = subprocess.run(
        [sys.executable, "-m", "smartalbum", "search", "violin", "--library", indexed.postgres,
         "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    photos = json.loads(found.stdout)["photos"]  # beside the interpretation
    assert [Path(p["path"]).name for p in photos] == ["n04536866_violin.JPEG"]

    photos = tmp_path / "more"
    photos.mkdir()
    shutil.copy(SAMPLES / "n02085620_Chihuahua.JPEG", photos / "chihuahua.jpg")
    own = dataclasses.replace(settings, library=indexed.postgres)
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        albums = {a["id"]: a for a in c.get("/api/albums").json()["albums"]}
        assert albums["music"]["count"] == 1
        hit = c.get("/api/search", params={"q": "violin"}).json()["photos"][0]
        assert c.get(f"/api/photos/{hit['id']}").json()["labels"][0]["wnid"] == "n04536866"
        thumbnail = c.get(f"/api/photos/{hit['id']}/thumbnail")
        assert thumbnail.status_code == 200 and thumbnail.content[:3] == b"\xff\xd8\xff"
        assert c.get("/api/moments").json()["total"] >= 1
        job = c.post("/api/index", json={"folders": [str(photos)]}).json()
        for _ in range(600):
            job = c.get(f"/api/jobs/{job['id']}").json()
            if job["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert job["status"] == "done", job
        assert job["report"]["added"] == 1
        assert albums["pets"]["count"] + 1 == c.get("/api/albums/pets").json()["count"]


# -- the index lock -------------------------------------------------------------------------


def test_every_get_route_answers_from_a_read_only_transaction(
    indexed: Indexed, settings: Settings, tmp_path: Path
) -> None:
    options = {"options": "-c default_transaction_read_only=on"}  # the server refuses writes
    read_only = make_url(indexed.postgres).update_query_dict(options)
    own = dataclasses.replace(settings, library=read_only.render_as_string(hide_password=False))
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        job = import_job(c, tmp_path)  # refused by the catalog: a failed job to look at
        assert c.get(f"/api/jobs/{job}").json()["status"] == "failed"
        statuses = get_every_route(c, job)
        assert len(statuses) >= 12 and all(s == 200 for s in statuses.values()), statuses


def test_a_second_indexer_is_refused_with_a_clear_message(
    pg_library: str, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "photos").mkdir()
    with LibraryLock(pg_library):
        proc = index(pg_library, tmp_path / "photos", settings)
        out, err = proc.communicate(timeout=300)
        with new_database() as other, LibraryLock(other):
            pass  # another database on the same server is another library
    assert proc.returncode == 1, err
    error = json.loads(out)["error"]
    assert error["code"] == "library_busy" and "already indexing" in error["message"]
    assert f"smartalbum index, pid {os.getpid()} on " in error["message"]  # who holds it
    password = make_url(pg_library).password
    assert not password or str(password) not in error["message"]
    assert "Traceback" not in err
    report = finish(index(pg_library, tmp_path / "photos", settings))  # free again
    assert report["scanned"] == 0


def test_a_killed_indexer_leaves_no_stale_lock(pg_library: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from smartalbum.library.indexer import LibraryLock\n"
         "with LibraryLock(sys.argv[1]):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(600)\n",
         pg_library],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LibraryBusyError, match="already indexing"), LibraryLock(pg_library):
            pass
    finally:
        holder.kill()
        holder.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while True:  # the server notices the dead connection and lets its lock go
        try:
            with LibraryLock(pg_library):
                break
        except LibraryBusyError:
            assert time.monotonic() < deadline, "the lock outlived its process"
            time.sleep(0.1)


# -- what only a server does: parameter limits and row locks --------------------------------


def test_a_whole_vanished_drive_is_marked_missing(
    pg_library: str, classifier: Classifier, tmp_path: Path
) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()  # empty now: its 70,000 photos are gone
    with opened(pg_library) as engine:
        sessions = session_factory(engine)
        with sessions.begin() as s:  # made by the server: ten times faster than sent rows
            s.execute(
                text(
                    "INSERT INTO photos (path, size, mtime, status, indexed_at) "
                    "SELECT :drive || '/' || n || '.jpg', 1, 1.0, 'ok', 1.0 "
                    "FROM generate_series(1, 70000) AS n"
                ),
                {"drive": str(drive)},
            )
        report = Indexer(classifier, sessions, pg_library).run([drive])
        assert report.missing == 70_000  # more ids than PostgreSQL takes parameters
        with sessions() as s:
            assert s.scalar(select(func.count()).where(Photo.status == MISSING)) == 70_000


def add_plain_photos(session: Session, count: int) -> None:
    """Photo rows /p/0.jpg, /p/1.jpg, ... with nothing but their file facts."""
    session.execute(
        insert(table(Photo)),
        [{"path": f"/p/{i}.jpg", "size": 1, "mtime": 1.0, "status": OK, "indexed_at": 1.0}
         for i in range(count)],
    )  # fmt: skip


def test_requests_grouping_a_new_catalog_at_once_all_succeed(pg_library: str) -> None:
    with opened(pg_library) as engine:
        sessions = session_factory(engine)
        with sessions.begin() as s:
            add_plain_photos(s, 5)
        lib = browse(engine)
        # The record of the rules applied is written once, by one of them.
        assert all_at_once(lib.albums, 6) == []


def test_album_syncs_and_indexer_writes_together_never_deadlock(pg_library: str) -> None:
    with opened(pg_library) as engine:
        sessions = session_factory(engine)
        with sessions.begin() as s:
            add_plain_photos(s, 300)
            s.execute(
                insert(table(PhotoLabel)),
                [{"photo_id": i, "rank": 1, "class_index": 285, "wnid": "n02124075",
                  "probability": 0.5 + i / 1000}
                 for i in range(1, 301)],
            )  # fmt: skip
        groups = class_groups()
        built_in = load_rules(None, LABELS, groups)
        stricter = parse_rules_text("[albums.pets]\nmin_probability = 0.7\n", "t", LABELS, groups)
        deadline = time.monotonic() + 3
        errors: list[BaseException] = []

        def sync(rules: Any) -> None:  # each sync regroups every photo the other just did
            try:
                while time.monotonic() < deadline:
                    membership.sync(sessions, rules)
            except BaseException as exc:
                errors.append(exc)

        def reindex() -> None:  # the indexer's write of re-analysed photos, in a random order
            rnd = random.Random(7)
            try:
                while time.monotonic() < deadline:
                    ids = rnd.sample(range(1, 301), 40)
                    with sessions.begin() as s:
                        claim_photos(s, ids)
                        s.execute(update(Photo), [{"id": i, "albums_digest": None} for i in ids])
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=sync, args=(built_in,)),
            threading.Thread(target=sync, args=(stricter,)),
            threading.Thread(target=reindex),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []


def test_a_creation_finds_what_is_here_or_under_way(pg_library: str, tmp_path: Path) -> None:
    # One statement of three selects: PostgreSQL types its NULLs where SQLite does not.
    with opened(pg_library) as engine:
        store = UploadStore(session_factory(engine), tmp_path / "uploads", 10 * 1024 * 1024)
        assert_creations_find_what_is_here_or_under_way(store)
