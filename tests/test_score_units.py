"""One unit per field name, wherever a score is given: every route and command that answers
a ``probability`` or a ``score`` gives it as a fraction; only ``POST /predict``'s deprecated
``probability_percent`` is in percent. Real HTTP, real photos, real ``smartalbum`` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.shares import ShareLinks
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, LiveServer, teach_a_category

# Each field name's one unit, as the range its values may take. A category's score is a
# cosine (-1..1); album and search scores are 0..1; a percent would be past 1 for any
# photo the model recognises.
UNITS = {
    "probability": (0.0, 1.0),
    "score": (-1.0, 1.0),
    "threshold": (-1.0, 1.0),
    "probability_percent": (0.0, 100.0),
}
PERCENT_ONLY_IN = "POST /predict"  # the deprecated field, kept there for one release


def scored(value: Any) -> Iterator[tuple[str, float]]:
    """Every (field name, number) of UNITS anywhere in a JSON answer."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in UNITS and isinstance(inner, int | float):
                yield key, float(inner)
            else:
                yield from scored(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from scored(inner)


def cli(*args: str) -> Any:
    """A ``smartalbum`` command's JSON output."""
    proc = subprocess.run(
        [sys.executable, "-m", "smartalbum", *args, "--json"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def the_cat(photos: list[dict[str, Any]]) -> dict[str, Any]:
    """The cat among photos listed with their paths."""
    (cat,) = [p for p in photos if p["path"].endswith(CAT)]
    return cat


@pytest.fixture
def taught(library_settings: Settings) -> Settings:
    """The test's own catalog with a taught category and a share link to the pets album."""
    teach_a_category(library_settings)
    return library_settings


def web_answers(client: httpx.Client, token: str) -> dict[str, Any]:
    """Every route's answer that carries a score, by route."""
    photo = (SAMPLES / CAT).read_bytes()
    daisy = (SAMPLES / "n11939491_daisy.JPEG").read_bytes()
    cat_id = the_cat(client.get("/api/albums/pets").json()["photos"])["id"]
    category = client.get("/api/categories").json()["categories"][0]["id"]
    several = [("files", (CAT, photo, "image/jpeg")), ("files", ("daisy.jpg", daisy, "image/jpeg"))]
    answers = {
        "POST /predict": client.post("/predict?top_k=5", files={"file": (CAT, photo)}),
        "POST /predict files": client.post("/predict", files=several),
        f"GET /api/photos/{cat_id}": client.get(f"/api/photos/{cat_id}"),
        "GET /api/albums/pets": client.get("/api/albums/pets"),
        "GET /api/search?q=cat": client.get("/api/search", params={"q": "cat"}),
        f"GET /api/categories/{category}": client.get(f"/api/categories/{category}"),
        f"GET /api/shared/{token}": client.get(f"/api/shared/{token}"),
    }
    for route, response in answers.items():
        assert response.status_code == 200, (route, response.text)
    return {route: response.json() for route, response in answers.items()}


def cli_answers(settings: Settings, category: int) -> dict[str, Any]:
    """Every command's JSON output that carries a score, by command."""
    library = ("--library", settings.library)
    return {
        "classify": cli("classify", str(SAMPLES / CAT)),
        "albums show pets": cli("albums", "show", "pets", *library),
        "search cat": cli("search", "cat", *library),
        f"categories {category}": cli("categories", str(category), *library),
    }


def test_every_score_has_one_unit_per_field_name_across_routes_and_commands(
    taught: Settings,
) -> None:
    sessions = session_factory(open_engine(taught.library))
    token = str(ShareLinks(sessions).create("album", "pets", by=None)["token"])
    with LiveServer(taught) as url, httpx.Client(base_url=url, timeout=120) as client:
        web = web_answers(client, token)
    category = web[next(r for r in web if r.startswith("GET /api/categories/"))]["id"]
    answers = {**web, **cli_answers(taught, category)}

    fields_seen = set()
    for where, answer in answers.items():
        found = list(scored(answer))
        assert found, f"{where}: no score at all (the test would prove nothing)"
        for name, value in found:
            low, high = UNITS[name]
            assert low <= value <= high, f"{where}: {name} {value} outside {low}..{high}"
            assert name != "probability_percent" or where.startswith(PERCENT_ONLY_IN), where
            fields_seen.add(name)
    assert fields_seen == set(UNITS)

    # The cat's top label, as each place gives it: one number, in one unit.
    predicted = web["POST /predict"]["predictions"][0]
    photo = web[next(r for r in web if r.startswith("GET /api/photos/"))]
    shared = the_cat_in_share(web)
    tops = {
        "POST /predict": predicted["probability"],
        "POST /predict files": web["POST /predict files"]["results"][0]["predictions"][0][
            "probability"
        ],
        "GET /api/photos": photo["labels"][0]["probability"],
        "GET /api/shared": shared["labels"][0]["probability"],
        "classify": answers["classify"][0]["predictions"][0]["probability"],
    }
    assert max(tops.values()) - min(tops.values()) < 0.02, tops
    assert predicted["probability_percent"] == pytest.approx(predicted["probability"] * 100, 0.01)


def the_cat_in_share(web: dict[str, Any]) -> dict[str, Any]:
    """The cat as the share page lists it (by the id the photo answer gave)."""
    photo = web[next(r for r in web if r.startswith("GET /api/photos/"))]
    share = web[next(r for r in web if r.startswith("GET /api/shared/"))]
    (cat,) = [p for p in share["photos"] if p["id"] == photo["id"]]
    return cat  # type: ignore[no-any-return]


def test_openapi_marks_the_percent_deprecated_and_says_the_unit(live_url: str) -> None:
    schemas = httpx.get(f"{live_url}/openapi.json").json()["components"]["schemas"]
    predicted = schemas["PredictedClass"]["properties"]
    assert predicted["probability_percent"]["deprecated"] is True
    assert (predicted["probability"]["minimum"], predicted["probability"]["maximum"]) == (0, 1)
    assert "deprecated" not in predicted["probability"]
