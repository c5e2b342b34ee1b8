"""Shared fixtures: the real sample photos, the real default model, private folders and catalogs.

Every test runs with private user folders (see ``private_user_folders``), so neither the
tests nor the ``smartalbum`` processes they start touch the real cache or library. A test
that changes a catalog gets a copy of its own (``library_settings``, ``library_url``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import platformdirs
import pytest

from smartalbum.engines.classifier import Classifier, model_files
from smartalbum.settings import Settings
from tests import reference, scheduling
from tests.helpers import CAT, LIBRARY_PHOTOS, SAMPLES, LiveServer, copy_catalog
from tests.reference import TorchReference


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest test files first (tests/scheduling.py): xdist hands them out in this order."""
    scheduling.longest_first(items)


def _user_folders() -> list[Path]:
    """Where smartalbum keeps its cache and library for the user running the tests."""
    return [
        Path(platformdirs.user_cache_dir("smartalbum")),
        Path(platformdirs.user_data_dir("smartalbum")),
    ]


def _files_in(folders: list[Path]) -> set[tuple[str, int, int]]:
    """(path, size, mtime) of every file under these folders."""
    found = set()
    for folder in folders:
        for path in folder.rglob("*") if folder.is_dir() else ():
            if path.is_file():
                info = path.stat()
                found.add((str(path), info.st_size, info.st_mtime_ns))
    return found


@pytest.fixture(scope="session", autouse=True)
def private_user_folders(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Point smartalbum, in this process and every child, at the session's own folders.

    No SMARTALBUM_* setting of the user's leaks in (only SMARTALBUM_TEST_* ones, which
    name test resources); the XDG folders smartalbum, torch and friends derive from HOME
    are temporary; SMARTALBUM_CACHE_DIR is the session's cache, so the ONNX export is
    made once. At the end, the real user folders must be as they were.
    """
    real = _user_folders()
    before = _files_in(real)
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("SMARTALBUM_") and not name.startswith("SMARTALBUM_TEST_"):
                env.delenv(name)
        env.setenv("XDG_CACHE_HOME", str(home / "cache"))
        env.setenv("XDG_DATA_HOME", str(home / "data"))
        env.setenv("XDG_CONFIG_HOME", str(home / "config"))
        env.setenv("SMARTALBUM_CACHE_DIR", str(settings.cache_dir))
        env.setenv("SMARTALBUM_ENGINE", settings.engine)  # children too (see ``settings``)
        env.setenv("SMARTALBUM_THREADS", str(settings.threads))
        env.setenv("SMARTALBUM_DECODE_THREADS", str(settings.decode_threads))
        env.setenv("SMARTALBUM_TEXT", "false")  # children too (see ``settings``)
        env.setenv("SMARTALBUM_FACES", "true" if settings.faces else "false")
        yield
    written = sorted(path for path, *_ in _files_in(real) - before)
    assert not written, f"tests wrote into the user's own smartalbum folders: {written}"


@pytest.fixture(scope="session")
def samples() -> Path:
    """The sample photos: 1000 real ImageNet photos, one per class."""
    if not (SAMPLES / CAT).is_file():
        pytest.fail(f"the sample photos are missing: expected them in {SAMPLES}")
    return SAMPLES


def worker_threads() -> int:
    """Threads for this test process's engines and decoders: its share of the cores.

    Under pytest-xdist each of N workers gets cores // N (at least one), so parallel workers
    do not fight over the cores; SMARTALBUM_TEST_THREADS sets it outright.
    """
    given = os.environ.get("SMARTALBUM_TEST_THREADS", "")
    if given:
        return int(given)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return max(1, (os.cpu_count() or 1) // workers)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings, offline, with a private cache folder and catalog.

    The engine is ONNX Runtime fp32, not ``auto``: auto measures and may pick another engine
    on another machine, and the tests' expectations are the reference graph's. The tests
    about ``auto`` ask for it. The cache and catalog are this process's own (under xdist,
    each worker's: building the fp32 graph takes about 2 s, less than guarding one cache).
    """
    return Settings(
        engine="onnx",
        threads=worker_threads(),
        decode_threads=worker_threads(),
        cache_dir=tmp_path_factory.mktemp("cache"),
        library=str(tmp_path_factory.mktemp("library") / "library.db"),
        allow_download=False,
        # No watching or periodic re-scans but in the tests of them: a test's server imports
        # only what the test asks for.
        watch=False,
        rescan_minutes=0,
        # No text pass but in its own tests (test_ocr_*): it costs ~50 ms a photo.
        text=False,
        # No face pass but in the people tests: it would double the cost of every index.
        faces=False,
        # No daily backup but in the backup tests: each server would copy its catalog.
        backup_hours=0,
    )


@pytest.fixture(scope="session")
def classifier(settings: Settings) -> Iterator[Classifier]:
    """The embedded default model with real weights on the torch engine."""
    yield Classifier.from_settings(settings)


@pytest.fixture(scope="session")
def torch_reference(
    settings: Settings, samples: Path, tmp_path_factory: pytest.TempPathFactory
) -> TorchReference:
    """PyTorch's fp32 logits and embeddings on every sample, computed once per run (see
    tests/reference.py): the reference each faster engine is checked against."""
    decoding = reference.Decoding(settings.fast_decode, settings.enhance)
    folder = reference.run_folder(tmp_path_factory)
    return reference.torch_reference(
        model_files(settings), decoding, samples, folder, settings.threads
    )


@pytest.fixture(scope="session")
def live_url(settings: Settings) -> Iterator[str]:
    """The default app served on 127.0.0.1 for the whole session, for tests that only predict."""
    with LiveServer(settings) as url:
        yield url


class Indexed(NamedTuple):
    """LIBRARY_PHOTOS indexed once: the photo folder and the catalog, a template to copy."""

    root: Path
    catalog: Path


@pytest.fixture(scope="session")
def indexed(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Indexed:
    """A folder of real photos indexed into a catalog no test opens: copy it to use it."""
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.indexer import Indexer

    root = tmp_path_factory.mktemp("photos")
    for name in LIBRARY_PHOTOS:
        (root / name).write_bytes((SAMPLES / name).read_bytes())
    catalog = tmp_path_factory.mktemp("indexed") / "library.db"
    engine = open_engine(str(catalog))
    classifier = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(classifier, session_factory(engine), str(catalog)).run([root])
    engine.dispose()
    assert report.added == len(LIBRARY_PHOTOS) and report.failed == 0
    return Indexed(root, catalog)


@pytest.fixture(scope="session")
def indexed_library(indexed: Indexed) -> Path:
    """The folder of LIBRARY_PHOTOS that ``library_settings``' catalog holds."""
    return indexed.root


@pytest.fixture
def library_settings(settings: Settings, indexed: Indexed, tmp_path: Path) -> Settings:
    """The session's settings on this test's own copy of the indexed catalog."""
    catalog = copy_catalog(indexed.catalog, tmp_path / "library.db")
    return settings.with_overrides(library=str(catalog))


@pytest.fixture
def library_url(library_settings: Settings) -> Iterator[str]:
    """The app served on this test's own copy of the indexed catalog."""
    with LiveServer(library_settings) as url:
        yield url


@pytest.fixture(scope="session")
def trip_library(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, int]]:
    """tests/moments_library.py's trips, indexed into a catalog of their own: (catalog, ids).

    Shared by the session: tests only read it.
    """
    from tests.moments_library import index_library, write_library

    base = tmp_path_factory.mktemp("trips")
    write_library(base / "photos", SAMPLES)
    library = base / "library.db"
    return library, index_library(base / "photos", library, settings)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Debian Chromium per test module (Playwright's own download fails here)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed; scripts/test installs it")
    from playwright.sync_api import expect

    # Playwright's 5 s for an expectation is short on 2 cores that also run the server and
    # another test process; a page that is wrong still fails, only later.
    expect.set_options(timeout=15_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()
