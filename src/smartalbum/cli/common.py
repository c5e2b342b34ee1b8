"""The terminal progress bar every long command shares."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any


def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
    """A progress bar on stderr for runs that last more than a moment on a terminal."""
    from tqdm import tqdm

    yield from tqdm(results, total=total, unit="img", delay=2.0, disable=None, file=sys.stderr)
