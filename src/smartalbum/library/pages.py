"""Pages of a long list: the one bound on how many items a page may hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_PAGE = 500  # items in one page of albums, moments, search results


def page_size(limit: int) -> int:
    """A requested page length brought within 1..MAX_PAGE."""
    return max(1, min(MAX_PAGE, limit))


def page_of(items: Sequence[T], offset: int, limit: int) -> Sequence[T]:
    """The items of one page: ``limit`` (within 1..MAX_PAGE) from ``offset`` (at least 0)."""
    start = max(0, offset)
    return items[start : start + page_size(limit)]
