"""On this day: earlier years' photos of a fixed "today", by year, favourites and covers first;
over the moments test library through the API, and the grouping on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from smartalbum.moments.onthisday import Memory, chinese_years, days_of, group_by_year, titles
from smartalbum.settings import Settings
from tests.helpers import LiveServer, assert_error


def test_titles_in_both_languages() -> None:
    assert titles(1) == ("1 year ago", "一年前的今天")
    assert titles(3) == ("3 years ago", "三年前的今天")
    assert [chinese_years(n)[:-5] for n in (2, 9, 10, 12, 20, 23, 99)] == [
        "两", "九", "十", "十二", "二十", "二十三", "九十九",
    ]  # fmt: skip


def test_the_28th_of_february_takes_the_29th_in_a_common_year() -> None:
    assert days_of(date(2026, 3, 15)) == ("03-15",)
    assert days_of(date(2026, 2, 28)) == ("02-28", "02-29")
    assert days_of(date(2028, 2, 28)) == ("02-28",)  # a leap year has its own 29th
    assert days_of(date(2028, 2, 29)) == ("02-29",)


def test_years_newest_first_favourites_then_covers_then_time() -> None:
    trip = {"id": "m7", "title": "Trip", "title_zh": "旅行"}
    memories = [
        Memory(1, "2023-12-07T09:00:00", trip, cover=False),
        Memory(2, "2023-12-07T10:00:00", trip, cover=True),
        Memory(3, "2023-12-07T11:00:00", None, cover=False),
        Memory(4, "2023-12-07T08:00:00", None, cover=False),
        Memory(5, "2025-12-07T12:00:00", None, cover=False),
        Memory(6, "2026-12-07T08:00:00", None, cover=False),  # this year: no memory yet
    ]
    years = group_by_year(memories, date(2026, 12, 7), favourites={3}, limit=3)
    assert [(y["year"], y["title"], y["title_zh"], y["count"]) for y in years] == [
        (2025, "1 year ago", "一年前的今天", 1),
        (2023, "3 years ago", "三年前的今天", 4),
    ]
    assert [p["id"] for p in years[1]["photos"]] == [3, 2, 4]  # the limit leaves 1 out
    assert years[1]["photos"][0]["favourite"] and not years[1]["photos"][1]["favourite"]
    assert years[1]["moments"] == [trip] and years[0]["moments"] == []
    assert group_by_year([], date(2026, 12, 7)) == []


@pytest.fixture(scope="module")
def client(trip_library: tuple[Path, dict[str, int]], settings: Settings) -> Iterator[httpx.Client]:
    own = Settings(cache_dir=settings.cache_dir, library=str(trip_library[0]), home="北京")
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def test_a_year_ago_on_the_moments_library(
    client: httpx.Client, trip_library: tuple[Path, dict[str, int]]
) -> None:
    by_name = trip_library[1]
    answer = client.get("/api/on-this-day", params={"today": "2026-01-12"}).json()
    assert answer["today"] == "2026-01-12"
    (year,) = answer["years"]
    assert (year["year"], year["title"], year["title_zh"]) == (2025, "1 year ago", "一年前的今天")
    # As each photo's clock said: Niseko on the 12th, and Honolulu's evening of the 12th.
    names = ("niseko-1", "niseko-2", "niseko-camera", "niseko-broken-gps", "honolulu-1")
    assert {p["id"] for p in year["photos"]} == {by_name[n] for n in names}
    assert year["count"] == 5
    moments = {m["id"]: m for m in client.get("/api/moments").json()["moments"]}
    assert {m["title"] for m in year["moments"]} == {
        "Winter 2024–25 · Hokkaido, Japan · Skiing",
        "Winter 2024–25 · Hawaii, United States · Beach",
    }
    covers = [p["id"] == moments[p["moment"]]["cover"] for p in year["photos"]]
    assert covers == sorted(covers, reverse=True)  # the moments' covers first
    rest = [p["taken_at"] for p, cover in zip(year["photos"], covers, strict=True) if not cover]
    assert rest == sorted(rest)  # then in time order

    two = client.get("/api/on-this-day", params={"today": "2027-01-12", "limit": 2}).json()
    assert [(y["title"], y["title_zh"], y["count"]) for y in two["years"]] == [
        ("2 years ago", "两年前的今天", 5)
    ]
    assert len(two["years"][0]["photos"]) == 2


def test_nothing_on_a_day_without_memories(client: httpx.Client) -> None:
    assert client.get("/api/on-this-day", params={"today": "2025-01-12"}).json()["years"] == []
    # The photo without EXIF is dated 15 June 2023 by its file only: that is no memory.
    assert client.get("/api/on-this-day", params={"today": "2026-06-15"}).json()["years"] == []
    assert client.get("/api/on-this-day").json()["today"] == date.today().isoformat()
    for bad in ("2026-13-01", "0", "yesterday"):
        assert_error(client.get("/api/on-this-day", params={"today": bad}), 422, "invalid_request")
    assert_error(client.get("/api/on-this-day", params={"limit": 0}), 422, "invalid_request")
