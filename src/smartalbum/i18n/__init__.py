"""Messages in English and Simplified Chinese: gettext catalogs, managed with Babel.

Code writes English message ids with named placeholders, ``t("{path}: not a folder",
path=p)``, and gets a :class:`Message` back: nothing is translated until it is rendered
for a reader, so one error can answer a Chinese page and an English log alike.
A count picks its form with ``nt("{n} photo", "{n} photos", n)`` (gettext's ``ngettext``:
Chinese has one form, English two). ``pybabel extract`` (configured in pyproject.toml)
finds every ``t(...)`` and ``nt(...)``; the Chinese
text lives in ``locale/zh_CN/LC_MESSAGES/smartalbum.po``, and ``pybabel compile`` makes
the ``smartalbum.mo`` beside it that the standard library's gettext reads at first use
(Babel, with its 35 MB of locale data, is for the maintainers only).
"""

from __future__ import annotations

import functools
import gettext
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources

LANGUAGES = ("en", "zh")
DEFAULT = "en"
DOMAIN = "smartalbum"
LOCALES = {"zh": "zh_CN"}  # our language code -> the catalog's locale directory


@dataclass(frozen=True)
class Message:
    """An English message id and its parameters, rendered in a language on demand."""

    msgid: str
    params: Mapping[str, object]
    plural: str | None = None  # the English plural form, for a message about a count
    count: int = 1  # the count that picks the form

    def render(self, lang: str = DEFAULT) -> str:
        """The message in ``lang`` ("en" or "zh"); parameters that are Messages follow it."""
        values = {
            k: v.render(lang) if isinstance(v, Message) else v for k, v in self.params.items()
        }
        english = self.msgid if self.plural is None or self.count == 1 else self.plural
        if self.plural is None:
            translated = translation(lang).get(self.msgid, self.msgid)
        else:
            translated = _catalog(lang).ngettext(self.msgid, self.plural, self.count)
        try:
            return translated.format(**values)
        except (KeyError, IndexError, ValueError):
            # A broken translation must not turn an error report into a crash.
            return english.format(**values)

    def __str__(self) -> str:
        return self.render(DEFAULT)


def t(msgid: str, /, **params: object) -> Message:
    """A translatable message: an English literal with ``{name}`` placeholders and their values."""
    return Message(msgid, params)


def nt(singular: str, plural: str, count: int, /, **params: object) -> Message:
    """A message about ``count`` things: ``nt("{n} photo", "{n} photos", n, n=n)``."""
    return Message(singular, params, plural, count)


def placeholders(text: str) -> set[str]:
    """The ``{name!r:spec}`` fields of a message, to compare a translation with its id."""
    return {
        name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def catalog_file(lang: str, compiled: bool = False) -> resources.abc.Traversable:
    """The .po file holding the translations for ``lang`` (the .mo made from it: compiled)."""
    base = resources.files("smartalbum.i18n").joinpath("locale")
    suffix = "mo" if compiled else "po"
    return base.joinpath(LOCALES[lang], "LC_MESSAGES", f"{DOMAIN}.{suffix}")


class _Translations(Mapping[str, str]):
    """Message id -> translation, read from a compiled catalog by the standard library."""

    def __init__(self, catalog: gettext.NullTranslations) -> None:
        self.catalog = catalog
        self.ids = [key for key in getattr(catalog, "_catalog", {}) if isinstance(key, str) and key]

    def __getitem__(self, msgid: str) -> str:
        translated = self.catalog.gettext(msgid)
        if not msgid or translated == msgid:
            raise KeyError(msgid)
        return translated

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


@functools.cache
def _catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog for ``lang``; English (or an unknown language) reads the ids."""
    if lang not in LOCALES:
        return gettext.NullTranslations()
    with catalog_file(lang, compiled=True).open("rb") as stream:
        return gettext.GNUTranslations(stream)


@functools.cache
def translation(lang: str) -> Mapping[str, str]:
    """Message id -> translation for ``lang``; empty for English (the ids are English)."""
    if lang not in LOCALES:
        return {}
    return _Translations(_catalog(lang))


def language_of(tag: str) -> str | None:
    """Our language for a tag such as ``zh-CN``, ``zh_CN.UTF-8`` or ``en``; None for others."""
    primary = tag.strip().lower().replace("-", "_").split(".")[0].split("@")[0].split("_")[0]
    return primary if primary in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """ "zh" when an ``Accept-Language`` header prefers any zh* to English, else "en"."""
    best: dict[str, tuple[float, int]] = {}
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, parameters = item.partition(";")
        quality = _quality(parameters)
        # "*" stands for every language, English (our default) among them.
        lang = DEFAULT if tag.strip() == "*" else language_of(tag)
        if lang is not None and quality > 0:
            ranked = (quality, -position)
            best[lang] = max(best.get(lang, ranked), ranked)
    if "zh" in best and ("en" not in best or best["zh"] > best["en"]):
        return "zh"
    return DEFAULT


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def cli_language(environ: Mapping[str, str]) -> str:
    """The command line's language: SMARTALBUM_LANG, then LANG (``zh_CN.UTF-8`` -> "zh")."""
    for name in ("SMARTALBUM_LANG", "LANG"):
        value = environ.get(name, "")
        if value:
            return language_of(value) or DEFAULT
    return DEFAULT


__all__ = [
    "LANGUAGES",
    "Message",
    "cli_language",
    "language_of",
    "negotiate",
    "nt",
    "placeholders",
    "t",
    "translation",
]
