"""Micro-batching (web/batching.py): requests that overlap share one model call, and each
gets its own answer, the one it would get alone."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from smartalbum.engines.classifier import Classifier
from smartalbum.web.batching import Classified, MicroBatcher
from tests.helpers import CAT, SAMPLES

PHOTOS = [CAT, "n11939491_daisy.JPEG", "n09193705_alp.JPEG", "n07873807_pizza.JPEG"]


def classify_together(
    classifier: Classifier, arrays: list[np.ndarray], max_batch: int
) -> tuple[list[Classified], list[int]]:
    """Every array sent at once; their answers, and the size of each model call made."""
    sizes: list[int] = []
    embed = classifier.engine.embed

    def counted(batch: np.ndarray) -> Any:
        sizes.append(len(batch))  # the real engine runs it: this only watches
        return embed(batch)

    async def run() -> list[Classified]:
        batcher = MicroBatcher(classifier, max_batch=max_batch, max_wait_ms=2000)
        batcher.start()
        try:
            return list(await asyncio.gather(*(batcher.classify(a, 3) for a in arrays)))
        finally:
            await batcher.stop()

    classifier.engine.embed = counted  # type: ignore[method-assign]
    try:
        return asyncio.run(run()), sizes
    finally:
        del classifier.engine.embed  # the engine's own method again


def test_overlapping_requests_share_model_calls(classifier: Classifier) -> None:
    arrays = [classifier.load((SAMPLES / name).read_bytes(), name) for name in PHOTOS * 2]
    answers, sizes = classify_together(classifier, arrays, max_batch=4)
    assert sizes == [4, 4]  # eight requests, two calls, none alone
    alone, single = classify_together(classifier, arrays[:1], max_batch=4)
    assert single == [1]
    for name, answer in zip(PHOTOS * 2, answers, strict=True):
        own = classifier.classify_one(SAMPLES / name, top_k=1)
        assert answer.predictions[0].index == own[0].index, name
    np.testing.assert_allclose(answers[0].probabilities, alone[0].probabilities, atol=1e-4)
    np.testing.assert_allclose(answers[0].embedding, alone[0].embedding, atol=1e-3)
