"""The torch-free .pth reader against torch.load, and its refusal of anything but a state_dict."""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from smartalbum.errors import ModelUnavailableError
from smartalbum.models.state_dict import LEGACY_MAGIC, LEGACY_PROTOCOL, read_state_dict
from smartalbum.models.weights import resolve_weights
from smartalbum.models.zoo import get_model


def assert_same_as_torch(path: Path) -> None:
    """Every entry: same names in the same order, dtype, shape and exact values."""
    ours = read_state_dict(path)
    theirs = torch.load(path, map_location="cpu", weights_only=True)
    assert list(ours) == list(theirs)
    for name, tensor in theirs.items():
        expected = (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()
        assert ours[name].dtype == expected.dtype, name
        assert ours[name].shape == expected.shape, name
        np.testing.assert_array_equal(ours[name], expected, err_msg=name)


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"])
def test_the_lite_packages_legacy_files_read_as_torch_reads_them(name: str) -> None:
    path = resolve_weights(get_model(name), None, allow_download=False)
    assert not zipfile.is_zipfile(path)  # the packages ship torch's legacy format
    assert_same_as_torch(path)


@pytest.mark.parametrize("legacy", [False, True])
def test_a_torchvision_layout_resnet18_reads_as_torch_reads_it(
    tmp_path: Path, legacy: bool
) -> None:
    torch.manual_seed(5)
    path = tmp_path / "resnet18.pth"
    state = get_model("resnet18").build().state_dict()
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    assert_same_as_torch(path)
    assert read_state_dict(path)["layer2.0.downsample.0.weight"].shape == (128, 64, 1, 1)


@pytest.mark.parametrize("legacy", [False, True])
def test_dtypes_views_and_strides(tmp_path: Path, legacy: bool) -> None:
    base = torch.arange(24, dtype=torch.float32)
    state = {
        "transposed": base[:12].reshape(3, 4).t(),  # a strided window, not contiguous
        "view": base[5:9],  # an offset into a shared storage
        "steps": torch.tensor(7),  # a 0-d int64, like num_batches_tracked
        "half": torch.linspace(-2, 2, 5).half(),
        "bf16": torch.linspace(-3, 3, 7).to(torch.bfloat16),
        "double": torch.rand(2, 2, dtype=torch.float64),
        "mask": torch.tensor([True, False]),
        "bytes": torch.arange(4, dtype=torch.uint8),
        "empty": torch.zeros(0, 3),
    }
    path = tmp_path / "mixed.pth"
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    assert_same_as_torch(path)


class _System:
    """Pickles as a call to os.system: what a malicious weights file does."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


def _zip_with(tmp_path: Path, data_pkl: bytes) -> Path:
    """A real torch zip file whose data.pkl is replaced."""
    good = tmp_path / "good.pth"
    torch.save({"w": torch.ones(2)}, good)
    bad = tmp_path / "evil.pth"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            body = data_pkl if item.filename.endswith("/data.pkl") else src.read(item)
            dst.writestr(item, body)
    return bad


def test_a_pickle_that_calls_os_system_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = pickle.dumps({"w": _System(f"touch {marker}")}, protocol=2)
    evil = _zip_with(tmp_path, payload)
    with pytest.raises(ModelUnavailableError, match=r"evil\.pth: refused.*posix\.system"):
        read_state_dict(evil)
    legacy = tmp_path / "evil-legacy.pth"
    stream = io.BytesIO()
    for part in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"little_endian": True}):
        pickle.dump(part, stream, protocol=2)
    stream.write(payload)
    legacy.write_bytes(stream.getvalue())
    with pytest.raises(ModelUnavailableError, match=r"evil-legacy\.pth: refused.*posix\.system"):
        read_state_dict(legacy)
    assert not marker.exists()
    # The same files really do run the command under an unrestricted unpickler.
    pickle.loads(payload)
    assert marker.exists()


def test_builtins_and_torch_functions_beyond_a_state_dict_are_refused(tmp_path: Path) -> None:
    class Eval:
        def __reduce__(self) -> tuple[Any, ...]:
            return (eval, ("1 + 1",))

    for payload, named in (
        (pickle.dumps({"w": Eval()}, protocol=2), "builtin__.eval"),  # protocol 2 spelling
        (pickle.dumps({"w": torch.load}, protocol=2), "torch.serialization.load"),
    ):
        with pytest.raises(ModelUnavailableError, match=named.replace(".", r"\.")):
            read_state_dict(_zip_with(tmp_path, payload))


def test_a_tensor_reaching_outside_its_storage_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "good.pth"
    torch.save({"w": torch.ones(64)}, good)
    short = tmp_path / "short.pth"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(short, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            dst.writestr(item, body[:16] if "/data/" in item.filename else body)
    with pytest.raises(ModelUnavailableError, match=r"short\.pth: not a readable.*outside"):
        read_state_dict(short)


def test_what_is_not_a_state_dict_says_so(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a pickle at all")
    with pytest.raises(ModelUnavailableError, match=r"junk\.pth: not a readable PyTorch"):
        read_state_dict(junk)
    listed = tmp_path / "list.pth"
    torch.save([torch.ones(1)], listed)
    with pytest.raises(ModelUnavailableError, match="not a state_dict"):
        read_state_dict(listed)
    wrapped = tmp_path / "checkpoint.pth"
    torch.save({"state_dict": {"w": torch.ones(3)}, "epoch": 3}, wrapped)
    assert read_state_dict(wrapped)["w"].tolist() == [1.0, 1.0, 1.0]


class _Storage:
    """What a pre-1.0 torch pickled for a storage: a persistent id, maybe with a view."""

    def __init__(self, pid: tuple[Any, ...]) -> None:
        self.pid = pid


class _Tensor:
    """Pickles as torch's _rebuild_tensor_v2 call on a storage."""

    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...]) -> None:
        self.args: tuple[Any, ...] = (storage, offset, size, (1,), False, collections.OrderedDict())

    def __reduce__(self) -> tuple[Any, ...]:
        return (torch._utils._rebuild_tensor_v2, self.args)


class _OldPickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> Any:
        return obj.pid if isinstance(obj, _Storage) else None


def test_a_legacy_view_into_a_storage_reads_as_torch_reads_it(tmp_path: Path) -> None:
    # Old files name a view of a root storage: (view key, offset, size) in the storage's id.
    view = _Storage(("storage", torch.FloatStorage, "root", "cpu", 10, ("view", 3, 4)))
    stream = io.BytesIO()
    for part in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"little_endian": True}):
        pickle.dump(part, stream, protocol=2)
    _OldPickler(stream, protocol=2).dump(collections.OrderedDict(w=_Tensor(view, 1, (2,))))
    pickle.dump(["root"], stream, protocol=2)
    stream.write(struct.pack("<q", 10) + np.arange(10, dtype="<f4").tobytes())
    path = tmp_path / "old.pth"
    path.write_bytes(stream.getvalue())
    assert_same_as_torch(path)
    assert read_state_dict(path)["w"].tolist() == [4.0, 5.0]
