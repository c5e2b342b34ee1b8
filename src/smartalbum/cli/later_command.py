"""``smartalbum index``'s second phase: text and faces read after every photo is in."""

from __future__ import annotations

import json
import sys
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RuleSet
from smartalbum.cli.common import EXIT_OK, show
from smartalbum.i18n import t
from smartalbum.library.indexer import IndexReport
from smartalbum.library.later_passes import LaterReport, run_later_passes
from smartalbum.library.sidecars import Landed
from smartalbum.settings import Settings


def second_phase(
    settings: Settings,
    sessions: sessionmaker[Session],
    rules: RuleSet,
    landed: Landed | None = None,
) -> LaterReport:
    """The passes after the model's, each with its progress bar on stderr; ``landed`` is told
    the photos they moved between albums."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def shown(name: str, done: int, total: int) -> bool:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(
                total=total, desc=name, unit="img", delay=2.0, disable=None, file=sys.stderr
            )
        bar.total = total
        bar.update(done - bar.n)
        return True

    try:
        return run_later_passes(sessions, settings.library, settings, rules, shown, landed)
    finally:
        for bar in bars.values():
            bar.close()


def print_second_phase(first: IndexReport, report: LaterReport, as_json: bool) -> int:
    """One line a pass, what it did and in how long; as JSON, both phases' figures in one
    object (the second's under ``later``)."""
    if as_json:
        print(json.dumps({**first.to_dict(), "later": report.to_dict()}))
        return EXIT_OK
    if (text := report.text) is not None:
        show(
            t(
                "then text: {read} of {total} photos read ({with_text} with text, {failed} "
                "unreadable) in {seconds:.1f} s",
                read=text["read"],
                total=text["total"],
                with_text=text["with_text"],
                failed=text["failed"],
                seconds=text["seconds"],
            )
        )
    if (faces := report.faces) is not None:
        show(
            t(
                "then faces: {photos} photos looked at ({faces} faces, {failed} unreadable) "
                "in {seconds:.1f} s",
                photos=faces["photos"],
                faces=faces["faces"],
                failed=faces["failed"],
                seconds=faces["seconds"],
            )
        )
    return EXIT_OK
