"""The lean way through FastAPI (web/lean_routes.py): taken when its handler takes the
request, FastAPI's own validation and errors otherwise, never for a route with dependencies
of its own; and the app's only dependency is the gate the lean upload routes await."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import MethodType
from typing import Annotated

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response

from smartalbum.settings import Settings
from smartalbum.web.app import create_app
from smartalbum.web.auth import Gate
from smartalbum.web.lean_routes import LeanRoute, lean, short_text, whole_number


async def _lean_answer(request: Request) -> Response | None:
    size = whole_number(request.headers.get("size"), 100)
    if size is None:
        return None  # FastAPI's handler validates and words the error
    return Response(f"lean {size}", headers={"Answered-By": "lean"})


def _documented() -> None:
    """A route's own dependency."""


def _app() -> FastAPI:
    router = APIRouter(route_class=LeanRoute)

    @router.get("/sized")
    @lean(_lean_answer)
    def sized(size: Annotated[int, Header(ge=0, le=100)]) -> Response:
        return Response(f"standard {size}")

    @router.get("/with-dependency", dependencies=[Depends(_documented)])
    @lean(_lean_answer)
    def with_dependency(size: Annotated[int, Header()]) -> Response:
        return Response(f"standard {size}")

    @router.get("/plain")
    def plain() -> Response:
        return Response("standard")

    app = FastAPI()
    app.include_router(router)
    return app


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """The small app under uvicorn on 127.0.0.1: real HTTP."""
    server = uvicorn.Server(uvicorn.Config(_app(), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        threading.Event().wait(0.1)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http
    server.should_exit = True
    thread.join(timeout=30)


def test_the_lean_handler_answers_what_it_takes(client: httpx.Client) -> None:
    answer = client.get("/sized", headers={"Size": "42"})
    assert answer.status_code == 200
    assert (answer.text, answer.headers["answered-by"]) == ("lean 42", "lean")


@pytest.mark.parametrize("size", ["101", "-1", "4x", "", "9" * 30])
def test_what_it_declines_fastapi_validates(client: httpx.Client, size: str) -> None:
    answer = client.get("/sized", headers={"Size": size})
    assert answer.status_code == 422  # FastAPI's own error, not the lean handler's
    assert "answered-by" not in answer.headers


def test_a_route_with_its_own_dependencies_is_never_lean(client: httpx.Client) -> None:
    assert client.get("/with-dependency", headers={"Size": "7"}).text == "standard 7"
    assert client.get("/plain").text == "standard"


def test_the_schema_is_fastapis() -> None:
    schema = _app().openapi()
    parameters = schema["paths"]["/sized"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["schema"]["maximum"]) for p in parameters] == [
        ("size", "header", 100)
    ]


def test_numbers_and_texts_taken_as_they_are() -> None:
    assert whole_number("0", 10) == 0
    assert whole_number("010", 10) == 10
    assert whole_number(str(2**62), 2**62) == 2**62
    for declined in (None, "", " 5", "+5", "5.0", "1_0", "٣", "11", "9" * 21):
        assert whole_number(declined, 10) is None, declined
    assert short_text(None, 3) and short_text("abc", 3)
    assert not short_text("", 3) and not short_text("abcd", 3)


def test_the_apps_only_dependency_is_the_gate(settings: Settings) -> None:
    """The lean upload routes await the gate themselves and skip FastAPI's dependencies: an
    app-wide dependency added beside the gate would be skipped by them (await it there too)."""
    app = create_app(settings)
    calls = [d.dependency for d in app.router.dependencies]
    assert len(calls) == 1
    assert isinstance(calls[0], MethodType)
    assert isinstance(calls[0].__self__, Gate)
    assert calls[0].__func__ is Gate.guard
