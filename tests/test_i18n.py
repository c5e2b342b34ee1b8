"""Messages in both languages: the catalog covers every message, errors render in either."""

from __future__ import annotations

import ast
import fnmatch
import os
import pickle
import string
import subprocess
import sys
import tomllib
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from smartalbum import imaging
from smartalbum.errors import ConfigError, ImageDecodeError, SmartalbumError, error_body
from smartalbum.i18n import Message, catalog_file, cli_language, negotiate, nt, placeholders, t

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "src" / "smartalbum"


def _catalog_entries() -> dict[str, tuple[str, bool]]:
    """Message id -> (Chinese text, fuzzy) as the shipped catalog has them.

    A message about a count is its singular id; Chinese has its one form (nplurals=1).
    """
    with catalog_file("zh").open("rb") as stream:
        catalog = read_po(stream, locale="zh_CN")
    assert catalog.num_plurals == 1
    entries = {}
    for m in catalog:
        if m.id:
            texts = m.string if isinstance(m.string, tuple | list) else (m.string,)
            msgid = m.id[0] if isinstance(m.id, tuple) else m.id
            entries[str(msgid)] = (str(texts[0] or ""), m.fuzzy)
    return entries


def _plurals() -> dict[str, str]:
    """Singular id -> plural id, for the messages about a count."""
    with catalog_file("zh").open("rb") as stream:
        catalog = read_po(stream, locale="zh_CN")
    return {str(m.id[0]): str(m.id[1]) for m in catalog if isinstance(m.id, tuple)}


def _extracted(tmp_path: Path) -> set[str]:
    """Every message id ``pybabel extract`` finds with the project's own configuration."""
    template = tmp_path / "smartalbum.pot"
    run = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-o", str(template)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    with template.open("rb") as stream:
        return {str(m.id[0] if isinstance(m.id, tuple) else m.id) for m in read_po(stream) if m.id}


def test_every_message_has_chinese_and_the_catalog_has_nothing_stale(tmp_path: Path) -> None:
    extracted = _extracted(tmp_path)
    catalog = _catalog_entries()
    assert len(extracted) > 80  # the extractor really found the t(...) calls
    assert sorted(extracted - set(catalog)) == [], "run pybabel extract && pybabel update"
    assert sorted(set(catalog) - extracted) == [], "stale entries: pybabel update drops them"
    untranslated = [msgid for msgid, (text, fuzzy) in catalog.items() if not text.strip() or fuzzy]
    assert untranslated == []


def test_each_translation_has_the_placeholders_of_its_message() -> None:
    plurals = _plurals()
    assert len(plurals) > 10  # nt(...) was extracted with both its forms
    for msgid, (text, _) in _catalog_entries().items():
        assert placeholders(text) == placeholders(msgid), msgid
        assert placeholders(plurals.get(msgid, msgid)) == placeholders(msgid), msgid
        words = "".join(literal for literal, *_ in string.Formatter().parse(msgid))
        # Only a message that is nothing but its parameters may read the same in Chinese.
        assert text != msgid or not any(c.isalpha() for c in words), msgid


def _t_calls(name: str = "t") -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(node, ast.Call) and isinstance(func, ast.Name) and func.id == name:
                calls.append((f"{path.relative_to(REPO)}:{node.lineno}", node))
    return calls


def test_every_t_call_is_a_literal_given_exactly_its_placeholders() -> None:
    calls, counted = _t_calls(), _t_calls("nt")
    assert len(calls) > 80 and len(counted) > 10
    # t(msgid, **params); nt(singular, plural, count, **params)
    for texts, (where, call) in [(1, c) for c in calls] + [(2, c) for c in counted]:
        assert len(call.args) == texts + (texts == 2), where
        given = {k.arg for k in call.keywords}
        assert None not in given, f"{where}: name every parameter (no **kwargs)"
        for msgid in call.args[:texts]:
            assert isinstance(msgid, ast.Constant) and isinstance(msgid.value, str), where
            wanted = {name.split("!")[0].split(":")[0] for name in placeholders(msgid.value)}
            assert given == wanted, where


def test_a_count_picks_its_form_in_english_and_has_one_in_chinese() -> None:
    for n, english, chinese in ((1, "1 photo", "1 张照片"), (3, "3 photos", "3 张照片")):
        message = nt("{count} photo", "{count} photos", n, count=n)
        assert (message.render("en"), message.render("zh"), str(message)) == (
            english,
            chinese,
            english,
        )
    # Nested in another message, the count follows the outer language too.
    outer = nt("{count} photo in {moments}", "{count} photos in {moments}", 1, count=1,
               moments=nt("{count} moment", "{count} moments", 2, count=2))  # fmt: skip
    assert outer.render("en") == "1 photo in 2 moments"
    assert outer.render("zh") == "1 张照片，2 个时刻"


def test_an_error_reads_in_english_or_chinese_with_one_code(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("shopping list: milk, eggs")
    with pytest.raises(ImageDecodeError) as caught:
        imaging.decode(notes, name="notes.jpg")
    error = caught.value
    english, chinese = error.to_dict("en"), error.to_dict("zh")
    assert english == {"code": "unsupported_image_type", "message": error.message}
    assert english["message"] == "notes.jpg: not an image: a text file" == str(error)
    assert chinese == {
        "code": "unsupported_image_type",
        "message": "notes.jpg：不是图像：这是一个文本文件",
    }
    assert error_body(error, "zh") == {"error": chinese}
    assert error_body(error) == {"error": english}
    # Worker processes send errors back pickled: the copy still speaks both languages.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and copy.to_dict("zh") == chinese


def test_nested_messages_render_in_the_outer_language() -> None:
    inner = t("permission denied")
    outer = ConfigError(t("{path}: cannot read label overrides ({reason})", path="a", reason=inner))
    assert outer.message == "a: cannot read label overrides (permission denied)"
    assert outer.render("zh") == "a：无法读取标签覆盖文件（没有权限）"
    # A language with no catalog reads the English ids.
    assert outer.render("fr") == outer.message


def test_an_error_takes_a_message_not_a_plain_string() -> None:
    error = SmartalbumError(t("the model is still loading"))
    assert isinstance(error.text, Message) and error.render("zh") == "模型仍在加载中"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN", "zh"),
        ("zh-TW,en;q=0.5", "zh"),
        ("zh_CN", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5,zh;q=0.7", "zh"),
        ("zh,en", "zh"),
        ("en,zh", "en"),
        ("fr-FR,zh;q=0.3", "zh"),
        ("zh;q=0", "en"),
        ("*,zh;q=0.5", "en"),
        ("de", "en"),
        ("zh;q=abc", "en"),
    ],
)
def test_accept_language_prefers_chinese_only_over_english(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"SMARTALBUM_LANG": "zh"}, "zh"),
        ({"SMARTALBUM_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"SMARTALBUM_LANG": "", "LANG": "zh_TW.UTF-8"}, "zh"),
    ],
)
def test_the_command_line_language(environ: dict[str, str], lang: str) -> None:
    assert cli_language(environ) == lang


def _cli(*args: str, lang: str | None, stdout: Any = subprocess.PIPE) -> CompletedProcess[str]:
    """Run the command line with no language in its environment but ``lang``."""
    env = {k: v for k, v in os.environ.items() if k not in ("SMARTALBUM_LANG", "LANG", "LC_ALL")}
    if lang is not None:
        env["SMARTALBUM_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "smartalbum", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_the_command_line_speaks_chinese_when_asked() -> None:
    zh = _cli("classify", "x.jpg", "--model", "nope", lang="zh")
    assert zh.returncode == 2 and "Traceback" not in zh.stderr
    assert zh.stderr.startswith("smartalbum: 错误：未知的模型 'nope'；可选：efficientnet_lite0")
    en = _cli("classify", "x.jpg", "--model", "nope", lang=None)
    assert en.stderr.startswith("smartalbum: error: unknown model 'nope'; choose one of:")
    # JSON keeps the machine key whatever the language.
    as_json = _cli("classify", "x.jpg", "--model", "nope", "--json", lang="zh")
    assert '"code": "invalid_config"' in as_json.stdout and "未知的模型" in as_json.stdout


def test_a_bad_home_setting_is_refused_at_start_up_in_the_reader_s_language() -> None:
    env_home = {"SMARTALBUM_HOME": "95,10"}
    for lang, expected in (
        ("en", "smartalbum: error: home '95,10': latitude must be within ±90, longitude ±180\n"),
        ("zh", "smartalbum: 错误：家的位置 '95,10'：纬度必须在 ±90 以内，经度必须在 ±180 以内\n"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "smartalbum", "models"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env_home, "SMARTALBUM_LANG": lang},
            check=False,
        )
        assert (run.returncode, run.stderr, run.stdout) == (2, expected, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize(("lang", "words"), [("en", "failed unexpectedly"), ("zh", "意外失败")])
def test_an_unexpected_failure_is_one_line_and_exit_1(lang: str, words: str) -> None:
    # A full disk under stdout: no code path expects it, and the CLI must not dump a trace.
    with open("/dev/full", "w") as full:
        run = _cli("models", lang=lang, stdout=full)
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert words in lines[0] and "OSError" in lines[0] and "smartalbum -v models" in lines[0]
    with open("/dev/full", "w") as full:
        verbose = _cli("-v", "models", lang=lang, stdout=full)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_the_catalog_ships_in_the_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["smartalbum"]
    for shipped in (catalog_file("zh"), catalog_file("zh", compiled=True)):
        relative = Path(str(shipped)).relative_to(SOURCE).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
        assert shipped.is_file()


def test_the_compiled_catalog_is_the_po_compiled(tmp_path: Path) -> None:
    """What serving reads (the .mo, with the standard library) says what the .po says."""
    with catalog_file("zh").open("rb") as stream:
        catalog = read_po(stream, locale="zh_CN", domain="smartalbum")
    fresh = tmp_path / "smartalbum.mo"
    with fresh.open("wb") as out:
        write_mo(out, catalog)
    shipped = catalog_file("zh", compiled=True).read_bytes()
    assert shipped == fresh.read_bytes(), (
        "run pybabel compile -d src/smartalbum/i18n/locale -D smartalbum"
    )
    assert t("{path}: not a folder", path="/x").render("zh") != "/x: not a folder"
