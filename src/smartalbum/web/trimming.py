"""The server hands freed memory back once it goes quiet: ``malloc_trim`` after a burst.

A ZIP of an album, a search over 100,000 photos or a big page leave their peak in glibc's
arenas after they are answered; trimmed, the server's RSS falls back (measured in
docs/performance.md). The trim runs off the event loop once no request has been open
for ``QUIET_SECONDS``, and only after requests came: an idle server does no work for it.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from smartalbum.engines import memory

QUIET_SECONDS = 2.0  # a gap between requests this long ends a burst


class TrimWhenQuietMiddleware:
    """Counts open HTTP requests; ``QUIET_SECONDS`` after the last one closes, trims."""

    def __init__(self, app: ASGIApp, quiet_seconds: float = QUIET_SECONDS) -> None:
        self.app = app
        self.quiet_seconds = quiet_seconds
        self.open = 0
        self.trims = 0  # how many trims ran (the tests read it)
        self._pending: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.open += 1
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            if self.open == 0:
                loop = asyncio.get_running_loop()
                self._pending = loop.call_later(self.quiet_seconds, self._start_trim, loop)

    def _start_trim(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pending = None
        if self.open == 0:
            # malloc_trim walks every arena: some milliseconds, not for the event loop.
            loop.run_in_executor(None, self._trim)

    def _trim(self) -> None:
        memory.trim()
        self.trims += 1
