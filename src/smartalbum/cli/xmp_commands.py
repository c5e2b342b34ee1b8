"""``smartalbum xmp write [ID...]``: labels, corrections, albums and hearts into XMP sidecars."""

from __future__ import annotations

import argparse
import json
from typing import Any

from smartalbum.cli.common import EXIT_OK, say, show
from smartalbum.i18n import t
from smartalbum.settings import Settings


def add_parsers(sub: Any) -> None:
    """``xmp write [ID...]``."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--library", help="the catalog")
    flags.add_argument("--json", action="store_true", help="print JSON")
    xmp = sub.add_parser(
        "xmp", parents=[flags], help="XMP sidecars for digiKam, darktable and Lightroom",
        description="`smartalbum xmp write` merges each photo's labels (SMARTALBUM_XMP_THRESHOLD "
        "and up, corrections applied), albums (in English and Chinese) and hearts (5 stars) "
        "into its sidecar (SMARTALBUM_XMP_NAMING), keeping what other tools wrote there.",
    )  # fmt: skip
    actions = xmp.add_subparsers(dest="action", metavar="ACTION", required=True)
    write = actions.add_parser("write", parents=[flags], help="write the sidecars")
    write.add_argument("ids", nargs="*", type=int, metavar="ID", help="these photos (default: all)")


def _xmp(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.cli.library_commands import open_library
    from smartalbum.library.sidecars import write_back

    library = open_library(settings, regroup=False)
    try:
        report = write_back(library, settings, args.ids or None)
    finally:
        library.close()
    if args.json:
        print(json.dumps({"written": report.written, "warnings": report.warnings}))
        return EXIT_OK
    for warning in report.warnings:
        say(t("smartalbum: warning: {warning}", warning=warning))
    show(t("{count} sidecars written", count=report.written))
    return EXIT_OK


COMMANDS = {"xmp": _xmp}
