"""The evaluation report: seeded conditions, hard-light correction, calibration, table and HTML."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartalbum import enhance, imaging
from smartalbum.bench import calibration
from smartalbum.bench.accuracy import labelled_images
from smartalbum.bench.conditions import CONDITIONS, degrade
from smartalbum.bench.report import REPORT_GROUPS, group_members
from smartalbum.engines.classifier import Classifier, softmax
from tests.helpers import CAT, copy_samples


@pytest.fixture(scope="module")
def photo(samples: Path) -> Image.Image:
    return imaging.decode(samples / CAT, min_side=256)


def test_every_condition_is_seeded_and_changes_the_photo(photo: Image.Image) -> None:
    clean = np.asarray(photo)
    for condition in CONDITIONS:
        first = np.asarray(degrade(photo, condition, CAT))
        again = np.asarray(degrade(photo, condition, CAT))
        assert np.array_equal(first, again), condition.id
        if condition.id == "clean":
            assert np.array_equal(first, clean)
        elif condition.id != "small":
            assert first.shape == clean.shape and np.abs(first - clean.astype(int)).mean() > 2
    small = degrade(photo, next(c for c in CONDITIONS if c.id == "small"), CAT)
    assert min(small.size) == 96
    noise = next(c for c in CONDITIONS if c.id == "noise")
    other = np.asarray(degrade(photo, noise, "another.jpg"))
    assert not np.array_equal(other, np.asarray(degrade(photo, noise, CAT)))


def test_low_light_is_dark_and_glare_is_washed_out(photo: Image.Image) -> None:
    by_id = {c.id: c for c in CONDITIONS}
    luma = {cid: np.asarray(degrade(photo, by_id[cid], CAT).convert("L")).mean() / 255
            for cid in ("clean", "dark_gamma", "dark_exposure", "overexposed")}  # fmt: skip
    assert luma["dark_exposure"] < luma["clean"] / 3.5
    assert luma["dark_gamma"] < luma["clean"] / 2
    assert luma["overexposed"] > min(1.0, luma["clean"] * 1.6)


def test_auto_corrects_dark_photos_and_leaves_most_clean_ones(samples: Path) -> None:
    preprocess = imaging.Preprocess(224, 256, (0.5,) * 3, (0.5,) * 3)
    dark = next(c for c in CONDITIONS if c.id == "dark_exposure")
    photos = [imaging.decode(p, min_side=256) for p, _ in labelled_images(samples)[::50]]
    crops = [preprocess.crop(img) for img in photos]
    darkened = [preprocess.crop(degrade(img, dark, "x")) for img in photos]
    assert sum(enhance.hard_light(c) for c in crops) <= 2
    assert all(enhance.hard_light(c) for c in darkened)
    assert all(enhance.enhanced(c, "auto") is c for c in crops if not enhance.hard_light(c))
    assert all(enhance.enhanced(c, "off") is c for c in darkened)
    for crop in darkened[:5]:
        before = np.asarray(crop.convert("L"))
        after = np.asarray(enhance.enhanced(crop, "auto").convert("L"))
        assert after.std() > 1.5 * before.std() and after.mean() > before.mean()


# OpenCV 5.0's cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply() of the image below.
OPENCV_CLAHE = (
    "9fdf404478b3df8318649f77e778afbf10bf2028af3c70b7482cdff7bfd770108070cfa78028cf349848bf97"
    "80a3208093f758e15873eb525878c7e45859efffbf68df5238c150cd54afdf56a0b73897ab97c785eb3697ee"
    "842cfb683037fb6c20804093b7d3409fafdb4077809befafbf245845a7227459ed29bf64e37220cb30d7ef72"
    "88b760a3e754a74cd380d7e7eb9f93c442d958becf5b6887389854381040bf6c50208fafb79f8028af5c30ef"
    "7c60344e9de4308c34bce7eaa3b18f5810b720f1cf84dfbb98e1783a88ddbfaf4c84e7e764cceb3b647fa3d6"
    "32f2874840afcf8768348f80288b60b3a0649f809fbf705830db70c348dfcfa3d740df20"
)


def test_clahe_is_opencvs_and_keeps_flat_tiles_flat() -> None:
    rng = np.random.default_rng(17)
    dim = (rng.integers(0, 60, (16, 16)) + np.arange(16)[None, :] * 3).astype(np.uint8)
    expected = np.frombuffer(bytes.fromhex(OPENCV_CLAHE), np.uint8).reshape(16, 16)
    assert np.abs(enhance.clahe(dim, tiles=4).astype(int) - expected).max() <= 1
    assert np.ptp(enhance.clahe(dim, tiles=4)) > 2 * np.ptp(dim)
    flat = enhance.clahe(np.full((224, 224), 128, np.uint8))
    assert np.ptp(flat) == 0
    odd = enhance.clahe(np.random.default_rng(0).integers(0, 255, (97, 131), dtype=np.uint8))
    assert odd.shape == (97, 131)


def test_expected_calibration_error_and_temperature(classifier: Classifier, samples: Path) -> None:
    # A model sure to 80 % and right 80 % of the time is calibrated; right half the time it is not.
    confidence = np.full(1000, 0.8)
    assert calibration.expected_calibration_error(confidence, np.arange(1000) % 5 != 0) < 1e-9
    assert calibration.expected_calibration_error(confidence, np.arange(1000) % 2 == 0) == (
        pytest.approx(0.3)
    )
    # Real logits: a temperature fitted on them is at least as likely as no temperature.
    paths = labelled_images(samples)[::20]
    batch = np.stack([classifier.load(p) for p, _ in paths])
    logits = classifier.engine.run(batch)
    truth = np.array([classifier.labels.index_of(w) for _, w in paths])
    fitted = calibration.fit_temperature(logits, truth)
    assert 0.25 < fitted < 4
    nll = calibration.negative_log_likelihood
    assert nll(logits, truth, fitted) <= nll(logits, truth, 1.0) + 1e-9
    assert nll(logits, truth, fitted) <= nll(logits, truth, fitted * 1.2)
    assert nll(logits, truth, fitted) <= nll(logits, truth, fitted / 1.2)
    bins = calibration.reliability(
        softmax(logits).max(axis=1), softmax(logits).argmax(axis=1) == truth
    )
    assert sum(b.count for b in bins) == len(paths)


def test_report_groups_name_real_album_groups() -> None:
    truth = np.arange(1000)
    members = group_members(truth)
    assert list(members) == [g[0] for g in REPORT_GROUPS]
    assert all(m.sum() >= 10 for m in members.values()), {
        k: int(m.sum()) for k, m in members.items()
    }


@pytest.mark.slow
def test_eval_report_writes_the_table_and_a_bilingual_chart(samples: Path, tmp_path: Path) -> None:
    folder = copy_samples(samples, tmp_path / "photos", "n0*.JPEG", 30)
    html = tmp_path / "report.html"
    env = {**os.environ, "SMARTALBUM_ENGINE": "onnx"}
    command = [sys.executable, "-m", "smartalbum", "eval", str(folder), "--report"]
    proc = subprocess.run([*command, "--html", str(html)], capture_output=True, text=True,
                          timeout=600, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for condition in CONDITIONS:
        assert condition.en in proc.stdout and condition.zh in proc.stdout
    assert "ECE" in proc.stdout and "scenery · 自然风景" in proc.stdout
    page = html.read_text("utf-8")
    assert page.count("<svg") == 4  # conditions, groups, reliability before and after
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "各种拍摄条件下的准确率" in page and "Accuracy per condition" in page
    bars = re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)" height="11" fill="#2563eb">', page)
    assert len(bars) == len(CONDITIONS) + len(REPORT_GROUPS)
    again = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=600,
                           env=env)  # fmt: skip
    report = json.loads(again.stdout)
    assert report["images"] == 30
    clean = next(c for c in report["conditions"] if c["id"] == "clean")
    blurred = next(c for c in report["conditions"] if c["id"] == "blur_strong")
    assert clean["off"]["top1"] > blurred["off"]["top1"]
    assert clean["off"]["top3"] >= clean["off"]["top1"]
    # Seeded: the same numbers as the run that drew the chart.
    assert f"{clean['off']['top1'] * 100:.1f}" in proc.stdout
