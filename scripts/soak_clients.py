"""The soak's clients: each an editor with an API token of its own, on a thread, doing what a
person does (uploads, imports, searches, corrections, teaching, sharing, deleting) in an
order drawn from its own seeded generator, and writing every change the server acknowledged
(a 2xx) in the shared ledger, which soak_verify.py checks after the last restart.

A client works only on the photos it brought in itself, one request at a time, so the last
acknowledged change to each thing is well defined. A write whose answer never came (the
server was killed) may or may not have happened: it is left out of the ledger, and the thing
it touched is not used again (a photo perhaps in the trash) or its record is dropped (a
correction perhaps made).
"""

from __future__ import annotations

import base64
import hashlib
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# What searches ask: English, Chinese, a place, a time, nothing found.
QUERIES = [
    "cat",
    "dog",
    "猫",
    "狗",
    "winter",
    "food",
    "flower",
    "去年冬天",
    "music",
    "bird",
    "summer 2024",
    "zebra",
    "nothing-like-this",
]
# Classes corrections set: cat, golden retriever, daisy, pizza, violin.
WNIDS = ["n02124075", "n02099601", "n11939491", "n07873807", "n04536866"]
OPERATIONS = {
    "upload": 5,
    "import": 1,
    "search": 3,
    "view": 2,
    "correct": 2,
    "teach": 1,
    "share": 1,
    "delete": 1,
}
CHUNK = 64 * 1024  # bytes a PATCH carries when an upload goes in chunks


@dataclass
class Ledger:
    """Every change the server acknowledged, for the check after the last restart."""

    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha256 -> upload
    imports: list[dict[str, Any]] = field(default_factory=list)
    corrections: dict[int, str] = field(default_factory=dict)  # photo -> wnid set
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    albums: dict[int, set[int]] = field(default_factory=dict)  # a person's album -> photos
    shares: dict[str, int] = field(default_factory=dict)  # token -> album
    favourites: dict[str, set[int]] = field(default_factory=dict)  # client -> photos
    trashed: set[int] = field(default_factory=set)
    maybe_trashed: set[int] = field(default_factory=set)  # asked, never answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict[str, int]:
        """How many of each it holds."""
        return {
            "uploads": len(self.uploads),
            "imports": len(self.imports),
            "corrections": len(self.corrections),
            "categories": len(self.categories),
            "albums": len(self.albums),
            "shares": len(self.shares),
            "favourites": sum(map(len, self.favourites.values())),
            "trashed": len(self.trashed),
        }


class Unanswered(Exception):
    """The server gave no answer (killed, restarting): the request may or may not have
    taken effect."""


@dataclass
class Tally:
    """What the clients' requests got, by operation and outcome; 5xx answers in full."""

    counts: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation: str, outcome: str, detail: str = "") -> None:
        with self.lock:
            self.counts[f"{operation} {outcome}"] += 1
            if detail:
                self.server_errors.append(detail)


def new_content(source: Path, tag: str) -> bytes:
    """A sample photo's bytes with a tag after its end: new content to the library, the same
    picture to a decoder."""
    return source.read_bytes() + f"\nsoak {tag}\n".encode()


def tus_metadata(name: str, digest: str) -> str:
    fields = {"filename": name, "sha256": digest, "modified": str(int(time.time() * 1000))}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


class Client:
    """One person on a thread, until the deadline."""

    def __init__(self, number: int, seed: int, shared: dict[str, Any], token: str) -> None:
        self.name = f"client-{number}"
        self.admin = number == 0  # the family's admin; the others are editors
        self.rng = random.Random(f"{seed}-{number}")
        self.shared = shared  # url, samples, imports folder, ledger, tally, deadline
        self.ledger: Ledger = shared["ledger"]
        self.tally: Tally = shared["tally"]
        self.http = httpx.Client(
            base_url=shared["url"], timeout=60, headers={"Authorization": f"Bearer {token}"}
        )
        self.own: list[int] = []  # its indexed photos, not in the trash
        self.pending: dict[str, str] = {}  # sha256 -> name: acknowledged, not yet indexed
        self.imports: list[dict[str, Any]] = []
        self.made = 0
        self.ledger.favourites[self.name] = set()

    def run(self) -> None:
        """Draw and do operations until the deadline."""
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        if self.admin:  # the admin begins by importing a folder, as a library begins
            self.do_import()  # (it asks again until answered)
        while time.monotonic() < self.shared["deadline"]:
            operation = self.rng.choices(names, weights)[0]
            time.sleep(self.rng.uniform(0, 2 * self.shared["pause"]))  # a person's pace
            try:
                self.catch_up()
                getattr(self, f"do_{operation}")()
            except Unanswered:
                self.tally.add(operation, "unanswered")
                time.sleep(0.5)
            except Exception as exc:  # the soak's own mistake, or an answer not as documented
                self.tally.add(operation, "client error", f"{self.name} {operation}: {exc!r}")
        self.http.close()

    # -- requests --------------------------------------------------------------------------

    def call(self, operation: str, method: str, url: str, **kw: Any) -> httpx.Response:
        """One request, tallied; Unanswered when no answer came or the catalog was away."""
        try:
            answer = self.http.request(method, url, **kw)
        except httpx.TransportError as exc:
            raise Unanswered(str(exc)) from exc
        if answer.status_code == 503:
            raise Unanswered(answer.text[:200])
        if answer.status_code >= 500:
            self.tally.add(
                operation,
                str(answer.status_code),
                f"{method} {url}: {answer.status_code} {answer.text[:300]}",
            )
        else:
            self.tally.add(operation, str(answer.status_code))
        return answer

    def sample(self) -> tuple[str, bytes]:
        """A name and new content for the next photo this client brings in."""
        self.made += 1
        source = self.rng.choice(self.shared["samples"])
        tag = f"{self.shared['seed']}-{self.name}-{self.made}"
        return f"{self.name}-{self.made}-{source.name}", new_content(source, tag)

    # -- keeping up with the library -------------------------------------------------------

    def catch_up(self) -> None:
        """Learn which of its acknowledged photos are indexed now (their ids)."""
        if not self.pending:
            return
        files = [{"name": n, "size": 1, "sha256": s} for s, n in list(self.pending.items())[:200]]
        answer = self.call("catch-up", "POST", "/api/uploads/check", json={"files": files})
        if answer.status_code != 200:
            return
        for f in answer.json()["files"]:
            if f["exists"] and f["photo_id"] is not None:
                self.pending.pop(f["sha256"], None)
                self.own.append(int(f["photo_id"]))

    # -- operations ------------------------------------------------------------------------

    def do_upload(self) -> None:
        """A new photo over tus: whole with its creation, or created then sent in chunks,
        resumed from the server's offset after a lost answer."""
        name, data = self.sample()
        digest = hashlib.sha256(data).hexdigest()
        upload = Upload(self, name, data, digest, whole=self.rng.random() < 0.5)
        if upload.send():
            with self.ledger.lock:
                self.ledger.uploads[digest] = {
                    "client": self.name,
                    "name": name,
                    "size": len(data),
                    "upload": upload.location,
                }
            self.pending[digest] = name

    def do_import(self) -> None:
        """A new folder of three photos, imported by the server (asked again until it answers,
        as a person would); only an admin imports, the others upload instead."""
        if not self.admin:
            self.do_upload()
            return
        folder = Path(self.shared["imports"]) / f"{self.name}-{self.made + 1}"
        folder.mkdir()
        files = {}
        for _ in range(3):
            name, data = self.sample()
            (folder / name).write_bytes(data)
            files[hashlib.sha256(data).hexdigest()] = name
        while time.monotonic() < self.shared["hard_deadline"]:
            try:
                answer = self.call("import", "POST", "/api/index", json={"folders": [str(folder)]})
                break
            except Unanswered:
                self.tally.add("import", "unanswered")
                time.sleep(1)
        else:
            return
        if answer.status_code == 202:
            at = round(time.monotonic() - self.shared["started"], 1)
            entry = {"folder": str(folder), "job": answer.json()["id"], "files": files, "at": at}
            with self.ledger.lock:
                self.ledger.imports.append(entry)
            self.pending.update(files)

    def do_search(self) -> None:
        self.call("search", "GET", "/api/search", params={"q": self.rng.choice(QUERIES)})

    def do_view(self) -> None:
        """One of its photos, and its thumbnail: both there (it is not in the trash)."""
        if not self.own:
            return
        photo = self.rng.choice(self.own)
        for url in (f"/api/photos/{photo}", f"/api/photos/{photo}/thumbnail"):
            answer = self.call("view", "GET", url)
            if answer.status_code == 404:
                self.tally.add("view", "lost", f"GET {url}: 404 for a photo not in the trash")

    def do_correct(self) -> None:
        if not self.own:
            return
        photo, wnid = self.rng.choice(self.own), self.rng.choice(WNIDS)
        body = {"action": "set", "wnid": wnid}
        try:
            answer = self.call("correct", "POST", f"/api/photos/{photo}/labels", json=body)
        except Unanswered:
            with self.ledger.lock:  # made or not: no longer known
                self.ledger.corrections.pop(photo, None)
            raise
        if answer.status_code == 200:
            with self.ledger.lock:
                self.ledger.corrections[photo] = wnid

    def do_teach(self) -> None:
        if len(self.own) < 3:
            return
        examples = self.rng.sample(self.own, 3)
        name = f"{self.name} {self.made} {self.rng.randrange(10**6)}"
        body = {"name": name, "name_zh": "浸泡" + name[-6:], "examples": examples}
        answer = self.call("teach", "POST", "/api/categories", json=body)
        if answer.status_code == 201:
            with self.ledger.lock:
                self.ledger.categories[int(answer.json()["id"])] = {"name": name}

    def do_share(self) -> None:
        """An album of two of its photos, a share link to it, a heart on one."""
        if len(self.own) < 2:
            return
        ids = self.rng.sample(self.own, 2)
        body = {"title": f"{self.name} album {self.made}", "ids": ids}
        answer = self.call("share", "POST", "/api/user-albums", json=body)
        if answer.status_code != 201:
            return
        album = int(answer.json()["id"])
        with self.ledger.lock:
            self.ledger.albums[album] = set(ids)
        answer = self.call("share", "POST", f"/api/user-albums/{album}/shares", json={})
        if answer.status_code == 201:
            with self.ledger.lock:
                self.ledger.shares[answer.json()["token"]] = album
        answer = self.call(
            "share", "POST", "/api/selection/favourite", json={"ids": ids[:1], "on": True}
        )
        if answer.status_code == 200:
            with self.ledger.lock:
                self.ledger.favourites[self.name].add(ids[0])

    def do_delete(self) -> None:
        """One of its photos to the trash; never used again, answered or not."""
        if len(self.own) < 4:
            return
        photo = self.own.pop(self.rng.randrange(len(self.own)))
        try:
            answer = self.call("delete", "POST", "/api/trash", json={"ids": [photo]})
        except Unanswered:
            with self.ledger.lock:
                self.ledger.maybe_trashed.add(photo)
            raise
        if answer.status_code == 200:
            with self.ledger.lock:
                self.ledger.trashed.add(photo)


class Upload:
    """One photo over tus, carried on after lost answers until stored or the hard deadline."""

    def __init__(self, client: Client, name: str, data: bytes, digest: str, whole: bool) -> None:
        self.client, self.data, self.whole = client, data, whole
        self.headers = {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": tus_metadata(name, digest),
        }
        self.location: str | None = None

    def send(self) -> bool:
        """True once the server acknowledged every byte (stored, or already here)."""
        while time.monotonic() < self.client.shared["hard_deadline"]:
            try:
                done = self._create() if self.location is None else self._resume()
                if done is not None:
                    return done
            except Unanswered:
                self.client.tally.add("upload", "unanswered")
                time.sleep(0.5)
        return False

    def _create(self) -> bool | None:
        body = self.data if self.whole else b""
        headers = {**self.headers, "Content-Type": "application/offset+octet-stream"}
        answer = self.client.call("upload", "POST", "/api/uploads", content=body, headers=headers)
        if answer.status_code == 200:  # already here
            return True
        if answer.status_code != 201:
            return False
        self.location = answer.headers["location"]
        if answer.headers.get("smartalbum-status") == "stored":
            return True
        return self._patch(int(answer.headers["upload-offset"]))

    def _resume(self) -> bool | None:
        assert self.location is not None
        answer = self.client.call(
            "upload", "HEAD", self.location, headers={"Tus-Resumable": "1.0.0"}
        )
        if answer.status_code == 404:  # given up or gone: start again
            self.location = None
            return None
        if answer.status_code != 200:
            return False
        return self._patch(int(answer.headers["upload-offset"]))

    def _patch(self, offset: int) -> bool | None:
        """The rest from ``offset``; None to ask the server where it stands again."""
        while offset < len(self.data):
            assert self.location is not None
            chunk = self.data[offset : offset + CHUNK]
            headers = {
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            }
            answer = self.client.call(
                "upload", "PATCH", self.location, content=chunk, headers=headers
            )
            if answer.status_code in (404, 409):
                return None
            if answer.status_code != 204:
                return False
            if answer.headers.get("smartalbum-status") == "stored":
                return True
            offset = int(answer.headers["upload-offset"])
        # Every byte was in when an answer was lost: the server stores it (at its next start).
        return True
