"""The command line in Chinese all the way, and what a newcomer notices in its first hour.

Every command that prints a summary runs in-process (``smartalbum.cli.main``) with
SMARTALBUM_LANG=zh on a copy of the session's indexed library of real photos, and its
output must hold no English sentence.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Protocol

import pytest

from smartalbum.cli import main
from smartalbum.cli.common import cosine, percent
from smartalbum.models.labels import load_labels
from smartalbum.moments.naming import place_names, trip_titles
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES

# Two or more English words in a row: a sentence left untranslated ("0 photos match").
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t]+[A-Za-z][A-Za-z'’-]*)+")
# What may stay English on purpose, and why: a path or URL (the file's own name), a flag or
# command to type ("`--engine auto`"), the model's own title, and an ImageNet class's English
# name printed beside its Chinese one (class_names below).
ALLOWED = [
    re.compile(r"\S*/\S*"),  # a path or a URL
    re.compile(r"`[^`]*`"),  # a command or flag to type
    re.compile(r"EfficientNet-Lite0[^\n]*|ResNet-?\d+[^\n]*"),  # a model's title
]


def class_names() -> list[str]:
    """Every class's English name, longest first (so "Egyptian cat" goes before "cat")."""
    return sorted((c.en for c in load_labels().classes), key=len, reverse=True)


def english_sentences(output: str) -> list[str]:
    """The runs of English words in ``output`` that the allow-list does not explain."""
    for allowed in ALLOWED:
        output = allowed.sub(" ", output)
    for name in class_names():
        if " " in name and name in output:
            output = output.replace(name, " ")
    return ENGLISH_RUN.findall(output)


def test_the_detector_finds_english_and_spares_what_is_meant() -> None:
    assert english_sentences("0 photos match '冬天'") == ["photos match"]
    assert english_sentences("1 photos in 1 moments") == ["photos in"]
    assert english_sentences("  98.0%  Egyptian cat · 埃及猫  /tmp/a b/cat.jpg") == []
    assert english_sentences("已用 3 张照片；`--engine auto` 现在会使用它") == []


class Run(Protocol):
    """``run(lang, *args, stdin=...)`` -> (exit code, stdout + stderr)."""

    def __call__(self, lang: str, *args: str, stdin: str = "") -> tuple[int, str]: ...


@pytest.fixture
def run(
    library_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run a command on this test's library in a language: (exit code, stdout + stderr)."""

    def run_in(lang: str, *args: str, stdin: str = "") -> tuple[int, str]:
        monkeypatch.setenv("SMARTALBUM_LANG", lang)
        monkeypatch.setenv("SMARTALBUM_LIBRARY", library_settings.library)
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out + err

    return run_in


def _album_ids(run: Run, album: str) -> list[str]:
    return [str(p["id"]) for p in json.loads(run("en", "albums", "show", album, "--json")[1])]


def _commands(tmp_path: Path, run: Run) -> list[list[str]]:
    """Every summary-printing command, with the ids the earlier ones made."""
    folder = tmp_path / "more"
    folder.mkdir()
    shutil.copy(SAMPLES / CAT, folder / "cat-again.jpg")
    shutil.copy(SAMPLES / "n02093754_Border_terrier.JPEG", folder / "terrier.jpg")
    _, listed = run("en", "moments", "--json")
    moment = json.loads(listed)[0]["id"]
    _, photos = run("en", "search", "pizza", "--json")
    pizza = str(json.loads(photos)["photos"][0]["id"])
    ids = _album_ids(run, "pets") + _album_ids(run, "winter")
    return [
        ["index", str(folder)],
        ["albums"],
        ["albums", "show", "冬季旅行"],
        ["albums", "--reload"],
        ["moments"],
        ["moments", "show", moment],
        ["trips"],
        ["search", "滑雪"],
        ["search", "terrier"],
        ["search", "没有这种东西"],
        ["duplicates"],
        ["label", pizza, "--confirm", "pizza"],
        ["teach", "Mimi", "--zh", "我家的猫", "--examples", *ids[:3]],
        ["categories"],
        ["categories", "1"],
        ["users", "add", "ann", "--role", "admin"],
        ["users", "list"],
        ["tokens", "create", "--user", "ann", "--expires", "30d"],
        ["tokens", "list"],
        ["jobs"],
        ["classify", str(SAMPLES / CAT)],
        ["models"],
    ]


def test_every_command_speaks_chinese_all_the_way(tmp_path: Path, run: Run) -> None:
    found = {}
    for args in _commands(tmp_path, run):
        code, output = run("zh", *args, stdin="a-long-enough-password\n")
        assert code == 0, (args, output)
        assert output.strip() or args == ["jobs"], args  # no distributed run: no jobs
        found[" ".join(args)] = english_sentences(output)
    assert {command: runs for command, runs in found.items() if runs} == {}


def test_a_count_of_one_is_singular_in_english(run: Run) -> None:
    code, food = run("en", "albums", "show", "food")
    assert code == 0 and food.startswith("Food · 美食: 1 photo\n"), food
    assert run("en", "search", "pizza")[1].endswith("\n1 photo matches 'pizza'\n")
    assert "1 张照片" in run("zh", "albums", "show", "food")[1]


@pytest.mark.parametrize("ref", ["winter", "Winter travel", "winter TRAVEL", "冬季旅行"])
def test_albums_show_takes_an_id_or_a_title_in_either_language(run: Run, ref: str) -> None:
    code, shown = run("en", "albums", "show", ref, "--json")
    assert code == 0, shown
    assert sorted(Path(p["path"]).name for p in json.loads(shown)) == [
        "n04228054_ski.JPEG",
        "n09193705_alp.JPEG",
    ]
    assert run("en", "albums", "show", "冬季")[1].startswith("smartalbum: error: no album '冬季'")


def test_a_category_lists_its_photos_with_their_paths(run: Run, indexed_library: Path) -> None:
    ids = _album_ids(run, "pets") + _album_ids(run, "winter")
    other = _album_ids(run, "food")
    assert run("en", "teach", "Mine", "--examples", *ids, "--not", *other)[0] == 0
    code, listing = run("en", "categories", "1")
    assert code == 0, listing
    rows = listing.splitlines()[1:]
    assert any(str(indexed_library / CAT) in row and "(example)" in row for row in rows), listing
    assert all(f"{indexed_library}/" in row for row in rows), listing


# A taught category's score as every command shows it: the cosine with two decimals.
COSINE = re.compile(r"-?\d\.\d\d")


def test_a_photo_s_category_score_reads_the_same_in_every_command(
    run: Run, library_settings: Settings
) -> None:
    from smartalbum.library.categories import categories_of
    from smartalbum.library.service import PhotoLibrary

    ids = _album_ids(run, "pets") + _album_ids(run, "winter")
    assert run("en", "teach", "Mimi", "--zh", "我家的猫", "--examples", *ids)[0] == 0
    library = PhotoLibrary.open(library_settings)
    try:  # low enough that photos the model scores are in it too, beside the examples
        categories_of(library, library_settings).set_threshold(1, -0.5)
    finally:
        library.close()
    taught = json.loads(run("en", "categories", "1", "--json")[1])
    listing = run("en", "categories", "1")[1].splitlines()
    assert listing[0].endswith(f"(threshold {cosine(taught['threshold'])})"), listing[0]
    listed = {row.split()[1]: row.split()[0] for row in listing[1:]}  # "#id" -> its score
    scores = {f"#{m['id']}": cosine(m["score"]) for m in taught["matches"]}
    assert listed and all(scores[photo] == score for photo, score in listed.items()), listing
    # An example is in the category at 1 whatever the model's cosine (a person's word): the
    # photos compared are those the model put there.
    examples = {f"#{m['id']}" for m in taught["matches"] if m["example"]}
    for lang, query, name in (("en", "Mimi", "Mimi · 我家的猫"), ("zh", "我家的猫", "我家的猫")):
        code, found = run(lang, "search", query)
        rows = [line for line in found.splitlines() if "  #" in line]
        compared = [row for row in rows if row.split()[1] not in examples]
        assert code == 0 and compared, found
        for row in compared:
            score, photo = row.split()[:2]
            assert COSINE.fullmatch(score) and score == scores[photo], (row, listing)
            assert f"  {name}  " in row and "%" not in row, row


def test_percents_and_cosines_round_alike() -> None:
    assert [percent(p) for p in (0.6839, 0.125, 0.004, 0.0, 1.0)] == [
        "68 %", "13 %", "<1 %", "0 %", "100 %"]  # fmt: skip
    assert [cosine(c) for c in (0.225, 0.125, -0.05, -0.001, 1.0)] == [
        "0.23", "0.13", "-0.05", "0.00", "1.00"]  # fmt: skip


def test_the_benchmarks_summarise_in_chinese(run: Run, live_url: str) -> None:
    """Tiny sizes; `bench` of the engines (minutes of model runs) and `bench --catalog N
    --search` (its queries are English sentences by design) are left out."""
    commands = [
        ["bench-categories", "--photos", "1000", "--examples", "5"],
        ["loadtest", live_url, "--image", str(SAMPLES / CAT), "--clients", "1", "--requests", "2"],
        ["bench", "--catalog", "60", "--repeats", "2"],
    ]
    for args in commands:
        code, output = run("zh", *args)
        assert code == 0 and ("张" in output or "个" in output), (args, output)
        assert english_sentences(output) == [], (args, output)


def test_tokens_list_says_never_used_and_when_it_expires(run: Run) -> None:
    run("en", "users", "add", "ann", "--role", "viewer", stdin="a-long-enough-password\n")
    run("en", "tokens", "create", "--user", "ann", "--read-only")
    run("en", "tokens", "create", "--user", "ann", "--expires", "30d")
    code, listing = run("en", "tokens", "list")
    assert code == 0 and "None" not in listing, listing
    forever, month = listing.splitlines()
    assert "read-only" in forever and forever.endswith("never used, never expires")
    expiry = date.fromordinal(date.today().toordinal() + 30).isoformat()
    assert re.search(rf"full  never used, expires {expiry} \d\d:\d\d$", month), month
    assert "从未使用，" in run("zh", "tokens", "list")[1]


def test_a_region_with_no_chinese_name_gives_way_to_its_town_or_country() -> None:
    helsinki = {"city": "Helsinki", "region": "Uusimaa", "country": "Finland",
                "country_code": "FI", "city_zh": "赫尔辛基", "region_zh": None,
                "country_zh": "芬兰"}  # fmt: skip
    assert place_names(helsinki) == ("Uusimaa, Finland", "芬兰赫尔辛基")
    assert place_names({**helsinki, "city_zh": None}) == ("Uusimaa, Finland", "芬兰")
    jan = date(2025, 1, 3)
    assert trip_titles(jan, jan, helsinki)[1] == "2025年1月 · 芬兰赫尔辛基之旅"


def test_a_keyword_s_chinese_name_is_what_its_classes_share(run: Run) -> None:
    code, found = run("zh", "search", "terrier", "--json")
    assert code == 0, found
    assert [(p["kind"], p["zh"]) for p in json.loads(found)["interpretation"]] == [("what", "㹴")]
