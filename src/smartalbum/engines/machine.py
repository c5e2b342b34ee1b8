"""What this machine is, as far as engines care: its CPU's model and instruction sets.

Read from /proc/cpuinfo (Linux); elsewhere the facts are empty and engines fall back to
their portable paths.
"""

from __future__ import annotations

import os
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# The instruction sets that decide which engine is fastest (AMX and VNNI for INT8, bf16).
RELEVANT_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16",
                  "amx_int8", "amx_tile")  # fmt: skip


def _field(name: str, cpuinfo: Path) -> str:
    try:
        text = cpuinfo.read_text()
    except OSError:
        return ""
    for line in text.splitlines():
        if line.startswith(name):
            return line.partition(":")[2].strip()
    return ""


def cpu_flags(cpuinfo: Path = CPUINFO) -> frozenset[str]:
    """The feature flags of the first CPU in /proc/cpuinfo; empty where there is none."""
    return frozenset(_field("flags", cpuinfo).split())


def cpu_model(cpuinfo: Path = CPUINFO) -> str:
    """The CPU's model name, e.g. "AMD EPYC 7B13" ("" where unknown)."""
    return _field("model name", cpuinfo)


def cpu_summary(cpuinfo: Path = CPUINFO) -> dict[str, object]:
    """Model, usable cores and the engine-relevant flags: what an engine choice depends on."""
    flags = cpu_flags(cpuinfo)
    return {
        "model": cpu_model(cpuinfo),
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "flags": [f for f in RELEVANT_FLAGS if f in flags],
    }
