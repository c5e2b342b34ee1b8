"""``smartalbum backup [DEST]`` and ``smartalbum restore SRC``: the library without its photos."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartalbum.cli.common import EXIT_OK, say, show
from smartalbum.i18n import t
from smartalbum.settings import Settings


def add_parsers(sub: Any) -> None:
    """``backup [DEST] [--no-thumbnails]`` and ``restore SRC [--path-map OLD=NEW]...``."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--library", help="the catalog")
    flags.add_argument("--json", action="store_true", help="print JSON")
    backup = sub.add_parser(
        "backup", parents=[flags], help="back the library up (not the photos), while it runs",
        description="Copies the catalog, the feature space and the rule files into a new "
        "folder smartalbum-<time> in DEST (default SMARTALBUM_BACKUP_DIR, else 'backups' in "
        "the library's home), with a manifest of sha256 checksums.",
    )  # fmt: skip
    backup.add_argument("dest", nargs="?", type=Path, metavar="DEST", help="folder for it")
    backup.add_argument(
        "--no-thumbnails", action="store_true", help="leave the thumbnails out (SQLite)"
    )
    restore = sub.add_parser(
        "restore", parents=[flags], help="restore a backup into an empty library",
        description="Checks the backup's checksums, then restores it as --library (a new "
        "SQLite file or an empty PostgreSQL database); an older version's backup is brought "
        "up to date.",
    )  # fmt: skip
    restore.add_argument("source", type=Path, metavar="SRC", help="a backup folder")
    restore.add_argument(
        "--path-map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="photos under OLD are at NEW on this machine (repeatable)",
    )


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.backup import make_backup

    made = make_backup(settings, args.dest, thumbnails=not args.no_thumbnails)
    if args.json:
        print(json.dumps(made, ensure_ascii=False, indent=2))
    else:
        size = sum(f["size"] for f in made["files"])
        show(t("backed up to {folder} ({files} files, {mb} MB)", folder=made["folder"],
               files=len(made["files"]), mb=round(size / 1e6, 1)))  # fmt: skip
    return EXIT_OK


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.backup import restore_backup
    from smartalbum.backup.restore import parse_path_map

    done = restore_backup(settings, args.source, parse_path_map(args.path_map))
    if args.json:
        print(json.dumps(done, ensure_ascii=False, indent=2))
        return EXIT_OK
    show(t("restored {library} (schema {old} -> {new}, {moved} paths moved)",
           library=done["library"], old=done["from_schema"], new=done["schema_version"],
           moved=done["paths_moved"]))  # fmt: skip
    for setting, path in done["rules"].items():
        say(t("set SMARTALBUM_{name}={path} to use the restored file",
              name=setting.upper(), path=path))  # fmt: skip
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "backup": _backup,
    "restore": _restore,
}
