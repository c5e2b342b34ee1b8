"""Walk every page and every GET operation of a running server, with realistic parameters.

The routes come from the app itself (the served schema, and the app's own list for pages,
which are not in it), so a new route is walked without anyone adding it here. Path
parameters are filled from the library the server serves; a route whose parameter only a
write can make (an upload, a photo in the trash, a Live Photo's motion) is listed as skipped.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

if TYPE_CHECKING:  # httpx is a test dependency: only the benchmark and the tests walk
    import httpx

# What only a write makes: a route needing one of these is skipped, and says why.
MADE_BY_WRITES = {
    "upload_id": "an upload",
    "/motion": "a Live Photo",
    "/api/trash/{photo_id}": "a photo in the trash",
    "/api/shared/{token}/uploads": "a link taking uploads",
    "session_id": "another session",
}
JAPAN = {"zoom": "3", "south": "30", "west": "129", "north": "46", "east": "146"}
PACIFIC = {"south": "0", "west": "170", "north": "40", "east": "-150"}  # across the 180th
# The queries a path is asked with (by default, none): what the pages ask.
QUERIES: dict[str, list[dict[str, str]]] = {
    "/api/search": [{"q": "cat"}, {"q": "猫"}, {"q": "Japan"}, {"q": "去年冬天在日本"},
                    {"q": "dogs on the beach in summer 2024"}, {"q": "发票"},
                    {"q": "Person 1"}],
    "/api/classes": [{}, {"q": "retriever"}],
    "/api/on-this-day": [{}, {"today": "2025-01-12"}],
    "/api/map/clusters": [{}, JAPAN, PACIFIC],
    "/api/map/photos": [{}, JAPAN, PACIFIC],
    "/api/moments": [{"limit": "20"}, {"offset": "200", "limit": "20"}],
    "/api/albums/{album_id}": [{"limit": "1"}, {"offset": "0", "limit": "60"}],
    "/api/moments/{moment_id}": [{"limit": "1"}, {"offset": "0", "limit": "60"}],
    "/api/text": [{"q": "发票"}, {"q": "boarding"}],
}  # fmt: skip


@dataclass
class Walked:
    """One walk's answers: per route (method and path template), each request's ms."""

    statuses: dict[str, int] = field(default_factory=dict)  # "url?query": status
    times: dict[str, list[float]] = field(default_factory=dict)  # route: ms of every request
    skipped: dict[str, str] = field(default_factory=dict)  # route: what only a write makes


def page_paths(app: FastAPI) -> list[str]:
    """The app's GET routes left out of the schema: its pages."""
    return sorted(route.path for route in _routes(app.routes)
                  if isinstance(route, APIRoute) and not route.include_in_schema
                  and "GET" in (route.methods or ()))  # fmt: skip


def _routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, those of included routers too (FastAPI now keeps a router whole)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def fill(client: httpx.Client, share_token: str | None, job_id: str | None) -> dict[str, str]:
    """Path parameters from the served library: a photo, album, moment, person, face, link."""
    albums = [a for a in client.get("/api/albums").json()["albums"] if a["count"]]
    found = {"album_id": str(albums[0]["id"])}
    found["photo_id"] = str(albums[0]["cover"])
    moments = client.get("/api/moments", params={"limit": 1}).json()["moments"]
    found["moment_id"] = str(moments[0]["id"])
    mine = client.get("/api/user-albums").json()["albums"]
    if mine:
        found["user_album_id"] = str(mine[0]["id"])
    categories = client.get("/api/categories").json()["categories"]
    if categories:
        found["category_id"] = str(categories[0]["id"])
    people = client.get("/api/people").json()["people"]
    if people:
        found["person_id"] = str(people[0]["id"])
        faces = client.get(f"/api/people/{people[0]['id']}").json()["face_list"]
        found |= {"face_id": str(faces[0]["id"])} if faces else {}
    links = client.get("/api/shares").json()["links"]
    if links:
        found["link_id"] = str(links[0]["id"])
    if share_token:
        shared = client.get(f"/api/shared/{share_token}").json()
        found |= {"token": share_token, "shared_photo_id": str(shared["photos"][0]["id"])}
    found |= {"job_id": job_id} if job_id else {}
    return found


def requests_of(
    schema: dict[str, Any], pages: Iterable[str], values: dict[str, str]
) -> tuple[list[tuple[str, str, dict[str, str]]], dict[str, str]]:
    """(route, url, query) to ask, and the routes skipped with the reason."""
    asked, skipped = [], {}
    paths = [p for p, operations in schema["paths"].items() if "get" in operations]
    for path in [*paths, *pages]:
        why = next((w for part, w in MADE_BY_WRITES.items() if part in path), None)
        given = _values_for(path, values)
        missing = [n for n in _names(path) if not given.get(n)]
        if why is None and missing:
            why = "no " + ", ".join(missing) + " in the library"
        if why is not None:
            skipped[path] = why
            continue
        url = path.format(**given)
        for query in _queries(path, given):
            asked.append((path, url, query))
    return asked, skipped


def _values_for(path: str, values: dict[str, str]) -> dict[str, str]:
    """A person's album is named by its number, a shared photo is one the link shows."""
    if path.startswith("/api/user-albums/"):
        return {**values, "album_id": values.get("user_album_id", "")}
    if path.startswith("/api/shared/"):
        return {**values, "photo_id": values.get("shared_photo_id", "")}
    return values


def _names(path: str) -> list[str]:
    """The path's parameters: ``/a/{x}/b/{y}``: x, y."""
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _queries(path: str, values: dict[str, str]) -> list[dict[str, str]]:
    if path == "/api/selection/download":
        return [{"ids": values["photo_id"]}]
    return QUERIES.get(path, [{}])


def walk(
    client: httpx.Client,
    asked: list[tuple[str, str, dict[str, str]]],
    repeats: int,
    after: Callable[[str], None] | None = None,
) -> Walked:
    """Ask each request once to warm it, then ``repeats`` times, timed; ``after(route)``."""
    import httpx

    walked = Walked()
    for route, url, query in asked:
        if after is not None:
            after(route)
        try:
            status = _ask(client, url, query)
        except httpx.TimeoutException:  # a route that never answers is a finding, not the end
            status = 0
        walked.statuses[f"{url}?{query}"] = status
        for _ in range(repeats if status else 0):
            started = time.perf_counter()
            try:
                _ask(client, url, query)
            except httpx.TimeoutException:
                walked.statuses[f"{url}?{query}"] = 0
                break
            walked.times.setdefault(route, []).append((time.perf_counter() - started) * 1000)
    return walked


def _ask(client: httpx.Client, url: str, query: dict[str, str]) -> int:
    """One request, its answer read to the end and dropped: a ZIP of 29,000 photos held
    whole (as ``client.get`` does) took the walk to 15 GB and the kernel's OOM killer."""
    with client.stream("GET", url, params=query) as answer:
        for _ in answer.iter_raw():
            pass
        return answer.status_code


def percentile(values: list[float], share: float) -> float:
    """The value ``share`` of the way up the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(walked: Walked) -> list[dict[str, Any]]:
    """Per route: requests, p50 and p95 ms, slowest first."""
    rows = [{"route": route, "requests": len(times),
             "p50_ms": round(statistics.median(times), 1),
             "p95_ms": round(percentile(times, 0.95), 1)}
            for route, times in walked.times.items()]  # fmt: skip
    return sorted(rows, key=lambda row: -float(row["p95_ms"]))
