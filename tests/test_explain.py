"""Heat-maps (class activation maps) on real photos moved to known places, and their graph."""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from PIL import Image

from smartalbum import imaging
from smartalbum.bench.accuracy import labelled_images
from smartalbum.engines import ModelFiles, ensure_fp32
from smartalbum.engines.classifier import Classifier, model_files
from smartalbum.engines.explain import Explainer, LazyExplainer, normalised
from smartalbum.models.efficientnet_lite import EfficientNetLite
from smartalbum.models.zoo import get_model
from smartalbum.settings import Settings
from tests.helpers import CAT, assert_error

# The scene is 512 px, so the model's 224 px crop sees its central 448 px (a 7 x 7 grid of
# 64 px cells, from 32 px in). Each photo fills 3 x 3 cells at a seeded place: 18 % of the crop.
CANVAS, CELL, MARGIN, CELLS = 512, 64, 32, 3


@pytest.fixture(scope="module")
def explainer(settings: Settings) -> Explainer:
    return Explainer.from_files(model_files(settings))


def shifted(
    photo: Path, preprocess: imaging.Preprocess, rng: random.Random
) -> tuple[Image.Image, tuple[float, float, float, float]]:
    """The photo's central square, shrunk, at a seeded place on a plain grey scene.

    Returns the scene and where the photo is in it: (left, top, right, bottom) fractions.
    """
    side = CELLS * CELL
    subject = preprocess.crop(imaging.decode(photo)).resize((side, side))
    scene = Image.new("RGB", (CANVAS, CANVAS), (124, 116, 104))
    x, y = (MARGIN + CELL * rng.randrange(0, 8 - CELLS) for _ in range(2))
    scene.paste(subject, (x, y))
    return scene, (x / CANVAS, y / CANVAS, (x + side) / CANVAS, (y + side) / CANVAS)


def test_the_peak_lies_on_the_object_wherever_it_is_placed(
    explainer: Explainer, classifier: Classifier, samples: Path
) -> None:
    rng = random.Random(17)
    spec = classifier.spec
    inside = recognised = recognised_inside = 0
    photos = labelled_images(samples)[::10]
    for path, wnid in photos:
        scene, (left, top, right, bottom) = shifted(path, spec.preprocess, rng)
        index = classifier.labels.index_of(wnid)
        logits, (heatmap,) = explainer.explain(
            imaging.model_input(scene, spec.preprocess), scene.size, [index]
        )
        x, y = heatmap.peak()
        hit = left < x < right and top < y < bottom
        inside += hit
        if int(np.argmax(logits)) == index:
            recognised += 1
            recognised_inside += hit
    # By chance a peak would land on the object 9 times in 49.
    assert (right - left) * (bottom - top) < 0.15
    assert recognised >= 20, recognised
    assert recognised_inside == recognised, (recognised_inside, recognised)
    assert inside >= 0.9 * len(photos), (inside, len(photos))


def test_maps_add_up_to_the_logits_and_match_torch(settings: Settings, samples: Path) -> None:
    # Each class's map averages to its logit less the bias: the same bias for every photo.
    files = model_files(settings)
    explainer = Explainer.from_files(files)
    paths = [p for p, _ in labelled_images(samples)[:3]]
    batch = np.stack([imaging.load(p, files.spec.preprocess) for p in paths])
    logits, maps = explainer.class_maps(batch)
    assert maps.shape == (3, 1000, 7, 7)
    bias = logits - maps.mean(axis=(2, 3))
    np.testing.assert_allclose(bias[0], bias[1], atol=1e-4)
    np.testing.assert_allclose(bias[0], bias[2], atol=1e-4)
    model = files.spec.build()
    model.load_state_dict(torch.load(files.weights, weights_only=True))
    assert isinstance(model, EfficientNetLite)
    with torch.no_grad():
        feature_map = model.eval().feature_map(torch.from_numpy(batch))
        reference = torch.einsum("kc,nchw->nkhw", model._fc.weight, feature_map).numpy()
    np.testing.assert_allclose(maps, reference, rtol=1e-3, atol=1e-3)


def test_the_classifying_graph_keeps_its_two_outputs(settings: Settings) -> None:
    import onnx

    files = model_files(settings)
    plain = onnx.load(str(ensure_fp32(files)))
    cam = onnx.load(str(ensure_fp32(files, "cam")))
    assert [o.name for o in plain.graph.output] == ["logits", "embedding"]
    assert [o.name for o in cam.graph.output] == ["logits", "embedding", "class_maps"]
    assert ensure_fp32(files) != ensure_fp32(files, "cam")


def test_resnet_maps_come_from_its_own_classifier(tmp_path: Path) -> None:
    torch.manual_seed(3)
    weights = tmp_path / "resnet18-random.pth"
    torch.save(get_model("resnet18").build().state_dict(), weights)
    files = ModelFiles(get_model("resnet18"), weights, tmp_path, user_weights=True)
    batch = np.random.default_rng(3).standard_normal((2, 3, 224, 224)).astype(np.float32)
    logits, maps = Explainer.from_files(files).class_maps(batch)
    assert maps.shape == (2, 1000, 7, 7)
    bias = logits - maps.mean(axis=(2, 3))
    np.testing.assert_allclose(bias[0], bias[1], atol=1e-3)


def test_a_heatmap_is_normalised_and_draws_as_a_png(explainer: Explainer, samples: Path) -> None:
    assert normalised(np.array([[-1.0, -2.0]])).max() == 0.0
    path, _ = labelled_images(samples)[0]
    img = imaging.decode(path)
    _, (heatmap,) = explainer.explain(imaging.model_input(img, explainer.spec.preprocess), img.size)
    assert heatmap.grid.max() == pytest.approx(1.0) and heatmap.grid.min() >= 0.0
    left, top, width, height = heatmap.box
    assert 0 <= left < 1 and 0 <= top < 1 and left + width <= 1.0001 and top + height <= 1.0001
    png = Image.open(io.BytesIO(heatmap.overlay_png()))
    assert (png.format, png.mode, png.size) == ("PNG", "RGBA", (128, 128))
    alpha = np.asarray(png)[:, :, 3]
    assert alpha.max() > 150 and alpha.min() < 30  # hot parts coloured, cold parts clear
    as_json = heatmap.to_dict()
    assert as_json["overlay"].startswith("data:image/png;base64,")
    assert len(as_json["grid"]) == 7 and len(as_json["grid"][0]) == 7


def test_an_idle_explainer_is_let_go_and_reloads_with_the_same_maps(
    settings: Settings, explainer: Explainer, samples: Path
) -> None:
    path, _ = labelled_images(samples)[0]
    img = imaging.decode(path)
    array = imaging.model_input(img, explainer.spec.preprocess)
    _, (reference,) = explainer.explain(array, img.size)  # an arena-keeping session would agree
    lazy = LazyExplainer(settings, idle_seconds=0.5)
    first = lazy.get()
    assert lazy.loaded
    _, (before,) = first.explain(array, img.size)
    del first
    for _ in range(100):  # released by its own timer, not by anyone asking
        if not lazy.loaded:
            break
        time.sleep(0.05)
    assert not lazy.loaded
    _, (after,) = lazy.get().explain(array, img.size)
    assert lazy.loaded
    np.testing.assert_array_equal(before.grid, after.grid)
    np.testing.assert_allclose(before.grid, reference.grid, atol=1e-5)
    lazy.release()
    assert not lazy.loaded


def test_each_use_puts_the_release_off(settings: Settings) -> None:
    lazy = LazyExplainer(settings, idle_seconds=1.0)
    kept = lazy.get()
    for _ in range(6):  # 1.5 s in all, each use within the second of the one before
        time.sleep(0.25)
        assert lazy.get() is kept
    lazy.release()


def test_the_photo_route_explains_a_class_of_a_library_photo(
    library_url: str, indexed_library: Path
) -> None:
    with httpx.Client(base_url=library_url, timeout=120) as client:
        pets = client.get("/api/albums/pets?limit=500").json()["photos"]
        cat = next(p["id"] for p in pets if p["path"] == str(indexed_library / CAT))
        top = client.get(f"/api/photos/{cat}/explain")
        assert top.status_code == 200, top.text
        body = top.json()
        assert (body["photo"], body["wnid"], body["label_zh"]) == (cat, "n02124075", "埃及猫")
        assert len(body["grid"]) == 7 and max(max(row) for row in body["grid"]) == 1.0
        # The cat photo is portrait: the crop spans 7/8 of its width, centred.
        assert body["box"][0] == pytest.approx(1 / 16, abs=0.01)
        assert body["box"][2] == pytest.approx(7 / 8, abs=0.01)
        tabby = client.get(f"/api/photos/{cat}/explain", params={"class": "虎斑猫"}).json()
        assert tabby["wnid"] == "n02123045" and tabby["grid"] != body["grid"]
        assert_error(client.get(f"/api/photos/{cat}/explain?class=unicorn"), 404, "not_found")
        assert_error(client.get("/api/photos/999999/explain"), 404, "not_found")
        assert_error(client.get("/api/photos/..%2Fetc/explain"), 404, "not_found")


def test_predict_with_explain_adds_one_map_per_label(live_url: str, samples: Path) -> None:
    photo = (samples / CAT).read_bytes()
    with httpx.Client(base_url=live_url, timeout=120) as client:
        plain = client.post("/predict?top_k=2", files={"file": (CAT, photo)}).json()
        assert "explain" not in plain
        answer = client.post("/predict?top_k=2&explain=1", files={"file": (CAT, photo)}).json()
        assert answer["predictions"] == plain["predictions"]
        maps = answer["explain"]
        assert [m["index"] for m in maps] == [p["index"] for p in plain["predictions"]]
        assert all(m["overlay"].startswith("data:image/png;base64,") for m in maps)
        several = client.post(
            "/predict?explain=true&top_k=1",
            files=[("files", (CAT, photo)), ("files", ("notes.jpg", b"hi"))],
        ).json()["results"]
        assert [m["wnid"] for m in several[0]["explain"]] == ["n02124075"]
        assert several[1]["error"]["code"] == "unsupported_image_type"
