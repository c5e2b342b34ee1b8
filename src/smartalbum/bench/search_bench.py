"""``smartalbum bench --catalog N --search``: sentence search on a synthetic library of N photos.

N catalog records (no files: search reads only the catalog) taken over six years at
30 real towns on both hemispheres, each with five labels, then three-part queries
(what + where + when) timed warm, as a server answers them: the vocabulary, the
geocoder's names and the timeline are built by the first query and kept.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from smartalbum.albums import RulesWatcher, class_groups
from smartalbum.catalog import OK, Photo, PhotoLabel, open_engine, session_factory, table
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import load_labels
from smartalbum.moments import Timeline
from smartalbum.places import geocoder
from smartalbum.places import stored as stored_place
from smartalbum.search.service import search
from smartalbum.settings import Settings

TOWNS = [(43.07, 141.35), (42.80, 140.69), (35.69, 139.69), (34.69, 135.50), (39.91, 116.40),
         (31.23, 121.47), (22.54, 114.06), (48.85, 2.35), (45.76, 4.84), (41.89, 12.49),
         (43.77, 11.26), (51.51, -0.13), (40.71, -74.01), (34.05, -118.24), (21.31, -157.86),
         (-33.87, 151.21), (-37.81, 144.96), (-45.03, 168.66), (-36.85, 174.76), (-33.93, 18.42),
         (-22.91, -43.17), (-34.60, -58.38), (46.02, 7.75), (47.37, 8.54), (41.01, 28.95),
         (37.57, 126.98), (1.35, 103.82), (13.75, 100.50), (64.14, -21.93),
         (55.75, 37.62)]  # fmt: skip
SENTENCES = ("去年冬天在日本滑雪", "skiing in Japan last winter",
             "dogs on the beach in summer 2024", "巴黎 2023年10月 的教堂",
             "cats in Sydney this year")  # fmt: skip
# The second round's kinds (issue 28): logic, holidays of every year, places at every level,
# counted back, colours, time of day, typos and pinyin.
SECOND_ROUND = ("cats or dogs", "猫和狗", "dogs not on the beach", "除了日本的狗", "国庆节",
                "五一假期", "Europe", "欧洲的教堂", "海南的海滩", "two years ago", "上上个月",
                "red car", "白色的花", "sunset in Sydney", "北京的晚上", "restaraunt",
                "beijing")  # fmt: skip
QUERIES = SENTENCES + SECOND_ROUND
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black",
           "white", "grey")  # fmt: skip
TODAY = date(2026, 3, 15)
CHUNK = 10_000
START = datetime(2020, 3, 15)


def bench_search(settings: Settings, count: int, repeats: int = 20) -> dict[str, Any]:
    """Build the synthetic library in a temporary folder; each query's first and warm times."""
    with tempfile.TemporaryDirectory(prefix="smartalbum-search-") as tmp:
        catalog = str(Path(tmp) / "library.db")
        engine = open_engine(catalog)
        try:
            started = time.perf_counter()
            labels = load_labels()
            _insert(engine, count, [c.wnid for c in labels.classes])
            built = time.perf_counter() - started
            library = PhotoLibrary(
                session_factory(engine), labels, RulesWatcher(None, labels, class_groups())
            )
            library.refresh()
            timeline = Timeline(library, settings.with_overrides(library=catalog))
            rows = [_time(library, timeline, query, repeats) for query in QUERIES]
        finally:
            engine.dispose()
    return {"photos": count, "build_s": round(built, 2), "today": TODAY.isoformat(),
            "queries": rows}  # fmt: skip


def _time(library: PhotoLibrary, timeline: Timeline, query: str, repeats: int) -> dict[str, Any]:
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        found = search(library, query, limit=100, today=TODAY, moments=timeline)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "query": query,
        "parts": [p["kind"] for p in found["interpretation"]],
        "found": found["total"],
        "first_ms": round(times[0], 1),
        "warm_ms": round(statistics.median(times[1:]), 1),
    }


def _colours(rng: random.Random) -> str:
    """Two or three dominant colours with their shares, as the indexer stores them."""
    names = rng.sample(COLOURS, rng.randint(2, 3))
    shares = sorted((rng.random() for _ in names), reverse=True)
    total = sum(shares)
    return " ".join(f"{n}:{s / total:.2f}" for n, s in zip(names, shares, strict=True))


def _insert(engine: Engine, count: int, wnids: list[str]) -> None:
    """``count`` photos a few hours apart over six years, in runs at one town, five labels each."""
    rng = random.Random(0)
    places = [stored_place.encode(geocoder().lookup(lat, lon)) for lat, lon in TOWNS]
    photos, labels = table(Photo), table(PhotoLabel)
    step = timedelta(days=6 * 365) / max(count, 1)
    now = time.time()
    with engine.begin() as connection:
        for start in range(0, count, CHUNK):
            rows = []
            for i in range(start, min(start + CHUNK, count)):
                town = (i // 200) % len(TOWNS)  # 200 photos in a row at one town: a trip
                lat, lon = TOWNS[town]
                rows.append({"path": f"/synthetic/{i:07d}.jpg", "size": 1, "mtime": 1.0,
                             "status": OK, "sha256": f"{i:064x}", "indexed_at": now,
                             "taken_at": (START + step * i).isoformat(timespec="seconds"),
                             "gps_lat": lat, "gps_lon": lon, "place": places[town],
                             "colours": _colours(rng)})  # fmt: skip
            returned = connection.execute(insert(photos).returning(photos.c.id), rows)
            label_rows = []
            for (photo_id,) in returned:
                classes = rng.sample(range(1000), 5)
                probabilities = sorted((rng.random() for _ in classes), reverse=True)
                label_rows += [
                    {"photo_id": photo_id, "rank": rank, "class_index": c, "wnid": wnids[c],
                     "probability": p}
                    for rank, (c, p) in enumerate(zip(classes, probabilities, strict=True), 1)
                ]  # fmt: skip
            connection.execute(insert(labels), label_rows)
