"""The zoo: architectures that load their published weights, and where weights come from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from smartalbum.bench import calibration
from smartalbum.bench.accuracy import labelled_images
from smartalbum.engines.classifier import Classifier, softmax
from smartalbum.errors import ConfigError, ModelUnavailableError
from smartalbum.models.efficientnet_lite import LITE
from smartalbum.models.weights import find_weights, resolve_weights, sha256_of
from smartalbum.models.zoo import MODELS, get_model


def torchvision_resnet18_shapes() -> dict[str, tuple[int, ...]]:
    """TorchVision's resnet18().state_dict() layout, written out from its published structure."""
    shapes: dict[str, tuple[int, ...]] = {"conv1.weight": (64, 3, 7, 7)}

    def bn(prefix: str, n: int) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.{name}"] = (n,)
        shapes[f"{prefix}.num_batches_tracked"] = ()

    bn("bn1", 64)
    for layer, (cin, cout) in enumerate([(64, 64), (64, 128), (128, 256), (256, 512)], start=1):
        for block in (0, 1):
            p = f"layer{layer}.{block}"
            shapes[f"{p}.conv1.weight"] = (cout, cin if block == 0 else cout, 3, 3)
            bn(f"{p}.bn1", cout)
            shapes[f"{p}.conv2.weight"] = (cout, cout, 3, 3)
            bn(f"{p}.bn2", cout)
            if block == 0 and layer > 1:
                shapes[f"{p}.downsample.0.weight"] = (cout, cin, 1, 1)
                bn(f"{p}.downsample.1", cout)
    shapes["fc.weight"] = (1000, 512)
    shapes["fc.bias"] = (1000,)
    return shapes


def test_resnet18_has_torchvisions_exact_keys_and_shapes() -> None:
    expected = torchvision_resnet18_shapes()
    assert len(expected) == 122
    state = get_model("resnet18").build().state_dict()
    assert list(state) == list(expected)  # same order too, as torch.save writes it
    assert {k: tuple(v.shape) for k, v in state.items()} == expected


def test_resnet18_gives_logits_and_embedding() -> None:
    model = get_model("resnet18").build().eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert model(x).shape == (1, 1000)
        assert model.features(x).shape == (1, 512)  # type: ignore[operator]


@pytest.mark.parametrize("name", list(LITE))
def test_lite_matches_the_reference_implementation(name: str) -> None:
    from efficientnet_lite_pytorch import EfficientNet

    spec = get_model(name)
    weights = resolve_weights(spec, allow_download=False)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    ours = spec.build().eval()
    ours.load_state_dict(state, strict=True)
    reference = EfficientNet.from_pretrained(name.replace("_", "-"), weights_path=str(weights))
    reference.eval()
    x = torch.randn(2, 3, spec.input_size, spec.input_size)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), rtol=1e-5, atol=1e-5)


def test_every_zoo_entry_records_what_it_needs() -> None:
    for spec in MODELS.values():
        assert spec.input_size < spec.resize_size
        assert spec.weights.sha256 and spec.weights.filename
        assert spec.labels == "imagenet1k"
        assert spec.preprocess.input_size == spec.input_size
    lite0 = get_model("efficientnet_lite0")
    assert (lite0.input_size, lite0.resize_size) == (224, 256)
    assert lite0.mean == (127 / 255,) * 3 and lite0.std == (128 / 255,) * 3
    assert get_model("resnet18").mean == (0.485, 0.456, 0.406)


def test_packaged_weights_match_their_recorded_sha256() -> None:
    spec = get_model("efficientnet_lite0")
    path = find_weights(spec)
    assert path is not None and path.name == "efficientnet-lite0-57934424.pth"
    assert sha256_of(path) == spec.weights.sha256


def test_unknown_model_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="efficientnet_lite0, efficientnet_lite1"):
        get_model("resnet50")


# --- ResNet-18 weights: user path, TorchVision's cache, and the offline message ----------


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_resnet18_offline_error_says_where_to_put_the_file(torch_home: Path) -> None:
    spec = get_model("resnet18")
    assert find_weights(spec) is None
    with pytest.raises(ModelUnavailableError) as caught:
        resolve_weights(spec, allow_download=False)
    message = str(caught.value)
    assert str(torch_home / "resnet18-f37072d5.pth") in message
    assert "--weights" in message and "efficientnet_lite0 works offline" in message


def test_resnet18_download_failure_is_the_same_clear_error(torch_home: Path) -> None:
    # This machine is offline: the real download path fails and must say what to do.
    with pytest.raises(ModelUnavailableError, match="download failed"):
        resolve_weights(get_model("resnet18"), allow_download=True)
    assert not torch_home.exists() or not any(torch_home.iterdir())


def test_resnet18_user_weights_path(tmp_path: Path) -> None:
    path = tmp_path / "my-resnet.pth"
    torch.save(get_model("resnet18").build().state_dict(), path)
    assert resolve_weights(get_model("resnet18"), path) == path
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve_weights(get_model("resnet18"), tmp_path / "nope.pth")


def test_resnet18_hub_cache_file_is_checked(torch_home: Path) -> None:
    torch_home.mkdir(parents=True)
    fake = torch_home / "resnet18-f37072d5.pth"
    torch.save(get_model("resnet18").build().state_dict(), fake)
    assert find_weights(get_model("resnet18")) == fake
    # A random state_dict is not the official file: its checksum gives it away.
    with pytest.raises(ModelUnavailableError, match="checksum mismatch"):
        resolve_weights(get_model("resnet18"), allow_download=False)


def test_lite0s_temperature_is_pinned_by_the_sample_photos(
    classifier: Classifier, samples: Path
) -> None:
    """The shipped temperature (0.70) still calibrates: on 100 sample photos other than the
    ones test_report fits on, it is near their own best fit and beats no temperature (1.0),
    and it takes the calibration error under half of what 1.0 leaves."""
    assert classifier.spec.name == "efficientnet_lite0"
    paths = labelled_images(samples)[7::10]
    logits = classifier.engine.run(np.stack([classifier.load(p) for p, _ in paths]))
    truth = np.array([classifier.labels.index_of(w) for _, w in paths])
    shipped = classifier.spec.temperature
    fitted = calibration.fit_temperature(logits, truth)
    assert abs(shipped - fitted) < 0.15, fitted
    nll = calibration.negative_log_likelihood
    assert nll(logits, truth, shipped) < nll(logits, truth, 1.0) - 0.02

    def ece(temperature: float) -> float:
        probabilities = softmax(logits / temperature)
        correct = probabilities.argmax(axis=1) == truth
        return calibration.expected_calibration_error(probabilities.max(axis=1), correct)

    assert ece(shipped) < ece(1.0) / 2, (ece(shipped), ece(1.0))
