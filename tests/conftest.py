"""Shared fixtures: the real sample photos beside the repository, and the real default model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartalbum.classifier import Classifier
from smartalbum.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "imagenet-samples"
CAT = "n02124075_Egyptian_cat.JPEG"


@pytest.fixture(scope="session")
def samples() -> Path:
    """../shared/imagenet-samples: 1000 real ImageNet photos, one per class."""
    if not (SAMPLES / CAT).is_file():
        pytest.fail(f"the sample photos are missing: expected them in {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings, offline, with a private cache folder."""
    return Settings(cache_dir=tmp_path_factory.mktemp("cache"), allow_download=False)


@pytest.fixture(scope="session")
def classifier(settings: Settings) -> Iterator[Classifier]:
    """The embedded default model with real weights on the torch engine."""
    yield Classifier.from_settings(settings)
