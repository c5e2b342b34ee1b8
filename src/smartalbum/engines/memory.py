"""Giving memory back to the system: glibc's arenas capped, their free pages returned.

glibc's malloc gives each thread that contends for the heap an arena of its own (up to
eight per core) and keeps what a big request freed in it, so a server whose thread pool
has run a ZIP, a search and a heat-map holds the peak of each in some arena for good.
``limit_arenas`` caps how many there are (``MALLOC_ARENA_MAX``, set from inside the
process), ``trim`` hands every arena's free pages back (``malloc_trim``). Both do nothing
where the C library is not glibc (macOS, musl): there the allocator has its own rules.
Measured in docs/performance.md (the server's RSS after the 100,000-photo route walk).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt's parameter number for MALLOC_ARENA_MAX (glibc's malloc.h)
SERVER_ARENAS = 2  # the server's cap: its threads mostly wait on the GIL and the catalog


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (it has malloc_trim and mallopt), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads made from now on; False where that cannot be."""
    libc = _glibc()
    done = libc is not None and libc.mallopt(M_ARENA_MAX, arenas) == 1
    log.debug("malloc arenas capped at %d: %s", arenas, done)
    return done


def trim() -> bool:
    """Return the free pages of every malloc arena to the system; True if any were."""
    libc = _glibc()
    return libc is not None and libc.malloc_trim(0) == 1
