"""Making a backup while the server runs, listing the backups kept, and dropping the oldest.

A backup is a folder ``smartalbum-<time>`` holding the catalog (SQLite through its online
backup API, a consistent snapshot however busy the writer is; PostgreSQL through
``pg_dump``), the library's feature space (the basis its taught categories were trained
under cannot be fitted again to the same numbers), the album rules and label files when
set, and the manifest. It is written under a ``.partial`` name and renamed when complete,
so a backup that was interrupted is never listed or restored. The photos are not in it,
nor what is made again from them or the model (the INT8 model, the engine choice).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import text

from smartalbum import __version__
from smartalbum.backup import postgres
from smartalbum.backup.manifest import MANIFEST, read_manifest, write_manifest
from smartalbum.catalog import open_engine, session_factory, shown, sqlite_file
from smartalbum.catalog.database import library_url, schema_version
from smartalbum.categories.space import features_folder
from smartalbum.errors import ConfigError
from smartalbum.i18n import t
from smartalbum.settings import Settings

PREFIX = "smartalbum-"
PARTIAL = ".partial"
SQLITE_CATALOG, POSTGRES_CATALOG = "catalog.sqlite", "catalog.pgdump"
FEATURES = "features"
RULE_FILES = {"albums_file": "albums.toml", "labels_file": "labels.toml"}


def home_of(settings: Settings) -> Path:
    """The library's home folder: a SQLite catalog's folder, else the user data folder."""
    file = sqlite_file(settings.library)
    return file.parent if file is not None else Path(platformdirs.user_data_dir("smartalbum"))


def backup_dir(settings: Settings) -> Path:
    """Where backups go unless told: SMARTALBUM_BACKUP_DIR, else ``backups`` in the home."""
    chosen = settings.backup_dir
    return chosen.expanduser().absolute() if chosen else home_of(settings) / "backups"


def features_home(settings: Settings, library: str) -> Path:
    """The folder of a library's feature spaces, one sub-folder per model (named as the
    categories name it: after the catalog's URL as its engine has it)."""
    url = library_url(library).render_as_string(hide_password=False)
    return features_folder(settings, url, settings.model).parent


def make_backup(
    settings: Settings, dest: Path | None = None, thumbnails: bool = True
) -> dict[str, Any]:
    """Back the library of ``settings`` up into a new folder in ``dest``; its manifest
    (with ``folder``). ``thumbnails=False`` leaves them out of a SQLite catalog's copy."""
    parent = (dest or backup_dir(settings)).expanduser().absolute()
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            t("{folder}: cannot make the backup folder ({reason})", folder=str(parent), reason=exc)
        ) from None
    name = PREFIX + time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    final = _free_name(parent / name)
    work = final.with_name(final.name + PARTIAL)
    work.mkdir()
    try:
        facts = _copy_everything(settings, work, thumbnails)
        manifest = write_manifest(work, facts)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return {**manifest, "folder": str(final)}


def _free_name(wanted: Path) -> Path:
    """``wanted``, or with -2, -3... when a backup of the same second is there."""
    candidate, number = wanted, 1
    while candidate.exists() or candidate.with_name(candidate.name + PARTIAL).exists():
        number += 1
        candidate = wanted.with_name(f"{wanted.name}-{number}")
    return candidate


def _copy_everything(settings: Settings, work: Path, thumbnails: bool) -> dict[str, Any]:
    library = settings.library
    engine = open_engine(library)  # migrated: the copy is at this version's schema
    try:
        version = schema_version(engine)
        with session_factory(engine)() as session:
            roots = sorted(session.scalars(text("SELECT path FROM roots")).all())
    finally:
        engine.dispose()
    file = sqlite_file(library)
    if file is not None:
        _copy_sqlite(file, work / SQLITE_CATALOG, thumbnails)
        backend = "sqlite"
    else:
        postgres.dump(library, work / POSTGRES_CATALOG)
        backend = "postgresql"
    features = features_home(settings, library)
    if features.is_dir():
        shutil.copytree(features, work / FEATURES, ignore=shutil.ignore_patterns("*.partial*"))
    rules = {}
    for setting, kept in RULE_FILES.items():
        path: Path | None = getattr(settings, setting)
        if path is not None and path.expanduser().is_file():
            shutil.copy2(path.expanduser(), work / kept)
            rules[setting] = str(path)
    return {
        "smartalbum": __version__,
        "schema_version": version,
        "created_at": time.time(),
        "backend": backend,
        "library": shown(library),
        "model": settings.model,
        "roots": roots,
        "rules": rules,
        "thumbnails": thumbnails or backend != "sqlite",
    }


def _copy_sqlite(source: Path, target: Path, thumbnails: bool) -> None:
    """A consistent copy through SQLite's online backup API (the writer carries on), as one
    self-contained file (no write-ahead log beside it)."""
    src, dst = sqlite3.connect(source, timeout=30), sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        if not thumbnails:
            dst.execute("UPDATE photo_blobs SET thumbnail = NULL")
            dst.commit()
            dst.execute("VACUUM")
    finally:
        src.close()
        dst.close()


def listing(folder: Path) -> list[dict[str, Any]]:
    """The complete backups in a folder, newest first: name, time, size, versions."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if not path.name.startswith(PREFIX) or path.name.endswith(PARTIAL):
            continue
        if not (path / MANIFEST).is_file():
            continue
        try:
            manifest = read_manifest(path)
        except ConfigError:
            continue  # not ours, or damaged: restore says which when asked
        found.append(
            {
                "name": path.name,
                "folder": str(path),
                "created_at": manifest.get("created_at"),
                "smartalbum": manifest.get("smartalbum"),
                "schema_version": manifest.get("schema_version"),
                "backend": manifest.get("backend"),
                "bytes": sum(f["size"] for f in manifest.get("files", [])),
                "files": len(manifest.get("files", [])),
            }
        )
    return sorted(found, key=lambda b: (b["created_at"] or 0, b["name"]), reverse=True)


def prune(folder: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` complete backups in a folder; the names deleted."""
    dropped = [b["name"] for b in listing(folder)[keep:]]
    for name in dropped:
        shutil.rmtree(folder / name)
    return dropped


def kept_backup(settings: Settings) -> dict[str, Any]:
    """The server's backup: a new one in the backup folder, then only the newest
    ``backup_keep`` kept; what was made and dropped."""
    made = make_backup(settings)
    dropped = prune(backup_dir(settings), settings.backup_keep)
    return {"folder": made["folder"], "files": len(made["files"]), "dropped": dropped}
