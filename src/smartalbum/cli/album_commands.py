"""``smartalbum user-albums``: albums a person makes; ``favourite`` and ``archive`` photos."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartalbum.cli.common import EXIT_OK, title
from smartalbum.settings import Settings


def add_parsers(sub: Any) -> None:
    """``user-albums [list|show|create|rename|add|remove|cover|order|delete|download]``,
    ``favourite ID...`` and ``archive ID...`` (``--undo`` takes the mark off)."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--library", help="the catalog")
    flags.add_argument("--json", action="store_true", help="print JSON")
    albums = sub.add_parser("user-albums", parents=[flags], help="albums a person makes")
    actions = albums.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", parents=[flags], help="every album people made, newest first")
    actions.add_parser("show", parents=[flags], help="an album and its photos").add_argument(
        "album"
    )
    create = actions.add_parser("create", parents=[flags], help="make an album")
    create.add_argument("title")
    create.add_argument("--zh", help="its Chinese title")
    create.add_argument("ids", nargs="*", type=int, metavar="PHOTO")
    rename = actions.add_parser("rename", parents=[flags], help="change its titles")
    rename.add_argument("album")
    rename.add_argument("--title", help="the English title")
    rename.add_argument("--zh", help='the Chinese title ("" removes it)')
    for action, text in (("add", "put photos in it"), ("remove", "take photos out of it")):
        parser = actions.add_parser(action, parents=[flags], help=text)
        parser.add_argument("album")
        parser.add_argument("ids", nargs="+", type=int, metavar="PHOTO")
    cover = actions.add_parser("cover", parents=[flags], help="choose its cover photo")
    cover.add_argument("album")
    cover.add_argument("photo", type=int)
    order = actions.add_parser("order", parents=[flags], help="order by date, or by hand")
    order.add_argument("album")
    order.add_argument("order", choices=("date", "manual"))
    order.add_argument("ids", nargs="*", type=int, metavar="PHOTO", help="(manual) these first")
    actions.add_parser("delete", parents=[flags], help="delete it (not its photos)").add_argument(
        "album"
    )
    download = actions.add_parser("download", parents=[flags], help="its originals as a ZIP")
    download.add_argument("album")
    download.add_argument("zip", type=Path, help="the ZIP to write (- for stdout)")
    for name, text in (("favourite", "put a heart on photos"), ("archive", "archive photos: "
                       "out of the timeline, moments and search")):  # fmt: skip
        mark = sub.add_parser(name, parents=[flags], help=text)
        mark.add_argument("ids", nargs="+", type=int, metavar="PHOTO")
        mark.add_argument("--undo", action="store_true", help="take the mark off")


def _user_albums(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.cli.library_commands import open_library
    from smartalbum.library.user_albums import UserAlbums, parse_album_id

    library = open_library(settings, regroup=False)
    try:
        albums = UserAlbums(library.sessions)
        action = args.action or "list"
        if action == "list":
            return _print_list(args, albums.listed())
        if action == "create":
            return _print(args, albums.create(args.title, args.zh, None, args.ids))
        number = parse_album_id(args.album)
        if action == "download":
            return _download(library, albums.ids(number), args.zip)
        return _print(args, _change(albums, action, number, args))
    finally:
        library.close()


def _change(albums: Any, action: str, number: int, args: argparse.Namespace) -> dict[str, Any]:
    if action == "show":
        answer: dict[str, Any] = albums.album(number, 0, 500)
    elif action == "rename":
        answer = albums.update(number, None, title=args.title, title_zh=args.zh)
    elif action == "add":
        answer = albums.add(number, args.ids, None)
    elif action == "remove":
        answer = albums.remove(number, args.ids, None)
    elif action == "cover":
        answer = albums.update(number, None, cover=args.photo)
    elif action == "order" and args.order == "manual" and args.ids:
        answer = albums.reorder(number, args.ids, None)
    elif action == "order":
        answer = albums.update(number, None, order=args.order)
    else:
        albums.delete(number, None)
        answer = {"deleted": number}
    return answer


def _download(library: Any, ids: list[int], target: Path) -> int:
    from smartalbum.library import download

    files = download.Originals(library.sessions, ids)
    if str(target) == "-":
        for chunk in download.zip_stream(files):
            sys.stdout.buffer.write(chunk)
        return EXIT_OK
    with target.open("wb") as out:
        for chunk in download.zip_stream(files):
            out.write(chunk)
    print(f"{files.given} photos: {target}")
    return EXIT_OK


def _print(args: argparse.Namespace, answer: dict[str, Any]) -> int:
    if args.json or "title" not in answer:
        print(json.dumps(answer, ensure_ascii=False))
        return EXIT_OK
    print(f"{answer['id']:>5}  {title(answer['title'], answer['title_zh'])}  "
          f"({answer['count']} photos, by {answer['order']})")  # fmt: skip
    for photo in answer.get("photos", []) if args.action == "show" else []:
        print(f"{photo['id']:>8}  {photo['path']}")
    return EXIT_OK


def _print_list(args: argparse.Namespace, albums: list[dict[str, Any]]) -> int:
    if args.json:
        print(json.dumps(albums, ensure_ascii=False, indent=2))
        return EXIT_OK
    for album in albums:
        owner = album["owner"] or "-"
        print(f"{album['id']:>5}  {title(album['title'], album['title_zh'])}  "
              f"{album['count']} photos  {owner}")  # fmt: skip
    return EXIT_OK


def _mark(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.cli.library_commands import open_library
    from smartalbum.library import marks

    library = open_library(settings, regroup=False)
    try:
        setter = marks.set_favourite if args.command == "favourite" else marks.set_archived
        changed = setter(library.sessions, None, args.ids, not args.undo, library.rules)
    finally:
        library.close()
    if args.json:
        print(json.dumps({"changed": changed}))
    else:
        print("changed: " + (" ".join(map(str, changed)) or "-"))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "user-albums": _user_albums,
    "favourite": _mark,
    "archive": _mark,
}
