"""``smartalbum check [--repair]``: the catalog against the files, in a report a person reads."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from smartalbum.cli.common import EXIT_FAILED, EXIT_OK, language, show
from smartalbum.i18n import t
from smartalbum.settings import Settings


def add_parsers(sub: Any) -> None:
    """``check [--repair] [--json]``."""
    check = sub.add_parser(
        "check", help="check the catalog against the files; --repair fixes what it can",
        description="Every photo has its file (or is in the trash), every file in the indexed "
        "folders its photo, thumbnails and the feature space agree with the photos, no row "
        "points at a photo that does not exist, and the database's own check passes. "
        "Exits 1 while a problem remains.",
    )  # fmt: skip
    check.add_argument("--library", help="the catalog")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument(
        "--repair", action="store_true", help="fix what can be fixed, losing nothing a person made"
    )


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.cli.library_commands import open_library
    from smartalbum.integrity import check

    library = open_library(settings, regroup=False)
    try:
        findings = check(library, settings, repair=args.repair)
    finally:
        library.close()
    shown = [f.as_json(language()) for f in findings]
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        for finding in shown:
            _print(finding)
    left = [f for f in shown if f["count"] and (f["repaired"] or 0) < f["count"]]
    return EXIT_FAILED if left else EXIT_OK


def _print(finding: dict[str, Any]) -> None:
    if finding["note"]:
        show(t("- {title}: {note}", title=finding["title"], note=finding["note"]))
    elif not finding["count"]:
        show(t("ok {title}: none", title=finding["title"]))
    else:
        show(t("!! {title}: {count}", title=finding["title"], count=finding["count"]))
        for problem in finding["problems"]:
            print(f"     {problem}")
        if finding["repaired"] is not None:
            show(t("   repaired: {count}", count=finding["repaired"]))


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {"check": _check}
