"""The chaos soak's short runs (scripts/soak): clients work for two minutes while the server
(with PostgreSQL: also a worker, PostgreSQL or Redis) is SIGKILLed at seeded moments and
restarted; then every acknowledged upload and change must be there, no file partial, and
`smartalbum check` must find nothing. Run in the soak step (scripts/test), alone.

The PostgreSQL run starts its own PostgreSQL cluster and redis-server (to kill them at will)
from Debian's binaries, which scripts/test installs; without them it skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smartalbum.settings import Settings
from tests.helpers import REPO, SAMPLES

pytestmark = pytest.mark.soak
RUN_TIMEOUT = 1800  # s: two minutes of work, the restarts, the settling and the checks


def soak(settings: Settings, home: Path, *args: str) -> dict[str, Any]:
    """Run scripts/soak.py with these arguments in ``home``; its report (it must pass)."""
    env = {**os.environ, "SMARTALBUM_CACHE_DIR": str(settings.cache_dir)}
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "soak.py"), "--photos", str(SAMPLES),
         "--home", str(home), "--minutes", "2", *args],
        capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT,
    )  # fmt: skip
    assert run.stdout, run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    assert run.returncode == 0, json.dumps(report["findings"], ensure_ascii=False, indent=1)
    print(json.dumps({k: report[k] for k in ("kills", "ledger", "requests", "settle")}))
    return report


def assert_worked(report: dict[str, Any]) -> None:
    """Killed more than once, and every kind of change was acknowledged and then found."""
    assert report["ok"] and report["findings"] == []
    assert sum(report["kills"].values()) >= 2, report["kill_log"]
    assert all(k["back_after"] < 300 for k in report["kill_log"])
    ledger = report["ledger"]
    assert ledger["uploads"] >= 20 and ledger["imports"] >= 1, ledger
    assert ledger["corrections"] + ledger["albums"] + ledger["categories"] >= 3, ledger
    assert all(check["count"] == 0 for check in report["check"]), report["check"]


def test_a_sqlite_server_killed_again_and_again_loses_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    report = soak(settings, tmp_path, "--mode", "sqlite", "--kill-every", "30", "--seed", "1")
    assert set(report["kills"]) == {"server"}
    assert_worked(report)


def test_postgresql_redis_workers_and_server_killed_lose_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    if not (shutil.which("redis-server") and list(Path("/usr/lib/postgresql").glob("*/bin"))):
        pytest.skip("needs Debian's postgresql and redis-server (scripts/test installs them)")
    report = soak(
        settings, tmp_path, "--mode", "postgres", "--kill-every", "25", "--pause", "1",
        "--seed", "2",
    )  # fmt: skip
    assert set(report["kills"]) <= {"server", "worker-0", "worker-1", "postgres", "redis"}
    assert_worked(report)
