"""A shorter way through FastAPI for the routes a burst of uploads calls once a photo.

FastAPI solves every request's parameters and dependencies through its general machinery:
for a tus creation that is a fifth of the event loop's CPU (four headers, the gate). A route
made with ``LeanRoute`` whose endpoint names a ``lean`` handler (``@lean(handler)``) tries
that handler first: it reads the few headers itself and passes the request through the
same gate (``Gate.guard``, the app's one dependency). Whatever it does not take as it is (a
missing, malformed or out-of-range header, a route with dependencies of its own) it
declines with None before touching the body, and FastAPI's own handler answers, with its
validation and its errors, exactly as without this. The schema is FastAPI's, from the
endpoint's signature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

Lean = Callable[[Request], Awaitable[Response | None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def lean(handler: Lean) -> Callable[[Endpoint], Endpoint]:
    """Name the lean handler of an endpoint (used by a LeanRoute, tried first)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.lean = handler  # type: ignore[attr-defined]  # read by LeanRoute
        return endpoint

    return mark


class LeanRoute(APIRoute):
    """An APIRoute that answers through its endpoint's lean handler when that takes the
    request, else through FastAPI's own."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The lean handler, falling back on FastAPI's (which alone runs a route's own
        dependencies: such a route is never lean)."""
        standard = super().get_route_handler()
        handler: Lean | None = getattr(self.endpoint, "lean", None)
        if handler is None or self.dependencies:
            return standard
        lean_handler = handler

        async def answer(request: Request) -> Response:
            response = await lean_handler(request)
            return response if response is not None else await standard(request)

        return answer


def whole_number(text: str | None, largest: int) -> int | None:
    """A header's plain decimal number from 0 to ``largest``; None for anything else (FastAPI's
    own validation then decides, and words its error)."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    number = int(text)
    return number if number <= largest else None


def short_text(text: str | None, longest: int) -> bool:
    """Whether an optional header is absent, or present, not empty and at most ``longest``
    characters (what the lean handlers take as it is)."""
    return text is None or 0 < len(text) <= longest
