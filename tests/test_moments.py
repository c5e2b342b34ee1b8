"""Moments and trips: clustering on synthetic points, then a generated library of real photos.

The library (tests/moments_library.py) is indexed with the real model: a home in Beijing,
a ski trip to Hokkaido that goes on to Tokyo and across the date line to Honolulu,
summer on Sydney's beaches in January, Paris then Lyon in April, broken GPS tags and a
photo whose only date is its file's.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartalbum.albums import RulesWatcher, class_groups
from smartalbum.catalog import open_engine, session_factory
from smartalbum.errors import ConfigError, NotFoundError
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import load_labels
from smartalbum.moments import Shot, Timeline, cluster
from smartalbum.moments.build import Context, build_moment
from smartalbum.moments.naming import (
    SCENES,
    day_names,
    moment_titles,
    month_span,
    place_names,
    season,
    when_names,
)
from smartalbum.moments.photos import Photos
from smartalbum.moments.trips import TRIP_SILENCE, Stop, group_trips, home_from_setting
from smartalbum.moments.undated import undated_groups
from smartalbum.places import geocoder
from smartalbum.settings import Settings
from tests.helpers import LiveServer, assert_error

LABELS = load_labels()

# --- clustering on synthetic points --------------------------------------------------------

T0 = datetime(2025, 1, 10, 0, 0)
SAPPORO, NISEKO, TOKYO, HONOLULU = (
    (43.06, 141.35),
    (42.80, 140.69),
    (35.69, 139.69),
    (21.31, -157.86),
)


def shot(i: int, hours: float, where: tuple[float, float] | None = None) -> Shot:
    lat, lon = where or (None, None)
    return Shot(i, T0 + timedelta(hours=hours), lat, lon)


def ids(moments: list[list[Shot]]) -> list[list[int]]:
    return [[s.photo_id for s in m] for m in moments]


def test_a_long_pause_starts_a_new_moment_and_order_is_by_time() -> None:
    shots = [shot(3, 40), shot(1, 0), shot(2, 35), shot(4, 40 + 36.01)]
    assert ids(cluster(shots, 36, 100)) == [[1, 2, 3], [4]]
    assert ids(cluster(shots, 48, 100)) == [[1, 2, 3, 4]]
    assert cluster([], 36, 100) == []


def test_a_jump_within_a_day_starts_a_new_moment_at_the_longest_pause() -> None:
    shots = [
        shot(1, 0, SAPPORO),
        shot(2, 20, NISEKO),  # ~60 km: the same moment
        shot(3, 21),  # no GPS, an hour later: still in Niseko
        shot(4, 27),  # no GPS, after the longest pause: already in Tokyo
        shot(5, 28, TOKYO),  # ~800 km from Niseko within 8 h
    ]
    assert ids(cluster(shots, 36, 100)) == [[1, 2, 3], [4, 5]]
    assert ids(cluster(shots, 36, 1000)) == [[1, 2, 3, 4, 5]]  # a shorter move is no jump
    # The same move spread over more than a day is no jump (and no pause either).
    slow = [shot(1, 0, NISEKO), shot(2, 20), shot(3, 30, TOKYO)]
    assert ids(cluster(slow, 36, 100)) == [[1, 2, 3]]


def test_across_midnight_the_date_line_and_offsets() -> None:
    # Tokyo 20:00 +09:00 is 11:00 UTC; Honolulu 08:00 -10:00 the same calendar day is
    # 18:00 UTC: later, although its local clock reads earlier.
    tokyo = Shot(1, datetime(2025, 1, 20, 11), *TOKYO)
    honolulu = Shot(2, datetime(2025, 1, 20, 18), *HONOLULU)
    midnight = [Shot(3, datetime(2025, 1, 20, 23, 50), *HONOLULU),
                Shot(4, datetime(2025, 1, 21, 0, 20), *HONOLULU)]  # fmt: skip
    assert ids(cluster([honolulu, *midnight, tokyo], 36, 100)) == [[1], [2, 3, 4]]


def test_photo_times_are_utc_when_the_offset_is_known_and_bad_ones_stay_off() -> None:
    from smartalbum.moments.photos import Photos

    rows = [
        (1, "2025-01-20T20:00:00", "+09:00", "original", 35.7, 139.7, "Tokyo"),
        (2, "2025-01-20T08:00:00", "-10:00", "original", 21.3, -157.9, "Honolulu"),
        (3, "2025-01-20T09:00:00.250000", None, "mtime", None, None, "no GPS, no place"),
        (4, "0000:00:00 00:00:00", None, "original", None, None, None),
        (5, "2025-02-30T00:00:00", None, "original", None, None, None),
        (6, "2025-01-20T10:00:00Z", None, "original", None, None, None),
        (7, "2025-01-20T10:00:00", "+25:00:00", "original", None, None, None),
    ]
    photos = Photos.from_rows(rows)
    assert photos.ids == [3, 7, 1, 2]  # 09:00 and 10:00 as recorded, 11:00 and 18:00 UTC
    assert photos.offsets == [None, None, "+09:00", "-10:00"]
    assert photos.places == [None, None, "Tokyo", "Honolulu"]
    assert photos.iso(2) == "2025-01-20T20:00:00+09:00"
    assert photos.when(3) == datetime(2025, 1, 20, 18)
    assert photos.only_file_dates(0, 1) and not photos.only_file_dates(0, 2)
    assert len(Photos.from_rows([])) == 0


def test_trips_need_a_home_and_end_at_home_or_after_a_silent_week() -> None:
    home = (39.9, 116.4)
    day = timedelta(days=1)

    def stop(days: float, where: tuple[float, float] | None) -> Stop:
        start = T0 + days * day
        return Stop(start, start + day / 2, where)

    stops = [
        stop(0, home),
        stop(2, SAPPORO),
        stop(4, None),  # no place, between two away moments: stays in the trip
        stop(6, TOKYO),
        stop(8, (39.95, 116.5)),  # ~10 km from home: back home
        stop(10, None),  # a placeless moment at home is no trip
        stop(12, HONOLULU),
        stop(14, None),  # after the last away moment: not part of it
        stop(30, HONOLULU),  # over a week later with nothing between: another trip
    ]
    assert group_trips(stops, home, 50) == [[1, 2, 3], [6], [8]]
    assert group_trips(stops, None, 50) == []
    assert timedelta(days=7) == TRIP_SILENCE


def test_seasons_months_and_place_names() -> None:
    assert season(date(2025, 1, 14), 43.0) == ("Winter 2024–25", "2024–25年冬")
    assert season(date(2025, 1, 14), -33.9) == ("Summer 2024–25", "2024–25年夏")
    assert season(date(2025, 1, 14), None) == ("Winter 2024–25", "2024–25年冬")
    assert season(date(2025, 4, 1), -33.9) == ("Autumn 2025", "2025年秋")
    assert season(date(2024, 12, 31), 0.0) == ("Winter 2024–25", "2024–25年冬")
    assert season(date(2025, 10, 1), 48.8) == ("Autumn 2025", "2025年秋")
    # One winter, one name: 27 Dec 2025 and 10 Feb 2026 are the same season, 10 Feb 2025 not.
    assert season(date(2025, 12, 27), 43.0) == season(date(2026, 2, 10), 43.0)
    assert season(date(2025, 12, 27), 43.0) == ("Winter 2025–26", "2025–26年冬")
    assert season(date(2025, 2, 10), 43.0) == ("Winter 2024–25", "2024–25年冬")
    assert season(date(2025, 7, 1), -33.9) == ("Winter 2025", "2025年冬")
    assert season(date(2099, 12, 1), 1.0)[0] == "Winter 2099–00"
    assert month_span(date(2025, 1, 10), date(2025, 1, 31)) == ("Jan 2025", "2025年1月")
    assert month_span(date(2024, 12, 30), date(2025, 1, 2)) == (
        "Dec 2024 – Jan 2025",
        "2024年12月–2025年1月",
    )
    niseko = geocoder().lookup(*NISEKO)
    assert niseko is not None
    assert place_names(niseko.to_dict()) == ("Hokkaido, Japan", "日本北海道")
    no_chinese = {"city": "Lyon 01", "region": "Normandy", "country": "France",
                  "country_zh": "法国", "region_zh": None, "city_zh": None}  # fmt: skip
    # No Chinese name for the region or the town: the country alone, not "法国 Normandy".
    assert place_names(no_chinese) == ("Normandy, France", "法国")
    no_country = {**no_chinese, "country_zh": None}  # nothing in Chinese: English stands in
    assert place_names(no_country) == ("Normandy, France", "France Normandy")
    assert place_names(None) == ("", "")


def test_near_the_equator_a_title_names_the_month() -> None:
    august = date(2005, 8, 12)
    assert when_names(august, -0.30) == ("August 2005", "2005年8月")  # Nakuru, Kenya
    assert when_names(august, 14.9) == ("August 2005", "2005年8月")
    assert when_names(august, -14.9) == ("August 2005", "2005年8月")
    assert when_names(august, 15.0) == ("Summer 2005", "2005年夏")  # the band's edge: seasons
    assert when_names(august, 22.3) == ("Summer 2005", "2005年夏")  # Hong Kong
    assert when_names(august, -33.9) == ("Winter 2005", "2005年冬")
    assert when_names(august, None) == ("Summer 2005", "2005年夏")
    nakuru = geocoder().lookup(-0.3031, 36.0800)
    assert nakuru is not None
    title, _ = moment_titles(when_names(august, -0.3031), place_names(nakuru.to_dict()), None)
    assert title == "August 2005 · Nakuru County, Kenya"


def _three_photos() -> Photos:
    rows = [(i, f"2025-07-01T10:0{i}:00", None, "original", None, None, None) for i in (1, 2, 3)]
    return Photos.from_rows(rows)


def test_a_cover_shows_what_the_title_names() -> None:
    platypus, catamaran = LABELS.index_of("n01873310"), LABELS.index_of("n02981792")
    sailing = next(scene for scene in SCENES if scene.id == "sailing")
    context = Context(
        albums={"animals": {1: 0.99, 2: 0.2}},
        album_titles={"animals": ("Animals", "动物")},
        tops={1: platypus, 2: catamaran, 3: catamaran},
        scenes={catamaran: sailing},
        sure={1: 0.99, 2: 0.4, 3: 0.8},
    )
    moment = build_moment(_three_photos(), 0, 3, context)
    assert moment.title == "Summer 2025 · Sailing"
    assert moment.cover == 3  # the surest catamaran, not the platypus the album scores best
    # Named by the album when no activity wins: the album's best photo.
    plain = dataclasses.replace(context, scenes={}, parsed={}, named={})
    named = build_moment(_three_photos(), 0, 3, plain)
    assert (named.title, named.cover) == ("Summer 2025 · Animals", 1)


def test_undated_photos_group_by_their_day_of_import() -> None:
    def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
        return datetime(year, month, day, hour, minute).timestamp()

    groups = undated_groups(
        [
            (5, "2026-12-07T08:00:00", at(2026, 12, 7, 9)),
            (9, "2019-01-01T00:00:00", at(2026, 12, 1, 23, 59)),
            (3, "2026-11-01T08:00:00", at(2026, 12, 7, 10)),
        ]
    )
    assert [(g.title, g.title_zh, g.photo_ids) for g in groups] == [
        ("Undated · imported 7 Dec 2026", "无日期 · 2026年12月7日导入", [3, 5]),
        ("Undated · imported 1 Dec 2026", "无日期 · 2026年12月1日导入", [9]),
    ]
    first = groups[0].to_dict()
    assert first["imported"] == "2026-12-07" and first["time_is_file_date"] is True
    assert (first["id"], first["cover"], first["place"], first["trip"]) == ("m3", 3, None, None)


def test_home_setting_by_name_in_either_language_or_coordinates() -> None:
    find = geocoder().find
    beijing = home_from_setting("北京", find)
    assert beijing.place is not None and beijing.place["city"] == "Beijing"
    assert home_from_setting("  beijing ", find).lat == beijing.lat
    paris = home_from_setting("巴黎", find)
    assert paris.place is not None and paris.place["country_code"] == "FR"  # not Paris, Texas
    point = home_from_setting("-33.87, 151.2", find)
    assert (point.lat, point.lon, point.place) == (-33.87, 151.2, None)
    for bad in ("Atlantisopolis", "95,10"):
        with pytest.raises(ConfigError, match="home"):
            home_from_setting(bad, find)


# --- the generated library -----------------------------------------------------------------


def timeline(library: Path, settings: Settings, **overrides: Any) -> Timeline:
    watcher = RulesWatcher(None, LABELS, class_groups())
    lib = PhotoLibrary(session_factory(open_engine(library)), LABELS, watcher)
    return Timeline(lib, settings.with_overrides(library=str(library), **overrides))


def names_of(trip_library: tuple[Path, dict[str, int]]) -> dict[int, str]:
    return {photo_id: name for name, photo_id in trip_library[1].items()}


# Each moment in time order: its photos, then its titles in English and Chinese.
EXPECTED = [
    (["no-exif"], "Undated · imported {en}", "无日期 · {zh}导入"),  # the day of the test run
    (["home-dec-1", "home-dec-2", "home-dec-3"],
     "Winter 2024–25 · Beijing, China · Architecture", "2024–25年冬 · 中国北京市 · 城市建筑"),
    (["sapporo-1", "sapporo-2", "sapporo-3", "sapporo-4", "niseko-1", "niseko-2",
      "niseko-broken-gps", "niseko-camera"],
     "Winter 2024–25 · Hokkaido, Japan · Skiing", "2024–25年冬 · 日本北海道 · 滑雪"),
    (["tokyo-1", "tokyo-2"],
     "Winter 2024–25 · Tokyo, Japan · Architecture", "2024–25年冬 · 日本东京都 · 城市建筑"),
    (["honolulu-1", "honolulu-2", "honolulu-3", "honolulu-4"],
     "Winter 2024–25 · Hawaii, United States · Beach", "2024–25年冬 · 美国夏威夷州 · 海滩"),
    (["home-jan-1", "home-jan-2"],
     "Winter 2024–25 · Beijing, China · Architecture", "2024–25年冬 · 中国北京市 · 城市建筑"),
    (["sydney-1", "sydney-2", "sydney-3", "sydney-4"],
     "Summer 2024–25 · New South Wales, Australia · Beach",
     "2024–25年夏 · 澳大利亚新南威尔士州 · 海滩"),
    (["home-feb"],
     "Winter 2024–25 · Beijing, China · Architecture", "2024–25年冬 · 中国北京市 · 城市建筑"),
    (["paris-1", "paris-2", "paris-3", "paris-placeholder"],
     "Spring 2025 · Île-de-France, France · Architecture",
     "2025年春 · 法国法兰西岛大区 · 城市建筑"),
    (["no-gps-day"], "Spring 2025 · Scenery", "2025年春 · 自然风光"),
    (["lyon-1", "lyon-2"],
     "Spring 2025 · Auvergne-Rhône-Alpes, France · Architecture",
     "2025年春 · 法国奥弗涅-罗讷-阿尔卑斯大区 · 城市建筑"),
]  # fmt: skip
TRIPS_FROM_BEIJING = [
    ("Trip to Hokkaido, Japan · Jan 2025", "2025年1月 · 日本北海道之旅",
     ["sapporo-1", "tokyo-1", "honolulu-1"]),
    ("Trip to New South Wales, Australia · Jan 2025", "2025年1月 · 澳大利亚新南威尔士州之旅",
     ["sydney-1"]),
    ("Trip to Île-de-France, France · Apr 2025", "2025年4月 · 法国法兰西岛大区之旅",
     ["paris-1", "no-gps-day", "lyon-1"]),
]  # fmt: skip


def test_each_photo_has_its_place(trip_library: tuple[Path, dict[str, int]]) -> None:
    from sqlalchemy import select

    from smartalbum.catalog import Photo

    library, by_name = trip_library
    with session_factory(open_engine(library))() as session:
        rows = session.execute(select(Photo.path, Photo.place, Photo.time_source)).all()
    places = {Path(path).stem: json.loads(place) if place else None for path, place, _ in rows}
    expected = {
        "home-dec-1": ("CN", "Beijing", "北京"), "sapporo-2": ("JP", "Sapporo", "札幌"),
        "niseko-1": ("JP", "Niseko", "二世谷"), "tokyo-1": ("JP", "Tokyo", "东京"),
        "honolulu-1": ("US", "Honolulu", "檀香山"), "honolulu-2": ("US", "Waikīkī", None),
        "sydney-1": ("AU", "Sydney", "悉尼"), "sydney-2": ("AU", "Bondi Beach", None),
        "paris-2": ("FR", "Paris", "巴黎"), "lyon-1": ("FR", "Lyon 01", None),
    }  # fmt: skip
    for name, (code, city, city_zh) in expected.items():
        place = places[name]
        assert place is not None, name
        assert (place["country_code"], place["city"], place["city_zh"]) == (code, city, city_zh)
    for name in (
        "niseko-camera",
        "niseko-broken-gps",
        "paris-placeholder",
        "no-gps-day",
        "no-exif",
    ):
        assert places[name] is None, name
    assert {Path(p).stem: s for p, _, s in rows}["no-exif"] == "mtime"
    assert len(by_name) == 32


def test_moments_boundaries_titles_and_facts(
    trip_library: tuple[Path, dict[str, int]], settings: Settings
) -> None:
    library, by_name = trip_library
    names = names_of(trip_library)
    line = timeline(library, settings, home="Beijing")
    moments = line.moments()
    oldest_first = moments[::-1]
    assert [[names[i] for i in _photo_ids(line, m["id"])] for m in oldest_first] == [
        photos for photos, _, _ in EXPECTED
    ]
    assert [(m["title"], m["title_zh"]) for m in oldest_first] == _titles(trip_library)
    imported = datetime.fromtimestamp(_indexed_at(library, by_name["no-exif"])).date()
    assert oldest_first[0]["imported"] == imported.isoformat()
    assert [m["imported"] for m in oldest_first[1:]] == [None] * 10
    print("\n" + "\n".join(f"{m['id']:>4}  {m['title']}  |  {m['title_zh']}" for m in oldest_first))
    for m in moments:  # the id is its first photo's
        assert m["id"] == f"m{by_name[names[_photo_ids(line, m['id'])[0]]]}"
        assert m["count"] == len(_photo_ids(line, m["id"]))
        assert m["cover"] in _photo_ids(line, m["id"])
    hokkaido, honolulu, sydney = oldest_first[2], oldest_first[4], oldest_first[6]
    assert hokkaido["place"] == {
        "city": "Sapporo", "region": "Hokkaido", "country": "Japan", "country_code": "JP",
        "city_zh": "札幌", "region_zh": "北海道", "country_zh": "日本",
    }  # fmt: skip
    assert hokkaido["albums"][0] == "winter" and hokkaido["start"] == "2025-01-10T10:00:00+09:00"
    # Across the date line: Honolulu starts "before" Tokyo by its clock, but is newer.
    assert honolulu["start"] == "2025-01-12T21:00:00-10:00"
    assert honolulu["end"] == "2025-01-14T09:00:00-10:00"
    assert moments.index(honolulu) < moments.index(oldest_first[3])
    assert honolulu["place"]["city"] == "Honolulu"  # 3 photos there, 1 in Waikīkī
    assert sydney["place"]["city"] == "Sydney" and "seaside" in sydney["albums"]
    assert oldest_first[9]["place"] is None
    assert [m["time_is_file_date"] for m in oldest_first] == [True] + [False] * 10
    assert oldest_first[0]["start"] == "2023-06-15T12:00:00"  # no offset is known
    with pytest.raises(NotFoundError):
        line.moment("m999999")


def _titles(trip_library: tuple[Path, dict[str, int]]) -> list[tuple[str, str]]:
    """EXPECTED's titles, oldest first, the undated group's named by the day it was indexed."""
    library, by_name = trip_library
    imported = datetime.fromtimestamp(_indexed_at(library, by_name["no-exif"])).date()
    en, zh = day_names(imported)
    return [(e.format(en=en), z.format(zh=zh)) for _, e, z in EXPECTED]


def _indexed_at(library: Path, photo_id: int) -> float:
    from smartalbum.catalog import Photo

    with session_factory(open_engine(library))() as session:
        photo = session.get(Photo, photo_id)
        assert photo is not None
        return photo.indexed_at


def _photo_ids(line: Timeline, moment_id: str) -> list[int]:
    return [p["id"] for p in line.moment(moment_id, limit=500)["photos"]]


def _trips(line: Timeline, names: dict[int, str]) -> list[tuple[str, str, list[str]]]:
    return [
        (t["title"], t["title_zh"], [names[_photo_ids(line, m)[0]] for m in t["moments"]])
        for t in line.trips()[::-1]
    ]


def test_trips_with_home_set_unset_and_elsewhere(
    trip_library: tuple[Path, dict[str, int]], settings: Settings
) -> None:
    library, _ = trip_library
    names = names_of(trip_library)
    for home in ("Beijing", "北京", "39.9042,116.4074", None):
        line = timeline(library, settings, home=home)
        assert _trips(line, names) == TRIPS_FROM_BEIJING, home
        assert line.home() is not None
    unset = timeline(library, settings).home()
    assert unset is not None and unset["source"] == "photos" and unset["place"]["city"] == "Beijing"
    line = timeline(library, settings, home="Beijing")
    trip = line.trips()[-1]
    assert (
        trip["start"] == "2025-01-10T10:00:00+09:00" and trip["end"] == "2025-01-14T09:00:00-10:00"
    )
    assert trip["count"] == 14 and trip["place"]["region_zh"] == "北海道"
    by_id = {m["id"]: m for m in line.moments()}
    assert all(by_id[m]["trip"]["id"] == trip["id"] for m in trip["moments"])
    assert by_id[f"m{trip_library[1]['home-jan-1']}"]["trip"] is None
    # From Sapporo, Beijing is away and Hokkaido is home; a silent week ends a trip.
    sapporo = _trips(timeline(library, settings, home="札幌"), names)
    assert [stops for _, _, stops in sapporo] == [
        ["home-dec-1"], ["tokyo-1", "honolulu-1", "home-jan-1"], ["sydney-1"], ["home-feb"],
        ["paris-1", "no-gps-day", "lyon-1"],
    ]  # fmt: skip
    assert sapporo[0][:2] == ("Trip to Beijing, China · Dec 2024", "2024年12月 · 中国北京市之旅")
    with pytest.raises(ConfigError, match="Atlantisopolis"):
        timeline(library, settings, home="Atlantisopolis").trips()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smartalbum", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_cli_moments_show_and_trips(
    trip_library: tuple[Path, dict[str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    from smartalbum.cli import main

    library, by_name = trip_library
    listed = run_cli(
        "moments", "--library", str(library), "--json", env={"SMARTALBUM_HOME": "北京"}
    )
    assert listed.returncode == 0, listed.stderr
    moments = json.loads(listed.stdout)
    assert [m["title"] for m in moments] == [title for title, _ in _titles(trip_library)[::-1]]
    keys = {"id", "start", "end", "count", "place", "albums", "title", "title_zh", "trip"}
    for m in moments:
        assert keys <= set(m) and isinstance(m["albums"], list)
        assert m["trip"] is None or set(m["trip"]) == {"id", "title", "title_zh"}
    hokkaido = moments[-3]
    named = {"city", "region", "country", "country_code", "city_zh", "country_zh"}
    assert named <= set(hokkaido["place"]) and hokkaido["albums"][0] == "winter"
    assert hokkaido["trip"]["title_zh"] == "2025年1月 · 日本北海道之旅"

    def cli(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--library", str(library)])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = cli("moments", "show", hokkaido["id"], "--json")
    photos = json.loads(out)["photos"]
    assert code == 0 and [Path(p["path"]).stem for p in photos][:2] == ["sapporo-1", "sapporo-2"]
    assert photos[0]["id"] == by_name["sapporo-1"] and set(photos[0]) == {"id", "path"}
    code, out, _ = cli("trips", "--home", "北京", "--json")
    assert [t["title"] for t in json.loads(out)] == [t for t, _, _ in TRIPS_FROM_BEIJING[::-1]]
    code, out, _ = cli("moments", "--home", "Beijing")
    assert code == 0 and "Winter 2024–25 · Hokkaido, Japan · Skiing" in out
    assert len(out.strip().splitlines()) == len(EXPECTED) + 1  # and a count
    code, out, _ = cli("moments", "show", "m0", "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "not_found"
    code, _, err = cli("trips", "--home", "Atlantisopolis")
    assert code == 2 and "Atlantisopolis" in err
    code, out, _ = cli("search", "北海道")
    assert code == 0 and "moment m" in out and "2024–25年冬 · 日本北海道 · 滑雪" in out


def test_moments_are_computed_without_a_network(trip_library: tuple[Path, dict[str, int]]) -> None:
    """A fresh interpreter with every socket refused lists moments and finds home by name."""
    script = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network disabled by the test")
class Refused(socket.socket):  # a class, so that modules may still subclass it
    def __init__(self, *args, **kwargs):
        refuse()
socket.socket = Refused
socket.create_connection = refuse
socket.getaddrinfo = refuse
from smartalbum.cli import main
sys.exit(main(["moments", "--library", sys.argv[1], "--home", "札幌", "--json"]))
"""
    run = subprocess.run(
        [sys.executable, "-c", script, str(trip_library[0])],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    moments = json.loads(run.stdout)
    assert len(moments) == len(EXPECTED)
    assert moments[-2]["trip"]["title"] == "Trip to Beijing, China · Dec 2024"


@pytest.fixture(scope="module")
def client(trip_library: tuple[Path, dict[str, int]], settings: Settings) -> Iterator[httpx.Client]:
    own = Settings(
        cache_dir=settings.cache_dir,
        library=str(trip_library[0]),
        allow_download=False,
        home="北京",
    )
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def test_api_moments_moment_and_trips(
    client: httpx.Client, trip_library: tuple[Path, dict[str, int]]
) -> None:
    body = client.get("/api/moments").json()
    assert body["total"] == len(EXPECTED) and body["offset"] == 0
    assert [m["title_zh"] for m in body["moments"]] == [z for _, z in _titles(trip_library)[::-1]]
    page = client.get("/api/moments?offset=2&limit=3").json()
    assert [m["id"] for m in page["moments"]] == [m["id"] for m in body["moments"][2:5]]
    hokkaido = body["moments"][-3]
    one = client.get(f"/api/moments/{hokkaido['id']}").json()
    assert one["title"] == hokkaido["title"] and one["count"] == len(one["photos"]) == 8
    assert one["photos"][0] == {
        "id": trip_library[1]["sapporo-1"],
        "path": one["photos"][0]["path"],
    }
    assert len(client.get(f"/api/moments/{hokkaido['id']}?offset=6&limit=5").json()["photos"]) == 2
    trips = client.get("/api/trips").json()
    assert trips["home"]["place"]["city_zh"] == "北京" and trips["home"]["source"] == "setting"
    assert [t["title_zh"] for t in trips["trips"]] == [z for _, z, _ in TRIPS_FROM_BEIJING[::-1]]
    assert set(trips["trips"][0]) == {
        "id", "title", "title_zh", "start", "end", "moments", "count", "place",
    }  # fmt: skip
    assert_error(client.get("/api/moments/m0"), 404, "not_found")
    assert_error(client.get("/api/moments?limit=0"), 422, "invalid_request")


def test_api_photo_detail_has_its_place_and_moment(
    client: httpx.Client, trip_library: tuple[Path, dict[str, int]]
) -> None:
    by_name = trip_library[1]
    niseko = client.get(f"/api/photos/{by_name['niseko-1']}").json()
    assert niseko["place"]["city_zh"] == "二世谷" and niseko["place"]["region"] == "Hokkaido"
    assert niseko["moment"] == {
        "id": f"m{by_name['sapporo-1']}",
        "title": "Winter 2024–25 · Hokkaido, Japan · Skiing",
        "title_zh": "2024–25年冬 · 日本北海道 · 滑雪",
    }
    camera = client.get(f"/api/photos/{by_name['niseko-camera']}").json()
    assert camera["place"] is None and camera["moment"]["id"] == niseko["moment"]["id"]
    undated = client.get(f"/api/photos/{by_name['no-exif']}").json()
    assert undated["time_source"] == "mtime"
    assert undated["moment"]["title"] == _titles(trip_library)[0][0]  # "Undated · imported …"


@pytest.mark.parametrize(
    ("query", "photos", "moments"),
    [
        ("北海道", {"sapporo-1", "sapporo-2", "sapporo-3", "sapporo-4", "niseko-1", "niseko-2"},
         ["Winter 2024–25 · Hokkaido, Japan · Skiing"]),
        ("Sapporo", {"sapporo-1", "sapporo-2", "sapporo-3", "sapporo-4"},
         ["Winter 2024–25 · Hokkaido, Japan · Skiing"]),
        ("日本", {"sapporo-1", "sapporo-2", "sapporo-3", "sapporo-4", "niseko-1", "niseko-2",
                 "tokyo-1", "tokyo-2"},
         ["Winter 2024–25 · Tokyo, Japan · Architecture",
          "Winter 2024–25 · Hokkaido, Japan · Skiing"]),
        ("Japan", {"sapporo-1", "sapporo-2", "sapporo-3", "sapporo-4", "niseko-1", "niseko-2",
                   "tokyo-1", "tokyo-2"},
         ["Winter 2024–25 · Tokyo, Japan · Architecture",
          "Winter 2024–25 · Hokkaido, Japan · Skiing"]),
        ("日本北海道", {"sapporo-1", "sapporo-2", "sapporo-3", "sapporo-4", "niseko-1", "niseko-2"},
         ["Winter 2024–25 · Hokkaido, Japan · Skiing"]),
        ("ile-de-france", {"paris-1", "paris-2", "paris-3"},
         ["Spring 2025 · Île-de-France, France · Architecture"]),
        ("滑雪", None, ["Winter 2024–25 · Hokkaido, Japan · Skiing"]),
    ],
)  # fmt: skip
def test_search_by_place_in_both_languages_lists_moments(
    client: httpx.Client,
    trip_library: tuple[Path, dict[str, int]],
    query: str,
    photos: set[str] | None,
    moments: list[str],
) -> None:
    names = names_of(trip_library)
    found = client.get("/api/search", params={"q": query, "limit": 500}).json()
    assert [m["title"] for m in found["moments"]] == moments
    assert all(set(m) == {"id", "title", "title_zh", "count"} for m in found["moments"])
    if photos is not None:
        assert {names[p["id"]] for p in found["photos"] if p["score"] == 1.0} == photos


@pytest.mark.soak  # a timing; ~10 s, nearly all of it inserting the rows
def test_listing_the_moments_of_100000_photos(settings: Settings, tmp_path: Path) -> None:
    """A synthetic catalog of 100,000 photos over six years, with labels and albums."""
    import random

    from sqlalchemy import insert

    from smartalbum.catalog import OK, AlbumMember, Photo, PhotoLabel, State

    cities = [
        geocoder().lookup(*p) for p in (SAPPORO, TOKYO, HONOLULU, (39.9, 116.4), (48.85, 2.35))
    ]
    places = [json.dumps(c.to_dict(), ensure_ascii=False) for c in cities if c is not None]
    coords = [(c.latitude, c.longitude) for c in cities if c is not None]
    line = timeline(tmp_path / "big.db", settings)
    library = line.library
    digest = library.rules.digest
    rng = random.Random(7)
    when, city, photos, labels, members = datetime(2019, 1, 1, 8), 3, [], [], []
    for i in range(1, 100_001):
        step = timedelta(minutes=rng.choice((5, 10, 30, 60)))
        when += step if rng.random() > 0.02 else timedelta(days=rng.randint(2, 20))
        city = rng.randrange(len(places)) if rng.random() < 0.01 else city
        gps = rng.random() < 0.7
        photos.append({
            "id": i, "path": f"/p/{i}.jpg", "size": 1, "mtime": 1.0, "status": OK,
            "indexed_at": 1.0, "taken_at": when.isoformat(), "taken_at_offset": "+08:00",
            "time_source": "original", "albums_digest": digest,
            "gps_lat": coords[city][0] + rng.random() * 0.01 if gps else None,
            "gps_lon": coords[city][1] if gps else None, "place": places[city] if gps else None,
        })  # fmt: skip
        labels.append({"photo_id": i, "rank": 1, "class_index": rng.randrange(1000),
                       "wnid": "n", "probability": 0.6})  # fmt: skip
        members.append({"album_id": rng.choice(("winter", "pets", "food", "scenery")),
                        "photo_id": i, "score": rng.random()})  # fmt: skip
    with library.sessions.begin() as session:
        session.execute(insert(Photo), photos)
        session.execute(insert(PhotoLabel), labels)
        session.execute(insert(AlbumMember), members)
        session.merge(State(key="albums_digest", value=digest))  # the albums are up to date
    started = time.perf_counter()
    page = line.page(0, 50)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    assert line.page(0, 50) == page
    cached = time.perf_counter() - started
    print(f"\n100,000 photos: {page['total']} moments in {cold:.2f} s, then {cached * 1000:.0f} ms")
    assert page["total"] > 1000 and len(page["moments"]) == 50
    assert sum(m["count"] for m in line.moments()) == 100_000
    assert cold < 10  # generous: the machine is shared; about 1 s is usual here
