"""``smartalbum eval-text`` on a rendered text set, with floors; ``smartalbum text`` reads the
photos indexed before the text pass."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from smartalbum.bench.text_set import fonts_missing, make_set
from smartalbum.catalog import open_engine, session_factory
from smartalbum.cli import main
from smartalbum.ocr import photos_saying
from smartalbum.settings import Settings
from tests.helpers import index_folder

pytestmark = pytest.mark.skipif(bool(fonts_missing()), reason="needs fonts-noto-cjk, dejavu")

# Floors under the figures measured on the full set (docs/text.md: 240 photos, CER 1.4 %,
# precision 97.8 %, recall 98.3 %), with room for a small subset's spread: 28 photos make
# ~40 queries, so one photo whose text is not read costs several points of recall.
MAX_CER = 0.08
MIN_PRECISION = 0.95
MIN_RECALL = 0.85


def _eval(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    assert main(["eval-text", str(folder), "--json", *extra]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_eval_text_on_a_subset(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _eval(tmp_path / "set", capsys, "--make", str(samples), "--count", "24")
    assert found["photos"] == 28
    assert float(found["cer"]) <= MAX_CER, found  # type: ignore[arg-type]
    assert float(found["precision"]) >= MIN_PRECISION, found  # type: ignore[arg-type]
    assert float(found["recall"]) >= MIN_RECALL, found  # type: ignore[arg-type]


@pytest.mark.soak
def test_eval_text_on_the_full_set(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _eval(tmp_path / "set", capsys, "--make", str(samples), "--count", "200")
    assert found["photos"] == 240
    assert float(found["cer"]) <= MAX_CER, found  # type: ignore[arg-type]
    assert float(found["precision"]) >= MIN_PRECISION, found  # type: ignore[arg-type]
    assert float(found["recall"]) >= MIN_RECALL, found  # type: ignore[arg-type]


def test_text_reads_the_photos_indexed_before(
    settings: Settings,
    samples: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = make_set(samples, tmp_path / "set", count=3, seed=3)
    # An album of the photos that say the first photo's first word (found as search finds it).
    word = made[0].lines[0].split()[0][:2]
    rules = tmp_path / "albums.toml"
    rules.write_text(
        f'[albums.said]\ntitle = "Said"\ntitle_zh = "文字"\ntext = ["{word}", "nowhere"]\n'
    )
    monkeypatch.setenv("SMARTALBUM_ALBUMS_FILE", str(rules))
    photos = tmp_path / "photos"
    photos.mkdir()
    for sample in made:
        shutil.copy(tmp_path / "set" / sample.file, photos / sample.file)
    library = tmp_path / "library.db"
    index_folder(dataclasses.replace(settings, text=False), photos, library)
    assert main(["text", "--library", str(library), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done == {"total": 3, "read": 3, "with_text": 3, "failed": 0}
    assert main(["text", "--library", str(library), "--json"]) == 0  # nothing left to read
    assert json.loads(capsys.readouterr().out)["total"] == 0
    assert main(["albums", "show", "said", "--library", str(library), "--json"]) == 0
    in_album = json.loads(capsys.readouterr().out)
    assert [Path(p["path"]).name for p in in_album] == [made[0].file]
    engine = open_engine(library)
    try:
        with session_factory(engine)() as session:
            assert photos_saying(session, made[0].lines[0])
    finally:
        engine.dispose()
