"""``smartalbum trash``: what is in the trash; delete, restore and purge photos by id."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from smartalbum.cli.common import EXIT_OK
from smartalbum.settings import Settings


def add_parsers(sub: Any) -> None:
    """``trash [list]``, ``trash delete|restore ID...``, ``trash purge [ID...]``."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--library", help="the catalog")
    flags.add_argument("--json", action="store_true", help="print JSON")
    trash = sub.add_parser(
        "trash", parents=[flags], help="the trash: list, delete, restore, purge",
        description="`smartalbum trash` lists the trash; `trash purge` with no ids purges the "
        "photos past their SMARTALBUM_TRASH_DAYS, as the server does daily.",
    )  # fmt: skip
    actions = trash.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", parents=[flags], help="the photos in the trash, newest first")
    for action, text, count in (
        ("delete", "put photos in the trash", "+"),
        ("restore", "bring photos back from the trash", "+"),
        ("purge", "delete photos of the trash for good (none named: the expired ones)", "*"),
    ):
        parser = actions.add_parser(action, parents=[flags], help=text)
        parser.add_argument("ids", nargs=count, type=int, metavar="ID")


def _trash(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.cli.library_commands import open_library
    from smartalbum.ingest.trash import Trash

    library = open_library(settings, regroup=False)
    try:
        trash = Trash(library, settings)
        action = args.action or "list"
        if action == "list":
            return _print_listing(args, trash.listing(0, 500))
        done: dict[str, Any]
        if action == "delete":
            done = trash.delete(args.ids, None)
        elif action == "restore":
            done = trash.restore(args.ids, None)
        else:
            done = trash.purge(args.ids, None) if args.ids else trash.purge_expired()
    finally:
        library.close()
    print(json.dumps(done) if args.json else " ".join(f"{k}: {_count(v)}" for k, v in done.items()))
    return EXIT_OK


def _count(value: Any) -> str:
    return " ".join(map(str, value)) or "-" if isinstance(value, list) else str(value)


def _print_listing(args: argparse.Namespace, listing: dict[str, Any]) -> int:
    if args.json:
        print(json.dumps(listing, ensure_ascii=False, indent=2))
        return EXIT_OK
    for photo in listing["photos"]:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(photo["trashed_at"]))
        by = photo["by"] or "-"
        print(f"{photo['id']:>8}  {when}  {photo['reason']:<8}  {by:<12}  "
              f"{photo['days_left']:>3} days left  {photo['path']}")  # fmt: skip
    print(f"{listing['total']} photos in the trash (kept {listing['days']} days)")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {"trash": _trash}
