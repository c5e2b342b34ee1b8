"""``smartalbum people``: list, name, merge, fix and forget people; scan and regroup faces;
``smartalbum eval-people DIR``: how well faces are found and grouped."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.cli.common import EXIT_OK, progress
from smartalbum.errors import PassOffError
from smartalbum.i18n import t
from smartalbum.settings import Settings

if TYPE_CHECKING:
    from smartalbum.library.service import PhotoLibrary


def add_parsers(sub: Any) -> None:
    """``people ACTION ...`` and ``eval-people DIR``."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--library", help="the catalog")
    flags.add_argument("--json", action="store_true", help="print JSON")
    people = sub.add_parser(
        "people", parents=[flags], help="people: list, name, merge, fix, scan, regroup",
        description="`smartalbum people` lists the people found (named first, then unnamed "
        "groups largest first).",
    )  # fmt: skip
    actions = people.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", parents=[flags], help="the people found")
    listing.add_argument("--hidden", action="store_true", help="hidden people too")
    show = actions.add_parser("show", parents=[flags], help="a person's faces, newest first")
    show.add_argument("id", type=int)
    name = actions.add_parser("name", parents=[flags], help="name a person (English, Chinese)")
    name.add_argument("id", type=int)
    name.add_argument("--en", help="the English name ('' clears it)")
    name.add_argument("--zh", help="the Chinese name ('' clears it)")
    merge = actions.add_parser("merge", parents=[flags], help="merge OTHER into INTO")
    merge.add_argument("into", type=int, metavar="INTO")
    merge.add_argument("other", type=int, metavar="OTHER")
    for action, text in (
        ("remove-face", "take a face out of its person, for good"),
        ("hide", "hide a person"),
        ("unhide", "show a hidden person again"),
        ("delete", "delete a person and their faces' embeddings"),
    ):
        actions.add_parser(action, parents=[flags], help=text).add_argument("id", type=int)
    scan_help = "look for faces in photos not yet scanned (SMARTALBUM_FACES on)"
    actions.add_parser("scan", parents=[flags], help=scan_help)
    actions.add_parser("regroup", parents=[flags], help="group every face again")
    actions.add_parser("forget", parents=[flags], help="delete every face and person")
    evaluate = sub.add_parser(
        "eval-people", help="measure face detection and grouping on labelled photos",
        description="DIR holds one folder per person, named after them; photos in DIR "
        "itself hold nobody (faces found there count as false).",
    )  # fmt: skip
    evaluate.add_argument("dir", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print JSON")


@contextmanager
def _sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    from smartalbum.catalog import open_engine, session_factory

    engine = open_engine(settings.library)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _people(args: argparse.Namespace, settings: Settings) -> int:
    action = args.action or "list"
    if action in ("list", "show"):
        with _sessions(settings) as sessions:
            return _print(args, _read(action, args, sessions))
    if action == "scan" and not settings.faces:  # as the server's scan job refuses it
        raise PassOffError(
            t("face recognition is off (SMARTALBUM_FACES=false): no face is looked for")
        )
    from smartalbum.cli.library_commands import open_library

    library = open_library(settings)  # changes keep the albums that name people in step
    try:
        if action in ("scan", "regroup", "forget"):
            done = _batch_action(action, library, settings)
        else:
            done = _change(action, args, library)
    finally:
        library.close()
    return _print(args, done)


def _read(action: str, args: argparse.Namespace, sessions: sessionmaker[Session]) -> Any:
    from smartalbum.people import directory

    with sessions() as session:
        if action == "list":
            return directory.list_people(session, hidden=args.hidden)
        return directory.person_page(session, args.id)


def _change(action: str, args: argparse.Namespace, library: PhotoLibrary) -> Any:
    from smartalbum.library.people_pass import edit_people
    from smartalbum.people import directory

    if action == "name":
        return edit_people(library, lambda s: directory.rename(s, args.id, args.en, args.zh),
                           [args.id])  # fmt: skip
    if action == "merge":
        merging = [args.into, args.other]
        return edit_people(library, lambda s: directory.merge(s, *merging), merging)
    if action == "remove-face":
        edit_people(library, lambda s: directory.remove_face(s, args.id), faces=[args.id])
    elif action in ("hide", "unhide"):
        edit_people(library, lambda s: directory.hide(s, args.id, action == "hide"), [args.id])
    elif action == "delete":
        gone = edit_people(library, lambda s: directory.delete_person(s, args.id), [args.id])
        return {"faces_deleted": gone}
    return {"done": action, "id": args.id}


def _batch_action(action: str, library: PhotoLibrary, settings: Settings) -> Any:
    from smartalbum.library import people_pass

    if action == "scan":
        return people_pass.scan_library_faces(library, settings, progress).to_dict()
    if action == "regroup":
        return people_pass.regroup_library_people(library)
    return {"faces_deleted": people_pass.forget_people(library)}


def _print(args: argparse.Namespace, found: Any) -> int:
    if args.json or not isinstance(found, list):
        print(json.dumps(found, ensure_ascii=False, indent=None if args.json else 2))
        return EXIT_OK
    for person in found:
        names = " / ".join(n for n in (person["name"], person["name_zh"]) if n) or "-"
        hidden = "  (hidden)" if person["hidden"] else ""
        print(f"{person['id']:>6}  {person['faces']:>5} faces  {person['photos']:>5} photos  "
              f"{names}{hidden}")  # fmt: skip
    return EXIT_OK


def _eval_people(args: argparse.Namespace, _settings: Settings) -> int:
    from smartalbum.people.evaluation import evaluate

    report = evaluate(args.dir, progress)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "people": _people,
    "eval-people": _eval_people,
}
