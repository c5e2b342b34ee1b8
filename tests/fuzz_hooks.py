"""Schemathesis hooks for fuzzing the served API (loaded through schemathesis.toml).

A JSON Schema can say an upload is binary and a folder a non-empty string, but not that
the bytes decode as a photo or that the folder exists on the server. These hooks supply
valid values where the schema cannot describe them, so "valid data is accepted" is a fair
check: real (small, generated) images for the upload parts, and one existing, empty
folder for ``POST /api/index``.

The folder hook is also a guard: the server imports any folder it is given, and a fuzzer
sending "/" would have it walk the whole disk. Every folder name a test sends is confined
to an empty temporary folder before the request leaves, in every phase (``before_call``
sees every request, stateful ones included).
"""

from __future__ import annotations

import atexit
import functools
import io
import os
import shutil
import tempfile
from typing import Any

import jsonschema_rs
import schemathesis
from hypothesis import strategies as st
from PIL import Image
from schemathesis.core.parameters import ParameterLocation

_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}


@functools.cache
def _sandbox_path() -> str:
    folder = tempfile.mkdtemp(prefix="smartalbum-fuzz-")
    atexit.register(_remove, folder, os.getpid())
    return folder


def _remove(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # not from a process that only inherited the name
        shutil.rmtree(folder, ignore_errors=True)


def _sandbox() -> str:
    """The empty folder every imported folder name is confined to (made at first use).

    Made again if it is gone: a request must never find its valid folder missing.
    """
    folder = _sandbox_path()
    os.makedirs(folder, exist_ok=True)
    return folder


def _image(fmt: str, size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def _images(fmt: str) -> st.SearchStrategy[bytes]:
    side = st.integers(min_value=1, max_value=64)
    channel = st.integers(min_value=0, max_value=255)
    return st.builds(
        _image, st.just(fmt), st.tuples(side, side), st.tuples(channel, channel, channel)
    )


for _media_type, _fmt in _FORMATS.items():
    schemathesis.openapi.media_type(_media_type, _images(_fmt))
# A tus chunk: any bytes (the server answers 404 for the made-up upload ids it is sent to).
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=4096))


def _confined(folder: object, positive: bool) -> object:
    """A folder name that cannot leave the sandbox (a valid one, the sandbox, for valid data)."""
    if not isinstance(folder, str) or not folder:
        return folder  # not a name the server could open: the invalid value stays as it is
    if positive:
        return _sandbox()
    # Invalid data keeps its odd characters, but as a name inside the sandbox.
    tail = folder.replace("..", "__").replace("~", "_").lstrip("/")
    return f"{_sandbox()}/{tail}"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Confine every folder sent to ``POST /api/index`` to the sandbox."""
    if case.operation.path != "/api/index" or not isinstance(case.body, dict):
        return
    folders = case.body.get("folders")
    if isinstance(folders, list):
        positive = case.meta is None or case.meta.generation.mode.is_positive
        case.body["folders"] = [_confined(f, positive) for f in folders]


def _readable(value: object) -> object:
    """The value with each binary payload as a string, so a JSON Schema validator can read it."""
    if isinstance(value, dict):
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    if value is None or type(value) in (str, int, float, bool):  # not a subclass: Binary is one
        return value
    return ""  # bytes, schemathesis' Binary: a file part's content, of no concern to the schema


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Drop a "negative" body that is valid: the check schemathesis skips for binary parts.

    Schemathesis confirms a generated negative body breaks its schema, except when the body
    holds bytes (a multipart upload), which its validator cannot read. Negating one branch of
    ``anyOf`` (file, or files) then yields bodies the other branch accepts, sent as
    "invalid data" the server rightly takes. The same check, with the bytes read as text:
    """
    body = case.body
    meta = case.meta
    if meta is None or not isinstance(body, dict):
        return True
    component = meta.components.get(ParameterLocation.BODY)
    if component is None or not component.mode.is_negative:
        return True
    alternative = case.operation.get_body_for_media_type(case.media_type)
    if alternative is None:
        return True
    validator = jsonschema_rs.validator_for(alternative.raw_schema)
    return not validator.is_valid(_readable(body))
