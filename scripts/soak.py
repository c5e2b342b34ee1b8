"""A chaos soak: for N minutes, several clients upload, import, search, correct, teach, share
and delete while the server (and, with --mode postgres, a worker, PostgreSQL or Redis) is
SIGKILLed at random moments and restarted; then, after the last restart, every acknowledged
upload and change must be there, no file partial, and ``smartalbum check`` must find nothing.

Run by scripts/soak. Loopback only, in a temporary home (kept with --keep, or given with
--home). The kills are drawn from --seed before the run starts (when, whom, how long it stays
down), and each client draws its operations from its own generator seeded from it, so a
run is repeated by its seed (the interleaving of the clients' requests is the machine's).
Prints a JSON report; exits 1 when anything was found wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import soak_fleet
import soak_verify
from soak_clients import Client, Ledger, Tally
from soak_fleet import Proc

REPO = Path(__file__).resolve().parents[1]
GRACE = 180.0  # s an upload in flight at the deadline has to finish, through restarts


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0, help="how long the clients work")
    parser.add_argument(
        "--mode",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="sqlite: the server alone; postgres: with Redis and 2 workers",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="what the kills and operations are drawn from"
    )
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument(
        "--kill-every",
        type=float,
        default=40.0,
        help="mean seconds between two kills (drawn from 0.5x to 1.5x)",
    )
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "imagenet-samples")
    parser.add_argument("--sample-count", type=int, default=40, help="sample photos drawn from")
    parser.add_argument(
        "--pause", type=float, default=0.5, help="mean seconds a client waits between operations"
    )
    parser.add_argument(
        "--settle-minutes", type=float, default=10.0,
        help="how long the photos acknowledged last may take to be indexed, after the run",
    )  # fmt: skip
    parser.add_argument("--home", type=Path, help="work here (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    return parser.parse_args(argv)


def schedule(seed: int, seconds: float, mean: float, victims: list[str]) -> list[dict[str, Any]]:
    """The kills, drawn before the run: at what second, whom, how long down."""
    rng, at, kills = random.Random(seed), 0.0, []
    while True:
        at += rng.uniform(0.5 * mean, 1.5 * mean)
        if at >= seconds:
            return kills
        kills.append(
            {
                "at": round(at, 1),
                "victim": rng.choice(victims),
                "down": round(rng.uniform(0.5, 3.0), 1),
            }
        )


class Soak:
    """The fleet, its clients and the chaos between them."""

    def __init__(self, args: argparse.Namespace, home: Path) -> None:
        self.args, self.home = args, home
        for folder in ("logs", "uploads", "imports"):
            (home / folder).mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, Proc] = {}
        self.port = soak_fleet.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = self._environment()
        self.ledger, self.tally = Ledger(), Tally()
        self.kills: list[dict[str, Any]] = []
        self.stop = threading.Event()

    def _environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "SMARTALBUM_PORT": str(self.port),
            "SMARTALBUM_UPLOAD_ROOT": str(self.home / "uploads"),
            "SMARTALBUM_IMPORT_ROOTS": str(self.home / "imports"),
            "SMARTALBUM_ENGINE": os.environ.get("SMARTALBUM_ENGINE", "onnx"),
        }
        env.pop("SMARTALBUM_BROKER_VISIBILITY_TIMEOUT", None)  # the default: the leases act
        if self.args.mode == "sqlite":
            env["SMARTALBUM_LIBRARY"] = str(self.home / "library.db")
            env.pop("SMARTALBUM_BROKER", None)
            return env
        self.procs["postgres"], env["SMARTALBUM_LIBRARY"] = soak_fleet.postgres(self.home)
        self.procs["redis"], env["SMARTALBUM_BROKER"] = soak_fleet.redis(self.home)
        self.procs["redis"].start()
        self.procs["redis"].wait_ready()
        return env

    def start(self) -> dict[str, str]:
        """Accounts (an admin, an editor per client), then the server and workers; the
        tokens by name."""
        tokens = accounts(self.env["SMARTALBUM_LIBRARY"], self.args.clients)
        self.procs["server"] = soak_fleet.server(self.home, self.env)
        if self.args.mode == "postgres":
            for slot in (0, 1):
                self.procs[f"worker-{slot}"] = soak_fleet.worker(self.home, self.env, slot)
        for name in ("server", "worker-0", "worker-1"):
            if name in self.procs:
                self.procs[name].start()
        for name in ("server", "worker-0", "worker-1"):
            if name in self.procs:
                self.procs[name].wait_ready()
        return tokens

    def chaos(self, started: float, kills: list[dict[str, Any]]) -> None:
        """Kill and restart as scheduled, one at a time, until told to stop."""
        for kill in kills:
            if self.stop.wait(max(0.0, started + kill["at"] - time.monotonic())):
                return
            proc = self.procs[kill["victim"]]
            proc.kill()
            at = time.monotonic()
            time.sleep(kill["down"])
            proc.start()
            proc.wait_ready()
            self.kills.append(
                {
                    **kill,
                    "killed_at": round(at - started, 1),
                    "back_after": round(time.monotonic() - at, 1),
                }
            )

    def victims(self) -> list[str]:
        return [*self.procs] if self.args.mode == "postgres" else ["server"]

    def finish(self) -> None:
        """Stop everything."""
        for name in ("server", "worker-0", "worker-1", "redis", "postgres"):
            if name in self.procs:
                self.procs[name].stop()
                if self.procs[name].folder is not None:
                    shutil.rmtree(self.procs[name].folder, ignore_errors=True)


def accounts(library: str, clients: int) -> dict[str, str]:
    """Accounts with an API token each: an admin to verify with, client-0 an admin too (it
    imports), the other clients editors. Name -> token."""
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.accounts import Accounts

    engine = open_engine(library)
    try:
        book, tokens = Accounts(session_factory(engine)), {}
        people = [(f"client-{n}", "admin" if n == 0 else "editor") for n in range(clients)]
        for name, role in [("soak-admin", "admin"), *people]:
            book.add(name, role, "soak-password-" + name)
            tokens[name] = book.create_token(name, read_only=False, lifetime=None)
        return tokens
    finally:
        engine.dispose()


def run(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    """The soak in ``home``; its report."""
    soak = Soak(args, home)
    try:
        return _run(soak, args)
    finally:
        soak.stop.set()
        soak.finish()


def _run(soak: Soak, args: argparse.Namespace) -> dict[str, Any]:
    tokens = soak.start()
    seconds = args.minutes * 60
    kills = schedule(args.seed, seconds, args.kill_every, soak.victims())
    samples = sorted(args.photos.glob("*.JPEG"))
    samples = random.Random(args.seed).sample(samples, min(args.sample_count, len(samples)))
    started = time.monotonic()
    shared = {
        "started": started,
        "pause": args.pause,
        "url": soak.url,
        "samples": samples,
        "imports": soak.home / "imports",
        "ledger": soak.ledger,
        "tally": soak.tally,
        "seed": args.seed,
        "deadline": started + seconds,
        "hard_deadline": started + seconds + GRACE,
    }
    clients = [Client(n, args.seed, shared, tokens[f"client-{n}"]) for n in range(args.clients)]
    threads = [threading.Thread(target=c.run) for c in clients]
    chaos = threading.Thread(target=soak.chaos, args=(started, kills))
    for t in [chaos, *threads]:
        t.start()
    for t in threads:
        t.join()
    soak.stop.set()
    chaos.join()
    worked = time.monotonic() - started
    return {
        "mode": args.mode,
        "seed": args.seed,
        "clients": args.clients,
        "minutes": args.minutes,
        "worked_seconds": round(worked, 1),
        **_verify(soak, tokens, clients),
    }


def _verify(soak: Soak, tokens: dict[str, str], clients: list[Client]) -> dict[str, Any]:
    library = soak.env["SMARTALBUM_LIBRARY"]
    admin = httpx.Client(
        base_url=soak.url, timeout=120, headers={"Authorization": f"Bearer {tokens['soak-admin']}"}
    )
    try:
        settled = soak_verify.settle(library, soak.ledger, admin, soak.args.settle_minutes * 60)
        check = soak_verify.smartalbum_check(soak_fleet.smartalbum(), soak.env)
        findings = soak_verify.verify(
            library, soak.ledger, admin, [soak.home / "uploads", soak.home / "imports"]
        )
        findings += soak_verify.favourites(
            soak.ledger, {c.name: c.http for c in _reopened(clients, soak.url, tokens)}
        )
    finally:
        admin.close()
    findings += [f"a 5xx answer: {e}" for e in soak.tally.server_errors]
    findings += [
        f"smartalbum check: {json.dumps(f, ensure_ascii=False)}"
        for f in check
        if f.get("count", 1) or f.get("error")
    ]
    by_victim = Counter(k["victim"] for k in soak.kills)
    return {
        "kills": dict(by_victim),
        "kill_log": soak.kills,
        "ledger": soak.ledger.summary(),
        "requests": dict(sorted(soak.tally.counts.items())),
        "settle": settled,
        "check": check,
        "findings": findings,
        "ok": not findings,
    }


def _reopened(clients: list[Client], url: str, tokens: dict[str, str]) -> list[Client]:
    """The clients with a fresh HTTP connection each (theirs closed at the deadline)."""
    for c in clients:
        c.http = httpx.Client(
            base_url=url, timeout=120, headers={"Authorization": f"Bearer {tokens[c.name]}"}
        )
    return clients


def main(argv: list[str]) -> int:
    args = arguments(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="smartalbum-soak-"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args, home)
    finally:
        if args.home is None and not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    report["home"] = str(home)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
