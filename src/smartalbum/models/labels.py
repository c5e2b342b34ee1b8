"""The 1000 ImageNet-1k classes in model output order, named in English and Chinese."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from smartalbum.errors import ConfigError
from smartalbum.i18n import t

IMAGENET1K = "imagenet1k"


@dataclass(frozen=True)
class ClassLabel:
    """One class: its output index, WordNet id, English and Simplified Chinese names."""

    index: int
    wnid: str
    en: str
    zh: str


class LabelSet:
    """Class names by output index, with user overrides applied."""

    def __init__(self, name: str, classes: list[ClassLabel]) -> None:
        self.name = name
        self.classes = classes
        self._by_wnid = {c.wnid: c for c in classes}
        # A few names belong to two classes (crane the bird, crane the machine). Chinese names
        # are casefolded too: some hold Latin letters (福特T型车), and lookups casefold.
        self._by_name: dict[str, list[ClassLabel]] = {}
        for c in classes:
            for name in dict.fromkeys((c.en.casefold(), c.zh.casefold())):
                self._by_name.setdefault(name, []).append(c)

    def __len__(self) -> int:
        return len(self.classes)

    def __getitem__(self, index: int) -> ClassLabel:
        return self.classes[index]

    def by_wnid(self, wnid: str) -> ClassLabel:
        """The class with this WordNet id; KeyError if it is not in the set."""
        return self._by_wnid[wnid]

    def index_of(self, wnid: str) -> int:
        """Output index of a WordNet id; KeyError if it is not in the set."""
        return self._by_wnid[wnid].index

    def find(self, ref: str) -> ClassLabel | None:
        """The class a person names: by wnid, English name (any case) or Chinese name.

        The one class lookup: album rules, corrections, search and the API all use it.
        """
        text = " ".join(ref.split())
        if text in self._by_wnid:
            return self._by_wnid[text]
        named = self.named(text)
        return named[0] if named else None

    def named(self, name: str) -> list[ClassLabel]:
        """Every class with exactly this English (any case) or Chinese name."""
        return self._by_name.get(" ".join(name.split()).casefold(), [])

    def matching(self, text: str, limit: int) -> list[ClassLabel]:
        """Up to ``limit`` classes whose English or Chinese name contains ``text``; prefix first."""
        needle = text.strip().casefold()
        found = [c for c in self.classes if needle in c.en.casefold() or needle in c.zh.casefold()]
        found.sort(key=lambda c: (not c.en.casefold().startswith(needle), len(c.en)))
        return found[:limit]

    def with_overrides(self, path: Path) -> LabelSet:
        """A copy with names replaced from a TOML file of ``[wnid]`` tables with en/zh keys."""
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problem = t("{path}: cannot read label overrides ({reason})", path=path, reason=exc)
            raise ConfigError(problem) from None
        classes = list(self.classes)
        for key, names in table.items():
            if key not in self._by_wnid or not isinstance(names, dict):
                raise ConfigError(
                    t(
                        "{path}: [{key}] is not a class of {labels} (use a wnid like n02124075)",
                        path=path,
                        key=key,
                        labels=self.name,
                    )
                )
            unknown = set(names) - {"en", "zh"}
            bad = [k for k, v in names.items() if not isinstance(v, str) or not v.strip()]
            if unknown or bad:
                raise ConfigError(
                    t("{path}: [{key}] takes only non-empty en and zh strings", path=path, key=key)
                )
            current = self._by_wnid[key]
            classes[current.index] = replace(
                current, en=names.get("en", current.en), zh=names.get("zh", current.zh)
            )
        return LabelSet(self.name, classes)


def load_labels(name: str = IMAGENET1K, overrides: Path | None = None) -> LabelSet:
    """The named label set shipped with the package, with optional user overrides."""
    if name != IMAGENET1K:
        raise ConfigError(t("unknown label set {name!r}", name=name))
    text = resources.files("smartalbum.models").joinpath("data/imagenet1k.tsv").read_text("utf-8")
    classes = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        index, wnid, en, zh = line.split("\t")
        classes.append(ClassLabel(int(index), wnid, en, zh))
    labels = LabelSet(name, classes)
    return labels.with_overrides(overrides) if overrides is not None else labels
