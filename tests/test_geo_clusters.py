"""The map's clusters over the moments test library (tests/moments_library.py), through the API:
one per cell of the zoom, named in both languages, its photos found again by its bounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartalbum.moments.geo_clusters import cell_degrees
from smartalbum.settings import Settings
from tests.helpers import LiveServer, assert_error

BEIJING = ["home-dec-1", "home-dec-2", "home-dec-3", "home-jan-1", "home-jan-2", "home-feb"]
HOKKAIDO = ["sapporo-1", "sapporo-2", "sapporo-3", "sapporo-4", "niseko-1", "niseko-2"]
PARIS, LYON = ["paris-1", "paris-2", "paris-3"], ["lyon-1", "lyon-2"]
HONOLULU = ["honolulu-1", "honolulu-2", "honolulu-3", "honolulu-4"]
SYDNEY = ["sydney-1", "sydney-2", "sydney-3", "sydney-4"]
TOKYO = ["tokyo-1", "tokyo-2"]


@pytest.fixture(scope="module")
def client(trip_library: tuple[Path, dict[str, int]], settings: Settings) -> Iterator[httpx.Client]:
    own = Settings(cache_dir=settings.cache_dir, library=str(trip_library[0]))
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def shown(client: httpx.Client, **params: Any) -> list[tuple[int, str | None, str | None]]:
    answer = client.get("/api/map/clusters", params=params).json()
    return [(c["count"], c["place"], c["place_zh"]) for c in answer["clusters"]]


def test_cell_sizes() -> None:
    assert cell_degrees(0) == 40.0 and cell_degrees(3) == 5.0 and cell_degrees(12) < 0.01


def test_clusters_at_three_zoom_levels(client: httpx.Client) -> None:
    # 5° cells: each trip's town and its neighbours together, Paris with Lyon. Photos without
    # GPS, with a broken or a 0,0 position are on no map.
    assert shown(client, zoom=3) == [
        (6, "Beijing, China", "中国北京市"),
        (6, "Hokkaido, Japan", "日本北海道"),
        (5, "Île-de-France, France", "法国法兰西岛大区"),
        (4, "Hawaii, United States", "美国夏威夷州"),
        (4, "New South Wales, Australia", "澳大利亚新南威尔士州"),
        (2, "Tokyo, Japan", "日本东京都"),
    ]
    at_six = shown(client, zoom=6)  # 0.625°: Paris and Lyon apart
    assert (3, "Île-de-France, France", "法国法兰西岛大区") in at_six
    assert (2, "Auvergne-Rhône-Alpes, France", "法国奥弗涅-罗讷-阿尔卑斯大区") in at_six
    assert len(at_six) == 9, at_six  # and Niseko apart from Sapporo, Bondi from Sydney
    world = client.get("/api/map/clusters").json()  # 40° cells: Beijing and Tokyo share one
    assert world["zoom"] == 0 and world["count"] == 27
    assert sorted(c["count"] for c in world["clusters"]) == [4, 4, 5, 6, 8]


def test_a_cluster_has_its_cover_bounds_and_photos(
    client: httpx.Client, trip_library: tuple[Path, dict[str, int]]
) -> None:
    by_name = trip_library[1]
    hokkaido = client.get("/api/map/clusters", params={"zoom": 3}).json()["clusters"][1]
    assert hokkaido["cover"] == by_name["niseko-2"]  # the newest of its photos
    assert 42.8 < hokkaido["lat"] < 43.07 and 140.68 < hokkaido["lon"] < 141.36
    found = client.get("/api/map/photos", params=hokkaido["bounds"]).json()
    assert found["count"] == 6
    assert [p["id"] for p in found["photos"]] == [by_name[n] for n in HOKKAIDO[::-1]]
    page = client.get("/api/map/photos", params={**hokkaido["bounds"], "offset": 4}).json()
    assert [p["id"] for p in page["photos"]] == [by_name["sapporo-2"], by_name["sapporo-1"]]


def test_a_box_across_the_180th_meridian_and_bad_ones(
    client: httpx.Client, trip_library: tuple[Path, dict[str, int]]
) -> None:
    pacific = {"south": 0, "west": 170, "north": 40, "east": -150}
    assert shown(client, zoom=3, **pacific) == [(4, "Hawaii, United States", "美国夏威夷州")]
    found = client.get("/api/map/photos", params=pacific).json()
    assert {p["id"] for p in found["photos"]} == {trip_library[1][n] for n in HONOLULU}
    upside_down = {"south": 50, "west": -10, "north": 40, "east": 10}  # taken in either order
    france = (5, "Île-de-France, France", "法国法兰西岛大区")
    assert shown(client, zoom=3, **upside_down) == [france]
    for bad in ({"zoom": 13}, {"zoom": -1}, {"south": -91}, {"east": 180.5}, {"north": "x"}):
        assert_error(client.get("/api/map/clusters", params=bad), 422, "invalid_request")
    assert_error(client.get("/api/map/photos", params={"limit": 0}), 422, "invalid_request")
