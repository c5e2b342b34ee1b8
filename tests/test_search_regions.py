"""Places at every level (issue 28): continents, provinces and states, pinyin, on real photos.

A small library of real sample photos with GPS: Beijing, Hokkaido, Tokyo, Istanbul
(GeoNames puts Turkey in Asia), Zermatt, Nice, Florence, Munich, Berlin, Sydney, San
Francisco, New York, Xi'an, Hainan (a beach in Sanya, ice cream in Haikou) and a beach in
Kainan, Japan, whose Chinese name is 海南 too. Each query lists exactly the photos it finds
and the place it was read as; each English query has its Chinese one beside it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from smartalbum.albums import RulesWatcher, class_groups
from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import load_labels
from smartalbum.moments import Timeline
from smartalbum.places import geocoder
from smartalbum.search.service import search
from smartalbum.search.understand.where import PlaceRef, chosen, known_places
from smartalbum.settings import Settings
from tests.helpers import SAMPLES
from tests.moments_library import (
    BEIJING,
    SAPPORO,
    SYDNEY,
    TOKYO,
    Shot,
    index_library,
    write_library,
)
from tests.search_library import (
    CHURCH,
    DAISY,
    FLORENCE,
    GOLDEN,
    ICE_CREAM,
    ISTANBUL,
    LABRADOR,
    MOSQUE,
    NICE,
    PIZZA,
    SANDBAR,
    SEASHORE,
    SKI,
    TABBY,
    ZERMATT,
)

TODAY = date(2026, 3, 15)

SHOTS = [
    Shot("b-cat", TABBY, "", "2026-02-14 10:00", "+08:00", BEIJING),
    Shot("jp-ski", SKI, "", "2026-01-10 10:00", "+09:00", SAPPORO),
    Shot("jp-church", CHURCH, "", "2026-01-14 10:00", "+09:00", TOKYO),
    Shot("tr-mosque", MOSQUE, "", "2024-04-12 10:00", "+03:00", ISTANBUL),
    Shot("ch-ski", SKI, "mirror", "2026-02-05 10:00", "+01:00", ZERMATT),
    Shot("fr-beach", SEASHORE, "mirror", "2024-07-20 10:00", "+02:00", NICE),
    Shot("it-pizza", PIZZA, "", "2023-10-03 13:00", "+02:00", FLORENCE),
    Shot("de-church", CHURCH, "mirror", "2025-06-01 10:00", "+02:00", (48.1374, 11.5755)),
    Shot("de-pizza", PIZZA, "crop", "2025-06-08 19:00", "+02:00", (52.5200, 13.4050)),
    Shot("au-beach", SEASHORE, "", "2025-12-28 09:00", "+11:00", SYDNEY),
    Shot("ca-dog", GOLDEN, "", "2025-08-02 12:00", "-07:00", (37.7749, -122.4194)),
    Shot("ny-dog", LABRADOR, "", "2025-09-06 12:00", "-04:00", (40.7128, -74.0060)),
    Shot("xa-mosque", MOSQUE, "mirror", "2024-10-03 10:00", "+08:00", (34.2583, 108.9286)),
    Shot("hn-beach", SEASHORE, "crop", "2025-02-01 10:00", "+08:00", (18.2528, 109.5119)),
    Shot("hn-ice-cream", ICE_CREAM, "", "2025-05-03 15:00", "+08:00", (20.0342, 110.3465)),
    Shot("kainan-beach", SANDBAR, "mirror", "2024-08-10 10:00", "+09:00", (34.1556, 135.2100)),
    Shot("nogps-daisy", DAISY, "", "2025-05-01 10:00", "+08:00", None),
]

EUROPE = {"ch-ski", "fr-beach", "it-pizza", "de-church", "de-pizza"}
ASIA = {"b-cat", "jp-ski", "jp-church", "tr-mosque", "xa-mosque", "hn-beach", "hn-ice-cream",
        "kainan-beach"}  # fmt: skip
HAINAN = ("where", "CN", "Hainan", None)
SEASIDE = ("what", "seaside")
CALIFORNIA, BAVARIA = ("where", "US", "California", None), ("where", "DE", "Bavaria", None)
XIAN, SHAANXI = ("where", "CN", "Shaanxi", "Xi’an"), ("where", "CN", "Shaanxi", None)
HOKKAIDO = ("where", "JP", "Hokkaido", None)

# (query, the photos it finds, its parts: (kind, a concept | country, region, city | continent),
# the English and Chinese names the place is shown with (the first "where" part)).
QUERIES: list[tuple[str, set[str], list[tuple[Any, ...]], tuple[str, str]]] = [
    ("Europe", EUROPE, [("continent", "EU")], ("Europe", "欧洲")),
    ("欧洲", EUROPE, [("continent", "EU")], ("Europe", "欧洲")),
    ("Asia", ASIA, [("continent", "AS")], ("Asia", "亚洲")),
    ("亚洲", ASIA, [("continent", "AS")], ("Asia", "亚洲")),
    ("churches in Europe", {"de-church"}, [("what", "n03028079"), ("continent", "EU")],
     ("Europe", "欧洲")),
    ("欧洲的教堂", {"de-church"}, [("continent", "EU"), ("what", "n03028079")], ("Europe", "欧洲")),
    ("beaches in Asia", {"hn-beach", "kainan-beach"}, [SEASIDE, ("continent", "AS")],
     ("Asia", "亚洲")),
    ("亚洲的海滩", {"hn-beach", "kainan-beach"}, [("continent", "AS"), SEASIDE], ("Asia", "亚洲")),
    ("Hainan beach", {"hn-beach"}, [HAINAN, SEASIDE], ("Hainan, China", "中国海南省")),
    ("海南的海滩", {"hn-beach"}, [HAINAN, SEASIDE], ("Hainan, China", "中国海南省")),
    ("hainan", {"hn-beach", "hn-ice-cream"}, [HAINAN], ("Hainan, China", "中国海南省")),
    ("海南", {"hn-beach", "hn-ice-cream"}, [HAINAN], ("Hainan, China", "中国海南省")),
    ("Hokkaido", {"jp-ski"}, [HOKKAIDO], ("Hokkaido, Japan", "日本北海道")),
    ("北海道", {"jp-ski"}, [HOKKAIDO], ("Hokkaido, Japan", "日本北海道")),
    ("California", {"ca-dog"}, [CALIFORNIA], ("California, United States", "美国加利福尼亚州")),
    ("加州", {"ca-dog"}, [CALIFORNIA], ("California, United States", "美国加利福尼亚州")),
    ("Bavaria", {"de-church"}, [BAVARIA], ("Bavaria, Germany", "德国巴伐利亚州")),
    ("巴伐利亚", {"de-church"}, [BAVARIA], ("Bavaria, Germany", "德国巴伐利亚州")),
    # The municipality, which holds the town: the larger place of that name.
    ("beijing", {"b-cat"}, [("where", "CN", "Beijing", None)], ("Beijing, China", "中国北京市")),
    ("北京", {"b-cat"}, [("where", "CN", "Beijing", "Beijing")], ("Beijing, China", "中国北京")),
    ("xian", {"xa-mosque"}, [XIAN], ("Xi’an, China", "中国西安")),
    ("西安", {"xa-mosque"}, [XIAN], ("Xi’an, China", "中国西安")),
    ("Xi'an", {"xa-mosque"}, [XIAN], ("Xi’an, China", "中国西安")),  # GeoNames writes Xi’an
    ("西安市", {"xa-mosque"}, [XIAN], ("Xi’an, China", "中国西安")),
    ("Kainan", {"kainan-beach"}, [("where", "JP", "Wakayama", "Kainan")],
     ("Kainan, Japan", "日本海南")),
    ("和歌山", {"kainan-beach"}, [("where", "JP", "Wakayama", None)],
     ("Wakayama, Japan", "日本和歌山县")),
    ("shaanxi", {"xa-mosque"}, [SHAANXI], ("Shaanxi, China", "中国陕西省")),
    ("陕西", {"xa-mosque"}, [SHAANXI], ("Shaanxi, China", "中国陕西省")),
]  # fmt: skip

# Places with no photos, and names of none: empty answers, quickly.
NONSENSE = ["Atlantis", "亚特兰蒂斯", "ouzhou" * 40, "xianxianxian", "Antarctica", "南极洲",
            "Europe Asia", "欧洲亚洲"]  # fmt: skip


@pytest.fixture(scope="module")
def regions(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PhotoLibrary, Timeline, dict[str, int]]]:
    """The library indexed with the real model, its timeline and the photos' ids by name."""
    base = tmp_path_factory.mktemp("regions")
    write_library(base / "photos", SAMPLES, SHOTS)
    catalog = base / "library.db"
    ids = index_library(base / "photos", catalog, settings, SHOTS)
    labels = load_labels()
    lib = PhotoLibrary(
        session_factory(open_engine(catalog)), labels, RulesWatcher(None, labels, class_groups())
    )
    yield lib, Timeline(lib, settings.with_overrides(library=str(catalog))), ids


def found_names(answer: dict[str, Any], ids: dict[str, int]) -> set[str]:
    names = {photo_id: name for name, photo_id in ids.items()}
    return {names[p["id"]] for p in answer["photos"]}


def check_part(part: dict[str, Any], expected: tuple[Any, ...]) -> None:
    """The part is of the kind expected and stands for that concept or place, first."""
    kind, *detail = expected
    if kind == "continent":
        assert part["kind"] == "where", part
        assert [p["continent"] for p in part["places"]] == detail, part
        return
    assert part["kind"] == kind, part
    if kind == "what":
        assert detail[0] in {c["id"] for c in part["concepts"]}, part
    else:  # the place read, first: the one the interpretation names
        first = part["places"][0]
        assert (first["country_code"], first["region"], first["city"]) == tuple(detail), part


@pytest.mark.parametrize(
    ("query", "photos", "parts", "names"), QUERIES, ids=[q for q, _, _, _ in QUERIES]
)
def test_a_place_of_any_level_finds_exactly_its_photos(
    regions: tuple[PhotoLibrary, Timeline, dict[str, int]],
    query: str,
    photos: set[str],
    parts: list[tuple[Any, ...]],
    names: tuple[str, str],
) -> None:
    lib, timeline, ids = regions
    answer = search(lib, query, limit=500, today=TODAY, moments=timeline)
    assert found_names(answer, ids) == photos
    assert answer["total"] == len(photos)
    read = answer["interpretation"]
    assert len(read) == len(parts), read
    for part, expected in zip(read, parts, strict=True):
        check_part(part, expected)
    where = next(p for p in read if p["kind"] == "where")
    assert (where["en"], where["zh"]) == names


def test_each_english_query_has_its_chinese_one_finding_the_same_photos() -> None:
    english = [q for q in QUERIES[0::2]]
    chinese = [q for q in QUERIES[1::2]]
    for en, zh in zip(english, chinese, strict=True):
        assert en[0].isascii() and not zh[0].isascii(), (en[0], zh[0])
        assert en[1] == zh[1], (en[0], zh[0])


def test_a_name_of_two_places_means_the_larger_the_library_has_photos_of(
    regions: tuple[PhotoLibrary, Timeline, dict[str, int]],
) -> None:
    """海南 is Hainan province and Kainan, Japan; both have photos here: the province wins,
    and says so. Kainan alone is still found by its English name (above)."""
    lib, timeline, ids = regions
    answer = search(lib, "海南", limit=500, today=TODAY, moments=timeline)
    [part] = answer["interpretation"]
    assert [(p["country_code"], p["region"]) for p in part["places"]] == [("CN", "Hainan")]
    assert "kainan-beach" not in found_names(answer, ids)


@pytest.mark.parametrize("query", NONSENSE, ids=range(len(NONSENSE)))
def test_names_of_no_place_answer_quickly_and_empty(
    regions: tuple[PhotoLibrary, Timeline, dict[str, int]], query: str
) -> None:
    lib, timeline, _ = regions
    started = time.perf_counter()
    answer = search(lib, query, today=TODAY, moments=timeline)
    assert answer["total"] == 0 and answer["photos"] == []
    assert time.perf_counter() - started < 5  # not a timing: a bound no sane machine misses


def test_the_place_data_stays_small() -> None:
    """The continents, pinyin and region names ship in the package: under 100 kB."""
    data = Path(__file__).resolve().parents[1] / "src/smartalbum/places/data"
    sizes = {name: (data / name).stat().st_size for name in
             ("continents.tsv", "pinyin.tsv", "region_aliases.tsv", "regions_zh.tsv")}  # fmt: skip
    assert sum(sizes.values()) < 100_000, sizes


def test_of_the_places_of_one_name_those_with_photos_win_then_the_largest() -> None:
    """Read without a library: 海南 is the province (a region is larger than a town), Asia
    the continent; a library with photos of Kainan only means Kainan."""
    kainan = PlaceRef("JP", "Wakayama", "Kainan", people=48369)
    hainan = PlaceRef("CN", "Hainan")
    haikou = PlaceRef("CN", "Hainan", "Haikou", people=2873358)
    assert chosen((kainan, hainan), frozenset()) == (hainan,)
    assert chosen((kainan, haikou, hainan), frozenset()) == (hainan, haikou)
    assert chosen((kainan, hainan), frozenset({kainan})) == (kainan,)
    bigger = PlaceRef("US", "Texas", "Paris", people=25_000)
    assert chosen((bigger, PlaceRef("FR", "Île-de-France", "Paris", people=2_100_000)),
                  frozenset())[0].country_code == "FR"  # fmt: skip
    known = known_places()
    assert chosen(known["海南"], frozenset())[0] == hainan
    assert chosen(known["asia"], frozenset())[0].continent == "AS"
    for pinyin in ("xian", "xi an", "neimenggu", "ouzhou", "riben"):
        assert pinyin in known, pinyin
    # Regions our own table does not name in Chinese, named by pycountry's iso-codes.
    assert chosen(known["清迈"], frozenset())[0] == PlaceRef("TH", "Chiang Mai")
    assert chosen(known["武里喃"], frozenset()) == (PlaceRef("TH", "Buriram"),)
    assert PlaceRef("FJ", "Central") not in known.get("中部", ())  # a word, not a place
    # Two provinces of one name: the one with more people (17 million against 37,000).
    assert chosen(known["福建"], frozenset()) == (PlaceRef("CN", "Fujian"),)


def test_a_photo_taken_in_a_region_named_by_iso_codes_stores_its_chinese_name() -> None:
    place = geocoder().lookup(18.7883, 98.9853)  # Chiang Mai
    assert place is not None and (place.region, place.region_zh) == ("Chiang Mai", "清迈府")
