"""The torch-free ONNX builder against the torch modules and the torch export, on real photos."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from smartalbum import imaging
from smartalbum.engines import ModelFiles, ensure_fp32, load_engine
from smartalbum.engines.export import export_onnx
from smartalbum.engines.onnx_builder import build_onnx
from smartalbum.engines.torch_engine import load_state_dict
from smartalbum.errors import ModelUnavailableError
from smartalbum.models.weights import resolve_weights
from smartalbum.models.zoo import ModelSpec, get_model
from tests.helpers import CAT, SAMPLES, run_python
from tests.reference import TorchReference

OPSET = 17
TOLERANCE = 1e-4  # max abs difference of logits and embeddings against torch
MAPS_TOLERANCE = 5e-4  # class maps are unaveraged sums over the channels: larger values


def photos(spec: ModelSpec, paths: list[Path]) -> np.ndarray:
    """The photos, prepared as the product prepares them for ``spec``."""
    pre = spec.preprocess
    return np.stack([imaging.model_input(imaging.decode_for_model(p, pre), pre) for p in paths])


def every(step: int) -> list[Path]:
    """Every ``step``-th sample photo."""
    return sorted(SAMPLES.glob("*.JPEG"))[::step]


def torch_outputs(model: Any, batch: np.ndarray) -> list[np.ndarray]:
    """Logits, embedding and class maps as the torch module computes them."""
    linear = getattr(model, "fc", None) or model._fc
    with torch.inference_mode():
        feature_map = model.feature_map(torch.from_numpy(batch))
        features = feature_map.mean(dim=(2, 3))
        logits = linear(features)
        maps = torch.einsum("kc,nchw->nkhw", linear.weight, feature_map)
    return [logits.numpy(), features.numpy(), maps.numpy()]


def run_graph(path: Path, batch: np.ndarray) -> list[np.ndarray]:
    """Every output of an ONNX file on a batch, with ONNX Runtime."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": batch})  # type: ignore[no-any-return]


def graphs(spec: ModelSpec, weights: Path, tmp_path: Path) -> tuple[Any, Any]:
    """ONNX Runtime sessions of the built graph, plain and with class maps."""
    return tuple(
        ort.InferenceSession(
            str(build_onnx(spec, weights, tmp_path / f"{name}.onnx", OPSET, class_maps=maps)),
            providers=["CPUExecutionProvider"],
        )
        for name, maps in (("plain", False), ("cam", True))
    )


def record(
    worst: list[float], plain: Any, cam: Any, batch: np.ndarray, reference: list[np.ndarray]
) -> None:
    """Run both graphs on a batch and keep the largest differences from ``reference``'s
    outputs (logits, embedding and, when given, class maps)."""
    ours = cam.run(None, {"input": batch})[: len(reference)]
    assert [a.shape for a in ours] == [r.shape for r in reference]
    np.testing.assert_array_equal(plain.run(["logits"], {"input": batch})[0], ours[0])
    assert (ours[0].argmax(1) == reference[0].argmax(1)).all()
    for i, (a, b) in enumerate(zip(ours, reference, strict=True)):
        worst[i] = max(worst[i], float(np.abs(a - b).max()))


def worst_differences(spec: ModelSpec, weights: Path, tmp_path: Path, step: int) -> list[float]:
    """Max abs differences of logits, embedding (plain graph) and class maps (cam graph)."""
    model = load_state_dict(spec, weights)
    plain, cam = graphs(spec, weights, tmp_path)
    paths = every(step)
    worst = [0.0, 0.0, 0.0]
    for start in range(0, len(paths), 50):  # a few photos at a time: torch's activations
        batch = photos(spec, paths[start : start + 50])
        record(worst, plain, cam, batch, torch_outputs(model, batch))
    return worst


@pytest.fixture(scope="module")
def resnet_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random ResNet-18 state_dict in TorchVision's layout, saved by torch."""
    torch.manual_seed(18)
    path = tmp_path_factory.mktemp("resnet") / "resnet18-random.pth"
    torch.save(get_model("resnet18").build().state_dict(), path)
    return path


def test_lite0_real_weights_match_torch_on_real_photos(tmp_path: Path) -> None:
    spec = get_model("efficientnet_lite0")
    weights = resolve_weights(spec, None, allow_download=False)
    logits, embedding, maps = worst_differences(spec, weights, tmp_path, step=20)
    assert logits <= TOLERANCE and embedding <= TOLERANCE and maps <= MAPS_TOLERANCE


def test_resnet18_in_torchvision_layout_matches_torch(resnet_weights: Path, tmp_path: Path) -> None:
    spec = get_model("resnet18")
    logits, embedding, maps = worst_differences(spec, resnet_weights, tmp_path, step=40)
    assert logits <= TOLERANCE and embedding <= TOLERANCE and maps <= MAPS_TOLERANCE


@pytest.mark.parametrize("name", ["efficientnet_lite1", "efficientnet_lite2"])
def test_the_other_lite_sizes_match_torch(name: str, tmp_path: Path) -> None:
    # 240 and 260 px: SAME padding is asymmetric in places, unlike Lite0's.
    spec = get_model(name)
    weights = resolve_weights(spec, None, allow_download=False)
    logits, embedding, maps = worst_differences(spec, weights, tmp_path, step=100)
    assert logits <= TOLERANCE and embedding <= TOLERANCE and maps <= MAPS_TOLERANCE


def _signature(model: onnx.ModelProto) -> list[tuple[str, list[int | str]]]:
    """(name, dims) of every graph input and output; dims are sizes or symbolic names."""
    values = [*model.graph.input, *model.graph.output]
    return [
        (v.name, [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]) for v in values
    ]


@pytest.mark.parametrize("class_maps", [False, True])
def test_same_inputs_and_outputs_as_the_torch_export(
    resnet_weights: Path, tmp_path: Path, class_maps: bool
) -> None:
    spec = get_model("resnet18")
    exported = export_onnx(spec, resnet_weights, tmp_path / "torch.onnx", OPSET, class_maps)
    built = build_onnx(spec, resnet_weights, tmp_path / "built.onnx", OPSET, class_maps)
    theirs, ours = onnx.load(str(exported)), onnx.load(str(built))
    assert _signature(ours) == _signature(theirs)
    assert [(o.domain, o.version) for o in ours.opset_import] == [("", OPSET)]
    for size in (1, 5):  # the batch is dynamic
        batch = photos(spec, every(40)[:size])
        for a, b in zip(run_graph(built, batch), run_graph(exported, batch), strict=True):
            assert a.shape == b.shape
            assert float(np.abs(a - b).max()) <= MAPS_TOLERANCE


def test_ensure_fp32_builds_the_graph_without_torch_and_it_classifies(tmp_path: Path) -> None:
    spec = get_model("efficientnet_lite0")
    files = ModelFiles(spec, resolve_weights(spec, None, allow_download=False), tmp_path)
    path = ensure_fp32(files)
    assert onnx.load(str(path)).producer_name == "smartalbum"  # the builder's, not torch's
    engine = load_engine(files, "onnx")
    logits = engine.run(photos(spec, [SAMPLES / CAT]))
    assert int(logits.argmax()) == 285  # Egyptian cat


def test_weights_of_another_model_do_not_fit(resnet_weights: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"does not fit efficientnet_lite0 \(missing"):
        build_onnx(get_model("efficientnet_lite0"), resnet_weights, tmp_path / "x.onnx", OPSET)
    state = torch.load(resnet_weights, weights_only=True)
    state["fc.weight"] = state["fc.weight"][:10]
    state["fc.bias"] = state["fc.bias"][:10]
    ten = tmp_path / "ten-classes.pth"
    torch.save(state, ten)
    with pytest.raises(ModelUnavailableError, match=r"ten-classes\.pth: does not fit resnet18"):
        build_onnx(get_model("resnet18"), ten, tmp_path / "x.onnx", OPSET)
    state = torch.load(resnet_weights, weights_only=True)
    state["extra.weight"] = torch.zeros(1)
    extra = tmp_path / "extra.pth"
    torch.save(state, extra)
    with pytest.raises(ModelUnavailableError, match="unexpected keys extra.weight"):
        build_onnx(get_model("resnet18"), extra, tmp_path / "x.onnx", OPSET)
    state = torch.load(resnet_weights, weights_only=True)
    state["layer3.0.conv1.weight"] = torch.zeros(256, 64, 3, 3)  # another stage's channels
    wrong = tmp_path / "wrong-channels.pth"
    torch.save(state, wrong)
    with pytest.raises(ModelUnavailableError, match=r"wrong-channels\.pth: does not fit"):
        build_onnx(get_model("resnet18"), wrong, tmp_path / "x.onnx", OPSET)


def test_serving_never_imports_torch(tmp_path: Path) -> None:
    """With torch made unimportable: graphs built, photos classified, heat-maps, categories'
    last layer; ``--engine torch`` says which extra it needs."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["torch"] = None  # any import of torch now fails
        from pathlib import Path
        from smartalbum.categories.space import load_head
        from smartalbum.engines.classifier import Classifier
        from smartalbum.engines.explain import LazyExplainer
        from smartalbum.errors import ModelUnavailableError
        from smartalbum.settings import Settings
        settings = Settings(engine="onnx", cache_dir=Path({str(tmp_path)!r}), allow_download=False)
        top = Classifier.from_settings(settings).classify_one(Path({str(SAMPLES / CAT)!r}))[0]
        assert top.wnid == "n02124075", top
        assert LazyExplainer(settings).get().spec.name == "efficientnet_lite0"
        head = load_head(settings, "efficientnet_lite0", Path({str(tmp_path / "features")!r}))
        assert head.weight.shape == (1000, 1280), head.weight.shape
        try:
            Classifier.from_settings(settings.with_overrides(engine="torch"))
        except ModelUnavailableError as exc:
            print("refused:", exc)
        assert "torch" not in {{m for m in sys.modules if sys.modules[m] is not None}}
        """
    )
    done = run_python(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pip install 'smartalbum[torch]'" in done.stdout
    assert sorted(p.name.split("-")[-1] for p in (tmp_path / "models").glob("*.onnx")) == [
        "cam.onnx",
        "fp32.onnx",
    ]


@pytest.mark.slow
def test_lite0_on_every_sample_within_tolerance(
    torch_reference: TorchReference, tmp_path: Path
) -> None:
    """Logits and embedding on all 1000 samples, against the run's one torch pass over them
    (conftest.torch_reference: the same module, in the torch engine)."""
    spec, weights = torch_reference.files.spec, torch_reference.files.weights
    assert spec.name == "efficientnet_lite0" and len(torch_reference.paths) == 1000
    plain, cam = graphs(spec, weights, tmp_path)
    worst = [0.0, 0.0]
    for rows, batch in torch_reference.batches():
        reference = [torch_reference.logits[rows], torch_reference.features[rows]]
        record(worst, plain, cam, batch, reference)
    logits, embedding = worst
    assert logits <= TOLERANCE and embedding <= TOLERANCE
