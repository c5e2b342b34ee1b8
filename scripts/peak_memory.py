"""Run a command; every 0.1 s sum the RSS and PSS of it and every process under it.

    .venv/bin/python scripts/peak_memory.py [--timeline FILE] -- smartalbum index FOLDER

Prints one JSON line on stderr at the end: the peaks of the sums (MB), the most processes
seen at once, wall and CPU seconds (the children's, reaped) and the load average. PSS counts
a page shared by several processes once, split between them: the memory they hold together.
With ``--timeline`` each sample is a line of the file: seconds, RSS MB, PSS MB, processes,
and each process's RSS MB (pid:MB), for finding which phase peaked.
Issue 29 item 5's figures in docs/performance.md were measured with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

INTERVAL = 0.1  # seconds between samples


def tree(pid: int) -> list[int]:
    """A process and every process under it (its threads' children included)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text()
                todo += [int(c) for c in children.split()]
        except OSError:
            continue  # it ended between two reads
    return found


def memory(pid: int) -> tuple[int, int]:
    """A process's RSS and PSS, kB (0, 0 when it has ended)."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main() -> int:
    """Run the command, sample it until it ends, print the peaks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeline", type=Path, default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = time.time()
    process = subprocess.Popen(command)
    peak_rss = peak_pss = most = 0
    timeline = args.timeline.open("w") if args.timeline else None
    while process.poll() is None:
        pids = tree(process.pid)
        each = {pid: memory(pid) for pid in pids}
        rss, pss = sum(r for r, _ in each.values()), sum(p for _, p in each.values())
        peak_rss, peak_pss, most = max(peak_rss, rss), max(peak_pss, pss), max(most, len(pids))
        if timeline is not None:
            parts = " ".join(f"{pid}:{r // 1024}" for pid, (r, _) in each.items())
            timeline.write(f"{time.time() - started:.1f} {rss // 1024} {pss // 1024} ")
            timeline.write(f"{len(pids)} {parts}\n")
        time.sleep(INTERVAL)
    if timeline is not None:
        timeline.close()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "rc": process.returncode,
        "peak_rss_mb": round(peak_rss / 1024),
        "peak_pss_mb": round(peak_pss / 1024),
        "processes": most,
        "wall_s": round(time.time() - started, 1),
        "cpu_s": round(used.ru_utime + used.ru_stime, 1),
        "load": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(figures), file=sys.stderr)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
