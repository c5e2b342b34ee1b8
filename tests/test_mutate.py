"""scripts/mutate.py, our bounded mutation run: which tests it runs for a mutant's line.

The script is not part of the suite; these check its choice of tests, through a real coverage
run of a small module of our own (a line run by a test, one run only in a process a test
started, one run at import, one never run), and its table.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.helpers import REPO


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutate", REPO / "scripts" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


mutate = _script()

MODULE = """\
LIMIT = 3


def by_a_test():
    return LIMIT + 1


def in_a_process():
    return LIMIT - 1


def never():
    return LIMIT * 2
"""
TESTS = """\
import os
import subprocess
import sys

import target


def test_in_process():
    assert target.by_a_test() == 4


def test_starts_a_process():
    code = "import target; assert target.in_a_process() == 2"
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))


def test_nothing_of_it():
    assert True
"""


def test_each_line_maps_to_the_tests_that_executed_it(tmp_path: Path) -> None:
    copy = tmp_path / "target.py"
    copy.write_text(MODULE, "utf-8")
    (tmp_path / "test_target.py").write_text(TESTS, "utf-8")
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert True\n", "utf-8")
    data = mutate.write_coverage_setup(tmp_path, copy)
    command = [sys.executable, "-m", "coverage", "run", f"--rcfile={tmp_path / 'coveragerc'}"]
    command += ["-m", "pytest", "-q", "-p", mutate.PLUGIN, "-p", "no:cacheprovider"]
    command += ["-o", "addopts=", "test_other.py", "test_target.py"]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

    lines = mutate.line_tests(data, copy, ["test_other.py", "test_target.py"])

    assert lines[5] == ["test_target.py::test_in_process"]  # by_a_test's return
    assert lines[9] == ["test_target.py"]  # only in a process: the test file that started it
    assert lines[1] == ["test_other.py", "test_target.py"]  # at import: every file
    assert 13 not in lines  # never run: "not covered"


def test_a_whole_file_takes_in_its_own_tests_and_files_keep_their_order() -> None:
    contexts = ["b.py::test_x", "proc:a.py::test_y", "a.py::test_z", "b.py::test_w"]

    assert mutate.tests_of(contexts, ["a.py", "b.py"]) == ["a.py", "b.py::test_w", "b.py::test_x"]
    assert mutate.tests_of(["", "a.py::test_z"], ["b.py", "a.py"]) == ["b.py", "a.py"]


def test_the_table_counts_each_fate() -> None:
    fates = ["killed", "timeout", "survived", "not covered", "not covered", "not run"]
    results = [mutate.Mutant("x.py", i, "a", "b", status) for i, status in enumerate(fates)]

    table = mutate.summary(results).splitlines()

    assert table[2] == "| `x.py` | 6 | 2 | 3 | 2 | 1 | 1 | 1 |"


def test_a_survivor_of_single_tests_runs_again_on_their_whole_files() -> None:
    # (a line run once a process, e.g. under functools.cache, is its first test's alone)
    tests = ["a.py::test_x", "b.py", "a.py::test_y"]

    assert mutate.whole_files(tests) == ["a.py", "b.py"]
    assert mutate.whole_files(["a.py", "b.py"]) == []
