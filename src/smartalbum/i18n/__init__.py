"""Messages in English and Simplified Chinese: gettext catalogs, managed with Babel.

Code writes English message ids with named placeholders, ``t("{path}: not a folder",
path=p)``, and gets a :class:`Message` back: nothing is translated until it is rendered
for a reader, so one error can answer a Chinese page and an English log alike.
``pybabel extract`` (configured in pyproject.toml) finds every ``t(...)``; the Chinese
text lives in ``locale/zh_CN/LC_MESSAGES/smartalbum.po``, read at first use.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
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

    def render(self, lang: str = DEFAULT) -> str:
        """The message in ``lang`` ("en" or "zh"); parameters that are Messages follow it."""
        values = {
            k: v.render(lang) if isinstance(v, Message) else v for k, v in self.params.items()
        }
        translated = translation(lang).get(self.msgid, self.msgid)
        try:
            return translated.format(**values)
        except (KeyError, IndexError, ValueError):
            # A broken translation must not turn an error report into a crash.
            return self.msgid.format(**values)

    def __str__(self) -> str:
        return self.render(DEFAULT)


def t(msgid: str, /, **params: object) -> Message:
    """A translatable message: an English literal with ``{name}`` placeholders and their values."""
    return Message(msgid, params)


def placeholders(text: str) -> set[str]:
    """The ``{name!r:spec}`` fields of a message, to compare a translation with its id."""
    return {
        name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def catalog_file(lang: str) -> resources.abc.Traversable:
    """The .po file holding the translations for ``lang``."""
    base = resources.files("smartalbum.i18n").joinpath("locale")
    return base.joinpath(LOCALES[lang], "LC_MESSAGES", f"{DOMAIN}.po")


@functools.cache
def translation(lang: str) -> Mapping[str, str]:
    """Message id -> translation for ``lang``; empty for English (the ids are English)."""
    if lang not in LOCALES:
        return {}
    from babel.messages.pofile import read_po  # only a reader in another language pays for it

    with catalog_file(lang).open("rb") as stream:
        catalog = read_po(stream, locale=LOCALES[lang], domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.string, str) and m.string and not m.fuzzy
    }


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
    "placeholders",
    "t",
    "translation",
]
