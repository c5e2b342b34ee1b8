"""Restoring a backup into an empty home: checksums first, then the catalog (migrated to this
version as it opens), the photo roots moved by a path map, the feature space and the rules."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from smartalbum.backup import postgres
from smartalbum.backup.make import (
    FEATURES,
    POSTGRES_CATALOG,
    RULE_FILES,
    SQLITE_CATALOG,
    features_home,
    home_of,
)
from smartalbum.backup.manifest import read_manifest, verify
from smartalbum.catalog import open_engine, shown, sqlite_file
from smartalbum.catalog.database import plain_engine, schema_version
from smartalbum.errors import ConfigError
from smartalbum.i18n import t
from smartalbum.settings import Settings

# Every column holding a path on the machine the backup was made on.
PATH_COLUMNS = (
    ("photos", "path"),
    ("photos", "trash_path"),
    ("photos", "motion_path"),
    ("roots", "path"),
    ("uploads", "path"),
)


def parse_path_map(pairs: list[str]) -> list[tuple[str, str]]:
    """``OLD=NEW`` pairs as (old prefix, new prefix), longest first; a ConfigError if malformed."""
    parsed = []
    for pair in pairs:
        old, equals, new = pair.partition("=")
        if not equals or not old.strip() or not new.strip():
            raise ConfigError(t("--path-map {pair!r} is not OLD=NEW", pair=pair))
        parsed.append((old.strip().rstrip("/") or "/", new.strip().rstrip("/") or "/"))
    return sorted(parsed, key=lambda p: -len(p[0]))


def restore_backup(
    settings: Settings, source: Path, path_map: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """Restore the backup folder ``source`` as the library of ``settings`` (which must be
    empty); what was restored."""
    manifest = read_manifest(source)
    verify(source, manifest)
    library = settings.library
    _refuse_unless_empty(settings)
    _load_catalog(library, source, manifest)
    engine = open_engine(library)  # an older backup's catalog is migrated here
    try:
        moved = _move_paths(engine, path_map or [])
        version = schema_version(engine)
    finally:
        engine.dispose()
    if (source / FEATURES).is_dir():
        shutil.copytree(source / FEATURES, features_home(settings, library), dirs_exist_ok=True)
    rules = _restore_rules(settings, source)
    return {
        "library": shown(library),
        "from_version": manifest.get("smartalbum"),
        "from_schema": manifest.get("schema_version"),
        "schema_version": version,
        "paths_moved": moved,
        "rules": rules,
    }


def _refuse_unless_empty(settings: Settings) -> None:
    library = settings.library
    file = sqlite_file(library)
    features = features_home(settings, library)
    # A write-ahead log left beside a new file would be replayed into it.
    beside = [] if file is None else [file, file.with_name(file.name + "-wal")]
    full = any(p.exists() and p.stat().st_size > 0 for p in beside)
    full = full or (features.is_dir() and any(features.iterdir()))
    if file is None and not full:
        engine = plain_engine(library)
        try:
            with engine.connect() as connection:
                full = bool(inspect(connection).get_table_names())
        finally:
            engine.dispose()
    if full:
        raise ConfigError(
            t(
                "{library}: a library is already there; restore into an empty home "
                "(a new catalog file, or an empty database)",
                library=shown(library),
            )
        )


def _load_catalog(library: str, source: Path, manifest: dict[str, Any]) -> None:
    file = sqlite_file(library)
    backend = manifest.get("backend")
    if backend != ("sqlite" if file is not None else "postgresql"):
        raise ConfigError(
            t(
                "{source}: the backup is of a {backend} catalog; restore it into one of the "
                "same kind",
                source=str(source),
                backend=backend,
            )
        )
    if file is None:
        postgres.restore(library, source / POSTGRES_CATALOG)
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    shutil.copyfile(source / SQLITE_CATALOG, partial)
    partial.replace(file)


def _move_paths(engine: Engine, path_map: list[tuple[str, str]]) -> int:
    """Rewrite every stored path under an old prefix to the new one; how many were."""
    moved = 0
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        for table, column in PATH_COLUMNS:
            if table not in tables:
                continue
            for old, new in path_map:
                # A prefix up to a '/' only: /photos must not move /photos2.
                done = connection.execute(
                    text(
                        f"UPDATE {table} SET {column} = :new || substr({column}, :cut) "
                        f"WHERE {column} = :old OR substr({column}, 1, :length) = :folder"
                    ),
                    {"new": new, "old": old, "cut": len(old) + 1, "length": len(old) + 1,
                     "folder": old.rstrip("/") + "/"},
                )  # fmt: skip
                moved += done.rowcount
    return moved


def _restore_rules(settings: Settings, source: Path) -> dict[str, str]:
    """The album rules and labels files, into the home; where each went."""
    restored = {}
    for setting, kept in RULE_FILES.items():
        if (source / kept).is_file():
            target = home_of(settings) / kept
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / kept, target)
            restored[setting] = str(target)
    return restored
