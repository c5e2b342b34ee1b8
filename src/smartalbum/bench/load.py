"""A bounded load generator for ``POST /predict`` on this machine (loopback only)."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from smartalbum.errors import ConfigError
from smartalbum.hosts import is_loopback
from smartalbum.i18n import t


def check_loopback(url: str) -> None:
    """Refuse any target but this machine: load tests never leave it."""
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        raise ConfigError(
            t("load tests only target this machine (127.0.0.1), not {host!r}", host=host)
        )


def run_load(url: str, image: Path, clients: int, requests: int) -> dict[str, Any]:
    """Send ``requests`` uploads from ``clients`` threads; latency percentiles and rate."""
    import httpx

    check_loopback(url)
    data = image.read_bytes()
    per_client = max(1, requests // clients)

    def client(_: int) -> list[tuple[int, float]]:
        out = []
        with httpx.Client(timeout=120) as c:
            for _ in range(per_client):
                started = time.perf_counter()
                response = c.post(f"{url}/predict", files={"file": (image.name, data)})
                out.append((response.status_code, time.perf_counter() - started))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        outcomes = [o for batch in pool.map(client, range(clients)) for o in batch]
    seconds = time.perf_counter() - started
    latencies = sorted(ms for _, ms in outcomes)
    return {
        "clients": clients,
        "requests": len(outcomes),
        "failed": sum(status != 200 for status, _ in outcomes),
        "requests_per_second": round(len(outcomes) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
    }
