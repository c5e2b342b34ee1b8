"""The soak's processes: the server, and in the PostgreSQL mode PostgreSQL, Redis and two
workers, each in a process group of its own so that a SIGKILL takes all of it (a worker's
pool, PostgreSQL's backends) as a machine's death would. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

READY_TIMEOUT = 300.0  # s for a process to be ready again (a loaded 2-core machine)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Proc:
    """One restartable program in a process group of its own, logging to a file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log: Path,
        ready: Callable[[], bool],
        user: str | None = None,
    ) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.is_ready, self.user = ready, user
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.folder: Path | None = None  # what it keeps outside the home, removed after it

    def start(self) -> None:
        """Start it (not waited for)."""
        with self.log.open("ab") as out:
            out.write(f"\n==== soak: start {self.starts + 1}\n".encode())
            self.process = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                user=self.user,
                cwd="/",
            )
        self.starts += 1

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until it answers; SystemExit with its log's end if it dies or never does."""
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if self.process is None or self.process.poll() is not None:
                raise SystemExit(f"soak: {self.name} died at start:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"soak: {self.name} not ready in {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the whole process group, and reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self._reap_group(self.process.pid)

    @staticmethod
    def _reap_group(pgid: int) -> None:
        """Wait until no process of the group is left (PostgreSQL refuses to start while an
        old backend still holds its shared memory)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to its main process (which ends its children), then SIGKILL to the group
        after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def alive(self) -> bool:
        """Whether its main process runs."""
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 40) -> str:
        """The end of its log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def smartalbum(*args: str) -> list[str]:
    """The command line of ``smartalbum ARGS`` in this interpreter."""
    return [sys.executable, "-m", "smartalbum", *args]


def server(home: Path, env: dict[str, str]) -> Proc:
    """``smartalbum serve`` on its own port; ready when its health says so."""
    port = int(env["SMARTALBUM_PORT"])

    def ready() -> bool:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
            return answer.status_code == 200 and bool(answer.json()["ready"])
        except (httpx.HTTPError, ValueError):
            return False

    return Proc("server", smartalbum("serve"), env, home / "logs" / "server.log", ready)


def worker(home: Path, env: dict[str, str], slot: int) -> Proc:
    """``smartalbum worker --concurrency 1``, as compose.yaml runs it; ready when its pool
    process has opened the model."""
    log = home / "logs" / f"worker-{slot}.log"
    seen = {"count": 0}

    def ready() -> bool:
        found = len(re.findall(r"worker process \d+ ready", log.read_text(errors="replace")))
        if found > seen["count"]:
            seen["count"] = found
            return True
        return False

    argv = smartalbum("worker", "--concurrency", "1")
    return Proc(f"worker-{slot}", argv, env, log, ready)


def redis(home: Path) -> tuple[Proc, str]:
    """A redis-server with an append-only file (as compose.yaml's); its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "soak: the PostgreSQL mode needs redis-server (apt-get install redis-server)"
        )
    port, folder = free_port(), home / "redis"
    folder.mkdir()
    argv = [
        binary,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(folder),
        "--save",
        "",
        "--appendonly",
        "yes",
    ]
    proc = Proc(
        "redis", argv, dict(os.environ), home / "logs" / "redis.log", lambda: _listening(port)
    )
    return proc, f"redis://127.0.0.1:{port}/0"


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: p.parts)
    if not found:
        raise SystemExit("soak: the PostgreSQL mode needs postgresql (apt-get install postgresql)")
    return found[-1].parent


def postgres(home: Path) -> tuple[Proc, str]:
    """A PostgreSQL cluster of its own (made now) with a role and database "smartalbum"; its
    URL. As root, its programs run as the user postgres (it refuses to run as root)."""
    # Its own folder in the temp folder: as root it runs as postgres, who may not enter
    # ``home`` (a test's temp folder is its owner's alone). Removed by Soak.finish.
    bin_dir, folder = _pg_bin(), Path(tempfile.mkdtemp(prefix="smartalbum-soak-pg-"))
    user = "postgres" if os.getuid() == 0 else None
    if user:
        shutil.chown(folder, user, user)
    password = secrets.token_hex(16)
    (folder / "password").write_text(password)
    subprocess.run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            f"--pwfile={folder / 'password'}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
        user=user,
        cwd="/",
    )
    port = free_port()
    # fsync off: only the process is killed, never the machine, so the OS keeps every write.
    argv = [
        str(bin_dir / "postgres"),
        "-D",
        str(folder / "data"),
        "-p",
        str(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-k",
        str(folder),
        "-c",
        "fsync=off",
    ]
    admin = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
    proc = Proc(
        "postgres",
        argv,
        dict(os.environ),
        home / "logs" / "postgres.log",
        lambda: _pg_ready(admin),
        user=user,
    )
    proc.folder = folder
    proc.start()
    proc.wait_ready()
    _pg_role(admin, password)
    return proc, f"postgresql+psycopg://smartalbum:{password}@127.0.0.1:{port}/smartalbum"


def _pg_ready(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False


def _pg_role(admin: str, password: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"CREATE ROLE smartalbum LOGIN CREATEDB PASSWORD '{password}'")
        c.execute("CREATE DATABASE smartalbum OWNER smartalbum")
