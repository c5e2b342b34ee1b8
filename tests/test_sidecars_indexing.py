"""XMP sidecars written as photos are indexed, with SMARTALBUM_XMP_WRITE on: by the command
line's ``index``, by a server's import job and by its uploads' run, and again when the text
pass fills an album; read back by exiftool.
A sidecar digiKam wrote beside a new photo keeps its keywords and rating; with the setting
off (the default) indexing writes nothing beside the photos."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx
import pytest

from smartalbum.bench.text_set import fonts_missing, make_set
from smartalbum.cli import main
from smartalbum.settings import Settings
from tests.helpers import CAT, SAMPLES, LiveServer, import_job
from tests.test_sidecars import DAISY, DOG
from tests.test_uploads import create, patch, wait_for_photo
from tests.test_xmp import DIGIKAM, exiftool, listed


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A folder of the cat, the dog and the daisy, none indexed; the daisy has digiKam's
    sidecar."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in (CAT, DOG, DAISY):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    (folder / f"{DAISY}.xmp").write_text(DIGIKAM, "utf-8")
    return folder


def assert_sidecars(folder: Path) -> None:
    """Each photo's labels and albums in its sidecar, in English and Chinese, and digiKam's
    keywords and rating still in the daisy's."""
    cat = exiftool(folder / f"{CAT}.xmp")
    assert {"Egyptian cat", "埃及猫", "My pets", "我的宠物"} <= set(listed(cat["Subject"]))
    assert "smartalbum|labels|Egyptian cat" in listed(cat["HierarchicalSubject"])
    dog = exiftool(folder / f"{DOG}.xmp")
    assert {"golden retriever", "金毛寻回犬", "My pets"} <= set(listed(dog["Subject"]))
    daisy = exiftool(folder / f"{DAISY}.xmp")
    assert {"Grandma", "garden party", "daisy", "雏菊"} <= set(listed(daisy["Subject"]))
    assert "Family|Grandma" in listed(daisy["HierarchicalSubject"])
    assert "smartalbum|labels|daisy" in listed(daisy["HierarchicalSubject"])
    assert daisy["Rating"] == 4 and daisy["Title"] == "Grandma's garden"


def test_the_command_line_index_writes_each_photos_sidecar(
    settings: Settings,
    photos: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMARTALBUM_XMP_WRITE", "true")
    monkeypatch.setenv("SMARTALBUM_INDEX_PROCESSES", "1")
    library = str(tmp_path / "library.db")
    assert main(["index", str(photos), "--library", library, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 3
    assert_sidecars(photos)


def test_with_the_setting_off_an_index_writes_nothing_beside_the_photos(
    settings: Settings,
    photos: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMARTALBUM_INDEX_PROCESSES", "1")
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    library = str(tmp_path / "library.db")
    assert main(["index", str(photos), "--library", library, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 3
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before


def test_a_servers_import_writes_each_photos_sidecar(
    settings: Settings, photos: Path, tmp_path: Path
) -> None:
    own = settings.with_overrides(library=str(tmp_path / "library.db"), xmp_write=True)
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as client:
        job = client.get(f"/api/jobs/{import_job(client, photos)}").json()
        assert job["status"] == "done" and job["report"]["added"] == 3, job
    assert_sidecars(photos)


def test_an_uploaded_photo_gets_its_sidecar(settings: Settings, tmp_path: Path) -> None:
    own = settings.with_overrides(
        library=str(tmp_path / "library.db"), upload_root=tmp_path / "uploads", xmp_write=True
    )
    data = (SAMPLES / CAT).read_bytes()
    with LiveServer(own) as url, httpx.Client(base_url=url, timeout=60) as client:
        created = create(client, "/api/uploads", "cat.jpg", data)
        assert created.status_code == 201, created.text
        done = patch(client, created.headers["Location"], 0, data)
        assert done.status_code == 204, done.text
        stored = Path(wait_for_photo(client, created.headers["Location"])["path"])
        sidecar = stored.with_name(f"{stored.name}.xmp")
        deadline = time.monotonic() + 30  # written just after the batch's commit
        while not sidecar.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    cat = exiftool(sidecar)
    assert {"Egyptian cat", "埃及猫", "My pets", "我的宠物"} <= set(listed(cat["Subject"]))


@pytest.mark.skipif(bool(fonts_missing()), reason="needs fonts-noto-cjk, dejavu")
@pytest.mark.parametrize("later", [False, True], ids=["index", "text-command"])
def test_an_album_the_text_pass_fills_reaches_the_sidecars(
    settings: Settings,
    samples: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    later: bool,
) -> None:
    """The text read by the index's second phase, or ``smartalbum text`` after an index
    without it."""
    made = make_set(samples, tmp_path / "set", count=3, seed=3)
    # An album of the photos that say the first photo's first word: known after the text pass.
    word = made[0].lines[0].split()[0][:2]
    rules = tmp_path / "albums.toml"
    rules.write_text(f'[albums.said]\ntitle = "Said"\ntitle_zh = "文字"\ntext = ["{word}"]\n')
    photos = tmp_path / "photos"
    photos.mkdir()
    for sample in made:
        shutil.copy(tmp_path / "set" / sample.file, photos / sample.file)
    for name, value in (("ALBUMS_FILE", str(rules)), ("TEXT", "false" if later else "true"),
                        ("XMP_WRITE", "true"), ("INDEX_PROCESSES", "1")):  # fmt: skip
        monkeypatch.setenv(f"SMARTALBUM_{name}", value)
    library = str(tmp_path / "library.db")
    assert main(["index", str(photos), "--library", library, "--json"]) == 0
    indexed = json.loads(capsys.readouterr().out)
    if later:  # no text read yet: the sidecar names no album that counts text
        assert indexed["later"] is None or indexed["later"]["text"] is None
        monkeypatch.setenv("SMARTALBUM_TEXT", "true")
        assert main(["text", "--library", library, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["read"] == 3
    else:
        assert indexed["later"]["text"]["read"] == 3
    said = exiftool(photos / f"{made[0].file}.xmp")
    assert {"Said", "文字"} <= set(listed(said["Subject"]))
    assert "smartalbum|albums|Said" in listed(said["HierarchicalSubject"])
