"""The torch engine loads weights strictly and reports bad files clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from smartalbum.engines import ModelFiles, load_engine
from smartalbum.errors import ConfigError, ModelUnavailableError
from smartalbum.models.zoo import get_model


@pytest.fixture
def random_resnet(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "resnet18-random.pth"
    torch.save(get_model("resnet18").build().state_dict(), path)
    return path


def test_saved_random_state_dict_loads_and_runs(random_resnet: Path) -> None:
    engine = load_engine(
        ModelFiles(get_model("resnet18"), random_resnet, random_resnet.parent), "torch"
    )
    batch = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
    logits, features = engine.embed(batch)
    assert logits.shape == (2, 1000) and features.shape == (2, 512)
    reference = get_model("resnet18").build().eval()
    reference.load_state_dict(torch.load(random_resnet, weights_only=True))
    with torch.no_grad():
        expected = reference(torch.from_numpy(batch)).numpy()
    np.testing.assert_allclose(engine.run(batch), expected, rtol=1e-4, atol=1e-4)


def test_weights_of_another_model_are_refused(random_resnet: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not fit efficientnet_lite0"):
        load_engine(
            ModelFiles(get_model("efficientnet_lite0"), random_resnet, random_resnet.parent),
            "torch",
        )


def test_a_file_that_is_not_weights_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelUnavailableError, match="junk.pth: not a readable PyTorch weights"):
        load_engine(ModelFiles(get_model("resnet18"), junk, tmp_path), "torch")


def test_unknown_engine_is_a_config_error(random_resnet: Path) -> None:
    with pytest.raises(ConfigError, match="unknown engine"):
        load_engine(
            ModelFiles(get_model("resnet18"), random_resnet, random_resnet.parent), "tensorrt"
        )
