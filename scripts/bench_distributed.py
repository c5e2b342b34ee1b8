"""Throughput of a distributed index: N workers of one model thread each, on this machine.

Run by scripts/bench-distributed, which starts a throwaway PostgreSQL and Redis and sets
SMARTALBUM_TEST_POSTGRES_URL and SMARTALBUM_TEST_REDIS_URL. For each worker count, in
alternating rounds, a fresh catalog indexes the photo folder through that many
`smartalbum worker --concurrency 1` processes (each with its own cache folder) with the
coordinator and Redis on the same machine; it prints img/s, the ratio to one worker,
and the CPU seconds per 1000 photos of the coordinator, Redis, PostgreSQL and the
workers, with the photos/s at which each of the first three would fill one core.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from sqlalchemy import NullPool, create_engine, make_url, text

TICKS = os.sysconf("SC_CLK_TCK")


def process_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds so far) of every process."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(stat.parent.name)] = (
            int(fields[1]),
            name,
            (int(fields[11]) + int(fields[12])) / TICKS,
        )
    return table


def tree_cpu(roots: list[int], table: dict[int, tuple[int, str, float]]) -> float:
    """CPU seconds of these processes and all their descendants alive now."""
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += [p for p, (parent, _, _) in table.items() if parent == pid and p not in found]
    return sum(table[p][2] for p in found if p in table)


def postgres_cpu(table: dict[int, tuple[int, str, float]]) -> float:
    return sum(cpu for _, name, cpu in table.values() if name.startswith("postgres"))


def redis_cpu(url: str) -> float:
    info = redis.Redis.from_url(url).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def new_catalog(admin_url: str) -> str:
    name = f"smartalbum_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def start_workers(count: int, env: dict[str, str], base: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for slot in range(count):
        home = base / f"machine-{slot}"
        (home / "cache").mkdir(parents=True, exist_ok=True)
        log = (home / "worker.log").open("wb")
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "smartalbum", "worker", "--concurrency", "1"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**env, "HOME": str(home), "SMARTALBUM_CACHE_DIR": str(home / "cache")},
            )
        )  # fmt: skip
    for slot in range(count):
        log = base / f"machine-{slot}" / "worker.log"
        deadline = time.monotonic() + 300
        while not re.search(r"worker process \d+ ready", log.read_text(errors="replace")):
            if time.monotonic() > deadline or workers[slot].poll() is not None:
                sys.exit(f"worker {slot} did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
    return workers


def one_run(count: int, photos: Path, base: Path, urls: tuple[str, str]) -> dict[str, float]:
    """Index the folder into a fresh catalog through ``count`` workers; what it cost."""
    postgres_url, broker = urls
    env = {
        **os.environ,
        "SMARTALBUM_LIBRARY": new_catalog(postgres_url),
        "SMARTALBUM_BROKER": broker,
        "SMARTALBUM_ENGINE": os.environ.get("SMARTALBUM_ENGINE", "onnx"),
    }
    workers = start_workers(count, env, base)
    try:
        before = process_table()
        worker_cpu, pg_cpu, redis_before = (
            tree_cpu([w.pid for w in workers], before),
            postgres_cpu(before),
            redis_cpu(broker),
        )
        coordinator = subprocess.Popen(
            [sys.executable, "-m", "smartalbum", "index", str(photos), "--json"],
            stdout=subprocess.PIPE, env=env,
        )  # fmt: skip
        assert coordinator.stdout is not None
        out = coordinator.stdout.read()
        _, status, usage = os.wait4(coordinator.pid, 0)
        coordinator.returncode = os.waitstatus_to_exitcode(status)
        if coordinator.returncode != 0:
            sys.exit("the coordinator failed")
        report = json.loads(out)
        after = process_table()
        photos_done = report["added"] + report["updated"]
        per_1000 = 1000 / max(1, photos_done)
        return {
            "workers": count,
            "photos": photos_done,
            "seconds": report["seconds"],
            "img_per_s": photos_done / report["seconds"],
            "coordinator_cpu_per_1000": (usage.ru_utime + usage.ru_stime) * per_1000,
            "redis_cpu_per_1000": (redis_cpu(broker) - redis_before) * per_1000,
            "postgres_cpu_per_1000": (postgres_cpu(after) - pg_cpu) * per_1000,
            "workers_cpu_per_1000": (tree_cpu([w.pid for w in workers], after) - worker_cpu)
            * per_1000,
        }
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "photos", type=Path, help="folder to index (e.g. ../shared/imagenet-samples)"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    urls = (os.environ["SMARTALBUM_TEST_POSTGRES_URL"], os.environ["SMARTALBUM_TEST_REDIS_URL"])
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in args.workers}
    with tempfile.TemporaryDirectory(prefix="smartalbum-bench-") as base:
        for _ in range(args.rounds):
            for count in args.workers:  # alternated: drift on a shared machine hits both
                runs[count].append(one_run(count, args.photos, Path(base), urls))
                print(json.dumps(runs[count][-1]), file=sys.stderr)
    median = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in runs.items()}
    first = median[args.workers[0]]["img_per_s"]
    for m in median.values():
        m["ratio"] = m["img_per_s"] / first
        for part in ("coordinator", "redis", "postgres"):  # photos/s that fill one core
            m[f"{part}_core_limit_img_per_s"] = 1000 / max(m[f"{part}_cpu_per_1000"], 1e-9)
    if args.json:
        print(json.dumps(median, indent=2))
        return
    for n, m in median.items():
        cpu = ", ".join(
            f"{part} {m[f'{part}_cpu_per_1000']:.2f}"
            for part in ("coordinator", "redis", "postgres", "workers")
        )
        limits = ", ".join(
            f"{part} {m[f'{part}_core_limit_img_per_s']:.0f}"
            for part in ("coordinator", "redis", "postgres")
        )
        print(f"{n} worker(s): {m['img_per_s']:.1f} img/s (x{m['ratio']:.2f})")
        print(f"  CPU seconds per 1000 photos: {cpu}")
        print(f"  img/s that would fill one core: {limits}")


if __name__ == "__main__":
    main()
