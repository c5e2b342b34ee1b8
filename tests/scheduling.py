"""The order pytest-xdist hands the test files to its workers in: longest first.

scripts/test runs ``--dist loadfile --no-loadscope-reorder``: each file goes whole to one
worker (its module fixtures are made once), in the order of the collection, which this
module sets: the files that take longest start first, so the run does not end with one worker
on a long file while the other sits idle. xdist's own order, by number of tests, started the
few-but-long files (openvino, parity, int8_auto) late. Only the order depends on the seconds
below; every test runs whatever they say. (``--dist loadgroup`` could split a long file, but
pytest-xdist 3.8 marks the groups on ``item._nodeid``, which pytest 9 no longer reads: there
every test became a group of its own, module fixtures made again on each worker.)
"""

from __future__ import annotations

from collections import Counter

import pytest

# Seconds a file took on one of two workers in a whole run (scripts/test, 2 cores), for the
# files past half a minute; the rest follow, those with the most tests first.
SECONDS = {
    "tests/test_openapi.py": 240,
    "tests/test_distributed.py": 180,
    "tests/test_openvino.py": 130,
    "tests/test_parity.py": 90,
    "tests/test_int8_auto.py": 86,
    "tests/test_onnx_builder.py": 80,
    "tests/test_browser_axe.py": 35,
    "tests/test_browser_upload.py": 35,
}


def test_file(item: pytest.Item) -> str:
    """The file a test is in, as xdist's loadfile names it."""
    return item.nodeid.split("::", 1)[0]


def longest_first(items: list[pytest.Item]) -> None:
    """Put the tests of the longest files first, each file's tests in their own order."""
    files = {item.nodeid: test_file(item) for item in items}
    tests = Counter(files.values())

    def key(item: pytest.Item) -> tuple[int, int, str]:
        name = files[item.nodeid]
        return -SECONDS.get(name, 0), -tests[name], name

    items.sort(key=key)  # stable: a file's tests keep their order
