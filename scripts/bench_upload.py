"""Uploads through HTTP against ``smartalbum index``, and the server's memory on a big file.

Run by scripts/bench-upload. Four measurements, each on a fresh home:

1. ``smartalbum index PHOTOS`` into a new catalog: photos/s by its own report's seconds
   (after the model loaded) and by the command's wall clock.
2. The same photos uploaded through the tus routes of a fresh ``smartalbum serve`` from
   ``--clients`` threads at once (each photo: one creation carrying its bytes, as the
   page's tus-js-client sends a photo smaller than a chunk; ``--no-creation-data``: a
   creation then one PATCH), timed from the first request until every photo is indexed
   (the catalog is polled): photos/s, and the ratio to 1, both to its report's rate and
   to its command's wall clock (start-up and the model's load included). The clients'
   CPU (this process: hashing, HTTP) and the server's (with its workers) are reported
   apart: here they share the cores, where a phone's client would not. On a busy machine
   the CPU seconds say more than the rates: their ratio (index's CPU over the server's)
   is reported too.
3. One file of ``--chunk-file-mb`` random bytes sent in chunks of each ``--chunks`` MiB:
   MB/s until the last chunk is answered (the server then refuses it by type: nothing is
   indexed).
4. One file of ``--big-mb`` (a real JPEG, then that many MB of random bytes after its end,
   which decoders ignore) sent in 8 MiB chunks, sampling the server's RSS every 50 ms until
   the last chunk is answered (the file is then stored). The server is stopped at once, so
   its indexing of the file is not measured.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

MIB = 1024 * 1024
IMAGE_SUFFIXES = {".jpeg", ".jpg", ".png", ".webp"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metadata(name: str, digest: str) -> str:
    fields = {"filename": name, "sha256": digest, "modified": str(int(time.time() * 1000))}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


class Server:
    """``smartalbum serve`` on loopback with its catalog and upload root in ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "SMARTALBUM_LIBRARY": str(home / "library.db"),
            "SMARTALBUM_UPLOAD_ROOT": str(home / "uploads"),
            "SMARTALBUM_PORT": str(self.port),
        }
        with (home / "serve.log").open("a") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "smartalbum", "serve"], env=env,
                                         stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=5).json()["ready"]:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit((home / "serve.log").read_text())
            time.sleep(0.2)
        raise SystemExit("the server did not start")

    def rss_mb(self) -> float:
        return _status_kb(self.proc.pid, "VmRSS") / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def index_rate(photos: list[Path], work: Path) -> dict[str, float]:
    """``smartalbum index`` of a folder holding these photos (linked), into a new catalog."""
    folder = work / "index-photos"
    folder.mkdir()
    for p in photos:
        os.link(p, folder / p.name)
    started = time.perf_counter()
    run = subprocess.Popen(
        [sys.executable, "-m", "smartalbum", "index", str(folder), "--library",
         str(work / "index.db"), "--json"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    cpu = TreeCpu(run.pid)
    out, _ = run.communicate()
    wall = time.perf_counter() - started
    used = cpu.seconds()
    if run.returncode:
        raise SystemExit(f"smartalbum index failed ({run.returncode})")
    report = json.loads(out)
    return {"photos": report["added"], "seconds": report["seconds"], "wall_seconds": wall,
            "photos_per_second": report["added"] / report["seconds"],
            "photos_per_second_wall": report["added"] / wall, "cpu_seconds": used}  # fmt: skip


class Client:
    """A lean tus client on one kept-alive connection (http.client): the server shares the
    machine's cores with it, where a phone's client would not."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str]]:
        self.conn.request(method, path, body=body, headers=headers)
        answer = self.conn.getresponse()
        text = answer.read()
        if answer.status >= 400:
            raise RuntimeError(f"{method} {path}: {answer.status} {text[:300]!r}")
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}

    def close(self) -> None:
        self.conn.close()


def upload_one(client: Client, path: Path, with_creation: bool = True) -> bool:
    """Send one photo: its bytes with the creation (tus creation-with-upload: one request),
    or a creation then one PATCH; False if the library had it already."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    headers = {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
               "Upload-Metadata": metadata(path.name, digest)}  # fmt: skip
    if with_creation:
        headers["Content-Type"] = "application/offset+octet-stream"
    status, answer = client.request("POST", "/api/uploads", data if with_creation else b"", headers)
    if status == 200:
        return False
    if int(answer["upload-offset"]) == len(data):
        return True
    client.request("PATCH", answer["location"], data, {
        "Tus-Resumable": "1.0.0", "Upload-Offset": answer["upload-offset"],
        "Content-Type": "application/offset+octet-stream"})  # fmt: skip
    return True


def indexed(catalog: Path) -> int:
    with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM photos WHERE uploaded_by IS NOT NULL")
                   .fetchone()[0])  # fmt: skip


def upload_rate(
    photos: list[Path], clients: int, home: Path, with_creation: bool = True
) -> dict[str, float]:
    """The photos uploaded from ``clients`` threads to a fresh server, until all are indexed."""
    distinct = len({hashlib.sha256(p.read_bytes()).hexdigest() for p in photos})
    server = Server(home)
    todo: queue.Queue[Path] = queue.Queue()
    for p in photos:
        todo.put(p)
    errors: list[BaseException] = []

    def client() -> None:
        c = Client(server.url)
        try:
            while True:
                try:
                    path = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    upload_one(c, path, with_creation)
                except Exception as exc:  # reported below
                    errors.append(exc)
                    c.close()
                    c = Client(server.url)
        finally:
            c.close()

    try:
        started, cpu = time.perf_counter(), time.process_time()
        server_cpu = TreeCpu(server.proc.pid)
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sent = time.perf_counter() - started
        if errors:
            raise SystemExit(f"{len(errors)} uploads failed, the first: {errors[0]!r}")
        client_cpu = time.process_time() - cpu - server_cpu.own()  # not the sampler's
        while indexed(home / "library.db") < distinct:
            time.sleep(0.2)
        done = time.perf_counter() - started
        server_cpu_seconds = server_cpu.seconds()
    finally:
        server.stop()
    return {"photos": distinct, "clients": clients, "with_creation": with_creation,
            "upload_seconds": sent, "seconds": done, "photos_per_second": distinct / done,
            "client_cpu_seconds": client_cpu, "server_cpu_seconds": server_cpu_seconds}  # fmt: skip


def _tree_ticks(pid: int) -> dict[int, int]:
    """CPU ticks of a process and each of its descendants now (each its own only)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        # utime, stime: not the reaped children's (cutime), whose own samples count already
        ticks[child] = int(fields[11]) + int(fields[12])
    mine = {pid}
    grown = True
    while grown:
        more = {c for c, parent in parents.items() if parent in mine} - mine
        grown = bool(more)
        mine |= more
    return {p: ticks[p] for p in mine if p in ticks}


class TreeCpu:
    """CPU seconds a process and its descendants (the indexing workers, their fork server)
    use from now on, sampled every 0.25 s: a process that ends counts up to its last
    sample (a worker's last 0.25 s may be missed; one reaped is never counted twice)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.first = _tree_ticks(pid)
        self.last = dict(self.first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self.last.update(_tree_ticks(self.pid))

    def own(self) -> float:
        """CPU seconds the sampling itself used so far (it runs in the clients' process)."""
        ident = self._thread.ident
        return time.clock_gettime(time.pthread_getcpuclockid(ident)) if ident else 0.0

    def seconds(self) -> float:
        """CPU seconds used since this began."""
        self._stop.set()
        self._thread.join()
        self.last.update(_tree_ticks(self.pid))
        used = sum(t - self.first.get(p, 0) for p, t in self.last.items())
        return used / os.sysconf("SC_CLK_TCK")


def chunks_of(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(size):
            yield block


def send_file(server: Server, path: Path, name: str, chunk: int) -> tuple[float, int]:
    """Upload a file in chunks of ``chunk`` bytes; (seconds, status of the last chunk)."""
    digest = hashlib.sha256()
    for block in chunks_of(path, MIB):
        digest.update(block)
    size = path.stat().st_size
    with httpx.Client(base_url=server.url, timeout=600) as c:
        started = time.perf_counter()
        created = c.post("/api/uploads", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": str(size),
            "Upload-Metadata": metadata(name, digest.hexdigest())})  # fmt: skip
        created.raise_for_status()
        offset, status = 0, 0
        with path.open("rb") as f:
            while offset < size:
                block = f.read(chunk)
                answer = c.patch(created.headers["Location"], content=block, headers={
                    "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream"})  # fmt: skip
                status = answer.status_code
                offset += len(block)
        return time.perf_counter() - started, status


def random_file(path: Path, mb: int, head: bytes = b"") -> Path:
    with path.open("wb") as f:
        f.write(head)
        for _ in range(mb):
            f.write(os.urandom(MIB))
    return path


def chunk_rates(chunks: list[int], file_mb: int, home: Path) -> list[dict[str, float]]:
    """MB/s of one random file sent in chunks of each size (refused by type at the end)."""
    noise = random_file(home / "noise.bin", file_mb)
    server = Server(home)
    found = []
    try:
        for mib in chunks:
            seconds, status = send_file(server, noise, f"noise-{mib}.jpg", mib * MIB)
            assert status == 415, status  # random bytes: not a photo, nothing indexed
            found.append({"chunk_mib": mib, "seconds": seconds, "mb_per_second": file_mb / seconds})
    finally:
        server.stop()
        noise.unlink()
    return found


def big_file_rss(photo: Path, mb: int, home: Path) -> dict[str, float]:
    """Peak RSS of the server while one big (real JPEG) file goes up in 8 MiB chunks."""
    big = random_file(home / "big.jpg", mb, head=photo.read_bytes())
    server = Server(home)
    before = server.rss_mb()
    peak, stop = [before], threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak.append(server.rss_mb())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        seconds, status = send_file(server, big, "big.jpg", 8 * MIB)
    finally:
        stop.set()
        sampler.join()
        server.proc.kill()  # before it indexes the file: that is not the upload's memory
        server.proc.wait(60)
    placed = [p for p in (home / "uploads").rglob("big*.jpg")]
    big.unlink()
    return {"file_mb": mb, "status": status, "stored": len(placed), "seconds": seconds,
            "rss_before_mb": before, "rss_peak_mb": max(peak)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=Path)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--limit", type=int, default=1000, help="photos to use")
    parser.add_argument(
        "--chunks", type=int, nargs="*", default=[1, 8, 32], help="MiB (none: not measured)"
    )
    parser.add_argument("--chunk-file-mb", type=int, default=256)
    parser.add_argument("--big-mb", type=int, default=1024, help="0: not measured")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--no-creation-data",
        action="store_true",
        help="a creation, then a PATCH (not creation-with-upload)",
    )

    args = parser.parse_args()
    photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    photos = photos[: args.limit]
    result: dict[str, object] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="smartalbum-bench-upload-") as tmp:
        work = Path(tmp)
        for name in ("index", "upload", "chunks", "big"):
            (work / name).mkdir()
        index = index_rate(photos, work / "index")
        result["index"] = index
        upload = upload_rate(photos, args.clients, work / "upload", not args.no_creation_data)
        upload["ratio_to_index"] = upload["photos_per_second"] / index["photos_per_second"]
        # As a person sees `smartalbum index`: its command's wall clock, the model's load in.
        upload["ratio_to_index_wall"] = (
            upload["photos_per_second"] / index["photos_per_second_wall"]
        )
        # CPU seconds a photo, index's over the server's: what the rates would say on a quiet
        # machine, where both runs are CPU-bound (index's start-up is in its CPU, the
        # server's is not: it started before the first upload). Load on the machine inflates
        # wall clocks far more than CPU seconds.
        upload["cpu_ratio_to_index"] = index["cpu_seconds"] / upload["server_cpu_seconds"]
        result["upload"] = upload
        if args.chunks:
            result["chunks"] = chunk_rates(args.chunks, args.chunk_file_mb, work / "chunks")
        if args.big_mb:
            result["big_file"] = big_file_rss(photos[0], args.big_mb, work / "big")
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
