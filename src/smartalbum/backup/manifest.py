"""A backup's manifest: what it holds, from which version, and each file's size and sha256."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from smartalbum.errors import ConfigError
from smartalbum.i18n import t

MANIFEST = "manifest.json"
FORMAT = 1  # the layout of a backup folder; a newer smartalbum reads every older one
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def files_of(folder: Path) -> list[dict[str, Any]]:
    """Every file under a folder (the manifest aside): its relative path, size and sha256."""
    return [
        {"path": p.relative_to(folder).as_posix(), "size": p.stat().st_size, "sha256": sha256_of(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    ]


def write_manifest(folder: Path, facts: dict[str, Any]) -> dict[str, Any]:
    """Write the manifest of a finished backup folder: the facts and its files; returns it."""
    manifest = {"format": FORMAT, **facts, "files": files_of(folder)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    """A backup folder's manifest; a ConfigError naming the folder when there is none."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            t("{path}: not a smartalbum backup ({reason})", path=str(path), reason=exc)
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format", 0) > FORMAT:
        raise ConfigError(
            t("{path}: a backup from a newer smartalbum; upgrade smartalbum", path=str(path))
        )
    return manifest


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Check every file the manifest lists is there with its size and sha256; else a
    ConfigError naming the first that is not."""
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.is_file():
            reason = t("missing")
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            reason = t("its checksum does not match the manifest")
        else:
            continue
        raise ConfigError(
            t("{path}: the backup is damaged ({reason})", path=str(path), reason=reason)
        )
