"""The order pytest-xdist gets the tests in (tests/scheduling.py): files whole, longest first."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest

from tests import scheduling


class FakeItem:
    """What group_longest_first reads of a test item: its id and its marks."""

    def __init__(self, nodeid: str, group: str | None = None) -> None:
        self.nodeid = nodeid
        self.marks = [pytest.mark.xdist_group(group).mark] if group else []

    def get_closest_marker(self, name: str) -> Any:
        return next((m for m in self.marks if m.name == name), None)

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.marks.append(marker.mark)


class FakeConfig:
    def __init__(self, dist: str) -> None:
        self.dist = dist

    def getoption(self, name: str, default: str) -> str:
        return self.dist if name == "dist" else default


def ordered(dist: str, items: list[FakeItem]) -> list[tuple[str, str]]:
    """(nodeid, group) of each item after group_longest_first."""
    found = cast(list[pytest.Item], items)
    scheduling.group_longest_first(cast(pytest.Config, FakeConfig(dist)), found)
    return [(i.nodeid, scheduling.group(i)) for i in found]


def test_files_stay_whole_and_the_longest_groups_start_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scheduling, "SECONDS", {"tests/test_long.py": 100, "fuzz": 50})
    items = [
        FakeItem("tests/test_a.py::one"),
        FakeItem("tests/test_b.py::one"),
        FakeItem("tests/test_b.py::two"),
        FakeItem("tests/test_long.py::quick"),
        FakeItem("tests/test_long.py::fuzz", group="fuzz"),
        FakeItem("tests/test_long.py::slow"),
    ]
    assert ordered("loadgroup", items) == [
        ("tests/test_long.py::quick", "tests/test_long.py"),
        ("tests/test_long.py::slow", "tests/test_long.py"),
        ("tests/test_long.py::fuzz", "fuzz"),
        ("tests/test_b.py::one", "tests/test_b.py"),  # then by number of tests
        ("tests/test_b.py::two", "tests/test_b.py"),
        ("tests/test_a.py::one", "tests/test_a.py"),
    ]
    assert all(item.get_closest_marker("xdist_group") for item in items)


def test_other_ways_of_running_are_left_alone() -> None:
    items = [FakeItem("tests/test_a.py::one"), FakeItem("tests/test_b.py::one", group="b")]
    assert ordered("loadfile", items) == [
        ("tests/test_a.py::one", "tests/test_a.py"),
        ("tests/test_b.py::one", "b"),
    ]
    assert items[0].get_closest_marker("xdist_group") is None


def test_the_groups_named_in_seconds_exist() -> None:
    """A renamed file or group would silently lose its place at the front."""
    from tests.helpers import REPO

    groups = set()
    for path in (REPO / "tests").glob("test_*.py"):
        text = path.read_text()
        groups.add(f"tests/{path.name}")
        groups.update(re.findall(r'@pytest\.mark\.xdist_group\("([^"]+)"\)', text))
    assert set(scheduling.SECONDS) <= groups, set(scheduling.SECONDS) - groups
