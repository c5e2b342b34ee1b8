"""Real-weight accuracy on the 1000 real sample photos (slow: full passes over the set)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smartalbum.bench.accuracy import evaluate, labelled_images
from smartalbum.engines.classifier import Classifier
from smartalbum.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.soak]  # a benchmark: full passes, three models


def test_default_model_accuracy(classifier: Classifier, samples: Path) -> None:
    report = evaluate(classifier, samples)
    assert (report.images, report.failed) == (1000, 0)
    assert report.top1 >= 0.875, report
    assert report.top5 >= 0.97, report


@pytest.mark.parametrize(
    ("model", "top1"), [("efficientnet_lite1", 0.89), ("efficientnet_lite2", 0.90)]
)
def test_larger_lite_models_accuracy(
    settings: Settings, samples: Path, model: str, top1: float
) -> None:
    report = evaluate(Classifier.from_settings(dataclasses.replace(settings, model=model)), samples)
    assert report.failed == 0
    assert report.top1 >= top1, report


def test_reduced_scale_decoding_keeps_top1(
    classifier: Classifier, settings: Settings, samples: Path
) -> None:
    # Only images big enough for DCT scaling to apply (shorter side >= 512) can differ.
    from PIL import Image

    def shorter_side(path: Path) -> int:
        with Image.open(path) as img:
            return min(img.size)

    big = [p for p, _ in labelled_images(samples) if shorter_side(p) >= 512]
    assert len(big) >= 50
    full = Classifier(dataclasses.replace(settings, fast_decode=False), classifier.spec,
                      classifier.engine, classifier.labels)  # fmt: skip
    fast_top = [r.predictions[0].wnid for r in classifier.iter_classify(big, top_k=1)]
    full_top = [r.predictions[0].wnid for r in full.iter_classify(big, top_k=1)]
    truth = [p.name.split("_")[0] for p in big]
    agree = sum(a == b for a, b in zip(fast_top, full_top, strict=True)) / len(big)
    fast_acc = sum(a == t for a, t in zip(fast_top, truth, strict=True))
    full_acc = sum(a == t for a, t in zip(full_top, truth, strict=True))
    assert agree >= 0.95, agree
    assert abs(fast_acc - full_acc) <= 1, (fast_acc, full_acc)
