"""A safe reader of PyTorch ``.pth`` state_dicts into numpy, with no torch.

A ``.pth`` file is a pickle whose tensors point at raw storages: in the zip format
(torch >= 1.6) each storage is a member ``<archive>/data/<key>``; in the legacy format
(the Lite packages' files) the storages follow the pickles in the same stream. The
pickle is read by an Unpickler that knows only the few globals a state_dict needs,
each mapped to a callable of ours that builds numpy, so a file that names anything
else (``os.system``, ``builtins.eval``...) is refused before any of it runs.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from smartalbum.errors import ModelUnavailableError
from smartalbum.i18n import t

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# torch's storage types, as pickled (``torch FloatStorage``), and what their elements are.
_STORAGE_DTYPES = {
    "FloatStorage": "f4",
    "DoubleStorage": "f8",
    "HalfStorage": "f2",
    "BFloat16Storage": "u2",  # widened to float32 on reading: numpy has no bfloat16
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class UnsafeWeightsError(Exception):
    """The pickle names something a state_dict never holds."""


@dataclass(frozen=True)
class _StorageType:
    """Stands in for ``torch.FloatStorage`` and friends: only their element type matters."""

    name: str

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(_STORAGE_DTYPES[self.name])


@dataclass(frozen=True)
class _Storage:
    """A storage the pickle refers to by key; its bytes are read after the pickle."""

    key: str
    kind: _StorageType
    numel: int
    view: tuple[int, int] | None = None  # legacy views of the storage ``key``: (offset, size)


@dataclass(frozen=True)
class _TensorRef:
    """A tensor as the pickle describes it: a strided window on a storage."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_rest: Any) -> _TensorRef:
    """``torch._utils._rebuild_tensor_v2``: requires_grad, hooks and metadata do not matter."""
    if not isinstance(storage, _Storage):
        raise UnsafeWeightsError("a tensor without a storage")
    return _TensorRef(storage, int(offset), tuple(map(int, size)), tuple(map(int, stride)))


def _rebuild_parameter(data: Any, *_rest: Any) -> Any:
    """``torch._utils._rebuild_parameter``: a parameter is its data here."""
    return data


_FUNCTIONS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _Unpickler(pickle.Unpickler):
    """Resolves only the globals of a state_dict; storages become ``_Storage`` records."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        found = _FUNCTIONS.get((module, name))
        if found is None:
            raise UnsafeWeightsError(f"{module}.{name}")
        return found

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise UnsafeWeightsError(f"persistent id {str(pid)[:40]}")
        kind, key, numel = pid[1], str(pid[2]), int(pid[4])
        if not isinstance(kind, _StorageType):
            raise UnsafeWeightsError("a storage of an unknown type")
        view = None
        if len(pid) > 5 and pid[5] is not None:  # (view key, offset, view size)
            view = (int(pid[5][1]), int(pid[5][2]))
        return _Storage(key, kind, numel, view)


def _load_pickle(stream: IO[bytes]) -> Any:
    return _Unpickler(stream).load()


def read_state_dict(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a ``.pth`` state_dict as a numpy array, by name; never imports torch.

    ModelUnavailableError names the file when it is not a state_dict or names a global
    a state_dict never needs (then nothing of it has run).
    """
    try:
        if zipfile.is_zipfile(path):
            return _read_zip(path)
        with path.open("rb") as f:
            return _read_legacy(f)
    except UnsafeWeightsError as exc:
        raise ModelUnavailableError(
            t(
                "{path}: refused, not a plain state_dict: it names {name}, which a weights "
                "file never needs (it was not run)",
                path=path,
                name=str(exc),
            )
        ) from None
    except ModelUnavailableError:
        raise
    except Exception as exc:  # zip, pickle and layout errors all mean "not a weights file"
        raise unreadable(path, exc) from None


def unreadable(path: Path, exc: Exception) -> ModelUnavailableError:
    """The error for a file that is not a readable weights file, with the reader's reason."""
    return ModelUnavailableError(
        t(
            "{path}: not a readable PyTorch weights file ({kind}: {reason})",
            path=path,
            kind=type(exc).__name__,
            reason=exc,
        )
    )


def _read_zip(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise ValueError("no data.pkl in the archive")
        root = pickles[0].split("/")[0]
        order: Literal["<", ">"] = "<"
        if f"{root}/byteorder" in names:
            order = ">" if archive.read(f"{root}/byteorder").strip() == b"big" else "<"
        state = _state_of(_load_pickle(io.BytesIO(archive.read(pickles[0]))))
        cache: dict[str, bytes] = {}

        def data_of(storage: _Storage) -> bytes:
            if storage.key not in cache:
                cache[storage.key] = archive.read(f"{root}/data/{storage.key}")
            return cache[storage.key]

        return {name: _materialise(ref, data_of(ref.storage), order) for name, ref in state}


def _read_legacy(f: IO[bytes]) -> dict[str, np.ndarray]:
    if _load_pickle(f) != LEGACY_MAGIC:
        raise ValueError("neither a zip nor a legacy torch file")
    if _load_pickle(f) != LEGACY_PROTOCOL:
        raise ValueError("an unknown legacy protocol version")
    info = _load_pickle(f)
    little = not isinstance(info, dict) or info.get("little_endian", True)
    order: Literal["<", ">"] = "<" if little else ">"
    state = _state_of(_load_pickle(f))
    keys = _load_pickle(f)
    if not isinstance(keys, list):
        raise ValueError("no storage list after the pickle")
    # The storages follow in the listed order, each as its element count and its bytes.
    kinds = {ref.storage.key: ref.storage.kind for _, ref in state}
    blobs: dict[str, bytes] = {}
    for key in map(str, keys):
        (numel,) = struct.unpack("<q", f.read(8))
        if key not in kinds or numel < 0:
            raise ValueError(f"storage {key} is not one the pickle refers to")
        blobs[key] = f.read(numel * kinds[key].dtype.itemsize)
        if len(blobs[key]) != numel * kinds[key].dtype.itemsize:
            raise ValueError(f"storage {key} is truncated")
    out = {}
    for name, ref in state:
        storage = ref.storage
        blob = blobs[storage.key]
        if storage.view:  # a window on the storage: its own offset and size
            itemsize = storage.kind.dtype.itemsize
            blob = blob[storage.view[0] * itemsize : (storage.view[0] + storage.view[1]) * itemsize]
        out[name] = _materialise(ref, blob, order)
    return out


def _state_of(obj: Any) -> list[tuple[str, _TensorRef]]:
    """The (name, tensor) pairs of a state_dict, or of a checkpoint's ``state_dict`` entry."""
    if isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError(f"holds a {type(obj).__name__}, not a state_dict")
    pairs = []
    for name, value in obj.items():
        if not isinstance(name, str) or not isinstance(value, _TensorRef):
            raise ValueError(f"entry {str(name)[:60]!r} is not a tensor")
        pairs.append((name, value))
    return pairs


def _materialise(ref: _TensorRef, data: bytes, order: Literal["<", ">"]) -> np.ndarray:
    """The tensor as an array of its own, after checking its window lies inside the storage."""
    dtype = ref.storage.kind.dtype.newbyteorder(order)
    flat = np.frombuffer(data, dtype=dtype)
    if len(ref.size) != len(ref.stride) or any(s < 0 for s in (*ref.size, *ref.stride)):
        raise ValueError("a tensor with a negative size or stride")
    if min(ref.size, default=1) > 0:
        last = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True))
        if ref.offset < 0 or last >= flat.size:
            raise ValueError("a tensor reaching outside its storage")
        window = np.lib.stride_tricks.as_strided(
            flat[ref.offset :],
            shape=ref.size,
            strides=[s * dtype.itemsize for s in ref.stride],
            writeable=False,
        )
        array = np.array(window, dtype=dtype.newbyteorder("="))
    else:
        array = np.zeros(ref.size, dtype=dtype.newbyteorder("="))
    if ref.storage.kind.name == "BFloat16Storage":
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array
