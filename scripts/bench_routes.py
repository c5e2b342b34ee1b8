"""Every page and every GET of the API against a library of N photos. Run by scripts/bench-routes.

1. A library of ``--photos`` photos made fast (smartalbum.bench.scale_library) in ``--home``,
   kept there for the next run; on SQLite, or on PostgreSQL with ``--postgres URL``.
2. ``smartalbum serve`` on it, a new process; the gallery's first screen in a fresh headless
   chromium (every photo it shows drawn), cold: the first thing the server is asked.
3. Every page and GET operation (smartalbum.bench.route_walk), warm: p50/p95 per route.
4. The server's RSS (its processes together) after the walk. A table, and JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from smartalbum.bench.route_walk import fill, page_paths, requests_of, summary, walk
from smartalbum.bench.scale_library import MADE, make_library
from smartalbum.settings import Settings
from smartalbum.web import create_app

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


@contextmanager
def server(settings: Settings, home: Path) -> Iterator[tuple[str, int]]:
    """``smartalbum serve`` on a free port in a new process: its address and pid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Its own backups and re-scans are periodic work of their own, not what a page waits on:
    # off, or the walk would measure a 2 GB copy made at start.
    env = {**os.environ, "SMARTALBUM_LIBRARY": settings.library,
           "SMARTALBUM_BACKUP_HOURS": "0", "SMARTALBUM_RESCAN_MINUTES": "0"}  # fmt: skip
    log = (home / "server.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "smartalbum", "serve", "--port", str(port)],
                               env=env, stdout=log, stderr=log)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                if httpx.get(f"{url}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:  # a stuck shutdown must not lose the walk's report
            process.kill()
            process.wait(60)
        log.close()


def rss_mb(pid: int) -> dict[str, float]:
    """The resident memory of a process, and of it and its children together, MB."""
    total, todo, own = 0, [pid], 0
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        rss = next(int(line.split()[1]) for line in status.splitlines()
                   if line.startswith("VmRSS:"))  # fmt: skip
        own, total = own or rss, total + rss
        todo += [int(c) for c in children]
    return {"server": round(own / 1024, 1), "with_children": round(total / 1024, 1)}


class Growth:
    """Which routes the server's memory grew over (by more than 20 MB)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.route = pid, ""
        self.grew: dict[str, float] = {}
        self.rss = rss_mb(pid)["server"]

    def note(self, route: str) -> None:
        """Called before each route: what the one before it added."""
        now = rss_mb(self.pid)["server"]
        if now - self.rss > 20:
            self.grew[self.route] = round(now - self.rss, 1)
        self.rss, self.route = now, route


def first_screen(url: str) -> float:
    """Seconds from asking for the gallery to every photo on its first screen drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        started = time.perf_counter()
        page.goto(f"{url}/gallery", wait_until="commit")
        page.wait_for_function(
            """() => { const shown = [...document.images].filter(i => {
                 const r = i.getBoundingClientRect();
                 return r.bottom > 0 && r.top < innerHeight && r.width > 0; });
               return shown.length > 0 && shown.every(i => i.complete && i.naturalWidth > 0); }""",
            polling="raf", timeout=120_000,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        browser.close()
    return round(seconds, 2)


def a_job(client: httpx.Client, home: Path) -> str:
    """A finished import of an empty folder, for the job route to show: its id."""
    empty = home / "empty"
    empty.mkdir(exist_ok=True)
    job = client.post("/api/index", json={"folders": [str(empty)]}).json()
    for _ in range(600):
        job = client.get(f"/api/jobs/{job['id']}").json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    return str(job["id"])


def measure(
    settings: Settings, home: Path, repeats: int, browser: bool, with_job: bool = False
) -> dict[str, Any]:
    """Serve the library, load its first screen cold, walk every route warm; the report."""
    made = json.loads((home / MADE).read_text("utf-8"))
    every_page = page_paths(create_app(settings))
    with server(settings, home) as (url, pid):
        report: dict[str, Any] = {"library": made, "rss_mb_started": rss_mb(pid)}
        if browser:
            report["first_screen_cold_s"] = first_screen(url)
        with httpx.Client(base_url=url, timeout=60) as client:
            job = a_job(client, home) if with_job else None
            values = fill(client, made["share_tokens"]["album"], job)
            report["rss_mb_after_import"] = rss_mb(pid)
            asked, skipped = requests_of(client.get("/openapi.json").json(), every_page, values)
            cpu = _cpu(pid)
            watch = Growth(pid)
            walked = walk(client, asked, repeats, watch.note)
            watch.note("")
            report["rss_grew_mb_after"] = watch.grew
            report["walk_cpu_s"] = round(_cpu(pid) - cpu, 1)
        failed = {k: v for k, v in walked.statuses.items() if not 200 <= v < 300}
        report |= {"rss_mb": rss_mb(pid), "routes": summary(walked), "skipped": skipped,
                   "failed": failed}  # fmt: skip
    report["load_average"] = os.getloadavg()
    return report


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) the server process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def table(report: dict[str, Any]) -> str:
    """The report as a Markdown table, with the totals under it."""
    lines = ["| route | requests | p50 ms | p95 ms |", "|---|---:|---:|---:|"]
    lines += [f"| `{r['route']}` | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} |"
              for r in report["routes"]]  # fmt: skip
    lines.append("")
    load = ", ".join(f"{x:.1f}" for x in report["load_average"])
    lines += [
        f"photos {report['library']['photos']}, server RSS MB {report['rss_mb']}",
        f"(started: {report['rss_mb_started']}, after an import: {report['rss_mb_after_import']})",
        f"gallery first screen cold {report.get('first_screen_cold_s', '-')} s",
        f"walk CPU {report['walk_cpu_s']} s, load average {load}",
    ]
    grew = report["rss_grew_mb_after"].items()
    lines += [f"server RSS grew {mb} MB over `{route}`" for route, mb in grew]
    lines += [f"skipped `{route}`: {why}" for route, why in report["skipped"].items()]
    lines += [f"FAILED {url}: {status}" for url, status in report["failed"].items()]
    return "\n".join(lines)


def main() -> None:
    """Make the library if the home has none, measure, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=ROOT.parent / "bench-routes-home")
    parser.add_argument("--postgres", metavar="URL", help="the catalog's database (empty)")
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared/imagenet-samples")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.home.mkdir(parents=True, exist_ok=True)
    library = args.postgres or str(args.home / "library.db")
    settings = Settings.from_env().with_overrides(library=library)
    if not (args.home / MADE).exists():
        print(json.dumps(make_library(settings, args.home, args.samples, args.photos)))
    report = measure(settings, args.home, args.repeats, args.browser)
    print(json.dumps(report, ensure_ascii=False) if args.json else table(report))


if __name__ == "__main__":
    main()
