"""What every command shares: its exit codes, its language and the terminal progress bar."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from typing import Any

from smartalbum.i18n import Message, cli_language

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2  # usage: a bad flag, setting or file


def language() -> str:
    """The language of this run's messages: SMARTALBUM_LANG, then LANG, else English."""
    return cli_language(os.environ)


def say(message: Message) -> None:
    """One line on stderr for the person at the terminal, in their language."""
    print(message.render(language()), file=sys.stderr)


def show(message: Message) -> None:
    """One line of a command's output on stdout, in the reader's language."""
    print(message.render(language()))


def title(en: str, zh: str) -> str:
    """A title as the reader reads it: "Winter · 冬季" in English, "冬季" alone in Chinese."""
    if language() == "zh":
        return zh or en
    return f"{en} · {zh}" if zh else en


def percent(fraction: float) -> str:
    """A class probability or an album or search score (a fraction 0..1) as every command
    and page shows it: a whole percent, "68 %" ("<1 %" for a trace). web/static/scores.js
    is its twin: both round half up on the same double, so they print the same digits."""
    whole = math.floor(fraction * 100 + 0.5)
    return "<1 %" if whole == 0 and fraction > 0 else f"{whole} %"


def cosine(score: float) -> str:
    """A taught category's score or threshold (a cosine, -1..1) as every command and page
    shows it: two decimals, "0.23" (web/static/scores.js: the same rounding)."""
    return f"{math.floor(score * 100 + 0.5) / 100:.2f}"


def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
    """A progress bar on stderr for runs that last more than a moment on a terminal."""
    from tqdm import tqdm

    yield from tqdm(results, total=total, unit="img", delay=2.0, disable=None, file=sys.stderr)
