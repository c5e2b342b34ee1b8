"""Reverse geocoding: real towns on every continent, both hemispheres, offline, in Chinese."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from collections import Counter
from importlib import resources

import numpy as np
import pytest

from smartalbum.errors import InvalidCoordinatesError, PlaceDataError
from smartalbum.places import City, Geocoder, Names, geocoder, haversine_km, hemisphere, tables
from smartalbum.places import geocoding as places

# Each point is a landmark near the town's centre, so the nearest GeoNames place is the town.
# (name, lat, lon, country_code, city, country_zh, city_zh)
KNOWN = [
    ("Tokyo Metropolitan Government", 35.6896, 139.6921, "JP", "Tokyo", "日本", "东京"),
    ("Sapporo Station", 43.0687, 141.3508, "JP", "Sapporo", "日本", "札幌"),
    ("Niseko town office, Hokkaido", 42.8048, 140.6874, "JP", "Niseko", "日本", "二世谷"),
    ("Nijo Castle, Kyoto", 35.0142, 135.7481, "JP", "Kyoto", "日本", "京都"),
    ("Hallgrimskirkja, Reykjavik", 64.1417, -21.9266, "IS", "Reykjavík", "冰岛", "雷克雅未克"),
    ("Queenstown wharf", -45.0326, 168.6580, "NZ", "Queenstown", "新西兰", "皇后镇"),
    ("Ushuaia port", -54.8069, -68.3073, "AR", "Ushuaia", "阿根廷", "乌斯怀亚"),
    ("Cape Town City Hall", -33.9253, 18.4239, "ZA", "Cape Town", "南非", "开普敦"),
    ("Nairobi CBD", -1.2833, 36.8167, "KE", "Nairobi", "肯尼亚", "内罗毕"),
    ("Tahrir Square, Cairo", 30.0444, 31.2357, "EG", "Cairo", "埃及", "开罗"),
    ("Notre-Dame de Paris", 48.8530, 2.3499, "FR", "Paris", "法国", "巴黎"),
    ("Zermatt station", 46.0244, 7.7477, "CH", "Zermatt", "瑞士", "采尔马特"),
    ("Trafalgar Square, London", 51.5080, -0.1281, "GB", "London", "英国", "伦敦"),
    ("New York City Hall", 40.7127, -74.0059, "US", "New York City", "美国", "纽约"),
    ("Banff Avenue", 51.1781, -115.5719, "CA", "Banff", "加拿大", "班夫"),
    ("Sydney Town Hall", -33.8731, 151.2061, "AU", "Sydney", "澳大利亚", "悉尼"),
    ("Plaza Mayor, Lima", -12.0453, -77.0311, "PE", "Lima", "秘鲁", "利马"),
    ("Kathmandu Durbar Square", 27.7042, 85.3067, "NP", "Kathmandu", "尼泊尔", "加德满都"),
    ("Tiananmen, Beijing", 39.9055, 116.3976, "CN", "Beijing", "中国", "北京"),
    ("Norbulingka, Lhasa", 29.6531, 91.0945, "CN", "Lhasa", "中国", "拉萨"),
    ("Suva, Fiji (178.4°E)", -18.1416, 178.4419, "FJ", "Suva", "斐济", "苏瓦"),
    ("Tromsø, 69.6°N", 69.6492, 18.9553, "NO", "Tromsø", "挪威", "特罗姆瑟"),
    ("Honolulu", 21.3069, -157.8583, "US", "Honolulu", "美国", "檀香山"),
]

# Inside big cities GeoNames also lists neighbourhoods, and near some landmarks one of
# them is genuinely the nearest place: these answers are right, not misses.
NEIGHBOURHOODS = [
    ("Sydney Opera House", -33.8568, 151.2153, "AU", "The Rocks", "岩石区"),
    ("Potala Palace, Lhasa", 29.6578, 91.1169, "CN", "Jibenggang", "吉崩岗"),
    ("Tokyo Station", 35.6812, 139.7671, "JP", "Hatchōbori", None),
]

CHINESE = re.compile(r"[\u4e00-\u9fff（）·\-]+")


@pytest.fixture(scope="module")
def towns() -> list[City]:
    """Every bundled town, read straight from the package data."""
    return places.bundled_cities()


@pytest.mark.parametrize(("where", "lat", "lon", "code", "city", "country_zh", "city_zh"), KNOWN)
def test_known_towns(
    where: str, lat: float, lon: float, code: str, city: str, country_zh: str, city_zh: str
) -> None:
    place = geocoder().lookup(lat, lon)
    assert place is not None, where
    assert (place.country_code, place.city) == (code, city), where
    assert (place.country_zh, place.city_zh) == (country_zh, city_zh), where
    assert place.country  # English, from the package's country list
    assert place.distance_km < 3.5
    assert place.distance_km == pytest.approx(
        haversine_km(lat, lon, place.latitude, place.longitude)
    )


@pytest.mark.parametrize(("where", "lat", "lon", "code", "city", "city_zh"), NEIGHBOURHOODS)
def test_neighbourhoods(
    where: str, lat: float, lon: float, code: str, city: str, city_zh: str | None
) -> None:
    place = geocoder().lookup(lat, lon)
    assert place is not None
    assert (place.country_code, place.city, place.city_zh) == (code, city, city_zh), where


def test_regions_in_english_and_chinese() -> None:
    cases = {
        (43.0687, 141.3508): ("Hokkaido", "北海道"),
        (35.6896, 139.6921): ("Tokyo", "东京都"),
        (29.6531, 91.0945): ("Tibet", "西藏自治区"),
        (40.7127, -74.0059): ("New York", "纽约州"),
        (51.1781, -115.5719): ("Alberta", "艾伯塔省"),
        (-42.8806, 147.3250): ("Tasmania", "塔斯马尼亚州"),
        (-45.0326, 168.6580): ("Otago", "奥塔哥大区"),
    }
    for (lat, lon), expected in cases.items():
        place = geocoder().lookup(lat, lon)
        assert place is not None
        assert (place.region, place.region_zh) == expected


def test_unknown_chinese_names_are_none() -> None:
    # Ho Chi Minh City's region: no row of ours, and iso-codes spells it otherwise
    place = geocoder().lookup(10.8231, 106.6297)
    assert place is not None
    assert place.region == "Ho Chi Minh"
    assert place.region_zh is None


def test_same_name_different_places() -> None:
    # Suzhou is 苏州 in Jiangsu and 宿州 in Anhui; the region column tells them apart.
    jiangsu = geocoder().lookup(31.3040, 120.5960)
    anhui = geocoder().lookup(33.6360, 116.9790)
    assert jiangsu is not None and anhui is not None
    assert (jiangsu.city, jiangsu.region, jiangsu.city_zh) == ("Suzhou", "Jiangsu", "苏州")
    assert (anhui.city, anhui.region, anhui.city_zh) == ("Suzhou", "Anhui", "宿州")


def test_to_dict() -> None:
    place = geocoder().lookup(35.6896, 139.6921)
    assert place is not None
    assert place.to_dict() == {
        "city": "Tokyo",
        "region": "Tokyo",
        "country": "Japan",
        "country_code": "JP",
        "city_zh": "东京",
        "region_zh": "东京都",
        "country_zh": "日本",
    }
    json.dumps(place.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (math.nan, 0.0),
        (0.0, math.nan),
        (math.inf, 0.0),
        (95.0, 10.0),
        (-90.5, 10.0),
        (10.0, 200.0),
        (10.0, -180.01),
    ],
)
def test_invalid_coordinates(lat: float, lon: float) -> None:
    assert geocoder().lookup(lat, lon) is None


def test_edges_of_the_map() -> None:
    for lat, lon in [(90.0, 0.0), (-90.0, 0.0), (0.0, 180.0), (0.0, -180.0), (-48.88, -123.39)]:
        place = geocoder().lookup(lat, lon)
        assert place is not None
        assert place.distance_km > 0


def test_lookup_many_keeps_order_and_invalid_points() -> None:
    points = [(35.6896, 139.6921), (math.nan, 1.0), (-33.9253, 18.4239), (35.6896, 139.6921)]
    found = geocoder().lookup_many(points)
    assert [p.city if p else None for p in found] == ["Tokyo", None, "Cape Town", "Tokyo"]
    assert geocoder().lookup_many([]) == []


def test_nearest_is_exact_against_brute_force(towns: list[City]) -> None:
    rng = np.random.default_rng(7)
    lat = np.radians([t.latitude for t in towns])
    lon = np.radians([t.longitude for t in towns])
    # Half uniform over the globe (oceans, poles), half within ~20 km of a random town.
    picks = rng.integers(0, len(towns), 60)
    points = [
        (math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)) for _ in range(60)
    ] + [
        (
            min(90.0, max(-90.0, towns[i].latitude + rng.normal(0, 0.15))),
            (towns[i].longitude + rng.normal(0, 0.15) + 180) % 360 - 180,
        )
        for i in picks
    ]
    for (qlat, qlon), place in zip(points, geocoder().lookup_many(points), strict=True):
        assert place is not None
        p, q = math.radians(qlat), math.radians(qlon)
        a = np.sin((lat - p) / 2) ** 2 + math.cos(p) * np.cos(lat) * np.sin((lon - q) / 2) ** 2
        best = 2 * places.EARTH_RADIUS_KM * float(np.arcsin(np.sqrt(a)).min())
        assert place.distance_km == pytest.approx(best, abs=1e-6), (qlat, qlon)


def _tiny(*towns: tuple[str, float, float]) -> Geocoder:
    names = Names(countries={"XX": "Testland"}, countries_zh={"XX": "测试国"}, places_zh={})
    return Geocoder([City(name, None, "XX", lat, lon) for name, lat, lon in towns], names)


def test_nearest_across_the_180th_meridian() -> None:
    # In raw degrees "east" is 359.85° away and "west" 9.95°; on the ground it is 5 km.
    gc = _tiny(("east", -16.0, 179.9), ("west", -16.0, 170.0))
    place = gc.lookup(-16.0, -179.95)
    assert place is not None
    assert place.city == "east"
    assert place.distance_km == pytest.approx(16.0, abs=0.1)
    assert place.country_zh == "测试国"
    assert place.city_zh is None and place.region_zh is None


def test_nearest_at_high_latitude() -> None:
    # At 70°N one degree of longitude is 38 km: the town 1° east is nearer than 0.4° north,
    # which a search in raw degrees would pick.
    gc = _tiny(("north", 70.4, 20.0), ("east", 70.0, 21.0))
    place = gc.lookup(70.0, 20.0)
    assert place is not None
    assert place.city == "east"


def test_a_geocoder_needs_towns() -> None:
    with pytest.raises(ValueError, match="at least one town") as caught:
        _tiny()
    # One of the product's errors (still a ValueError for callers that check numbers).
    assert isinstance(caught.value, PlaceDataError)
    assert caught.value.to_dict("zh") == {
        "code": "place_data_unavailable",
        "message": "地理编码器至少需要一个城镇",
    }


def test_works_without_a_network() -> None:
    """A fresh interpreter with every socket refused still loads the data and answers."""
    script = """
import json, socket
def refuse(*args, **kwargs):
    raise OSError("network disabled by the test")
socket.socket = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from smartalbum.places import geocoder
found = geocoder().lookup_many([(42.8048, 140.6874), (-54.8069, -68.3073)])
print(json.dumps([p.to_dict() if p else None for p in found], ensure_ascii=False))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert [p["city"] for p in found] == ["Niseko", "Ushuaia"]
    assert [p["country_zh"] for p in found] == ["日本", "阿根廷"]


def test_haversine() -> None:
    assert haversine_km(10.0, 20.0, 10.0, 20.0) == 0.0
    assert haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.6, abs=0.5)
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * places.EARTH_RADIUS_KM)
    assert haversine_km(-16.0, 179.9, -16.0, -179.9) == pytest.approx(21.4, abs=0.1)


def test_hemisphere() -> None:
    assert hemisphere(35.7) == "north"
    assert hemisphere(-45.0) == "south"
    assert hemisphere(0.0) == "north"
    assert hemisphere(-90) == "south"
    for bad in (math.nan, 90.5, -91.0, math.inf):
        with pytest.raises(ValueError) as caught:
            hemisphere(bad)
        assert isinstance(caught.value, InvalidCoordinatesError)


def test_every_country_has_a_chinese_name(towns: list[City]) -> None:
    table = resources.files("smartalbum.places").joinpath("data/countries_zh.tsv")
    rows = tables.tsv(table, 2, 2)
    codes = [code for code, _ in rows]
    assert len(codes) == len(set(codes)) == 250  # 249 ISO 3166-1 codes and XK
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)
    assert all(CHINESE.fullmatch(name) for _, name in rows)
    in_data = {town.country_code for town in towns}
    assert in_data <= set(codes)


def test_every_chinese_place_name_matches_the_data(towns: list[City]) -> None:
    """Each row names a place the geocoder can return, spelt as GeoNames spells it."""
    table = resources.files("smartalbum.places").joinpath("data/places_zh.tsv")
    rows = tables.tsv(table, 4, 5)
    regions = {(t.country_code, t.region) for t in towns}
    cities = {(t.country_code, t.name, t.region) for t in towns}
    city_names = {(t.country_code, t.name) for t in towns}
    keys = Counter((code, kind, english, *rest) for code, kind, english, _, *rest in rows)
    assert [key for key, n in keys.items() if n > 1] == []
    for code, kind, english, chinese, *region in rows:
        assert CHINESE.fullmatch(chinese), (english, chinese)
        if kind == "region":
            assert not region and (code, english) in regions, (code, english)
        else:
            assert kind == "city", kind
            if region:
                assert (code, english, region[0]) in cities, (code, english, region)
            else:
                assert (code, english) in city_names, (code, english)
    counts = Counter(kind for _, kind, *_ in rows)
    assert counts["region"] >= 47 + 31 + 51 + 13 + 8  # JP, CN, US (+DC), CA, AU
    assert counts["city"] >= 300


@pytest.mark.soak  # a timing
def test_lookup_speed_is_reported() -> None:
    """Not a speed assertion: prints what a lookup costs here (run with -s to see it)."""
    gc = geocoder()
    rng = np.random.default_rng(3)
    points = [(float(rng.uniform(-60, 70)), float(rng.uniform(-180, 180))) for _ in range(1000)]
    start = time.perf_counter()
    for lat, lon in points[:200]:
        gc.lookup(lat, lon)
    single = (time.perf_counter() - start) / 200
    start = time.perf_counter()
    assert len(gc.lookup_many(points)) == 1000
    many = time.perf_counter() - start
    print(f"\nlookup: {single * 1e3:.3f} ms/point; lookup_many(1000): {many * 1e3:.0f} ms")


@pytest.mark.parametrize(
    ("name", "code", "city"),
    [("Beijing", "CN", "Beijing"), ("北京", "CN", "Beijing"), ("  sapporo ", "JP", "Sapporo"),
     ("札幌", "JP", "Sapporo"), ("Paris", "FR", "Paris"), ("巴黎", "FR", "Paris"),
     ("reykjavik", "IS", "Reykjavík"), ("苏州", "CN", "Suzhou")],
)  # fmt: skip
def test_find_a_town_by_name(name: str, code: str, city: str) -> None:
    """By English name (any case or accents) or Chinese; the most populous of namesakes."""
    place = geocoder().find(name)
    assert place is not None and (place.country_code, place.city) == (code, city)
    assert place.distance_km == 0.0
    assert geocoder().lookup(place.latitude, place.longitude) == place


def test_find_nothing() -> None:
    assert geocoder().find("Atlantisopolis") is None
    assert geocoder().find("   ") is None
