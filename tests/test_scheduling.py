"""The order pytest-xdist gets the test files in (tests/scheduling.py): the longest first."""

from __future__ import annotations

from typing import cast

import pytest

from tests import scheduling
from tests.helpers import REPO


class FakeItem:
    """What longest_first reads of a test item: its id."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid


def test_files_stay_together_and_the_longest_start_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduling, "SECONDS", {"tests/test_long.py": 100, "tests/test_c.py": 50})
    ids = [
        "tests/test_a.py::one",
        "tests/test_b.py::one",
        "tests/test_b.py::two",
        "tests/test_c.py::one",
        "tests/test_long.py::quick",
        "tests/test_long.py::slow[1]",
        "tests/test_long.py::slow[2]",
    ]
    items = cast(list[pytest.Item], [FakeItem(i) for i in ids])
    scheduling.longest_first(items)
    assert [i.nodeid for i in items] == [
        "tests/test_long.py::quick",  # each file's tests in their own order
        "tests/test_long.py::slow[1]",
        "tests/test_long.py::slow[2]",
        "tests/test_c.py::one",
        "tests/test_b.py::one",  # then by number of tests, as xdist would
        "tests/test_b.py::two",
        "tests/test_a.py::one",
    ]


def test_the_files_named_in_seconds_exist() -> None:
    """A renamed file would silently lose its place at the front."""
    missing = [name for name in scheduling.SECONDS if not (REPO / name).is_file()]
    assert not missing
