"""Accuracy on a labelled folder: every image named ``<wnid>_*`` is one sample of that class."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from smartalbum.engines.classifier import Classifier, Result
from smartalbum.errors import ConfigError
from smartalbum.i18n import t
from smartalbum.imaging import SUPPORTED_SUFFIXES

_WNID = re.compile(r"^(n\d{8})_")


@dataclass(frozen=True)
class EvalReport:
    """Top-1/top-5 accuracy over all images; one that fails to decode counts as a miss."""

    model: str
    engine: str
    images: int
    failed: int
    top1: float
    top5: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def labelled_images(directory: Path) -> list[tuple[Path, str]]:
    """(path, wnid) for every image file in a folder named ``<wnid>_...``, sorted by name."""
    if not directory.is_dir():
        raise ConfigError(t("{path}: not a folder", path=directory))
    samples = []
    for path in sorted(directory.iterdir()):
        match = _WNID.match(path.name)
        if match and path.suffix.lower() in SUPPORTED_SUFFIXES:
            samples.append((path, match.group(1)))
    if not samples:
        raise ConfigError(
            t(
                "{path}: no images named <wnid>_* (e.g. n01440764_tench.JPEG)",
                path=directory,
            )
        )
    return samples


def evaluate(
    classifier: Classifier,
    directory: Path,
    wrap: Callable[[Iterator[Result], int], Iterator[Result]] = lambda it, _total: it,
) -> EvalReport:
    """Classify every labelled image and score it; ``wrap`` can add a progress bar."""
    samples = labelled_images(directory)
    started = time.perf_counter()
    results = classifier.iter_classify([p for p, _ in samples], top_k=5)
    top1 = top5 = failed = 0
    for (_, wnid), result in zip(samples, wrap(results, len(samples)), strict=True):
        if not result.ok:
            failed += 1
            continue
        indices = [p.wnid for p in result.predictions]
        top1 += indices[0] == wnid
        top5 += wnid in indices
    total = len(samples)
    return EvalReport(
        model=classifier.spec.name,
        engine=classifier.engine.name,
        images=total,
        failed=failed,
        top1=round(top1 / total, 4),
        top5=round(top5 / total, 4),
        seconds=round(time.perf_counter() - started, 2),
    )
