"""What every command shares: its exit codes and the terminal progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2  # usage: a bad flag, setting or file


def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
    """A progress bar on stderr for runs that last more than a moment on a terminal."""
    from tqdm import tqdm

    yield from tqdm(results, total=total, unit="img", delay=2.0, disable=None, file=sys.stderr)
