"""After the last restart: the soak's ledger against the catalog, the API and the files.

Each finding is one sentence naming what was acknowledged and what is missing or wrong.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from soak_clients import Ledger
from sqlalchemy import create_engine, text


def catalog_photos(library: str) -> dict[str, dict[str, Any]]:
    """Every photo row by sha256: id, path, status, trash state."""
    url = library if "://" in library else f"sqlite:///{library}"
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            rows = (
                c.execute(
                    text("SELECT id, sha256, path, status, trashed_at, trash_path FROM photos")
                )
                .mappings()
                .all()
            )
    finally:
        engine.dispose()
    return {r["sha256"]: dict(r) for r in rows if r["sha256"]}


def expected_contents(ledger: Ledger) -> dict[str, str]:
    """sha256 -> what brought it in, for every acknowledged upload and imported file."""
    wanted = {digest: f"upload {u['name']}" for digest, u in ledger.uploads.items()}
    for entry in ledger.imports:
        wanted |= {digest: f"import {name}" for digest, name in entry["files"].items()}
    return wanted


def settle(library: str, ledger: Ledger, http: httpx.Client, timeout: float) -> dict[str, Any]:
    """Wait (up to ``timeout`` s) until every acknowledged photo is in the catalog; an import
    whose files are not all in halfway is imported again (the documented way on after an
    interrupted one: the server runs again only the imports it accepted). What it took."""
    wanted = expected_contents(ledger)
    jobs = [_job(http, entry) for entry in ledger.imports]
    started = time.monotonic()
    missing = _wait_for(library, wanted, timeout / 2)
    again = [e for e in ledger.imports if set(e["files"]) & missing]
    for entry in again:
        http.post("/api/index", json={"folders": [entry["folder"]]}).raise_for_status()
    if again:
        missing = _wait_for(library, wanted, timeout / 2)
    return {
        "seconds": round(time.monotonic() - started, 1),
        "imports_run_again": len(again),
        "import_jobs": jobs,
        "missing": sorted(missing),
    }


def _job(http: httpx.Client, entry: dict[str, Any]) -> str:
    """An acknowledged import's job as the server tells it now: "at SECOND: status"."""
    answer = http.get(f"/api/jobs/{entry['job']}")
    status = answer.json().get("status") if answer.status_code == 200 else answer.status_code
    return f"at {entry['at']} s: {status}"


def _wait_for(library: str, wanted: dict[str, str], timeout: float) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        photos = catalog_photos(library)
        missing = {d for d in wanted if d not in photos or photos[d]["status"] == "pending"}
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(2)


def verify(library: str, ledger: Ledger, http: httpx.Client, roots: list[Path]) -> list[str]:
    """Every finding: acknowledged photos and changes missing, partial files, 5xx answers."""
    photos = catalog_photos(library)
    findings = _photos(photos, expected_contents(ledger), ledger.trashed, ledger.maybe_trashed)
    findings += _files(photos, roots)
    findings += _changes(ledger, http)
    return findings


def _photos(
    photos: dict[str, dict[str, Any]], wanted: dict[str, str], trashed: set[int], maybe: set[int]
) -> list[str]:
    findings = []
    for digest, what in sorted(wanted.items()):
        row = photos.get(digest)
        if row is None:
            findings.append(f"{what} ({digest[:12]}) was acknowledged but is not in the catalog")
            continue
        if row["status"] != "ok":
            findings.append(f"{what} is in the catalog as {row['status']}, not ok")
        path = Path(row["trash_path"] or row["path"])
        if not path.is_file():
            findings.append(f"{what}: its file {path} is gone")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            findings.append(f"{what}: its file {path} does not hold the bytes sent (partial?)")
        if row["id"] in maybe:
            continue  # put in the trash or not: the answer was lost
        if (row["trashed_at"] is not None) != (row["id"] in trashed):
            state = "in the trash" if row["trashed_at"] is not None else "out of the trash"
            findings.append(f"{what} (photo {row['id']}) is {state}, against the ledger")
    return findings


def _files(photos: dict[str, dict[str, Any]], roots: list[Path]) -> list[str]:
    """Every file in the library's folders (but the uploads still arriving) is a whole
    photo of the catalog."""
    known = set(photos)
    findings = []
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or ".partial" in path.parts or path.name.startswith("."):
                continue
            if hashlib.sha256(path.read_bytes()).hexdigest() not in known:
                findings.append(
                    f"{path} holds bytes no photo of the catalog has (partial, or never indexed)"
                )
    return findings


def _changes(ledger: Ledger, http: httpx.Client) -> list[str]:
    findings = []
    for photo, wnid in sorted(ledger.corrections.items()):
        if photo in ledger.trashed | ledger.maybe_trashed:
            continue
        answer = http.get(f"/api/photos/{photo}")
        sets = [c["wnid"] for c in answer.json().get("corrections", []) if c["action"] == "set"]
        if answer.status_code != 200 or wnid not in sets:
            findings.append(f"photo {photo}: the correction to {wnid} is not there ({sets})")
    categories = {c["id"]: c for c in http.get("/api/categories").json()["categories"]}
    for number, category in sorted(ledger.categories.items()):
        if categories.get(number, {}).get("name") != category["name"]:
            findings.append(f"category {number} ({category['name']}) is not there")
    findings += _albums(ledger, http)
    trash = {p["id"] for p in http.get("/api/trash", params={"limit": 500}).json()["photos"]}
    findings += [f"photo {p} was put in the trash but is not in it" for p in ledger.trashed - trash]
    return findings


def _albums(ledger: Ledger, http: httpx.Client) -> list[str]:
    findings = []
    for album, members in sorted(ledger.albums.items()):
        answer = http.get(f"/api/user-albums/{album}", params={"limit": 500})
        got = (
            {p["id"] for p in answer.json().get("photos", [])}
            if answer.status_code == 200
            else None
        )
        expected = members - ledger.trashed
        if got is None or not expected - ledger.maybe_trashed <= got <= expected:
            findings.append(f"album {album}: photos {got}, expected {expected}")
    guest = httpx.Client(base_url=str(http.base_url), timeout=60)
    for token, album in ledger.shares.items():
        answer = guest.get(f"/api/shared/{token}")
        if answer.status_code != 200:
            findings.append(f"the share link to album {album} answers {answer.status_code}")
    guest.close()
    return findings


def favourites(ledger: Ledger, clients: dict[str, httpx.Client]) -> list[str]:
    """Each client's hearts are still on."""
    findings = []
    for name, http in clients.items():
        ids = set(http.get("/api/favourites").json()["ids"])
        lost = ledger.favourites.get(name, set()) - ledger.trashed - ledger.maybe_trashed - ids
        findings += [f"{name}'s heart on photo {p} is gone" for p in sorted(lost)]
    return findings


def smartalbum_check(command: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """What ``smartalbum check --json`` found."""
    run = subprocess.run(
        [*command, "check", "--json"], capture_output=True, text=True, env=env, timeout=900
    )
    try:
        found: list[dict[str, Any]] = json.loads(run.stdout)
    except json.JSONDecodeError:
        return [{"check": "smartalbum check", "error": run.stderr[-2000:]}]
    return found
