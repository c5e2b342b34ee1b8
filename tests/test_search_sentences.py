"""Search that understands a sentence, on a generated library of real photos (search_library.py).

Each query lists exactly the photos it must find (precision and recall 1.0) and how it
must be read: the kind of each part and what it stands for (a concept, a place, a span
of days), so a right answer for a wrong reason fails. "Today" is fixed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartalbum.albums import RulesWatcher, class_groups
from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import load_labels
from smartalbum.moments import Timeline
from smartalbum.search.service import search
from smartalbum.search.structured import Filters
from smartalbum.settings import Settings
from tests.search_library import TODAY, build_library

HOKKAIDO = {"jp-ski-1", "jp-ski-2", "jp-alp", "jp-dogsled"}
CATS = {"b-cat-1", "b-cat-2", "b-cat-3"}
SKI = {"jp-ski-1", "jp-ski-2", "jp-old-ski", "ch-ski", "nz-ski"}
WINTER_LABELS = SKI | {"jp-alp", "jp-dogsled", "ch-alp"}
AU = {"au-beach-1", "au-beach-2", "au-dog", "au-jan-beach"}
LAST_WINTER = ("when", "2025-12-01", "2026-02-28")
SNOWY_MOUNTAINS = HOKKAIDO | {"ch-ski", "ch-alp"}
JP, SKIING = ("where", "JP", None, None), ("what", "n04228054")
BEIJING = ("where", "CN", "Beijing", "Beijing")
FLORENCE, PIZZA = ("where", "IT", "Tuscany", "Florence"), ("what", "n07873807")
ISTANBUL, CHURCH = ("where", "TR", "Istanbul", "Istanbul"), ("what", "n03028079")
QUEENSTOWN, SYDNEY = (
    ("where", "NZ", "Otago", "Queenstown"),
    ("where", "AU", "New South Wales", "Sydney"),
)

# (query, the photos it finds, its parts: (kind, a concept id | country, region, city | from, to))
QUERIES: list[tuple[str, set[str], list[tuple[Any, ...]]]] = [
    ("去年冬天在日本滑雪", HOKKAIDO, [LAST_WINTER, JP, ("what", "winter")]),
    # "skiing" means what 滑雪 means (issue 28): the ski class and the winter group
    ("skiing in Japan last winter", HOKKAIDO, [SKIING, JP, LAST_WINTER]),
    ("skiing in winter 2025", {"jp-ski-1", "jp-ski-2", "ch-ski", "nz-ski", "jp-alp", "jp-dogsled",
                               "ch-alp", "nz-lake"}, [SKIING, LAST_WINTER]),
    ("滑雪", WINTER_LABELS | {"nz-lake"}, [("what", "winter")]),
    ("Japan 滑雪", HOKKAIDO | {"jp-old-ski"}, [JP, ("what", "winter")]),
    ("日本 ski", HOKKAIDO | {"jp-old-ski"}, [JP, SKIING]),
    ("dog on the beach", {"au-dog", "fr-dog"}, [("what", "dog"), ("what", "seaside")]),
    ("dogs on the beach in summer 2024", {"fr-dog"},
     [("what", "dog"), ("what", "seaside"), ("when", "2024-06-01", "2024-08-31")]),
    ("海边的狗狗", {"au-dog", "fr-dog"}, [("what", "seaside"), ("what", "dog")]),
    ("2024年夏天海边的狗", {"fr-dog"},
     [("when", "2024-06-01", "2024-08-31"), ("what", "seaside"), ("what", "dog")]),
    ("summer 2024", {"fr-beach", "fr-dog", "au-jan-beach"}, [("when", "2024-06-01", "2024-08-31")]),
    ("2024年夏天", {"fr-beach", "fr-dog", "au-jan-beach"}, [("when", "2024-06-01", "2024-08-31")]),
    ("winter 2024", {"jp-old-ski"}, [("when", "2024-12-01", "2025-02-28")]),
    ("2024–25年冬", {"jp-old-ski"}, [("when", "2024-12-01", "2025-02-28")]),
    ("last month", {"b-cat-1", "ch-ski", "ch-alp"}, [("when", "2026-02-01", "2026-02-28")]),
    ("上个月", {"b-cat-1", "ch-ski", "ch-alp"}, [("when", "2026-02-01", "2026-02-28")]),
    ("上周末", {"b-cat-2"}, [("when", "2026-03-07", "2026-03-08")]),
    ("上週末的貓", {"b-cat-2"}, [("when", "2026-03-07", "2026-03-08"), ("what", "cat")]),
    ("yesterday", {"b-cat-3"}, [("when", "2026-03-14", "2026-03-14")]),
    ("昨天", {"b-cat-3"}, [("when", "2026-03-14", "2026-03-14")]),
    ("最近7天", {"b-cat-3"}, [("when", "2026-03-09", "2026-03-15")]),
    ("cats", CATS, [("what", "cat")]),
    ("貓", CATS, [("what", "cat")]),
    ("貓咪 北京", CATS, [("what", "cat"), BEIJING]),
    ("photos of cats in Beijing this month", {"b-cat-2", "b-cat-3"},
     [("what", "cat"), BEIJING, ("when", "2026-03-01", "2026-03-15")]),
    ("冬天的猫", {"b-cat-1"}, [("when", "months", 12, 1, 2), ("what", "cat")]),
    ("dogs in autumn", {"b-pug"}, [("what", "dog"), ("when", "months", 9, 10, 11)]),
    ("去年10月", {"b-pug"}, [("when", "2025-10-01", "2025-10-31")]),
    ("Italy", {"it-pizza", "it-church"}, [("where", "IT", None, None)]),
    ("意大利", {"it-pizza", "it-church"}, [("where", "IT", None, None)]),
    ("義大利", {"it-pizza", "it-church"}, [("where", "IT", None, None)]),
    ("托斯卡纳", {"it-pizza", "it-church"}, [("where", "IT", "Tuscany", None)]),
    ("pizza in Florence", {"it-pizza"}, [PIZZA, FLORENCE]),
    ("佛罗伦萨的披萨", {"it-pizza"}, [FLORENCE, PIZZA]),
    ("October 2023", {"it-pizza", "it-church"}, [("when", "2023-10-01", "2023-10-31")]),
    ("2023年10月", {"it-pizza", "it-church"}, [("when", "2023-10-01", "2023-10-31")]),
    ("2023-10-01 to 2023-10-07", {"it-pizza", "it-church"}, [("when", "2023-10-01", "2023-10-07")]),
    ("2023-10-04 to 2023-10-07", {"it-church"}, [("when", "2023-10-04", "2023-10-07")]),
    ("Istanbul", {"tr-mosque", "tr-ice-cream"}, [ISTANBUL]),
    ("伊斯坦布尔", {"tr-mosque", "tr-ice-cream"}, [ISTANBUL]),
    ("伊斯坦堡的冰淇淋", {"tr-ice-cream"}, [ISTANBUL, ("what", "n07614500")]),
    ("土耳其 2024年4月", {"tr-mosque", "tr-ice-cream"},
     [("where", "TR", None, None), ("when", "2024-04-01", "2024-04-30")]),
    ("前年春天", {"tr-mosque", "tr-ice-cream"}, [("when", "2024-03-01", "2024-05-31")]),
    ("去年", {"jp-old-ski", "au-jan-beach", "nogps-daisy", "nz-ski", "nz-lake", "b-pug",
             "au-beach-1", "au-beach-2", "au-dog"}, [("when", "2025-01-01", "2025-12-31")]),
    ("snowy mountains", SNOWY_MOUNTAINS, [("what", "mountain"), ("what", "winter")]),
    ("雪山", SNOWY_MOUNTAINS, [("what", "mountain"), ("what", "winter")]),
    ("東京", {"jp-tokyo-church"}, [("where", "JP", "Tokyo", "Tokyo")]),
    ("tokyo church", {"jp-tokyo-church"}, [("where", "JP", "Tokyo", None), CHURCH]),
    ("悉尼的海滩", AU, [SYDNEY, ("what", "seaside")]),
    ("雪梨海灘", AU, [SYDNEY, ("what", "seaside")]),
    ("澳洲", AU, [("where", "AU", None, None)]),
    ("紐西蘭", {"nz-ski", "nz-lake"}, [("where", "NZ", None, None)]),
    ("Queenstown skiing", {"nz-ski", "nz-lake"}, [QUEENSTOWN, SKIING]),
    ("Sapporo, Japan", {"jp-ski-1", "jp-old-ski"},
     [("where", "JP", "Hokkaido", "Sapporo"), JP]),
    ("北海道", HOKKAIDO | {"jp-old-ski"}, [("where", "JP", "Hokkaido", None)]),
    ("churches in 2023", {"it-church"}, [CHURCH, ("when", "2023-01-01", "2023-12-31")]),
    ("教堂", {"it-church", "jp-tokyo-church"}, [CHURCH]),
    ("2026-01-10", {"jp-ski-1"}, [("when", "2026-01-10", "2026-01-10")]),
    ("去年的花", {"nogps-daisy"}, [("when", "2025-01-01", "2025-12-31"), ("what", "flower")]),
    ("北海道一月", HOKKAIDO | {"jp-old-ski"},
     [("where", "JP", "Hokkaido", None), ("when", "months", 1)]),
    ("上上个月的札幌", {"jp-ski-1"},
     [("when", "2026-01-01", "2026-01-31"), ("where", "JP", "Hokkaido", "Sapporo")]),
    ("冰激凌", {"tr-ice-cream"}, [("what", "n07614500")]),
    ("去年国庆", {"b-pug"}, [("when", "2025-10-01", "2025-10-08")]),
    ("情人节的猫", {"b-cat-1"},
     [("when", "every", "2026-02-14", "2025-02-14", "2024-02-14", "2023-02-14",
               "2022-02-14"), ("what", "cat")]),
    ("valentine's day 2026", {"b-cat-1"}, [("when", "2026-02-14", "2026-02-14")]),
    ("cathedrals", {"it-church", "jp-tokyo-church"}, [CHURCH]),
]  # fmt: skip

DOGS = {"b-pug", "au-dog", "fr-dog"}
EVERY = {
    "b-cat-1", "b-cat-2", "b-cat-3", "b-pug", "jp-ski-1", "jp-ski-2", "jp-alp", "jp-dogsled",
    "jp-tokyo-church", "jp-old-ski", "ch-ski", "ch-alp", "nz-ski", "nz-lake", "au-beach-1",
    "au-beach-2", "au-dog", "au-jan-beach", "fr-beach", "fr-dog", "it-pizza", "it-church",
    "tr-mosque", "tr-ice-cream", "nogps-daisy", "b-sunset", "b-night", "b-morning",
}  # fmt: skip
JP_IT = {"jp-ski-1", "jp-ski-2", "jp-alp", "jp-dogsled", "jp-tokyo-church", "jp-old-ski",
         "it-pizza", "it-church"}  # fmt: skip
ITALY, JAPAN = ("where", "IT", None, None), ("where", "JP", None, None)
# The seaside group, and photos in a moment at the seaside (Queenstown's lake).
SEASIDE = AU | {"fr-beach", "fr-dog", "nz-lake", "nz-ski"}
# Logic (issue 28): ("any", alternatives...) is one part finding either; ("not", part) excludes.
LOGIC: list[tuple[str, set[str], list[tuple[Any, ...]]]] = [
    ("cats or dogs", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("猫或狗", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("cats and dogs", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("猫和狗", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("cats/dogs", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("猫或者狗", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("Japan and Italy", JP_IT, [("any", JAPAN, ITALY)]),
    ("日本跟意大利", JP_IT, [("any", JAPAN, ITALY)]),
    ("pizza or Japan", JP_IT - {"it-church"}, [("any", PIZZA, JAPAN)]),
    ("披萨或日本", JP_IT - {"it-church"}, [("any", PIZZA, JAPAN)]),
    ("cats and Beijing", CATS, [("what", "cat"), BEIJING]),  # different kinds: both hold
    ("猫与北京", CATS, [("what", "cat"), BEIJING]),
    ("dogs not on the beach", {"b-pug"}, [("what", "dog"), ("not", ("what", "seaside"))]),
    ("不要海边的狗", {"b-pug"}, [("not", ("what", "seaside")), ("what", "dog")]),
    ("not cats", EVERY - CATS, [("not", ("what", "cat"))]),
    ("不要猫", EVERY - CATS, [("not", ("what", "cat"))]),
    ("Japan without skiing", {"jp-tokyo-church"}, [JAPAN, ("not", SKIING)]),
    ("日本没有滑雪板", {"jp-tokyo-church"}, [JAPAN, ("not", SKIING)]),
    ("except Japan or Italy", EVERY - JP_IT, [("not", ("any", JAPAN, ITALY))]),
    ("除了日本或意大利", EVERY - JP_IT, [("not", ("any", JAPAN, ITALY))]),
    ("snowy mountains or beach", SNOWY_MOUNTAINS | SEASIDE,
     [("any", ("all", ("what", "mountain"), ("what", "winter")), ("what", "seaside"))]),
    ("雪山或海滩", SNOWY_MOUNTAINS | SEASIDE,
     [("any", ("all", ("what", "mountain"), ("what", "winter")), ("what", "seaside"))]),
    ("not snowy mountains", EVERY - SNOWY_MOUNTAINS,
     [("not", ("all", ("what", "mountain"), ("what", "winter")))]),
    ("不要雪山", EVERY - SNOWY_MOUNTAINS,
     [("not", ("all", ("what", "mountain"), ("what", "winter")))]),
    ("churches not in 2023", {"jp-tokyo-church"},
     [CHURCH, ("not", ("when", "2023-01-01", "2023-12-31"))]),
    ("除了2023年的教堂", {"jp-tokyo-church"},
     [("not", ("when", "2023-01-01", "2023-12-31")), CHURCH]),
    ("churches not in Japan", {"it-church"}, [CHURCH, ("not", JAPAN)]),
    ("不在日本的教堂", {"it-church"}, [("not", JAPAN), CHURCH]),
]  # fmt: skip

NATIONAL_DAYS = ("when", "every", "2025-10-01", "2024-10-01", "2023-09-30", "2022-10-01")
# Time (issue 28): a holiday without a year is every year's the library has, "last" one year.
TIMES: list[tuple[str, set[str], list[tuple[Any, ...]]]] = [
    ("national day", {"b-pug", "it-pizza", "it-church"}, [NATIONAL_DAYS]),
    ("国庆节", {"b-pug", "it-pizza", "it-church"}, [NATIONAL_DAYS]),
    ("last national day", {"b-pug"}, [("when", "2025-10-01", "2025-10-08")]),
    ("去年国庆", {"b-pug"}, [("when", "2025-10-01", "2025-10-08")]),
    ("national day 2023", {"it-pizza", "it-church"}, [("when", "2023-09-30", "2023-10-06")]),
    ("2023年国庆节", {"it-pizza", "it-church"}, [("when", "2023-09-30", "2023-10-06")]),
    ("labour day holiday", {"nogps-daisy"},
     [("when", "every", "2025-05-01", "2024-05-01", "2023-04-29", "2022-04-30")]),
    ("五一假期", {"nogps-daisy"},
     [("when", "every", "2025-05-01", "2024-05-01", "2023-04-29", "2022-04-30")]),
    ("2 years ago", {"fr-beach", "fr-dog", "tr-mosque", "tr-ice-cream"},
     [("when", "2024-01-01", "2024-12-31")]),
    ("两年前", {"fr-beach", "fr-dog", "tr-mosque", "tr-ice-cream"},
     [("when", "2024-01-01", "2024-12-31")]),
    ("three years ago", {"it-pizza", "it-church"}, [("when", "2023-01-01", "2023-12-31")]),
    ("三年前", {"it-pizza", "it-church"}, [("when", "2023-01-01", "2023-12-31")]),
    ("3 years ago", {"it-pizza", "it-church"}, [("when", "2023-01-01", "2023-12-31")]),
    ("大前年", {"it-pizza", "it-church"}, [("when", "2023-01-01", "2023-12-31")]),
    ("8 months ago", {"nz-ski", "nz-lake"}, [("when", "2025-07-01", "2025-07-31")]),
    ("八个月前", {"nz-ski", "nz-lake"}, [("when", "2025-07-01", "2025-07-31")]),
    ("the month before last", {"jp-ski-1", "jp-ski-2", "jp-alp", "jp-dogsled", "jp-tokyo-church"},
     [("when", "2026-01-01", "2026-01-31")]),
    ("上上个月", {"jp-ski-1", "jp-ski-2", "jp-alp", "jp-dogsled", "jp-tokyo-church"},
     [("when", "2026-01-01", "2026-01-31")]),
    ("1 week ago", {"b-cat-2"}, [("when", "2026-03-02", "2026-03-08")]),
    ("一周前", {"b-cat-2"}, [("when", "2026-03-02", "2026-03-08")]),
    ("8 days ago", {"b-cat-2"}, [("when", "2026-03-07", "2026-03-07")]),
    ("8天前", {"b-cat-2"}, [("when", "2026-03-07", "2026-03-07")]),
    ("the weekend before last", set(), [("when", "2026-02-28", "2026-03-01")]),
    ("上上周末", set(), [("when", "2026-02-28", "2026-03-01")]),
    ("a year ago today", set(), [("when", "2025-03-15", "2025-03-15")]),
    ("去年今天", set(), [("when", "2025-03-15", "2025-03-15")]),
    # Times of day: the clock (a photo without GPS too), the sun where the photo was.
    ("Beijing at night", {"b-sunset", "b-night"}, [BEIJING, ("when", "day", "night")]),
    ("北京的晚上", {"b-sunset", "b-night"}, [BEIJING, ("when", "day", "night")]),
    ("sunset", {"b-sunset", "b-cat-3"}, [("when", "day", "sunset")]),  # 18:00 on 14 March
    ("日落", {"b-sunset", "b-cat-3"}, [("when", "day", "sunset")]),
    ("sunrise", set(), [("when", "day", "sunrise")]),  # not Sunrise, Florida
    ("日出", set(), [("when", "day", "sunrise")]),
    ("cats in the evening", {"b-cat-3"}, [("what", "cat"), ("when", "day", "evening")]),
    ("傍晚的猫", {"b-cat-3"}, [("when", "day", "evening"), ("what", "cat")]),
    ("flowers in the morning", {"nogps-daisy"}, [("what", "flower"), ("when", "day", "morning")]),
    ("早上的花", {"nogps-daisy"}, [("when", "day", "morning"), ("what", "flower")]),
    ("morning in Beijing 4 years ago", {"b-morning"},
     [("when", "day", "morning"), BEIJING, ("when", "2022-01-01", "2022-12-31")]),
    ("四年前北京的早上", {"b-morning"},
     [("when", "2022-01-01", "2022-12-31"), BEIJING, ("when", "day", "morning")]),
]  # fmt: skip

MOUNTAINS = {"jp-ski-1", "jp-ski-2", "jp-alp", "jp-dogsled", "ch-ski", "ch-alp"}
# Mistakes forgiven (issue 28): small typos in English names, full-width characters.
MISTAKES: list[tuple[str, set[str], list[tuple[Any, ...]]]] = [
    ("restaraunt", {"b-night"}, [("what", "n04081281")]),
    ("餐厅", {"b-night"}, [("what", "n04081281")]),
    ("moutains", MOUNTAINS, [("what", "mountain")]),
    ("山", MOUNTAINS, [("what", "mountain")]),
    ("chruch in Tokyo", {"jp-tokyo-church"}, [CHURCH, ("where", "JP", "Tokyo", None)]),
    ("东京的教堂", {"jp-tokyo-church"}, [("where", "JP", "Tokyo", "Tokyo"), CHURCH]),
    ("pizaa", {"it-pizza"}, [PIZZA]),
    ("披萨", {"it-pizza"}, [PIZZA]),
    ("ｃａｔｓ ｏｒ ｄｏｇｓ", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("猫／狗", CATS | DOGS, [("any", ("what", "cat"), ("what", "dog"))]),
    ("ｓｕｍｍｅｒ ２０２４", {"fr-beach", "fr-dog", "au-jan-beach"},
     [("when", "2024-06-01", "2024-08-31")]),
    ("２０２４年夏天", {"fr-beach", "fr-dog", "au-jan-beach"},
     [("when", "2024-06-01", "2024-08-31")]),
]  # fmt: skip

# Each English query of the tables above beside its Chinese translation: the same photos.
PAIRS = [(LOGIC[i][0], LOGIC[i + 1][0]) for i in range(0, len(LOGIC), 2)] + [
    (TIMES[i][0], TIMES[i + 1][0]) for i in range(0, len(TIMES), 2)
]
PAIRS += [(MISTAKES[i][0], MISTAKES[i + 1][0]) for i in range(0, len(MISTAKES), 2)]

# Queries that find nothing: with an interpretation, and what the rest finds.
NOTHING = [
    ("dogs in Japan", "dogs", {"b-pug", "au-dog", "fr-dog"}),
    ("日本的狗", "dogs", {"b-pug", "au-dog", "fr-dog"}),
    ("skiing in Italy", "ski", WINTER_LABELS),  # not nz-lake: found only through its moment
    ("this summer", None, set()),
    ("Cape Town", None, set()),
]
NONSENSE = [";;;", "a" * 500, "🐱🐶🎿", "'; DROP TABLE photos; --", "' OR 1=1 --", "%_\\", "\x00",
            "or or or", "not", "不要", "/ / /", "和和和", "99999 years ago", "一千年前",
            "zzzzzzz or qqqqqqq", "ｚ" * 500, "restaraunt" * 50, "2030年的晚上"]  # fmt: skip


@pytest.fixture(scope="module")
def sentences(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PhotoLibrary, Timeline, dict[str, int], Path]]:
    """The generated library indexed with the real model, its timeline, ids by name."""
    catalog, ids = build_library(settings, tmp_path_factory.mktemp("sentences"))
    labels = load_labels()
    lib = PhotoLibrary(
        session_factory(open_engine(catalog)), labels, RulesWatcher(None, labels, class_groups())
    )
    timeline = Timeline(lib, settings.with_overrides(library=str(catalog)))
    yield lib, timeline, ids, catalog


def found_names(answer: dict[str, Any], ids: dict[str, int]) -> set[str]:
    names = {photo_id: name for name, photo_id in ids.items()}
    return {names[p["id"]] for p in answer["photos"]}


def check_logic(part: dict[str, Any], kind: str, detail: list[Any]) -> bool:
    """Check an excluded part, alternatives or an AND synonym kept whole; False: none."""
    if kind == "not":
        assert part["negated"], part
        check_part({**part, "negated": False}, detail[0])
        return True
    assert not part.get("negated"), part
    for wanted_kind, key in (("any", "alternatives"), ("all", "all_of")):
        if kind == wanted_kind:
            assert len(part[key]) == len(detail), part
            for member, wanted in zip(part[key], detail, strict=True):
                check_part(member, wanted)
            return True
        assert not part.get(key), part
    return False


def check_part(part: dict[str, Any], expected: tuple[Any, ...]) -> None:
    kind, *detail = expected
    if check_logic(part, kind, detail):
        return
    assert part["kind"] == kind, part
    if kind == "what":
        assert detail[0] in {c["id"] for c in part["concepts"]}, part
    elif kind == "where":
        assert any(
            (p["country_code"], p["region"], p["city"]) == tuple(detail) for p in part["places"]
        ), part
    elif detail[0] == "day":  # a time of day
        assert part["day_part"] == detail[1], part
    elif detail[0] == "every":  # every year's holiday: the first day of each, newest first
        assert [r["from"] for r in part["ranges"]] == detail[1:], part
    elif detail[0] == "months":
        assert part["months"] == detail[1:], part
    else:
        assert (part["from"], part["to"]) == tuple(detail), part
    assert part["en"] and part["zh"]


@pytest.mark.parametrize(("query", "photos", "parts"), QUERIES, ids=[q for q, _, _ in QUERIES])
def test_a_sentence_finds_exactly_its_photos_for_the_right_reasons(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
    query: str,
    photos: set[str],
    parts: list[tuple[Any, ...]],
) -> None:
    lib, timeline, ids, _ = sentences
    answer = search(lib, query, limit=500, today=TODAY, moments=timeline)
    assert found_names(answer, ids) == photos
    assert answer["total"] == len(photos)
    read = [p for p in answer["interpretation"] if p["kind"] != "unknown"]
    assert len(read) == len(parts), read
    for part, expected in zip(read, parts, strict=True):
        check_part(part, expected)
    assert all(p["kind"] != "unknown" for p in answer["interpretation"]), answer["interpretation"]


@pytest.mark.parametrize(("query", "photos", "parts"), LOGIC, ids=[q for q, _, _ in LOGIC])
def test_or_and_not_find_either_or_exclude(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
    query: str,
    photos: set[str],
    parts: list[tuple[Any, ...]],
) -> None:
    test_a_sentence_finds_exactly_its_photos_for_the_right_reasons(sentences, query, photos, parts)


@pytest.mark.parametrize(("query", "photos", "parts"), TIMES, ids=[q for q, _, _ in TIMES])
def test_times_people_say(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
    query: str,
    photos: set[str],
    parts: list[tuple[Any, ...]],
) -> None:
    test_a_sentence_finds_exactly_its_photos_for_the_right_reasons(sentences, query, photos, parts)


@pytest.mark.parametrize(("query", "photos", "parts"), MISTAKES, ids=[q for q, _, _ in MISTAKES])
def test_small_mistakes_are_forgiven(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
    query: str,
    photos: set[str],
    parts: list[tuple[Any, ...]],
) -> None:
    test_a_sentence_finds_exactly_its_photos_for_the_right_reasons(sentences, query, photos, parts)


@pytest.mark.parametrize(("english", "chinese"), PAIRS, ids=[e for e, _ in PAIRS])
def test_a_query_and_its_translation_find_the_same_photos(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path], english: str, chinese: str
) -> None:
    lib, timeline, ids, _ = sentences
    assert (
        any("\u4e00" <= ch <= "\u9fff" for ch in chinese) or english.isascii() != chinese.isascii()
    )

    def found(query: str) -> set[str]:
        return found_names(search(lib, query, limit=500, today=TODAY, moments=timeline), ids)

    assert found(english) == found(chinese)


def test_the_queries_cover_both_languages() -> None:
    chinese = [q for q, _, _ in QUERIES if any("\u4e00" <= ch <= "\u9fff" for ch in q)]
    traditional = {"上週末的貓", "貓", "貓咪 北京", "義大利", "東京", "雪梨海灘", "紐西蘭"}
    mixed = {"Japan 滑雪", "日本 ski"}
    assert len(QUERIES) >= 40 and 2 * len(chinese) >= len(QUERIES)
    assert traditional | mixed <= {q for q, _, _ in QUERIES}


def test_results_rank_by_the_what_then_the_newest(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
) -> None:
    lib, timeline, ids, _ = sentences
    photos = search(lib, "Japan", limit=500, today=TODAY, moments=timeline)["photos"]
    dates = [p["moment"]["id"] for p in photos]  # every one has its moment
    assert all(dates) and [p["score"] for p in photos] == [1.0] * len(photos)
    newest = [p["id"] for p in photos]
    assert newest.index(ids["jp-tokyo-church"]) < newest.index(ids["jp-ski-1"])
    assert newest.index(ids["jp-ski-1"]) < newest.index(ids["jp-old-ski"])
    skiing = search(lib, "Japan 滑雪", limit=500, today=TODAY, moments=timeline)["photos"]
    scores = [p["score"] for p in skiing]
    assert scores == sorted(scores, reverse=True) and skiing[0]["label"] == "ski"


@pytest.mark.parametrize(("query", "kept", "instead"), NOTHING, ids=[q for q, _, _ in NOTHING])
def test_a_query_that_finds_nothing_says_which_part_and_what_the_rest_finds(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
    query: str,
    kept: str | None,
    instead: set[str],
) -> None:
    lib, timeline, ids, _ = sentences
    answer = search(lib, query, today=TODAY, moments=timeline)
    assert answer["total"] == 0 and answer["photos"] == [] and answer["interpretation"]
    wider = answer["instead"]
    names = {photo_id: name for name, photo_id in ids.items()}
    assert {names[p["id"]] for p in wider["photos"]} == instead and wider["total"] == len(instead)
    assert wider["en"] and wider["zh"]
    if kept is None:  # the part that found nothing alone is named
        assert wider["failed"] and wider["en"].startswith("nothing found for")
    else:
        assert [p["en"].lower() for p in wider["kept"]] == [kept]
        assert f"{len(instead)} photos match" in wider["en"]


@pytest.mark.parametrize("query", NONSENSE, ids=range(len(NONSENSE)))
def test_nonsense_answers_quickly_and_empty(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path], query: str
) -> None:
    lib, timeline, _, _ = sentences
    started = time.perf_counter()
    answer = search(lib, query, today=TODAY, moments=timeline)
    assert answer["total"] == 0 and answer["photos"] == []
    assert isinstance(answer["interpretation"], list)
    assert time.perf_counter() - started < 5  # not a timing: a bound no sane machine misses


def test_structured_filters_alone_and_with_a_sentence(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
) -> None:
    lib, timeline, ids, _ = sentences
    from datetime import date

    def names(text: str, filters: Filters) -> set[str]:
        answer = search(lib, text, limit=500, filters=filters, today=TODAY, moments=timeline)
        return found_names(answer, ids)

    assert names("", Filters(label="ski")) == SKI
    assert names("", Filters(label="滑雪板", place="日本")) == {
        "jp-ski-1",
        "jp-ski-2",
        "jp-old-ski",
    }
    seaside = Filters(album="Seaside", date_from=date(2025, 12, 1))
    assert names("", seaside) == {"au-beach-1", "au-beach-2"}
    assert names("dogs", Filters(date_to=date(2024, 12, 31))) == {"fr-dog"}
    assert names("", Filters(date_from=date(2026, 3, 7), date_to=date(2026, 3, 14))) == {
        "b-cat-2", "b-cat-3"}  # fmt: skip
    assert names("", Filters(label="unicorn")) == set()  # a filter is never ignored
    assert names("", Filters(place="Atlantis")) == set()
    grouped = search(lib, "日本", limit=500, today=TODAY, moments=timeline, by_moment=True)
    titles = [s["moment"]["title"] for s in grouped["by_moment"]]
    assert titles == [
        "Winter 2025–26 · Tokyo, Japan · Architecture",
        "Winter 2025–26 · Hokkaido, Japan · Skiing",
        "Winter 2024–25 · Hokkaido, Japan · Skiing",
    ]
    assert sum(len(s["photos"]) for s in grouped["by_moment"]) == grouped["total"] == 6


def test_the_command_line_prints_the_parts_then_exactly_the_photos(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
) -> None:
    _, _, ids, catalog = sentences
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(catalog), "SMARTALBUM_LANG": "zh_CN"}
    command = [sys.executable, "-m", "smartalbum", "search", "去年冬天在日本滑雪", "--today",
               TODAY.isoformat()]  # fmt: skip
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("时间") and "2025–26年冬" in lines[0]
    assert lines[1].startswith("地点") and "日本" in lines[1]
    assert lines[2].startswith("内容") and "滑雪" in lines[2]
    shown = {Path(line.split()[-1]).stem for line in lines[3:] if line.endswith(".jpg")}
    assert shown == HOKKAIDO
    as_json = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True,
                             timeout=120)  # fmt: skip
    both = json.loads(as_json.stdout)
    assert [p["kind"] for p in both["interpretation"]] == ["when", "where", "what"]
    assert {ids[n] for n in HOKKAIDO} == {p["id"] for p in both["photos"]}


def test_the_search_benchmark_runs_on_a_synthetic_library(settings: Settings) -> None:
    """``bench --catalog N --search``: each query read whole (the sentences in three parts),
    timed (not judged here)."""
    from smartalbum.bench.search_bench import QUERIES, SENTENCES, bench_search

    row = bench_search(settings, 600, repeats=2)
    assert row["photos"] == 600 and [q["query"] for q in row["queries"]] == list(QUERIES)
    for q in row["queries"]:
        assert q["parts"] and "unknown" not in q["parts"], q
        # Milliseconds: a search of 600 photos takes some, and not seconds.
        assert 0 < q["warm_ms"] < 5000 and 0 < q["first_ms"] < 60_000 and q["found"] >= 0
        if q["query"] in SENTENCES:
            assert len(q["parts"]) == 3 and "when" in q["parts"], q


def test_days_at_the_ends_of_the_calendar_answer_without_an_error(
    sentences: tuple[PhotoLibrary, Timeline, dict[str, int], Path],
) -> None:
    from datetime import date

    lib, timeline, _, _ = sentences
    for query, today in (("yesterday", date.min), ("this winter", date.max), ("上个月", date.min)):
        assert search(lib, query, today=today, moments=timeline)["total"] == 0
    every = search(lib, "", filters=Filters(date_from=date.min, date_to=date.max), limit=500)
    assert every["total"] == 28  # every photo has a time
