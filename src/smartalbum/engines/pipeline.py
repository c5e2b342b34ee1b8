"""Running per-item work in a thread pool a batch ahead of whoever consumes the batches."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def batches_ahead(
    items: Iterable[T], work: Callable[[T], R], batch_size: int, threads: int, name: str
) -> Iterator[list[R]]:
    """``work(item)`` results in input order, ``batch_size`` at a time.

    Two batches are in flight: while the caller handles one (runs the model on it,
    say), the pool already works on the next; Pillow and ONNX Runtime release the
    GIL, so both cores stay busy. An exception from ``work`` surfaces here.
    """
    queued = iter(items)
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(threads, name) as pool:

        def refill() -> None:
            while len(pending) < 2 * batch_size:
                item = next(queued, None)
                if item is None:
                    return
                pending.append(pool.submit(work, item))

        refill()
        while pending:
            batch = [pending.popleft().result() for _ in range(min(batch_size, len(pending)))]
            refill()
            yield batch
