"""INT8 without a manual step: once the library holds enough photos, the INT8 model is built
from a sample of them and kept only if it agrees with fp32 on others.

Runs after an import (the web's job thread, or the end of ``smartalbum index``) when the
engine is ``auto``; ``auto`` then measures the INT8 engines too and serves the fastest.
The verdict — kept or refused, with its agreement — is written beside the model file, so a
refused model is not rebuilt on every import (only once the library has doubled).
The build (~1 GB: the calibration's activations) runs in a process of its own, which gives
all of it back when it ends (docs/performance.md, an index with every pass on).
``smartalbum optimize --calibrate DIR`` stays for choosing the photos oneself.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import imaging
from smartalbum.catalog import OK, Photo
from smartalbum.engines import ModelFiles, artifacts, build_checked_int8
from smartalbum.errors import SmartalbumError
from smartalbum.i18n import Message, t
from smartalbum.settings import Settings

log = logging.getLogger(__name__)

MIN_PHOTOS = 100  # decoded photos before an INT8 model is built (half calibrate, half check)
CALIBRATION = 100  # at most, calibrating on
CHECK = 200  # at most, other photos the agreement is measured on
MIN_AGREEMENT = 0.97  # top-1 agreement with fp32, where fp32 is sure, an INT8 model needs
SEED = 20261201


def verdict_path(files: ModelFiles) -> Path:
    """Where the verdict on this model's automatic INT8 file is kept."""
    return files.onnx_path("int8").with_suffix(".verdict.json")


def auto_int8(
    settings: Settings,
    files: ModelFiles,
    sessions: sessionmaker[Session],
    starting: Callable[[], None] = lambda: None,
) -> dict[str, Any] | None:
    """Build and check the INT8 model from the library's photos if it is time; the verdict.

    None when there is nothing to do: an INT8 model exists, the library is too small, or
    a refused one has not yet seen the library double. ``starting`` is called before the
    work begins (the command line says so: it takes a while); the verdict's ``seconds``
    count all of it, decoding the sample included.
    """
    if artifacts.is_valid(files.onnx_path("int8")):
        return None
    with sessions() as session:
        paths = list(session.scalars(select(Photo.path).where(Photo.status == OK)))
    previous = _read(verdict_path(files))
    refused = previous is not None and not previous.get("kept")
    if len(paths) < MIN_PHOTOS or (refused and previous and len(paths) < 2 * previous["photos"]):
        return None
    starting()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(1, mp_context=context) as apart:
        verdict = apart.submit(_build, settings, files, paths).result()
    if verdict is not None:
        _write(verdict_path(files), verdict)
        log.info("automatic INT8 model: %s", verdict_message(verdict).render("en"))
    return verdict


def _build(settings: Settings, files: ModelFiles, paths: list[str]) -> dict[str, Any] | None:
    """Build and check the INT8 model from the library's photos: its verdict (None: too few
    could be decoded). Run in a process of its own."""
    started = time.monotonic()
    random.Random(SEED).shuffle(paths)
    calibrate = min(CALIBRATION, len(paths) // 2)
    arrays = _decode(settings, files, paths, calibrate + min(CHECK, len(paths) - calibrate))
    if len(arrays) < MIN_PHOTOS:
        return None
    calibrate = min(calibrate, len(arrays) // 2)
    result = build_checked_int8(
        files, arrays[:calibrate], arrays[calibrate:], MIN_AGREEMENT, settings.threads
    )
    return {
        "kept": result.kept,
        "agreement": round(result.agreement, 4),
        "sure_agreement": round(result.sure_agreement, 4),
        "sure": result.sure,
        "min_agreement": MIN_AGREEMENT,
        "calibrated_on": calibrate,
        "checked_on": result.checked,
        "photos": len(paths),
        "seconds": round(time.monotonic() - started, 1),
        "at": time.time(),
    }


def verdict_message(verdict: dict[str, Any]) -> Message:
    """What became of the automatic INT8 model, for the person who imported."""
    if verdict["kept"]:
        return t(
            "built the INT8 model from {calibrated} of your photos in {seconds:.1f} s: it "
            "agrees with fp32 on {sure_agreement:.1%} of the {sure} others fp32 is sure of "
            "({agreement:.1%} of all {checked}); the fastest engine serves from now on",
            calibrated=verdict["calibrated_on"],
            seconds=verdict["seconds"],
            sure_agreement=verdict["sure_agreement"],
            sure=verdict["sure"],
            agreement=verdict["agreement"],
            checked=verdict["checked_on"],
        )
    return t(
        "INT8 model not used (built and checked in {seconds:.1f} s): it agrees with fp32 on "
        "only {sure_agreement:.1%} of the {sure} of your photos fp32 is sure of "
        "({agreement:.1%} of all {checked}; it needs {needed:.0%}); fp32 keeps serving",
        seconds=verdict["seconds"],
        sure_agreement=verdict["sure_agreement"],
        sure=verdict["sure"],
        agreement=verdict["agreement"],
        checked=verdict["checked_on"],
        needed=verdict["min_agreement"],
    )


def _decode(
    settings: Settings, files: ModelFiles, paths: list[str], wanted: int
) -> list[np.ndarray]:
    arrays: list[np.ndarray] = []
    for path in paths:
        if len(arrays) == wanted:
            break
        try:
            arrays.append(
                imaging.load(Path(path), files.spec.preprocess, max_pixels=settings.max_pixels)
            )
        except SmartalbumError:  # moved or broken since it was indexed: the next one serves
            continue
    return arrays


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, verdict: dict[str, Any]) -> None:
    try:
        path.write_text(json.dumps(verdict, indent=2) + "\n")
    except OSError as exc:  # a read-only cache: the verdict is logged, and asked again later
        log.warning("could not keep the INT8 verdict in %s: %s", path, exc)
