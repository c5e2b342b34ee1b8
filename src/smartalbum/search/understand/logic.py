"""Logic in a query: alternatives ("cats or dogs", "猫和狗", "cats/dogs") and exclusions ("不要狗").

The reader finds the connector words as it finds any name, so the longest name still wins
(和服 is a kimono, not "and" and 服); they become "op" parts, which ``structure`` then
applies to the parts beside them:

- "or", "或", "或者", "/": the parts on either side are alternatives (photos of either);
- "and", "和", "跟", "与": alternatives too when both sides are the same kind of part (cats
  and dogs, Japan and Italy, 2023 and 2024), as people mean "photos of cats and dogs". When
  either side is a person ("Colin and Tony": photos with both), or the kinds differ ("cats
  and Japan"), every part must hold, as without the word;
- "not", "without", "except", "不要", "没有", "除了", "不含", "不在": the part (or the
  alternatives) after it excludes its photos ("不在欧洲的海滩": beaches not in Europe).

A connector with nothing to join is dropped and listed with the skipped words.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartalbum.search.understand.part import Part
from smartalbum.text import has_chinese

OR, AND, NOT = "or", "and", "not"
OPERATORS = {
    "or": OR, "或": OR, "或者": OR, "/": OR,
    "and": AND, "和": AND, "跟": AND, "与": AND,
    "not": NOT, "without": NOT, "except": NOT, "excluding": NOT, "no": NOT,
    "不要": NOT, "没有": NOT, "除了": NOT, "不含": NOT, "不包括": NOT, "不在": NOT,
}  # fmt: skip
_JOINED = ("what", "where", "when", "any")  # parts a connector can join (not unknown words)


def operator(word: str) -> Part:
    """The "op" part of a connector word."""
    return Part("op", word, OPERATORS[word], OPERATORS[word])


def structure(parts: Sequence[Part]) -> tuple[list[Part], list[str]]:
    """The parts with their connectors applied, and the connectors left with nothing to join."""
    dropped: list[str] = []
    joined = _alternatives(_bundled(parts), dropped)
    return _negations(joined, dropped), dropped


def _bundled(parts: Sequence[Part]) -> list[Part]:
    """The parts, an AND synonym's ("snowy mountains": mountain + winter) as one part when a
    connector is beside it, so "snowy mountains or beach" and "不要雪山" take it whole."""
    found: list[Part] = []
    i = 0
    while i < len(parts):
        j = i + 1
        while j < len(parts) and parts[j].kind == "what" == parts[i].kind \
                and parts[j].text == parts[i].text:  # fmt: skip
            j += 1
        beside = (i > 0 and parts[i - 1].kind == "op") or (j < len(parts) and parts[j].kind == "op")
        if j - i > 1 and beside:
            run = tuple(parts[i:j])
            found.append(Part("what", run[0].text, " + ".join(p.en for p in run),
                              "+".join(p.zh for p in run), all_of=run,
                              concepts=tuple(c for p in run for c in p.concepts)))  # fmt: skip
        else:
            found.extend(parts[i:j])
        i = j
    return found


def _alternatives(parts: Sequence[Part], dropped: list[str]) -> list[Part]:
    found: list[Part] = []
    pending: Part | None = None  # an "or"/"and" after the last part
    for part in parts:
        if part.kind == "op" and part.en in (OR, AND):
            if pending is not None or not found or found[-1].kind not in _JOINED:
                dropped.append(part.text)
                pending = None
            else:
                pending = part
            continue
        if pending is not None and part.kind in _JOINED and _joins(pending, found[-1], part):
            found[-1] = either(found[-1], part)
        else:
            found.append(part)
        pending = None
    if pending is not None:
        dropped.append(pending.text)
    return found


def _person(part: Part) -> bool:
    return any(c.kind == "person" for c in part.concepts)


def _joins(op: Part, left: Part, right: Part) -> bool:
    """Whether a connector makes alternatives of the parts on either side."""
    if op.en == OR:
        return True
    return left.kind == right.kind and not (_person(left) or _person(right))


def either(left: Part, right: Part) -> Part:
    """One part finding the photos of any of the two (alternatives already joined stay flat)."""
    alternatives = (*(left.alternatives or (left,)), *(right.alternatives or (right,)))
    kinds = {a.kind for a in alternatives}
    chinese = all(has_chinese(a.text) for a in alternatives)
    return Part(
        kinds.pop() if len(kinds) == 1 else "any",
        ("或" if chinese else " or ").join(a.text for a in alternatives),
        " or ".join(a.en for a in alternatives),
        "或".join(a.zh for a in alternatives),
        concepts=tuple(dict.fromkeys(c for a in alternatives for c in a.concepts)),
        places=tuple(dict.fromkeys(p for a in alternatives for p in a.places)),
        alternatives=alternatives,
    )


def _negations(parts: Sequence[Part], dropped: list[str]) -> list[Part]:
    found: list[Part] = []
    word = ""  # the "not" before this part
    for part in parts:
        if part.kind == "op":
            if word:
                dropped.append(word)
            word = part.text
            continue
        if word and part.kind in _JOINED:
            part = negated(part, word)
        elif word:
            dropped.append(word)
        found.append(part)
        word = ""
    if word:
        dropped.append(word)
    return found


def negated(part: Part, word: str) -> Part:
    """The part excluding its photos, ``word`` being how the query said so."""
    return Part(
        part.kind,
        part.text,
        f"not {part.en}",
        f"不含{part.zh}",
        concepts=part.concepts,
        places=part.places,
        span=part.span,
        alternatives=part.alternatives,
        all_of=part.all_of,
        negated=word,
    )
