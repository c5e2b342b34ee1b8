"""Write-back to XMP sidecars over a small indexed library of its own (sidecars land beside the
photos): the command writes every photo's, a correction rewrites one when the setting is on
(and none when it is off), another tool's keywords stay; exiftool reads the result."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartalbum.cli import main
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, LiveServer, index_folder
from tests.test_xmp import DIGIKAM, exiftool, listed

DOG = "n02099601_golden_retriever.JPEG"
DAISY = "n11939491_daisy.JPEG"


@pytest.fixture
def library(settings: Settings, tmp_path: Path) -> tuple[Path, Path]:
    """(catalog, folder) of the cat, the dog and the daisy; the daisy has digiKam's sidecar."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in (CAT, DOG, DAISY):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    (folder / f"{DAISY}.xmp").write_text(DIGIKAM, "utf-8")
    catalog = tmp_path / "library.db"
    assert index_folder(settings, folder, catalog) == 3
    return catalog, folder


def test_the_command_writes_every_photos_sidecar(
    library: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, folder = library
    assert main(["xmp", "write", "--library", str(catalog), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"written": 3, "warnings": []}
    cat = exiftool(folder / f"{CAT}.xmp")
    assert {"Egyptian cat", "埃及猫", "My pets", "我的宠物"} <= set(listed(cat["Subject"]))
    assert "smartalbum|labels|Egyptian cat" in listed(cat["HierarchicalSubject"])
    assert "smartalbum|albums|My pets" in listed(cat["HierarchicalSubject"])
    assert "tabby" not in listed(cat["Subject"])  # 18 %: under the threshold
    daisy = exiftool(folder / f"{DAISY}.xmp")
    assert {"Grandma", "garden party", "daisy", "雏菊"} <= set(listed(daisy["Subject"]))
    assert "Family|Grandma" in listed(daisy["HierarchicalSubject"]) and daisy["Rating"] == 4


def test_a_correction_reaches_the_sidecar_only_when_asked(
    library: tuple[Path, Path], settings: Settings
) -> None:
    catalog, folder = library
    cat = 0
    for write in (False, True):
        own = settings.with_overrides(library=str(catalog), xmp_write=write)
        with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as client:
            if not cat:
                found = client.get("/api/search", params={"q": "Egyptian cat"}).json()["photos"]
                cat = next(p["id"] for p in found if p["path"].endswith(CAT))
            answer = client.post(
                f"/api/photos/{cat}/labels", json={"action": "set", "wnid": "n11939491"}
            )
            assert answer.status_code == 200, answer.text
        if not write:  # off by default: nothing written beside the photos
            assert not (folder / f"{CAT}.xmp").exists()
    subjects = listed(exiftool(folder / f"{CAT}.xmp")["Subject"])
    assert {"daisy", "雏菊", "Flowers & plants", "花草"} <= set(subjects)
    assert "Egyptian cat" not in subjects and "My pets" not in subjects


def test_keywords_rating_and_title_come_in_with_the_photo(
    library: tuple[Path, Path], settings: Settings
) -> None:
    catalog, _ = library
    with LiveServer(settings.with_overrides(library=str(catalog))) as url:
        found = httpx.get(f"{url}/api/search", params={"q": "daisy"}, timeout=60).json()
        daisy = next(p["id"] for p in found["photos"] if p["path"].endswith(DAISY))
        photo = httpx.get(f"{url}/api/photos/{daisy}", timeout=60).json()
        found = httpx.get(f"{url}/api/search", params={"q": "Egyptian cat"}, timeout=60).json()
        cat = next(p["id"] for p in found["photos"] if p["path"].endswith(CAT))
        plain = httpx.get(f"{url}/api/photos/{cat}", timeout=60).json()
    assert photo["xmp"] == {
        "keywords": ["Grandma", "garden party"], "rating": 4, "title": "Grandma's garden",
    }  # fmt: skip
    assert plain["xmp"] == {"keywords": [], "rating": None, "title": None}


def ids_of(catalog: Path) -> dict[str, int]:
    """Each photo's id by its file name, from the catalog."""
    with sqlite3.connect(catalog) as db:
        return {Path(path).name: i for i, path in db.execute("SELECT id, path FROM photos")}


def test_hearts_and_albums_people_make_reach_the_sidecars(
    library: tuple[Path, Path], settings: Settings
) -> None:
    catalog, folder = library
    ids = ids_of(catalog)
    own = settings.with_overrides(library=str(catalog), xmp_write=True)
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as client:

        def post(route: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = client.post(route, json=body)
            assert answer.status_code in (200, 201), answer.text
            found: dict[str, Any] = answer.json()
            return found

        post("/api/selection/favourite", {"ids": [ids[CAT], ids[DAISY]]})
        cat, daisy = exiftool(folder / f"{CAT}.xmp"), exiftool(folder / f"{DAISY}.xmp")
        assert cat["Rating"] == 5 and daisy["Rating"] == 5  # digiKam's 4 replaced, remembered
        holiday = {"title": "Holiday", "title_zh": "假期", "ids": [ids[DOG]]}
        album = post("/api/user-albums", holiday)
        dog = exiftool(folder / f"{DOG}.xmp")
        assert {"Holiday", "假期"} <= set(listed(dog["Subject"]))
        assert "smartalbum|albums|Holiday" in listed(dog["HierarchicalSubject"])
        assert "Rating" not in dog  # no heart, no rating
        post(f"/api/user-albums/{album['id']}/photos", {"ids": [ids[DAISY]]})
        answer = client.patch(f"/api/user-albums/{album['id']}", json={"title": "Summer"})
        assert answer.status_code == 200, answer.text
        for name in (DOG, DAISY):
            subjects = set(listed(exiftool(folder / f"{name}.xmp")["Subject"]))
            assert "Summer" in subjects and "Holiday" not in subjects, (name, subjects)
        post(f"/api/user-albums/{album['id']}/photos/remove", {"ids": [ids[DOG]]})
        assert "Summer" not in listed(exiftool(folder / f"{DOG}.xmp")["Subject"])
        post("/api/selection/favourite", {"ids": [ids[CAT], ids[DAISY]], "on": False})
        assert client.delete(f"/api/user-albums/{album['id']}").status_code == 200
    cat, daisy = exiftool(folder / f"{CAT}.xmp"), exiftool(folder / f"{DAISY}.xmp")
    assert "Rating" not in cat and daisy["Rating"] == 4  # each as it was before the heart
    assert "Summer" not in listed(daisy["Subject"]) and "Grandma" in listed(daisy["Subject"])
