"""Bilingual names for moments and trips: the season where you were, the place, the scene.

"Winter 2024–25 · Hokkaido, Japan · Skiing" / "2024–25年冬 · 日本北海道 · 滑雪". Seasons follow
the hemisphere of the place (January in Sydney is summer); with no place, the north's. Near
the equator the month stands in for the season ("August 2005 · Nakuru County, Kenya").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from smartalbum.places.seasons import season_names, season_of
from smartalbum.text import has_chinese

SEP = " · "

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Scene:
    """An activity a photo's top class names, in English and Chinese."""

    id: str
    en: str
    zh: str
    wnids: tuple[str, ...]


# Activities worth naming a moment after, by the ImageNet classes that show them. Classes
# that are only scenery or things (alp, church) name no activity: the album does instead.
SCENES = (
    Scene("skiing", "Skiing", "滑雪", ("n04228054",)),  # ski
    Scene("dog_sledding", "Dog sledding", "狗拉雪橇", ("n03218198",)),  # dogsled
    Scene("snowmobiling", "Snowmobiling", "雪地摩托", ("n04252077",)),  # snowmobile
    Scene("bobsleigh", "Bobsleigh", "雪车", ("n02860847",)),  # bobsled
    # scuba diver, snorkel, coral reef
    Scene("diving", "Diving", "潜水", ("n10565667", "n04251144", "n09256479")),
    Scene("beach", "Beach", "海滩", ("n09428293", "n09421951")),  # seashore, sandbar
    Scene("swimming", "Swimming", "游泳", ("n04371430", "n02807133")),  # trunks, bathing cap
    Scene("canoeing", "Canoeing", "划独木舟", ("n02951358", "n03873416")),  # canoe, paddle
    # catamaran, trimaran, yawl, schooner
    Scene("sailing", "Sailing", "帆船", ("n02981792", "n04483307", "n04612504", "n04147183")),
    Scene("camping", "Camping", "露营", ("n03792972",)),  # mountain tent
    Scene("cycling", "Cycling", "骑行", ("n03792782", "n02835271")),  # mountain bike, tandem
    Scene("golf", "Golf", "高尔夫", ("n03445777", "n03445924")),  # golf ball, golfcart
    Scene("baseball", "Baseball", "棒球", ("n09835506",)),  # ballplayer
    Scene("parachuting", "Parachuting", "跳伞", ("n03888257",)),  # parachute
    Scene("wedding", "Wedding", "婚礼", ("n10148035",)),  # groom
    Scene("fairground", "Fairground", "游乐场", ("n02966193",)),  # carousel
    Scene("hot_pot", "Hot pot", "火锅", ("n07590611",)),  # hot pot
)


def season(day: date, lat: float | None) -> tuple[str, str]:
    """("Winter 2024–25", "2024–25年冬") for a date where the place is (north when unknown).

    One calendar everywhere (places/seasons.py): the season that runs from December into
    February spans two years and is named by both; the others lie within one year.
    """
    kind, start = season_of(day, lat)
    return season_names(kind, start, spans_years=day.month in (12, 1, 2))


# Within this many degrees of the equator a moment is named by its month, not a season. The
# four seasons are those of the temperate zones; in the inner tropics the mean temperature of
# the warmest and coolest months differs by a few degrees (Nairobi, Singapore, Bogotá, Lagos,
# Manila) and the year turns on wet and dry seasons that differ from coast to coast, so
# "Winter 2005" in Nakuru says nothing. Past 15°, at Hong Kong, Havana, Hawaii or Rio, the
# months cool and warm enough that people there name winter and summer themselves.
EQUATOR_BAND = 15.0
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")  # fmt: skip


def when_names(day: date, lat: float | None) -> tuple[str, str]:
    """A moment's time in its title: the season, or near the equator the month ("August 2005")."""
    if lat is not None and abs(lat) < EQUATOR_BAND:
        return f"{_MONTH_NAMES[day.month - 1]} {day.year}", f"{day.year}年{day.month}月"
    return season(day, lat)


def day_names(day: date) -> tuple[str, str]:
    """("7 Dec 2026", "2026年12月7日")."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}", f"{day.year}年{day.month}月{day.day}日"


def month_span(first: date, last: date) -> tuple[str, str]:
    """("Jan 2025", "2025年1月"), or a range when the dates fall in different months."""
    en, zh = _month(first)
    if (first.year, first.month) != (last.year, last.month):
        end_en, end_zh = _month(last)
        return f"{en} – {end_en}", f"{zh}–{end_zh}"
    return en, zh


def _month(day: date) -> tuple[str, str]:
    return f"{_MONTHS[day.month - 1]} {day.year}", f"{day.year}年{day.month}月"


def place_names(place: Mapping[str, Any] | None) -> tuple[str, str]:
    """("Hokkaido, Japan", "日本北海道"); English stands in for a missing Chinese name.

    A region with no Chinese name gives way to its town's ("芬兰赫尔辛基" for Uusimaa), or
    to the country alone: "芬兰 Uusimaa" reads as neither language.
    """
    if not place:
        return "", ""
    area = place.get("region") or place.get("city")
    country = place.get("country") or place.get("country_code")
    en = ", ".join(p for p in (area, country) if p)
    area_zh = place.get("region_zh") or place.get("city_zh")
    country_zh = place.get("country_zh")
    if country_zh and not area_zh:
        return en, country_zh
    return en, _joined_zh(country_zh or country, area_zh or area)


def _joined_zh(*parts: str | None) -> str:
    """Chinese names run together ("日本北海道"); an English stand-in gets a space."""
    text = ""
    for part in (p for p in parts if p):
        if text and not (has_chinese(text[-1]) and has_chinese(part[0])):
            text += " "
        text += part
    return text


def moment_titles(
    when: tuple[str, str], where: tuple[str, str], what: tuple[str, str] | None
) -> tuple[str, str]:
    """A moment's titles from its season, place and scene names, whichever are known."""
    what = what or ("", "")
    return (
        SEP.join(p for p in (when[0], where[0], what[0]) if p),
        SEP.join(p for p in (when[1], where[1], what[1]) if p),
    )


def trip_titles(first: date, last: date, place: Mapping[str, Any] | None) -> tuple[str, str]:
    """("Trip to Hokkaido, Japan · Jan 2025", "2025年1月 · 日本北海道之旅")."""
    when_en, when_zh = month_span(first, last)
    where_en, where_zh = place_names(place)
    if not where_en:
        return f"Trip{SEP}{when_en}", f"{when_zh}{SEP}旅行"
    return f"Trip to {where_en}{SEP}{when_en}", f"{when_zh}{SEP}{where_zh}之旅"
