"""Groups of ImageNet classes (dog, cat, food, winter, ...), shipped as data covering all 1000."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from smartalbum.errors import ConfigError
from smartalbum.i18n import t


@dataclass(frozen=True)
class Group:
    """A named group of classes, with its English and Chinese names and search aliases."""

    id: str
    en: str
    zh: str
    aliases: tuple[str, ...]
    classes: frozenset[int]

    def names(self) -> tuple[str, ...]:
        """Every name a person may search this group by, lower-cased."""
        return tuple(
            n.lower() for n in (self.id.replace("_", " "), self.en, self.zh, *self.aliases)
        )


@dataclass(frozen=True)
class Groups:
    """Every group, and each class's groups by output index."""

    by_id: dict[str, Group]
    of_class: tuple[tuple[str, ...], ...]

    def __getitem__(self, group_id: str) -> Group:
        return self.by_id[group_id]

    def __contains__(self, group_id: object) -> bool:
        return group_id in self.by_id


def _rows(name: str) -> list[list[str]]:
    text = resources.files("smartalbum.albums").joinpath(f"data/{name}").read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def class_groups() -> Groups:
    """The shipped groups (read once; immutable)."""
    members: dict[str, set[int]] = {}
    of_class: list[tuple[str, ...]] = []
    for index, (position, _wnid, names) in enumerate(_rows("groups.tsv")):
        if int(position) != index:
            raise ConfigError(
                t("groups.tsv: line for class {position} is out of order", position=position)
            )
        of_class.append(tuple(names.split()))
        for group in names.split():
            members.setdefault(group, set()).add(index)
    by_id = {}
    for row in _rows("group_names.tsv"):
        group_id, en, zh = row[:3]
        aliases = tuple(row[3].split()) if len(row) > 3 else ()
        by_id[group_id] = Group(group_id, en, zh, aliases, frozenset(members.get(group_id, ())))
    return Groups(by_id, tuple(of_class))
