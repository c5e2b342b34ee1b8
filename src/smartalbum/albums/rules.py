"""Album rules: TOML tables that turn a photo's top-5 labels into smart albums.

A built-in set ships with the package; a user file adds albums or changes them by id
(only the keys it gives), and ``enabled = false`` hides one. Each rule compiles to the
set of class indices that count for it; a photo's score is the sum (or the best) of
its probabilities on those classes, and it joins the album at ``min_probability``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from smartalbum.albums.groups import Groups
from smartalbum.albums.marks import mark_key
from smartalbum.albums.people import names_people, person_key
from smartalbum.categories.store import key_of
from smartalbum.errors import RulesError
from smartalbum.i18n import Message, t
from smartalbum.models.labels import LabelSet
from smartalbum.ocr import says
from smartalbum.text import has_chinese, name_matches

BUILT_IN = "built-in album rules"
_KEYS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "title_zh": str,
    "classes": list,
    "groups": list,
    "keywords": list,
    "exclude_classes": list,
    "exclude_groups": list,
    "categories": list,  # names of taught categories: a photo in one counts for the album
    "text": list,  # what a photo says (smartalbum.ocr): a photo saying one of these counts
    "marks": list,  # "favourite" (anyone's heart), "archived": a photo with one counts
    "people": list,  # named people (English or Chinese): a photo with one of them counts
    "min_probability": (int, float),
    "combine": str,
    "enabled": bool,
}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class AlbumRule:
    """One smart album, compiled: the classes that count, and how they add up."""

    id: str
    title: str
    title_zh: str
    classes: frozenset[int]
    min_probability: float
    combine: str  # "sum" or "max"
    categories: frozenset[str] = frozenset()  # taught categories' keys (casefolded names)
    text: tuple[str, ...] = ()  # phrases a photo may say to be in the album

    def score(
        self,
        labels: Iterable[tuple[int, float]],
        categories: Mapping[str, float] | None = None,
        said: str | None = None,
    ) -> float:
        """A photo's score from its labels and the categories it is in; 0 when none count.

        A category counts as 0.5 plus half the photo's score in it (a cosine; a person's
        example scores 1), so a photo in it is past any min_probability up to 0.5.
        """
        counted = [p for index, p in labels if index in self.classes]
        counted += [
            min(1.0, 0.5 + s / 2) for key, s in (categories or {}).items() if key in self.categories
        ]
        if said and any(says(said, phrase) for phrase in self.text):
            counted.append(1.0)  # what the photo says is as sure as a person's word
        if not counted:
            return 0.0
        return max(counted) if self.combine == "max" else sum(counted)

    def admits(self, score: float) -> bool:
        """Whether a score is enough to be in the album."""
        return score > 0 and score + 1e-9 >= self.min_probability


@dataclass(frozen=True)
class RuleSet:
    """The album rules in force, in display order, with a digest of what decides membership."""

    albums: tuple[AlbumRule, ...]
    digest: str
    source: str

    def get(self, album_id: str) -> AlbumRule | None:
        """The album with this id, if any."""
        return next((a for a in self.albums if a.id == album_id), None)

    def named(self, ref: str) -> AlbumRule | None:
        """The album with this id, else with this English or Chinese title (any case)."""
        wanted = ref.strip().casefold()
        return self.get(ref) or next(
            (a for a in self.albums if wanted in (a.title.casefold(), a.title_zh.casefold())), None
        )

    @property
    def reads_text(self) -> bool:
        """Whether any album counts what photos say."""
        return any(a.text for a in self.albums)

    @property
    def reads_people(self) -> bool:
        """Whether any album counts the people in photos."""
        return any(names_people(a.categories) for a in self.albums)

    def memberships(
        self,
        labels: list[tuple[int, float]],
        categories: Mapping[str, float] | None = None,
        said: str | None = None,
    ) -> dict[str, float]:
        """Album id -> score, for every album these labels (categories, text) put a photo in."""
        scores = {}
        for album in self.albums:
            score = album.score(labels, categories, said)
            if album.admits(score):
                scores[album.id] = round(score, 6)
        return scores


def built_in_text() -> str:
    """The shipped rules file, as text."""
    return resources.files("smartalbum.albums").joinpath("data/default_albums.toml").read_text()


def load_rules(user_file: Path | None, labels: LabelSet, groups: Groups) -> RuleSet:
    """The built-in rules, changed by a user file when given; RulesError names what is wrong."""
    tables = _parse(built_in_text(), BUILT_IN, labels, groups, {})
    source = BUILT_IN
    if user_file is not None:
        try:
            text = user_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = t("{path}: cannot read album rules ({reason})", path=user_file, reason=exc)
            raise RulesError(problem) from None
        tables = _parse(text, str(user_file), labels, groups, tables)
        source = f"{BUILT_IN} + {user_file}"
    return _compile(tables, labels, groups, source)


def parse_rules_text(text: str, name: str, labels: LabelSet, groups: Groups) -> RuleSet:
    """The built-in rules changed by ``text`` (a user file's content named ``name``)."""
    base = _parse(built_in_text(), BUILT_IN, labels, groups, {})
    return _compile(_parse(text, name, labels, groups, base), labels, groups, name)


def _parse(
    text: str,
    name: str,
    labels: LabelSet,
    groups: Groups,
    base: Mapping[str, tuple[dict[str, Any], int, str]],
) -> dict[str, tuple[dict[str, Any], int, str]]:
    """Album id -> (merged table, line, file name), checked key by key."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(t("{file}: not valid TOML: {reason}", file=name, reason=exc)) from None
    unknown = [k for k in document if k != "albums"]
    if unknown:
        line = _line_of(text, rf"^\s*\[?\s*{re.escape(unknown[0])}\b")
        raise RulesError(
            t(
                "{file}, line {line}: unknown top-level key {key!r} "
                "(album rules go in [albums.ID] tables)",
                file=name,
                line=line,
                key=unknown[0],
            )
        )
    albums = document.get("albums", {})
    if not isinstance(albums, dict):
        raise RulesError(t("{file}: 'albums' must be a table of [albums.ID] tables", file=name))
    merged = dict(base)
    for album_id, table in albums.items():
        where = _Where(text, name, album_id)
        combined = _checked(where, album_id, table, merged, labels, groups)
        merged[album_id] = (combined, where.line, name)
    return merged


class _Where:
    """Names the file, the line and the album in an error message."""

    def __init__(self, text: str, name: str, album_id: str) -> None:
        self.text, self.name, self.album_id = text, name, album_id
        quoted = rf"[\"']?{re.escape(album_id)}[\"']?"
        self.line = _line_of(text, rf"^\s*\[\s*albums\s*\.\s*{quoted}\s*\]")

    def error(self, problem: Message, key: str | None = None) -> RulesError:
        line = self.line
        if key is not None:
            line = _line_of(self.text, rf"^\s*{re.escape(key)}\s*=", start=line) or line
        if not line:
            return RulesError(
                t(
                    "{file}: album {album!r}: {problem}",
                    file=self.name,
                    album=self.album_id,
                    problem=problem,
                )
            )
        return RulesError(
            t(
                "{file}, line {line}: album {album!r}: {problem}",
                file=self.name,
                line=line,
                album=self.album_id,
                problem=problem,
            )
        )


def _checked(
    where: _Where,
    album_id: str,
    table: Any,
    merged: Mapping[str, tuple[dict[str, Any], int, str]],
    labels: LabelSet,
    groups: Groups,
) -> dict[str, Any]:
    """One album's table merged over the one it changes, or RulesError."""
    if not _ID.match(album_id):
        raise where.error(t("an album id is lower-case letters, digits, '-' and '_' (at most 64)"))
    if not isinstance(table, dict):
        raise where.error(t("must be a table of keys"))
    for key, value in table.items():
        _check_key(where, key, value)
    combined = {**merged[album_id][0], **table} if album_id in merged else dict(table)
    for key in ("title", "title_zh"):
        if key not in combined:
            raise where.error(t("a new album needs {key}", key=key))
    probability = combined.get("min_probability", 0.3)
    if math.isnan(probability) or not (0 < probability <= 1):
        problem = t("min_probability must be in (0, 1], got {value}", value=probability)
        raise where.error(problem, "min_probability")
    if combined.get("combine", "sum") not in ("sum", "max"):
        problem = t("combine must be 'sum' or 'max', got {value!r}", value=combined["combine"])
        raise where.error(problem, "combine")
    _check_names(where, table, labels, groups)
    beyond_classes = any(combined.get(k) for k in ("categories", "text", "marks", "people"))
    if not _classes_of(combined, labels, groups) and not beyond_classes:
        raise where.error(t("matches no class: give classes, groups or keywords"))
    return combined


def _check_key(where: _Where, key: str, value: Any) -> None:
    """One key of an album table: known, of the right type, not empty."""
    kind = _KEYS.get(key)
    if kind is None:
        allowed = ", ".join(_KEYS)
        raise where.error(
            t("unknown key {key!r} (allowed: {allowed})", key=key, allowed=allowed), key
        )
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        problem = t("{key} has the wrong type ({kind})", key=key, kind=type(value).__name__)
        raise where.error(problem, key)
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise where.error(t("{key} must be a list of strings", key=key), key)
    if isinstance(value, str) and key.startswith("title") and not value.strip():
        raise where.error(t("{key} must not be empty", key=key), key)


def _check_names(where: _Where, table: Mapping[str, Any], labels: LabelSet, groups: Groups) -> None:
    """Every class and group an album table names exists."""
    for key in ("classes", "exclude_classes"):
        for value in table.get(key, []):
            if _class_index(value, labels) is None:
                problem = t(
                    "{key}: {value!r} is not an ImageNet class (use a wnid like n02124075)",
                    key=key,
                    value=value,
                )
                raise where.error(problem, key)
    for value in table.get("marks", []):
        if mark_key(value) is None:
            problem = t("marks: {value!r} is not a mark (use favourite or archived)", value=value)
            raise where.error(problem, "marks")
    for key in ("groups", "exclude_groups"):
        for value in table.get(key, []):
            if value not in groups:
                known = ", ".join(sorted(groups.by_id))
                problem = t(
                    "{key}: unknown group {value!r} (groups: {known})",
                    key=key,
                    value=value,
                    known=known,
                )
                raise where.error(problem, key)


def _compile(
    tables: Mapping[str, tuple[dict[str, Any], int, str]],
    labels: LabelSet,
    groups: Groups,
    source: str,
) -> RuleSet:
    albums = tuple(
        AlbumRule(
            id=album_id,
            title=table["title"].strip(),
            title_zh=table["title_zh"].strip(),
            classes=_classes_of(table, labels, groups),
            min_probability=float(table.get("min_probability", 0.3)),
            combine=table.get("combine", "sum"),
            categories=frozenset(key_of(name) for name in table.get("categories", []))
            | {mark_key(name) or "" for name in table.get("marks", [])}
            | {person_key(name) or "" for name in table.get("people", [])} - {""},
            text=tuple(p for p in table.get("text", []) if p.strip()),
        )
        for album_id, (table, _line, _name) in tables.items()
        if table.get("enabled", True)
    )
    deciding: list[Any] = [(a.id, sorted(a.classes), a.min_probability, a.combine) for a in albums]
    # Only rules that name categories add them: the digest of every other rule set stays.
    deciding += [(a.id, sorted(a.categories)) for a in albums if a.categories]
    deciding += [(a.id, "text", sorted(a.text)) for a in albums if a.text]
    digest = hashlib.sha256(json.dumps(deciding).encode()).hexdigest()[:16]
    return RuleSet(albums, digest, source)


def _classes_of(table: Mapping[str, Any], labels: LabelSet, groups: Groups) -> frozenset[int]:
    chosen: set[int] = set()
    for value in table.get("classes", []):
        index = _class_index(value, labels)
        if index is not None:
            chosen.add(index)
    for group in table.get("groups", []):
        if group in groups:
            chosen |= groups[group].classes
    for keyword in table.get("keywords", []):
        chosen |= keyword_classes(keyword, labels)
    for value in table.get("exclude_classes", []):
        chosen.discard(_class_index(value, labels) or -1)
    for group in table.get("exclude_groups", []):
        if group in groups:
            chosen -= groups[group].classes
    return frozenset(chosen)


def keyword_classes(keyword: str, labels: LabelSet) -> set[int]:
    """Classes a keyword names: a whole English word, or any part of a Chinese name."""
    word = keyword.strip().lower()
    if not word:
        return set()
    chinese = has_chinese(word)
    return {
        c.index for c in labels.classes if name_matches(word, c.zh if chinese else c.en.lower())
    }


def _class_index(value: str, labels: LabelSet) -> int | None:
    found = labels.find(value)
    return found.index if found else None


def _line_of(text: str, pattern: str, start: int = 1) -> int:
    """1-based line of the first match at or after ``start``; 0 when not found."""
    regex = re.compile(pattern)
    for number, line in enumerate(text.splitlines(), 1):
        if number >= start and regex.search(line):
            return number
    return 0


class RulesWatcher:
    """The rules in force for a long-running process: reloads when the file changes.

    A file that fails to load leaves the previous rules in force; ``error`` says why.
    """

    def __init__(self, user_file: Path | None, labels: LabelSet, groups: Groups) -> None:
        self.user_file = user_file
        self.labels = labels
        self.groups = groups
        self.error: RulesError | None = None
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._rules = load_rules(None, labels, groups)
        self.current()

    def _file_stamp(self) -> tuple[int, int] | None:
        if self.user_file is None:
            return None
        try:
            stat = self.user_file.stat()
        except OSError:
            return (-1, -1)
        return (stat.st_mtime_ns, stat.st_size)

    def current(self) -> RuleSet:
        """The rules, re-read first if the user file changed since the last look."""
        with self._lock:
            stamp = self._file_stamp()
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
            return self._rules

    def reload(self) -> RuleSet:
        """Re-read the user file now; raises RulesError (the old rules stay) if it is bad."""
        with self._lock:
            self._stamp = self._file_stamp()
            self._reload()
            if self.error is not None:
                raise self.error
            return self._rules

    def _reload(self) -> None:
        try:
            self._rules = load_rules(self.user_file, self.labels, self.groups)
            self.error = None
        except RulesError as exc:
            self.error = exc
