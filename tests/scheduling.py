"""Which tests pytest-xdist hands to a worker together, and in which order: longest first.

scripts/test runs ``--dist loadgroup --no-loadscope-reorder``: each group goes whole to one
worker, in the order of the collection. Here every test file is one group (its module
fixtures are made once), unless a test names its own with ``@pytest.mark.xdist_group``, as
the longest tests of a long file do, so that file's time is shared by the workers. The groups
that take longest start first, so the run does not end with one worker on a long file while
the other sits idle (xdist's own order, by number of tests, started the few-but-long files
late). Only the order depends on the seconds below; every test runs whatever they say.
"""

from __future__ import annotations

from collections import Counter

import pytest

# Seconds a group took on one of two workers in a whole run (scripts/test, 2 cores), for the
# groups past half a minute; the rest follow, those with the most tests first.
SECONDS = {
    "tests/test_distributed.py": 180,
    "tests/test_openvino.py": 130,
    "openapi-fuzz-signed-in": 92,
    "tests/test_parity.py": 90,
    "tests/test_int8_auto.py": 86,
    "tests/test_onnx_builder.py": 80,
    "openapi-fuzz-bare": 73,
    "openapi-fuzz-photos": 61,
    "tests/test_browser_axe.py": 35,
    "tests/test_browser_upload.py": 35,
}


def group(item: pytest.Item) -> str:
    """The test's group: its own xdist_group, or its file."""
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
    return item.nodeid.split("::", 1)[0]


def group_longest_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup``: give each test its group, and put the longest groups first."""
    if config.getoption("dist", "no") != "loadgroup":
        return
    groups = {item.nodeid: group(item) for item in items}
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    tests = Counter(groups.values())

    def longest_first(item: pytest.Item) -> tuple[int, int]:
        name = groups[item.nodeid]
        return -SECONDS.get(name, 0), -tests[name]

    items.sort(key=longest_first)  # stable: a file's tests keep their order
