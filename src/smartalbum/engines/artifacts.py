"""Derived model files (ONNX fp32 and INT8) in the model cache, keyed by weights and exporter.

Each file has a sidecar ``.sha256``; a file whose digest does not match is treated
as missing, so a damaged cache is rebuilt instead of breaking classification.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from smartalbum.models.weights import sha256_of
from smartalbum.models.zoo import ModelSpec

log = logging.getLogger(__name__)

OPSET = 17
# Bump when the export or quantization recipe changes: old cache files are then ignored.
RECIPE = "r3"


def weights_digest(spec: ModelSpec, weights: Path, user_weights: bool) -> str:
    """A short digest naming the weights: the recorded sha256, or the user's file's own."""
    full = sha256_of(weights) if user_weights or len(spec.weights.sha256) < 64 else None
    return (full or spec.weights.sha256)[:16]


def artifact_path(cache_dir: Path, spec: ModelSpec, digest: str, kind: str) -> Path:
    """Where the ``kind`` ("fp32" or "int8") ONNX file of this model and weights lives."""
    return cache_dir / "models" / f"{spec.name}-{digest}-opset{OPSET}-{RECIPE}-{kind}.onnx"


def is_valid(path: Path) -> bool:
    """True when the file exists and matches the digest recorded when it was written."""
    sidecar = path.with_suffix(".onnx.sha256")
    if not path.is_file():
        return False
    if not sidecar.is_file() or sidecar.read_text().strip() != sha256_of(path):
        log.warning("cached model %s is damaged or incomplete; rebuilding it", path)
        return False
    return True


def commit(tmp: Path, path: Path) -> Path:
    """Move a finished file into place atomically and record its digest."""
    digest = sha256_of(tmp)
    tmp.chmod(0o644)
    os.replace(tmp, path)
    path.with_suffix(".onnx.sha256").write_text(digest + "\n")
    return path
