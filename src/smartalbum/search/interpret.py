"""What a query names, in English or Chinese: classes, groups of classes, albums (and places)."""

from __future__ import annotations

from dataclasses import dataclass

from smartalbum.albums.groups import Groups
from smartalbum.albums.rules import RuleSet, keyword_classes
from smartalbum.models.labels import LabelSet
from smartalbum.text import name_matches


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
