"""When a whole query finds nothing: which part found nothing, and what the rest finds.

"no photos match skiing + Japan + winter 2025–26; 12 photos match skiing" — the parts
that find nothing alone are dropped; when each finds something but not together, the
"where" and "when" are dropped and the "what" kept (then the "when" alone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from smartalbum.search.matching import Found, combine
from smartalbum.search.understand import Part

SHOWN = 12  # photos of the wider search listed in the answer


def relaxed(
    parts: Sequence[Part], found: Sequence[Found], times: Mapping[int, str]
) -> dict[str, Any] | None:
    """The wider search and the sentence saying why, or None when there is nothing to widen."""
    known = [(p, f) for p, f in zip(parts, found, strict=True) if p.kind != "unknown"]
    if not known:
        return None
    empty = [p for p, f in known if not f]
    kept = [(p, f) for p, f in known if f]
    if not empty:  # each finds photos, but not together
        kinds = {p.kind for p, _ in known}
        drop = {"where", "when"} if "what" in kinds else {"when"}
        kept = [(p, f) for p, f in known if p.kind not in drop]
    if not kept or len(kept) == len(known):
        return {"failed": [p.to_dict() for p in empty], "total": 0, "photos": [],
                **_sentences(known, empty, [], 0)}  # fmt: skip
    hits = combine([f for _, f in kept], [p.kind == "what" for p, _ in kept], times)
    return {
        "failed": [p.to_dict() for p in empty],
        "kept": [p.to_dict() for p, _ in kept],
        "total": len(hits),
        "photos": [{"id": i, "score": score} for i, score in hits[:SHOWN]],
        **_sentences(known, empty, [p for p, _ in kept], len(hits)),
    }


def _sentences(
    known: Sequence[tuple[Part, Found]], empty: Sequence[Part], kept: Sequence[Part], total: int
) -> dict[str, str]:
    """The answer in both languages, naming the parts."""
    every_en = " + ".join(p.en for p, _ in known)
    every_zh = " + ".join(p.zh for p, _ in known)
    if empty:
        en = "nothing found for " + " + ".join(p.en for p in empty)
        zh = "没有找到" + "、".join(f"“{p.zh}”" for p in empty) + "的照片"
    else:
        en, zh = f"no photos match {every_en}", f"没有同时符合“{every_zh}”的照片"
    if kept:
        en += f"; {total} photos match " + " + ".join(p.en for p in kept)
        zh += f"；符合“{' + '.join(p.zh for p in kept)}”的有 {total} 张"
    return {"en": en, "zh": zh}
