"""``smartalbum bench``: model-only latency and throughput, and end-to-end throughput on files."""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from smartalbum.engines.classifier import Classifier
from smartalbum.errors import ModelUnavailableError
from smartalbum.i18n import t
from smartalbum.imaging import SUPPORTED_SUFFIXES
from smartalbum.models.weights import resolve_weights
from smartalbum.models.zoo import ModelSpec, get_model
from smartalbum.settings import Settings

SEED_BASELINE = "seed-baseline"


def random_weights_path(spec: ModelSpec, cache_dir: Path) -> Path:
    """Where the fixed random weights of a model are kept for benchmarking."""
    return cache_dir / "random" / f"{spec.name}-seed0.pth"


def random_weights(spec: ModelSpec, cache_dir: Path) -> Path:
    """A fixed random state_dict for a model whose official weights are absent (needs torch)."""
    path = random_weights_path(spec, cache_dir)
    if not path.is_file():
        try:
            import torch
        except ModuleNotFoundError:
            raise ModelUnavailableError(
                t(
                    "random weights for {model} are made with PyTorch, which the serving "
                    "install leaves out: pip install 'smartalbum[torch]', or pass --weights PATH",
                    model=spec.name,
                )
            ) from None
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        torch.save(spec.build().state_dict(), path)
    return path


def image_files(directory: Path) -> list[Path]:
    """Every image file directly in a folder, sorted."""
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)


def _median_ms(fn: Any, repeats: int) -> float:
    fn()  # warm-up: first calls allocate and pick kernels
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_engine(
    settings: Settings, engine: str, images: list[Path], repeats: int = 20
) -> dict[str, Any]:
    """One row: batch-1 median ms, batch-8 img/s, end-to-end img/s over ``images``."""
    spec = get_model(settings.model)
    weights_kind = "official"
    if settings.weights is None:
        try:
            resolve_weights(spec, None, settings.allow_download)
        except ModelUnavailableError:
            settings = settings.with_overrides(weights=random_weights(spec, settings.cache_dir))
            weights_kind = "random"
    elif settings.weights == random_weights_path(spec, settings.cache_dir):
        weights_kind = "random"
    else:
        weights_kind = "user"
    baseline = engine == SEED_BASELINE
    if baseline:  # the seed's way: PyTorch eager, full decode, one image at a time
        settings = dataclasses.replace(
            settings, engine="torch", batch_size=1, fast_decode=False, decode_threads=1
        )
    else:
        settings = settings.with_overrides(engine=engine)
    classifier = Classifier.from_settings(settings)
    rng = np.random.default_rng(0)
    size = spec.input_size
    one = rng.standard_normal((1, 3, size, size)).astype(np.float32)
    eight = rng.standard_normal((8, 3, size, size)).astype(np.float32)
    row: dict[str, Any] = {
        "model": spec.name,
        "engine": SEED_BASELINE if baseline else classifier.engine.name,
        "precision": getattr(classifier.engine, "precision", None),  # OpenVINO's bf16 or f32
        "weights": weights_kind,
        "threads": settings.threads,
        "batch1_ms": round(_median_ms(lambda: classifier.engine.run(one), repeats), 2),
        "batch8_ips": round(
            8000 / _median_ms(lambda: classifier.engine.run(eight), max(5, repeats // 2)), 1
        ),
        "end_to_end_ips": None,
        "images": len(images),
    }
    if images:
        started = time.perf_counter()
        if baseline:  # strictly serial: decode, then the model, image after image
            for path in images:
                classifier.engine.run(classifier.load(path)[np.newaxis])
        else:
            for _ in classifier.iter_classify(images, top_k=5):
                pass
        row["end_to_end_ips"] = round(len(images) / (time.perf_counter() - started), 1)
    return row
