"""The server trims malloc's arenas once a burst of requests is over, never during one."""

from __future__ import annotations

import asyncio

import httpx

from smartalbum.settings import Settings
from smartalbum.web import create_app
from smartalbum.web.trimming import TrimWhenQuietMiddleware


def test_one_trim_after_a_burst_none_while_requests_come(settings: Settings) -> None:
    trimming = TrimWhenQuietMiddleware(create_app(settings), quiet_seconds=0.3)

    async def run() -> list[int]:
        seen = []
        transport = httpx.ASGITransport(app=trimming)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for _ in range(5):  # a burst: each gap shorter than the quiet time
                assert (await client.get("/login")).status_code == 200
                await asyncio.sleep(0.1)
            seen.append(trimming.trims)
            await asyncio.sleep(1.0)  # quiet: one trim
            seen.append(trimming.trims)
            await asyncio.sleep(1.0)  # still quiet, no request came: no second trim
            seen.append(trimming.trims)
            await asyncio.gather(*(client.get("/login") for _ in range(3)))
            await asyncio.sleep(1.0)
            seen.append(trimming.trims)
        return seen

    assert asyncio.run(run()) == [0, 1, 1, 2]


def test_the_app_trims(settings: Settings) -> None:
    kinds: list[object] = [m.cls for m in create_app(settings).user_middleware]
    assert TrimWhenQuietMiddleware in kinds
