"""What a query names, in English or Chinese: classes, groups of classes, albums (and places)."""

from __future__ import annotations

from dataclasses import dataclass

from smartalbum.albums.groups import Groups
from smartalbum.albums.rules import RuleSet, keyword_classes
from smartalbum.models.labels import LabelSet
from smartalbum.text import has_chinese, name_matches


@dataclass(frozen=True)
class Interpretation:
    """What a query names: classes (directly or through groups), albums and places."""

    classes: frozenset[int]
    groups: tuple[str, ...]
    albums: tuple[str, ...]
    places: tuple[str, ...] = ()  # stored place JSON texts, as in the catalog


def interpret(text: str, labels: LabelSet, groups: Groups, rules: RuleSet) -> Interpretation:
    """Exact names win ("猫" is the cat group, not each name with 猫 in it); else name parts."""
    query = " ".join(text.strip().lower().split())
    if not query:
        return Interpretation(frozenset(), (), ())
    classes = {c.index for c in labels.named(query)}
    group_ids = [g.id for g in groups.by_id.values() if query in g.names()]
    albums = [a.id for a in rules.albums if query in (a.id, a.title.lower(), a.title_zh)]
    if not (classes or group_ids or albums):
        classes = keyword_classes(query, labels)
        group_ids = [
            g.id for g in groups.by_id.values() if any(name_matches(query, n) for n in g.names())
        ]
        albums = [
            a.id
            for a in rules.albums
            if name_matches(query, a.title.lower()) or query in a.title_zh
        ]
    for group_id in group_ids:
        classes |= groups[group_id].classes
    return Interpretation(frozenset(classes), tuple(group_ids), tuple(albums))


def chinese_name(
    text: str, found: Interpretation, labels: LabelSet, groups: Groups, rules: RuleSet
) -> str:
    """What a keyword names, in Chinese: "terrier" -> "㹴", the name its classes share."""
    if has_chinese(text):
        return text
    if found.groups:
        return "、".join(groups[g].zh for g in found.groups)
    names = sorted({labels[i].zh for i in found.classes})
    if not names:
        titles = [a.title_zh for a in rules.albums if a.id in found.albums and a.title_zh]
        return "、".join(titles) or text
    shared = _common_ending(names)
    if has_chinese(shared):
        return shared
    # No name in common ("cat": 埃及猫, 猫头鹰, ...): the first, and "and others".
    return names[0] if len(names) == 1 else f"{names[0]}等"


def _common_ending(names: list[str]) -> str:
    """The characters every name ends with ("玩具㹴", "边境㹴" -> "㹴")."""
    ending = names[0]
    for name in names[1:]:
        while ending and not name.endswith(ending):
            ending = ending[1:]
    return ending
