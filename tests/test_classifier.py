"""The Python API on real weights and real photos."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartalbum.engines.classifier import Classifier, softmax
from smartalbum.errors import ImageDecodeError, UnsupportedImageError
from tests.helpers import CAT


def test_paths_bytes_and_pil_images_agree(classifier: Classifier, samples: Path) -> None:
    path = samples / CAT
    results = classifier.classify([path, path.read_bytes(), Image.open(path)], top_k=3)
    assert [r.ok for r in results] == [True, True, True]
    tops = [[(p.wnid, round(p.probability, 5)) for p in r.predictions] for r in results]
    assert tops[0] == tops[1] == tops[2]
    first = results[0].predictions[0]
    assert (first.rank, first.wnid, first.label, first.label_zh) == (
        1, "n02124075", "Egyptian cat", "埃及猫"
    )  # fmt: skip


def test_predictions_are_ranked_probabilities(classifier: Classifier, samples: Path) -> None:
    predictions = classifier.classify_one(samples / "n11939491_daisy.JPEG", top_k=10)
    assert [p.rank for p in predictions] == list(range(1, 11))
    probabilities = [p.probability for p in predictions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1.0 + 1e-9
    assert predictions[0].wnid == "n11939491" and predictions[0].label_zh == "雏菊"


def test_bad_inputs_cost_only_themselves(
    classifier: Classifier, samples: Path, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("shopping list")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((samples / CAT).read_bytes()[:300])
    good = sorted(samples.glob("n01*"))[:10]
    inputs = [*good[:5], text, broken, *good[5:]]
    results = classifier.classify(inputs, top_k=1)
    assert [r.name for r in results] == [str(p) for p in inputs]
    assert [r.ok for r in results] == [True] * 5 + [False, False] + [True] * 5
    assert isinstance(results[5].error, UnsupportedImageError)
    assert isinstance(results[6].error, ImageDecodeError)
    assert "broken.jpg" in results[6].to_dict()["error"]["message"]
    # the good ones are what they would be alone
    alone = classifier.classify(good, top_k=1)
    ours = [r.predictions[0] for r in results if r.ok]
    assert [p.index for p in ours] == [r.predictions[0].index for r in alone]
    np.testing.assert_allclose(
        [p.probability for p in ours], [r.predictions[0].probability for r in alone], atol=1e-5
    )


def test_classify_one_raises_the_inputs_error(classifier: Classifier) -> None:
    with pytest.raises(ImageDecodeError, match="empty"):
        classifier.classify_one(b"")


def test_batching_does_not_change_results(classifier: Classifier, samples: Path) -> None:
    files = sorted(samples.glob("n02*"))[:11]
    batched = classifier.classify(files, top_k=5)
    single = [classifier.classify([f], top_k=5)[0] for f in files]
    for a, b in zip(batched, single, strict=True):
        assert [p.index for p in a.predictions] == [p.index for p in b.predictions]
        np.testing.assert_allclose(
            [p.probability for p in a.predictions], [p.probability for p in b.predictions],
            atol=1e-5,
        )  # fmt: skip


def test_embeddings_are_returned_on_request(classifier: Classifier, samples: Path) -> None:
    result = next(classifier.iter_classify([samples / CAT], embeddings=True))
    assert result.embedding is not None and result.embedding.shape == (1280,)


def test_softmax_is_stable() -> None:
    p = softmax(np.array([[1000.0, 1000.0, -1000.0]], dtype=np.float32))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0]])


def test_grey_and_png_uploads(classifier: Classifier, samples: Path) -> None:
    grey = Image.open(samples / CAT).convert("L")
    out = io.BytesIO()
    grey.save(out, "PNG")
    result = classifier.classify([out.getvalue()], top_k=5)[0]
    assert result.ok and len(result.predictions) == 5
