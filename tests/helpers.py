"""What several test files share: the sample photos, a live server, catalog copies, EXIF builders.

Test files import from here (never from each other, never from conftest.py); the fixtures
built on these live in conftest.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import NullPool, create_engine, make_url, text

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from smartalbum.web import create_app

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "screenshots"  # screenshots the browser tests leave
# 1000 ImageNet photos, one per class, beside the checkout (scripts/test says where).
# SMARTALBUM_TEST_SAMPLES names them for a copy of the tests elsewhere (scripts/mutation's).
SAMPLES = Path(
    os.environ.get("SMARTALBUM_TEST_SAMPLES") or REPO.parent / "shared" / "imagenet-samples"
)
CAT = "n02124075_Egyptian_cat.JPEG"

# Real photos for the library tests: (file in SAMPLES, the album the model puts it in).
LIBRARY_PHOTOS = {
    CAT: "pets",
    "n02099601_golden_retriever.JPEG": "pets",
    "n11939491_daisy.JPEG": "plants",
    "n09193705_alp.JPEG": "winter",
    "n04228054_ski.JPEG": "winter",
    "n07873807_pizza.JPEG": "food",
    "n04536866_violin.JPEG": "music",
}

EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def copy_samples(samples: Path, folder: Path, pattern: str, count: int) -> Path:
    """A new folder holding copies of the first ``count`` sample photos matching ``pattern``."""
    folder.mkdir()
    for p in sorted(samples.glob(pattern))[:count]:
        (folder / p.name).write_bytes(p.read_bytes())
    return folder


def copy_catalog(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite catalog (WAL included) at ``target``, for a test to change."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def all_at_once(task: Callable[[], object], threads: int) -> list[Exception]:
    """Run ``task`` on this many threads released together; the exceptions they raised."""
    start, errors = threading.Barrier(threads), []

    def run() -> None:
        start.wait()
        try:
            task()
        except Exception as exc:  # reported to the caller, with the others
            errors.append(exc)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join()
    return errors


class LiveServer:
    """The app under uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings) -> None:
        # As `serve` runs it: only the app decides whom to believe about forwarded headers.
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=0, log_level="warning",
            proxy_headers=False,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        for _ in range(600):
            if self.server.started:
                break
            threading.Event().wait(0.1)
        assert self.server.started, "server did not start"
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check the response is the one error shape with this status and code; the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body["error"]  # type: ignore[no-any-return]


# A PostgreSQL role that may create databases (scripts/test starts a server and sets it).
POSTGRES_URL = os.environ.get("SMARTALBUM_TEST_POSTGRES_URL", "")
# The pytest-xdist worker this process is ("gw0", "gw1"...; "main" without xdist): what the
# workers share on the test servers is kept apart by it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def worker_number() -> int:
    """This xdist worker's number (gw3: 3); 0 without xdist."""
    return int(WORKER[2:]) if WORKER.startswith("gw") else 0


def redis_db(url: str) -> str:
    """The Redis URL with this worker's own database number (a redis-server has 16: 0-15),
    so two workers' task queues never meet; "" stays "" (no server)."""
    return urlsplit(url)._replace(path=f"/{worker_number() % 16}").geturl() if url else url


@contextmanager
def new_database(template: str | None = None) -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards; yields its URL.

    Empty, or a copy of the database at URL ``template`` (which nobody may be connected to).
    """
    name = f"smartalbum_test_{WORKER}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def index(
    library: str | Path, root: Path, settings: Settings, *extra: str
) -> subprocess.Popen[str]:
    """Start ``smartalbum index ROOT --json`` on the ONNX engine with these settings' cache."""
    env = {
        **os.environ,
        "SMARTALBUM_CACHE_DIR": str(settings.cache_dir),
        "SMARTALBUM_ENGINE": "onnx",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartalbum",
            "index",
            str(root),
            "--library",
            str(library),
            "--json",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Ctrl-C is what some tests send: a run started in the background by a shell without
        # job control inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
        preexec_fn=_interruptible,
    )


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(proc: subprocess.Popen[str]) -> dict[str, object]:
    """Wait for an ``index`` process; check it succeeded without a traceback; its JSON report."""
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return json.loads(out)  # type: ignore[no-any-return]


def r(numerator: int, denominator: int = 1) -> IFDRational:
    """An EXIF rational."""
    return IFDRational(numerator, denominator)


def dms(degrees: int, minutes: int, seconds_x100: int) -> tuple[IFDRational, ...]:
    """A GPS coordinate as EXIF writes it: degrees, minutes, hundredths of seconds."""
    return (r(degrees), r(minutes), r(seconds_x100, 100))


def make_exif(
    ifd0: dict[int, Any] | None = None,
    detail: dict[int, Any] | None = None,
    gps: dict[int, Any] | None = None,
) -> Image.Exif:
    """EXIF with these tags in IFD0, the Exif IFD and the GPS IFD."""
    exif = Image.Exif()
    exif.update(ifd0 or {})
    if detail:
        exif.get_ifd(EXIF_IFD).update(detail)
    if gps:
        exif.get_ifd(GPS_IFD).update(gps)
    return exif


JAPAN = {"zoom": "3", "south": "30", "west": "129", "north": "46", "east": "146"}
PACIFIC = {"south": "0", "west": "170", "north": "40", "east": "-150"}  # across the 180th
# The queries get_every_route asks a path with (by default, none).
ROUTE_QUERIES: dict[str, list[dict[str, str]]] = {
    "/api/search": [{"q": "cat"}, {"q": "猫"}, {"q": "Japan"}, {"q": "winter", "limit": "2"}],
    "/api/classes": [{}, {"q": "retriever"}],
    "/api/on-this-day": [{}, {"today": "2026-01-12"}],  # a year after the ski trip
    "/api/map/clusters": [{}, JAPAN, PACIFIC],
    "/api/map/photos": [{}, JAPAN, PACIFIC],
}


def get_every_route(
    client: httpx.Client,
    job_id: str,
    share_token: str | None = None,
    answers: dict[str, Any] | None = None,
) -> dict[str, int]:
    """GET every GET operation of the served schema, ids filled from the library; the statuses.

    Path parameters take a real photo, album (and a person's album, if there is one), moment,
    the given job and share link (to the cat's album, downloads allowed); searches ask for a
    class, a group in Chinese and a place. The library
    must hold a cat and a moment. ``answers``, if given, gets each answer's JSON (or, for
    another type, its bytes' sha256).
    """
    schema = client.get("/openapi.json").json()
    photo = client.get("/api/search", params={"q": "cat"}).json()["photos"][0]["id"]
    moment = client.get("/api/moments").json()["moments"][0]["id"]
    album = client.get("/api/albums").json()["albums"][0]["id"]
    fill = {"photo_id": str(photo), "moment_id": moment, "album_id": album, "job_id": job_id,
            "link_id": "1"}  # fmt: skip
    if share_token is not None:  # a link to the cat's album
        fill["token"] = share_token
    categories = client.get("/api/categories").json()["categories"]
    if categories:  # a library with no taught category has no category page to ask for
        fill["category_id"] = str(categories[0]["id"])
    fill |= _people_ids(client)
    # A person's album is named by its number, where a smart one by its id: one of each.
    mine = client.get("/api/user-albums").json()["albums"]
    own = {**fill, "album_id": str(mine[0]["id"])} if mine else None
    statuses = {}
    # A share link is made by a write, which a read-only catalog refuses: given none, its
    # pages are left to the share tests; so is a photo in the trash, left to the trash's.
    made_by_writes: tuple[str, ...] = ("/api/trash/{photo_id}",)
    made_by_writes += ("{token}",) if share_token is None else ()
    # An upload is made by a write too, and the link's may not take any: the upload tests'.
    made_by_writes += ("{upload_id}", "/api/shared/{token}/uploads")
    # A photo's motion needs a Live or Motion Photo, which the library has none of: the
    # companion tests' (tests/test_companions.py).
    made_by_writes += ("/api/photos/{photo_id}/motion", "/photos/{photo_id}/motion")
    for path, operations in schema["paths"].items():
        if "get" not in operations or ("{category_id}" in path and not categories):
            continue
        if any(part in path for part in made_by_writes):
            continue
        if any(f"{{{name}}}" in path and name not in fill for name in ("person_id", "face_id")):
            continue
        mine = path.startswith("/api/user-albums/")
        if mine and own is None:  # a library where nobody made an album has none to ask for
            continue
        url = path.format(**(own if mine and own else fill))
        for query in _queries(path, photo):
            response = client.get(url, params=query)
            statuses[f"{url}?{query}"] = response.status_code
            if answers is not None:
                answers[f"{url}?{query}"] = _answer(response)
    return statuses


# A server process's own state, not the library's: import jobs live in its memory, the
# schedule's next runs are counted from its start, and its backups are kept in its home.
NOT_THE_LIBRARY = ("/api/jobs/", "/api/schedule", "/api/backups")


def library_answers(client: httpx.Client, job_id: str, share_token: str) -> dict[str, Any]:
    """Each GET route's answer (``get_every_route``'s), but the server's own state: what a
    backup of the library must restore the same."""
    answers: dict[str, Any] = {}
    get_every_route(client, job_id, share_token, answers)
    return {k: v for k, v in answers.items() if not k.startswith(NOT_THE_LIBRARY)}


def _answer(response: httpx.Response) -> Any:
    """A response as a comparable value: its status and JSON, or its bytes' sha256."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return [response.status_code, response.json()]
    return [response.status_code, hashlib.sha256(response.content).hexdigest()]


def _people_ids(client: httpx.Client) -> dict[str, str]:
    """A person's and a face's id to fill the people routes with (none with faces off)."""
    people = client.get("/api/people").json()["people"]
    if not people:
        return {}
    faces = client.get(f"/api/people/{people[0]['id']}").json()["face_list"]
    return {"person_id": str(people[0]["id"])} | ({"face_id": str(faces[0]["id"])} if faces else {})


def _queries(path: str, photo: int) -> list[dict[str, str]]:
    """The queries ``get_every_route`` asks a GET path with."""
    if path == "/api/selection/download":
        return [{"ids": str(photo)}]
    return ROUTE_QUERIES.get(path, [{}])


def teach_a_category(settings: Settings) -> int:
    """Teach the library of ``settings`` a category from its first three photos; its id."""
    from smartalbum.library.categories import categories_of
    from smartalbum.library.service import PhotoLibrary

    library = PhotoLibrary.open(settings)
    try:
        with library.sessions() as session:
            from sqlalchemy import select

            from smartalbum.catalog import OK, Photo

            ids = list(session.scalars(select(Photo.id).where(Photo.status == OK).limit(3)))
        return int(categories_of(library, settings).teach("Three", "三张", ids)["id"])
    finally:
        library.close()


def dogs_and_things() -> tuple[list[Path], list[Path]]:
    """30 sample photos of dogs (one breed each) and 30 of things: a library to teach from."""
    every = sorted(SAMPLES.glob("n*.JPEG"))
    return every[151:269:4], every[400::20][:30]  # classes 151-268 are dogs


def index_folder(settings: Settings, folder: Path, catalog: str | Path) -> int:
    """Index a folder into a catalog with the ONNX engine; how many photos it added."""
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.engines.classifier import Classifier
    from smartalbum.library.indexer import Indexer

    engine = open_engine(str(catalog))
    try:
        classifier = Classifier.from_settings(settings.with_overrides(engine="onnx"))
        return Indexer(classifier, session_factory(engine), str(catalog)).run([folder]).added
    finally:
        engine.dispose()


def import_job(client: httpx.Client, folder: Path) -> str:
    """The id of a finished import of ``folder`` (it may have failed: it is only looked at)."""
    job = client.post("/api/index", json={"folders": [str(folder)]}).json()
    for _ in range(600):
        job = client.get(f"/api/jobs/{job['id']}").json()
        if job["status"] not in ("queued", "running"):
            return str(job["id"])
        time.sleep(0.1)
    raise AssertionError(f"the import did not finish: {job}")


def tiff_with_text_profile(source: Path, target: Path) -> Path:
    """A TIFF of ``source`` that decodes, but whose thumbnail cannot be saved.

    Its ICC profile tag holds text where a profile's bytes belong (tag type ASCII):
    Pillow reads it back as a str, and its JPEG encoder raises TypeError on it.
    """
    from PIL import TiffImagePlugin, TiffTags

    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[TiffImagePlugin.ICCPROFILE] = "Display P3"
    tags.tagtype[TiffImagePlugin.ICCPROFILE] = TiffTags.ASCII
    with Image.open(source) as img:
        img.convert("RGB").save(target, "TIFF", tiffinfo=tags)
    return target


def open_photo_page(tile: Any) -> None:
    """Open a grid tile's photo page: a click opens the full-screen viewer, its link the page."""
    tile.click()
    tile.page.locator("#lightbox .lightbox-page").click()


def wait_until(page: Any, predicate: str, timeout: float = 30.0) -> None:
    """Poll a page function until it is true; unlike Playwright's wait_for_function, it needs
    no eval in the page, which the pages' Content-Security-Policy forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {predicate}")
        time.sleep(0.05)


def run_python(script: str, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter (to see what it imports), on the session's cache."""
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SMARTALBUM_CACHE_DIR": str(cache_dir)},
    )


def cache_with_fp32(settings: Settings, cache: Path) -> Path:
    """A new model cache holding a copy of the settings' fp32 graph (so nothing is built)."""
    from smartalbum.engines import ensure_fp32
    from smartalbum.engines.classifier import model_files

    models = cache / "models"
    models.mkdir(parents=True)
    fp32 = ensure_fp32(model_files(settings))
    for source in (fp32, fp32.with_suffix(".onnx.sha256")):
        (models / source.name).write_bytes(source.read_bytes())
    return cache


def bearer_headers(library: str, roles: Sequence[str], password: str) -> dict[str, dict[str, str]]:
    """For each role, a user named after it with that role and ``password``, and the headers
    that send a full API token of theirs: role -> {"Authorization": "Bearer ..."}."""
    engine = open_engine(library)
    try:
        accounts = Accounts(session_factory(engine))
        headers = {}
        for role in roles:
            accounts.add(role, role, password)
            token = accounts.create_token(role, read_only=False, lifetime=None)
            headers[role] = {"Authorization": f"Bearer {token}"}
        return headers
    finally:
        engine.dispose()


def expire_share(library: str, link_id: int) -> None:
    """Make a share link expired a second ago, as the passing of its days would (no short link
    raced by a sleep: under load the page could load after a two-second link had expired)."""
    from sqlalchemy import update

    from smartalbum.catalog import ShareLink

    engine = open_engine(library)
    try:
        with session_factory(engine).begin() as session:
            mine = ShareLink.id == link_id
            session.execute(update(ShareLink).where(mine).values(expires_at=time.time() - 1))
    finally:
        engine.dispose()
