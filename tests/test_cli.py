"""The command line, run as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CAT


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smartalbum", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_classify_json_reports_each_file_in_order(samples: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    # A real JPEG's header, then seeded noise: always a JPEG that cannot be decoded (a bare
    # SOI marker and random bytes was sometimes not even recognised as a JPEG).
    noise = random.Random(7).randbytes(4000)
    corrupt.write_bytes((samples / CAT).read_bytes()[:1000] + noise)
    text = tmp_path / "readme.txt"
    text.write_text("not a photo")
    proc = run("classify", "--json", "--top-k", "3", str(samples / CAT), str(corrupt), str(text))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    entries = json.loads(proc.stdout)
    assert [e["file"] for e in entries] == [str(samples / CAT), str(corrupt), str(text)]
    good, bad, txt = entries
    assert [p["rank"] for p in good["predictions"]] == [1, 2, 3]
    assert set(good["predictions"][0]) == {
        "rank",
        "index",
        "wnid",
        "label",
        "label_zh",
        "probability",
    }
    assert good["predictions"][0]["label"] == "Egyptian cat"
    assert bad["error"]["code"] == "undecodable_image" and "corrupt.jpg" in bad["error"]["message"]
    assert txt["error"]["code"] == "unsupported_image_type"
    assert "readme.txt: not an image" in txt["error"]["message"]


def test_classify_json_gives_a_missing_file_and_a_folder_their_own_codes(
    samples: Path, tmp_path: Path
) -> None:
    missing, folder = tmp_path / "gone.jpg", tmp_path / "album"
    folder.mkdir()
    proc = run("classify", "--json", str(missing), str(folder), str(samples / CAT))
    assert proc.returncode == 1, proc.stderr
    gone, directory, cat = json.loads(proc.stdout)
    assert gone["error"] == {"code": "file_not_found", "message": f"{missing}: file not found"}
    assert directory["error"] == {
        "code": "not_a_file",
        "message": f"{folder}: is a directory, not an image file",
    }
    assert cat["predictions"][0]["label"] == "Egyptian cat"  # the others still answer
    chinese = run("classify", "--json", str(missing), env={"SMARTALBUM_LANG": "zh"})
    assert json.loads(chinese.stdout)[0]["error"]["code"] == "file_not_found"
    assert "file not found" not in json.loads(chinese.stdout)[0]["error"]["message"]


@pytest.mark.parametrize("top_k", ["0", "11", "2000"])
def test_top_k_outside_the_web_s_range_is_a_usage_error(samples: Path, top_k: str) -> None:
    proc = run("classify", "--top-k", top_k, str(samples / CAT))
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert f"top_k must be from 1 to 10, got {top_k}" in proc.stderr  # as /predict's top_k
    env = {"SMARTALBUM_TOP_K": top_k}
    assert run("classify", "--json", str(samples / CAT), env=env).returncode == 2


def test_top_k_at_the_web_s_most_answers(samples: Path) -> None:
    proc = run("classify", "--json", "--top-k", "10", str(samples / CAT))
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)[0]["predictions"]) == 10


def test_classify_table_and_success_exit(samples: Path) -> None:
    proc = run("classify", "--top-k", "1", str(samples / "n11879895_rapeseed.JPEG"))
    assert proc.returncode == 0, proc.stderr
    assert "rapeseed" in proc.stdout and "油菜花" in proc.stdout and "%" in proc.stdout


def test_usage_errors_exit_2() -> None:
    assert run("classify").returncode == 2
    proc = run("classify", "x.jpg", "--model", "nope")
    assert proc.returncode == 2 and "unknown model 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_resnet18_without_weights_explains_instead_of_crashing(
    samples: Path, tmp_path: Path
) -> None:
    env = {"TORCH_HOME": str(tmp_path), "SMARTALBUM_ALLOW_DOWNLOAD": "false"}
    proc = run("classify", "--model", "resnet18", str(samples / CAT), env=env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "resnet18-f37072d5.pth" in proc.stderr and "works offline" in proc.stderr
    proc = run("classify", "--json", "--model", "resnet18", str(samples / CAT), env=env)
    assert json.loads(proc.stdout)["error"]["code"] == "model_unavailable"


CHOSEN = 817  # "sports car": nothing like the cat photo it is shown


def test_resnet18_with_user_weights_runs(samples: Path, tmp_path: Path) -> None:
    import torch

    from smartalbum.models.zoo import get_model

    # Untrained weights whose last layer answers one way whatever the photo: a class by bias
    # alone, the others at 0. Only a model that loaded these weights can answer with it.
    state = get_model("resnet18").build().state_dict()
    state["fc.weight"] = torch.zeros_like(state["fc.weight"])
    state["fc.bias"] = torch.zeros_like(state["fc.bias"])
    state["fc.bias"][CHOSEN] = 20.0
    weights = tmp_path / "r18.pth"
    torch.save(state, weights)
    proc = run(
        "classify", "--json", "--model", "resnet18", "--weights", str(weights), str(samples / CAT)
    )
    assert proc.returncode == 0, proc.stderr
    predictions = json.loads(proc.stdout)[0]["predictions"]
    assert len(predictions) == 5
    assert predictions[0]["index"] == CHOSEN and predictions[0]["probability"] > 0.99


def test_models_lists_the_zoo() -> None:
    proc = run("models", "--json")
    assert proc.returncode == 0
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert set(rows) == {
        "efficientnet_lite0",
        "efficientnet_lite1",
        "efficientnet_lite2",
        "resnet18",
    }
    assert rows["efficientnet_lite0"]["default"] and rows["efficientnet_lite0"]["weights_present"]


def test_eval_on_a_small_labelled_folder(samples: Path, tmp_path: Path) -> None:
    chosen = sorted(samples.glob("n0212*"))[:6]
    for path in chosen:
        (tmp_path / path.name).symlink_to(path)
    (tmp_path / "n01440764_broken.JPEG").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "unrelated.txt").write_text("ignored")
    proc = run("eval", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert set(report) == {"model", "engine", "images", "failed", "top1", "top5", "seconds"}
    assert (report["images"], report["failed"]) == (7, 1)
    assert report["top1"] <= 6 / 7


@pytest.mark.parametrize("args", [["eval", "/nonexistent"], ["eval", "/etc"]])
def test_eval_on_a_bad_folder_is_a_clear_error(args: list[str]) -> None:
    proc = run(*args)
    assert proc.returncode == 2 and "smartalbum: error:" in proc.stderr


def test_serve_refuses_a_public_address_without_the_flag() -> None:
    proc = run("serve", "--host", "0.0.0.0", "--port", "8765")
    assert proc.returncode == 2
    assert "--public" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("library", "code", "exit_code", "reason"),
    [
        # No server listens on port 1: the URL reaches the driver whole, its password unsaid.
        ("postgresql+psycopg://ann:s3cret@127.0.0.1:1/photos", "catalog_unavailable", 1,
         "postgresql+psycopg://ann:***@127.0.0.1:1/photos: cannot open the catalog"),
        ("mysql://ann:s3cret@127.0.0.1/photos", "invalid_config", 2, "SQLite or PostgreSQL"),
    ],
)  # fmt: skip
def test_a_library_url_that_cannot_be_used_is_a_clear_error(
    library: str, code: str, exit_code: int, reason: str
) -> None:
    for args, env in (
        (["albums", "--library", library, "--json"], None),
        (["search", "cat", "--json"], {"SMARTALBUM_LIBRARY": library}),
    ):
        proc = run(*args, env=env)
        assert proc.returncode == exit_code, proc.stderr
        error = json.loads(proc.stdout)["error"]
        assert error["code"] == code and reason in error["message"]
        assert "s3cret" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_bench_times_the_engine_end_to_end_on_real_photos(samples: Path, tmp_path: Path) -> None:
    folder = tmp_path / "few"
    folder.mkdir()
    for p in sorted(samples.glob("n01*.JPEG"))[:16]:
        (folder / p.name).symlink_to(p)
    proc = run("bench", "--engine", "onnx", "--images", str(folder), "--repeats", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)
    assert (row["engine"], row["weights"], row["images"]) == ("onnx", "official", 16)
    # Numbers that can be wrong: a Lite0 call on a core or two takes milliseconds, not
    # microseconds or seconds; a batch of eight is no slower an image than one alone is (at
    # worst twice, on a loaded machine); decoding too, end to end cannot beat the model alone.
    assert 1 < row["batch1_ms"] < 5000
    single_ips = 1000 / row["batch1_ms"]
    assert row["batch8_ips"] > single_ips / 2, (row["batch8_ips"], single_ips)
    assert 0 < row["end_to_end_ips"] < row["batch8_ips"] * 1.5


def test_bench_catalog_rescans_a_synthetic_library_and_queries_a_label() -> None:
    proc = run("bench", "--catalog", "3000", "--repeats", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert (row["photos"], row["labels"]) == (3000, 15000)
    assert 0 < row["label_query_rows"] <= 100  # one class's photos, best first
    # Figures that can be wrong: one indexed query of a class's best 100 is at least ten times
    # quicker than a rescan that stats and compares 3000 files (seconds against milliseconds).
    assert 0 < row["label_query_ms"] < row["rescan_s"] * 1000 / 10, row
    assert 0 < row["build_s"] < 600 and row["rescan_s"] < 600
    bad = run("bench", "--catalog", "0")
    assert bad.returncode != 0 and "--catalog" in bad.stderr and "Traceback" not in bad.stderr
