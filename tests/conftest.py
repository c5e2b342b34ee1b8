"""Shared fixtures: the real sample photos beside the repository, and the real default model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn

from smartalbum.engines.classifier import Classifier
from smartalbum.settings import Settings
from smartalbum.web import create_app

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "imagenet-samples"
CAT = "n02124075_Egyptian_cat.JPEG"


def copy_samples(samples: Path, folder: Path, pattern: str, count: int) -> Path:
    """A new folder holding copies of the first ``count`` sample photos matching ``pattern``."""
    folder.mkdir()
    for p in sorted(samples.glob(pattern))[:count]:
        (folder / p.name).write_bytes(p.read_bytes())
    return folder


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


@pytest.fixture(scope="session")
def samples() -> Path:
    """../shared/imagenet-samples: 1000 real ImageNet photos, one per class."""
    if not (SAMPLES / CAT).is_file():
        pytest.fail(f"the sample photos are missing: expected them in {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings, offline, with a private cache folder and catalog."""
    return Settings(
        cache_dir=tmp_path_factory.mktemp("cache"),
        library=str(tmp_path_factory.mktemp("library") / "library.db"),
        allow_download=False,
    )


@pytest.fixture(scope="session")
def classifier(settings: Settings) -> Iterator[Classifier]:
    """The embedded default model with real weights on the torch engine."""
    yield Classifier.from_settings(settings)


class LiveServer:
    """The app under uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings) -> None:
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
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


@pytest.fixture(scope="session")
def live_url(settings: Settings) -> Iterator[str]:
    """The default app served on 127.0.0.1 for the whole session."""
    with LiveServer(settings) as url:
        yield url


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


@pytest.fixture(scope="session")
def indexed_library(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of real photos indexed into the session's catalog; returns the folder."""
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.indexer import Indexer

    root = tmp_path_factory.mktemp("photos")
    for name in LIBRARY_PHOTOS:
        (root / name).write_bytes((SAMPLES / name).read_bytes())
    sessions = session_factory(open_engine(settings.library))
    classifier = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(classifier, sessions, settings.library).run([root])
    assert report.added == len(LIBRARY_PHOTOS) and report.failed == 0
    return root


@pytest.fixture(scope="session")
def trip_library(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, int]]:
    """tests/moments_library.py's trips, indexed into a catalog of their own: (catalog, ids)."""
    from tests.moments_library import index_library, write_library

    base = tmp_path_factory.mktemp("trips")
    write_library(base / "photos", SAMPLES)
    library = base / "library.db"
    return library, index_library(base / "photos", library, settings)
