"""Micro-batching: concurrent requests share model calls, off the event loop.

Each request decodes its image in a worker pool, then queues the array here. One
task gathers queued arrays until it has ``max_batch`` of them or ``max_wait_ms``
has passed since the first, and runs them as one batch on a single inference
thread (the engine uses all cores itself; two batches at once would only fight).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from smartalbum.engines.classifier import Classifier, Prediction, calibrated

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Classified:
    """One image's top-k predictions, with its full probabilities and its embedding."""

    predictions: list[Prediction]
    probabilities: np.ndarray
    embedding: np.ndarray


class MicroBatcher:
    """Queue single images, get predictions; images are run together when they overlap."""

    def __init__(self, classifier: Classifier, max_batch: int = 8, max_wait_ms: float = 5.0):
        self.classifier = classifier
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self._queue: asyncio.Queue[tuple[np.ndarray, int, asyncio.Future[Classified]]]
        self._queue = asyncio.Queue()
        self._inference = ThreadPoolExecutor(1, "smartalbum-inference")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the gathering task on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Stop gathering and release the inference thread."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._inference.shutdown(wait=True)

    async def predict(self, array: np.ndarray, top_k: int) -> list[Prediction]:
        """Top-k predictions for one preprocessed image, run in whatever batch it joins."""
        return (await self.classify(array, top_k)).predictions

    async def classify(self, array: np.ndarray, top_k: int) -> Classified:
        """Top-k predictions, full probabilities and the embedding of one preprocessed image."""
        future: asyncio.Future[Classified] = asyncio.get_running_loop().create_future()
        await self._queue.put((array, top_k, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.max_wait
            while len(batch) < self.max_batch:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            try:
                stacked = np.stack([array for array, _, _ in batch])
                # The embedding too (the same model call): taught categories score from it.
                logits, features = await loop.run_in_executor(
                    self._inference, self.classifier.engine.embed, stacked
                )
                probabilities = calibrated(logits, self.classifier.spec)
            except Exception as exc:  # the engine failed: every waiting request learns why
                log.exception("inference failed for a batch of %d", len(batch))
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for row, (_, top_k, future) in enumerate(batch):
                if not future.done():  # the client may have gone away meanwhile
                    predictions = self.classifier.top_k(probabilities[row], top_k)
                    future.set_result(Classified(predictions, probabilities[row], features[row]))
