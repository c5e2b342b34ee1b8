"""The sun's place (search/daytime.py) and the counts of "三年前" (search/understand/ago.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from smartalbum.search.daytime import at_sun, sun_position, utc_of
from smartalbum.search.understand.ago import ago, number, year_ago_today

# Sunrises and sunsets as almanacs give them (to the minute), in UTC: the sun's centre is 0.83
# degrees below the horizon (refraction and its radius).
SUN_TIMES = [
    ("Beijing sunset", 39.9055, 116.3976, datetime(2022, 6, 15, 11, 46), True),
    ("Beijing sunrise", 39.9055, 116.3976, datetime(2022, 6, 14, 20, 45), False),
    ("Sydney sunrise", -33.8731, 151.2061, datetime(2025, 12, 27, 18, 47), False),
    ("Sydney sunset", -33.8731, 151.2061, datetime(2025, 12, 28, 9, 9), True),
    ("Reykjavik sunset", 64.1466, -21.9426, datetime(2024, 12, 21, 15, 30), True),
]


@pytest.mark.parametrize(("name", "lat", "lon", "utc", "setting"), SUN_TIMES,
                         ids=[s[0] for s in SUN_TIMES])  # fmt: skip
def test_the_sun_is_on_the_horizon_at_published_times(
    name: str, lat: float, lon: float, utc: datetime, setting: bool
) -> None:
    elevation, hour_angle = sun_position(lat, lon, utc)
    assert -1.6 < elevation < 0.0, elevation
    assert (hour_angle > 0) == setting
    assert at_sun("sunset" if setting else "sunrise", lat, lon, utc)
    assert not at_sun("sunrise" if setting else "sunset", lat, lon, utc)


def test_noon_and_midnight_are_no_sunset() -> None:
    noon = datetime(2022, 6, 15, 4, 10)  # 12:10 in Beijing: the sun near its highest
    elevation, _ = sun_position(39.9055, 116.3976, noon)
    assert 70 < elevation < 74  # 90 - 39.9 + 23.3
    assert not at_sun("sunset", 39.9055, 116.3976, noon)
    assert not at_sun("sunset", 39.9055, 116.3976, datetime(2022, 6, 15, 16, 0))


def test_the_instant_of_a_local_time() -> None:
    assert utc_of("2022-06-15T19:40:00", "+08:00", 116.4) == datetime(2022, 6, 15, 11, 40)
    assert utc_of("2022-06-15T19:40:00", "-03:30", 0.0) == datetime(2022, 6, 15, 23, 10)
    # Without an offset, the longitude's solar hour: 120 degrees east is 8 hours.
    assert utc_of("2022-06-15T19:40:00", None, 120.0) == datetime(2022, 6, 15, 11, 40)
    assert utc_of("not a time", "+08:00", 0.0) is None


@pytest.mark.parametrize(("text", "value"), [("3", 3), ("three", 3), ("a", 1), ("三", 3),
    ("两", 2), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("十十", None),
    ("零", None), ("二三", None)])  # fmt: skip
def test_counts_in_words_and_digits(text: str, value: int | None) -> None:
    assert number(text) == value


def test_counts_back_name_whole_units() -> None:
    today = date(2026, 3, 15)
    month = ago(14, "month", today)
    assert month is not None and (month.start, month.end) == (date(2025, 1, 1), date(2025, 2, 1))
    assert ago(0, "year", today) is None and ago(None, "year", today) is None
    assert ago(2000, "year", today) is None  # not a count of anything in a photo library
    leap = year_ago_today(date(2024, 2, 29))
    assert leap.start == date(2023, 2, 28)
