"""Memory handed back to the system: glibc's arenas capped, freed pages returned by trim."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from smartalbum.engines import memory

# A child process, so the arena cap and the heap it measures are its own: it frees 200 MB
# of small objects, then trims, reporting its RSS (MB) at each step.
CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from smartalbum.engines import memory

    def rss():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    capped = memory.limit_arenas(2)
    base = rss()
    kept = [bytes(1000) for _ in range(200_000)]  # small blocks: malloc's heap, not mmap
    kept = kept[-10:]  # the rest freed, but the top of the heap still holds ten of them
    freed = rss()
    trimmed = memory.trim()
    print(json.dumps({"capped": capped, "trimmed": trimmed, "base": base, "freed": freed,
                      "after": rss()}))
    """
)


def test_trim_gives_freed_heap_back() -> None:
    import json

    answer = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True)
    assert answer.returncode == 0, answer.stderr
    report = json.loads(answer.stdout)
    assert report["capped"] and report["trimmed"], report
    assert report["freed"] - report["base"] > 100, report  # the freed blocks stayed resident
    assert report["after"] - report["base"] < 40, report  # and trim returned them


def test_trim_and_the_cap_are_harmless_to_repeat() -> None:
    assert memory.limit_arenas(8)
    memory.trim()
    memory.trim()
