"""Finding photos by what they say: substrings in Chinese, words and prefixes in English.

A query is folded as the photos' text was (case, width, Traditional). Three characters
or more are looked up in the database's trigram index (SQLite FTS5, PostgreSQL pg_trgm);
one or two outside ASCII (发票, 茶) in the index of characters (``photo_text_chars``): the
photos holding both, then the pair checked side by side in them; one or two in ASCII
(12, a) by reading the text of the photos that say something. An English query matches at
the start of a word ("board" finds "Boarding Pass", "oard" does not). When nothing matches
exactly, a query of four characters or more is tried again with one character in four
wrong at most, the mistakes OCR makes (0/O, rn/m, a dropped stroke), scored lower.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, TextClause, and_, intersect, null, or_, select, text
from sqlalchemy.orm import Session

from smartalbum.catalog import Photo, live
from smartalbum.catalog.texts import FTS, PhotoText, PhotoTextChar, indexed_chars
from smartalbum.ocr.normalize import fold

MAX_QUERY = 100  # characters of a query looked for (a longer one is cut here)
EXACT, NEAR = 1.0, 0.5  # the score of a photo found as written, and one found with a mistake
MIN_NEAR = 4  # characters a query needs before mistakes are forgiven
CANDIDATES = 2000  # photos sharing trigrams with a query that are checked for a near match
_WORDY = re.compile(r"[0-9a-z]")


def query_text(query: str) -> str:
    """A query as it is looked for: folded, control characters and quotes dropped, cut at
    ``MAX_QUERY``. (PostgreSQL refuses a NUL in a string: it is no text a photo says.)"""
    printable = "".join(c for c in query if unicodedata.category(c) != "Cc" or c in "\t\n")
    return fold(printable.strip("\"'“”「」『』 "))[:MAX_QUERY].strip()


def photos_saying(session: Session, query: str) -> dict[int, float]:
    """Live photos whose text holds the query: photo id -> score (1 exact, 0.5 near)."""
    wanted = query_text(query)
    if not wanted:
        return {}
    found = {i: EXACT for i, body in _exact(session, wanted) if _at_word_start(wanted, body or "")}
    if not found and len(wanted) >= MIN_NEAR:
        found = {i: NEAR for i, body in _candidates(session, wanted) if near(wanted, body)}
    return found


def _exact(session: Session, wanted: str) -> list[tuple[int, str | None]]:
    """(id, body) of the live photos whose folded text holds ``wanted``."""
    where, params = _holding(session, wanted)
    # The text itself only where a word's start is checked: the ids alone are half the work.
    body = PhotoText.body if _WORDY.match(wanted) else null()
    query = (
        select(PhotoText.photo_id, body)
        .join(Photo, Photo.id == PhotoText.photo_id)
        .where(where, live())
    )
    return [(i, b) for i, b in session.execute(query, {"wanted": wanted, **params})]


def _holding(
    session: Session, wanted: str
) -> tuple[ColumnElement[bool] | TextClause, dict[str, str]]:
    """Where a ``photo_texts`` row holds ``wanted``, from the quickest index that answers."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite and len(wanted) >= 3:
        phrase = '"' + wanted.replace('"', '""') + '"'  # one literal phrase: no FTS syntax
        ids = select(text("rowid")).select_from(text(FTS)).where(text(f"{FTS} MATCH :phrase"))
        return PhotoText.photo_id.in_(ids), {"phrase": phrase}
    contains = text("instr(photo_texts.body, :wanted) > 0") if sqlite else _like(wanted)
    if len(wanted) < 3 and indexed_chars(wanted) == set(wanted):
        # 发, 发票: the photos holding each character, then (two) the pair side by side
        holders = [select(PhotoTextChar.photo_id).where(PhotoTextChar.char == c) for c in wanted]
        both = holders[0] if len(holders) == 1 else intersect(*holders)
        where = PhotoText.photo_id.in_(both)
        return (where if len(wanted) == 1 else and_(where, contains)), {}
    return contains, {}


def _like(wanted: str) -> ColumnElement[bool]:
    escaped = re.sub(r"([\\%_])", r"\\\1", wanted)
    return PhotoText.body.like(f"%{escaped}%", escape="\\")


def says(body: str, phrase: str) -> bool:
    """Whether a photo's folded text holds a phrase as search finds it, exactly: anywhere in
    Chinese, at the start of a word in English (album rules match text this way)."""
    wanted = query_text(phrase)
    return bool(wanted) and wanted in body and _at_word_start(wanted, body)


def _at_word_start(wanted: str, body: str) -> bool:
    """An English (or digit) query must start a word: "board" in "boarding", not "oard"."""
    if not _WORDY.match(wanted):
        return True  # Chinese has no words to start
    return re.search(rf"(?<![0-9a-z]){re.escape(wanted)}", body) is not None


def _candidates(session: Session, wanted: str) -> list[tuple[int, str]]:
    """Live photos sharing a piece of the query, at most ``CANDIDATES``: checked one by one."""
    where: ColumnElement[bool]
    pieces = _pieces(wanted)
    if session.get_bind().dialect.name == "sqlite":
        phrases = " OR ".join('"' + p.replace('"', '""') + '"' for p in pieces)
        ids = (
            select(text("rowid"))
            .select_from(text(FTS))
            .where(text(f"{FTS} MATCH :phrases"))
            .limit(CANDIDATES)
        )
        where = PhotoText.photo_id.in_(ids)
        params = {"phrases": phrases}
    else:
        escaped = [re.sub(r"([\\%_])", r"\\\1", p) for p in pieces]
        where = or_(*(PhotoText.body.like(f"%{e}%", escape="\\") for e in escaped))
        params = {}
    query = (
        select(PhotoText.photo_id, PhotoText.body)
        .join(Photo, Photo.id == PhotoText.photo_id)
        .where(where, live())
        .limit(CANDIDATES)
    )
    return [(i, b) for i, b in session.execute(query, params)]


def _pieces(wanted: str) -> list[str]:
    """Trigrams of the query, a few: any one mistake leaves most of them whole."""
    grams = list(dict.fromkeys(wanted[i : i + 3] for i in range(len(wanted) - 2)))
    return grams[:: max(1, len(grams) // 12)]


def near(wanted: str, body: str) -> bool:
    """Whether some line of ``body`` holds ``wanted`` with one edit in four at most; an
    English query at the start of a word, as an exact one."""
    allowed = len(wanted) // 4
    for line in body.split("\n"):
        if not _WORDY.match(wanted):
            starts = [0]
        else:
            starts = [m.start() for m in re.finditer(r"(?<![0-9a-z])[0-9a-z]", line)]
        free = not _WORDY.match(wanted)  # Chinese: the match may begin anywhere
        for start in starts:
            segment = line[start : start + len(wanted) + allowed]
            if distance_in(wanted, line if free else segment, free) <= allowed:
                return True
    return False


def distance_in(pattern: str, line: str, free_start: bool) -> int:
    """The fewest edits that make ``pattern`` a substring of ``line`` (Sellers, 1980), or,
    not ``free_start``, a prefix of it."""
    previous = list(range(len(pattern) + 1))
    best = previous[-1]
    for row, char in enumerate(line, 1):
        current = [0 if free_start else row]
        for j, wanted in enumerate(pattern, 1):
            cost = previous[j - 1] + (wanted != char)
            current.append(min(cost, previous[j] + 1, current[j - 1] + 1))
        best = min(best, current[-1])
        previous = current
    return best
