"""A bounded mutation-testing run of our own. Run by scripts/mutate; its findings: docs/mutation.md.

Each mutant is a one-line change to one of the files that guard the library (a comparison
flipped, ``and`` as ``or``, a ``not`` dropped, a constant moved, a value returned as None, a
call left out), made with ``ast`` on a copy of the package; the test files that should catch it
run against that copy (``-x -q``, one process, no plugins that reorder), and a mutant they all
pass *survived*. Bounded by ``--max-mutants`` (per file, spread evenly over it) and
``--minutes`` (the whole run). Strings are left alone: they are messages, which the web and CLI
tests check. Standard library only: nothing of it is in the suite or its dependencies.

How the copy works: a folder holding ``smartalbum/`` whose entries link to the real package,
except down the path to the mutated file, which is a real copy; ``PYTHONPATH`` puts it before
the editable install, for the test process and every process it starts.

Which tests: the unmutated run is a coverage.py run with each test's node id as its context
(a plugin of ours, ``-p mutate_contexts``, switches it), and processes the tests start (the
server, the CLI, index workers) measured too, under ``proc:`` and the id of the test that
started them. A mutant runs only the tests whose context executed its line; a line reached
only in another process runs the whole test file that started it (a module's server serves
its later tests too); a line nothing executed is "not covered", not run. A mutant its chosen
tests let through runs again on their whole files before it counts as survived: a line run once
a process (a cache, a lazy import) is recorded for its first test alone.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "smartalbum"
# Each file, and the test files that should notice a change to it (quickest first: -x stops
# at the first failure).
TARGETS = {
    "web/auth.py": ["tests/test_auth.py", "tests/test_proxies.py"],
    "library/shares.py": ["tests/test_shares.py"],
    "imaging.py": ["tests/test_imaging.py"],
    "library/writer.py": ["tests/test_indexer.py"],
}
FLIPPED_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
    ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
FLIPPED_BINOP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv,
}  # fmt: skip
QUIET_CALLS = {"log", "logger", "logging"}  # leaving a log line out changes nothing tested


@dataclass
class Mutant:
    """One change: the line it is on, that line before and after."""

    file: str
    line: int
    before: str
    after: str
    status: str = "not run"  # killed, survived, timeout (killed), not covered
    seconds: float = 0.0


def _segment(lines: list[str], node: ast.AST) -> tuple[int, int, int] | None:
    """(line index, start, end) of a node that sits on one line, in str offsets."""
    lineno, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    if lineno is None or lineno != end:
        return None
    text = lines[lineno - 1]
    # ast's offsets count UTF-8 bytes.
    encoded = text.encode("utf-8")
    start = len(encoded[: node.col_offset].decode("utf-8"))  # type: ignore[attr-defined]
    stop = len(encoded[: node.end_col_offset].decode("utf-8"))  # type: ignore[attr-defined]
    return lineno - 1, start, stop


def _variants(node: ast.AST) -> Iterator[ast.AST | str]:
    """The mutated forms of one node (an expression, or the text a statement becomes)."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in FLIPPED_COMPARE:
                ops = [*node.ops[:i], FLIPPED_COMPARE[type(op)](), *node.ops[i + 1 :]]
                yield ast.Compare(node.left, ops, node.comparators)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield ast.BoolOp(other, node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield node.operand
    elif isinstance(node, ast.BinOp) and type(node.op) in FLIPPED_BINOP:
        yield ast.BinOp(node.left, FLIPPED_BINOP[type(node.op)](), node.right)
    elif isinstance(node, ast.Constant):
        yield from _constants(node.value)
    else:
        yield from _statements(node)


def _statements(node: ast.AST) -> Iterator[str]:
    """A value returned as None; a call whose result is not used left out."""
    if isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return None"
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and not _quiet(node.value):
        yield "pass"


def _constants(value: object) -> Iterator[ast.AST]:
    if isinstance(value, bool):
        yield ast.Constant(not value)
    elif isinstance(value, int | float) and value not in (0, 1):
        yield ast.Constant(value + 1)
    elif isinstance(value, int | float):
        yield ast.Constant(1 - value)


def _quiet(call: ast.Call) -> bool:
    """A logging call (``log.info(...)``), whose absence no test can see."""
    func = call.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in QUIET_CALLS


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes not worth a mutant: docstrings, annotations, ``TYPE_CHECKING`` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip.update(id(n) for n in ast.walk(first))  # a docstring (or a bare constant)
        for note in _annotations(node):
            skip.update(id(n) for n in ast.walk(note))
    return skip


def _annotations(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
        yield node.annotation
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
        yield node.returns


def mutants_of(relative: str) -> list[Mutant]:
    """Every one-line mutant of a file of the package, in the order of its lines."""
    source = (PACKAGE / relative).read_text("utf-8")
    lines, tree = source.splitlines(), ast.parse(source)
    skip = _skipped(tree)
    found: dict[tuple[int, str], Mutant] = {}
    for node in ast.walk(tree):
        if id(node) in skip or (where := _segment(lines, node)) is None:
            continue
        index, start, stop = where
        line = lines[index]
        for variant in _variants(node):
            text = variant if isinstance(variant, str) else ast.unparse(variant)
            after = line[:start] + text + line[stop:]
            if after != line and _parses(lines, index, after):
                found.setdefault((index, after), Mutant(relative, index + 1, line, after))
    return sorted(found.values(), key=lambda m: (m.line, m.after))


def _parses(lines: list[str], index: int, after: str) -> bool:
    try:
        ast.parse("\n".join([*lines[:index], after, *lines[index + 1 :]]))
    except SyntaxError:
        return False
    return True


def spread(mutants: list[Mutant], most: int | None) -> list[Mutant]:
    """At most ``most`` of them, evenly over the file (every k-th), so a bounded run sees it all."""
    if most is None or len(mutants) <= most:
        return mutants
    step = len(mutants) / most
    return [mutants[int(i * step)] for i in range(most)]


def overlay(relative: str, into: Path) -> Path:
    """A package under ``into`` linked to the real one but for a real copy of ``relative``:
    the path of that copy, to be overwritten by each mutant."""
    parts = Path(relative).parts
    real, made = PACKAGE, into / "smartalbum"
    for depth in range(len(parts)):
        made.mkdir()
        for entry in real.iterdir():
            if entry.name != parts[depth] and entry.name != "__pycache__":
                (made / entry.name).symlink_to(entry)
        real, made = real / parts[depth], made / parts[depth]
    shutil.copyfile(real, made)
    return made


def write_mutant(copy: Path, relative: str, mutant: Mutant | None) -> None:
    """Put the original file, or one mutant of it, in the copy; its stale bytecode goes."""
    lines = (PACKAGE / relative).read_text("utf-8").splitlines(True)
    if mutant is not None:
        ending = lines[mutant.line - 1][len(lines[mutant.line - 1].rstrip("\r\n")) :]
        lines[mutant.line - 1] = mutant.after + ending
    copy.write_text("".join(lines), "utf-8")
    # A mutant of the same size written within a second would pass the .pyc's check.
    for stale in (copy.parent / "__pycache__").glob(copy.stem + ".*.pyc"):
        stale.unlink()


def run_tests(
    tests: list[str], path: Path, limit: float | None, measure: bool = False
) -> tuple[str, float, str]:
    """Run the tests against the package in ``path`` (under coverage when ``measure``): passed,
    failed or timeout, the seconds it took and the end of what pytest said."""
    env = {**os.environ, "PYTHONPATH": str(path), "SMARTALBUM_TEST_THREADS": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly"]
    if measure:
        rcfile = path / "coveragerc"
        command[1:3] = ["-m", "coverage", "run", f"--rcfile={rcfile}", "-m", "pytest"]
        command += ["-p", PLUGIN]
    # As the suite's main step: the soaks (timings, long runs) are not what a mutant is for.
    command += ["-p", "no:cacheprovider", "--no-header", "-o", "addopts=", "-m", "not soak"]
    command += tests
    began = time.monotonic()
    try:
        proc = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=limit, check=False
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - began, ""
    status = "passed" if proc.returncode == 0 else "failed"
    return status, time.monotonic() - began, (proc.stdout + proc.stderr)[-3000:]


PLUGIN = "mutate_contexts"
# The pytest plugin of the coverage run: each test's lines under its node id, and the processes
# it starts (coverage's patch=subprocess passes them its configuration) under "proc:" and it.
PLUGIN_SOURCE = """
import base64, json, os
import coverage
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cov = coverage.Coverage.current()
    given = os.environ.get("COVERAGE_PROCESS_CONFIG")
    if cov is not None:
        cov.switch_context(item.nodeid)
    if given:
        config = json.loads(base64.b64decode(given))
        config["context"] = "proc:" + item.nodeid
        made = base64.b64encode(json.dumps(config).encode()).decode()
        os.environ["COVERAGE_PROCESS_CONFIG"] = made
    yield
    if given:
        os.environ["COVERAGE_PROCESS_CONFIG"] = given
"""
COVERAGERC = """[run]
data_file = {data}
parallel = true
include = {copy}
patch = subprocess
    _exit
    fork
sigterm = true
"""


def write_coverage_setup(folder: Path, copy: Path) -> Path:
    """The coverage configuration and our plugin, in the folder on PYTHONPATH; the data's path."""
    data = folder / "coverage" / "data"
    data.parent.mkdir()
    (folder / "coveragerc").write_text(COVERAGERC.format(data=data, copy=copy), "utf-8")
    (folder / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE, "utf-8")
    return data


def line_tests(data: Path, copy: Path, files: list[str]) -> dict[int, list[str]]:
    """Each line of the copy the coverage run executed, and the tests to run for it: those that
    executed it, the whole test file that started a process that did, or every file for a line
    run at import (a module's constants and definitions, before any test)."""
    import coverage  # here: --list and the script's own tests need no coverage

    cov = coverage.Coverage(data_file=str(data))
    cov.combine(data_paths=[str(data.parent)], keep=True)
    found = cov.get_data()
    tests: dict[int, list[str]] = {}
    for name in found.measured_files():
        if Path(name).resolve() == copy.resolve():
            for line, contexts in found.contexts_by_lineno(name).items():
                tests[line] = tests_of(contexts, files)
    return tests


def tests_of(contexts: list[str], files: list[str]) -> list[str]:
    """The tests to run for a line executed in these contexts (see line_tests), in file order."""
    chosen: set[str] = set()
    for context in contexts:
        first = context.split("|")[0]
        if first.startswith("proc:"):
            chosen.add(first.removeprefix("proc:").split("::")[0])
        elif context:
            chosen.add(context)
        else:
            chosen.update(files)
    whole = {t for t in chosen if "::" not in t}
    chosen = {t for t in chosen if t in whole or t.split("::")[0] not in whole}
    # The files in their given order (quickest first), each file's tests in their order there.
    rank = {f: i for i, f in enumerate(files)}
    return sorted(chosen, key=lambda t: (rank.get(t.split("::")[0], len(rank)), t))


def check_copy_is_used(path: Path, relative: str) -> None:
    """The tests must import the copy, not the checkout: else every mutant would survive."""
    module = "smartalbum." + relative.removesuffix(".py").replace("/", ".")
    probe = f"import {module} as m; print(m.__file__)"
    env = {**os.environ, "PYTHONPATH": str(path)}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    if not out.stdout.strip().startswith(str(path)):
        sys.exit(f"mutate: the tests would import {out.stdout.strip()}, not the mutated copy")


def mutate_file(
    relative: str, tests: list[str], most: int | None, until: float, skip: int = 0
) -> list[Mutant]:
    """Run a file's mutants (as many as fit before ``until``), each against the tests that
    execute its line."""
    mutants = spread(mutants_of(relative), most)[skip:]
    with tempfile.TemporaryDirectory(prefix="smartalbum-mutate-") as folder:
        copy = overlay(relative, Path(folder))
        check_copy_is_used(Path(folder), relative)
        write_mutant(copy, relative, None)
        data = write_coverage_setup(Path(folder), copy)
        status, baseline, said = run_tests(tests, Path(folder), None, measure=True)
        if status != "passed":  # nothing to learn from its mutants: the next file
            print(f"{said}\n{relative}: {' '.join(tests)} fail without any mutant, skipped")
            return mutants
        covered = line_tests(data, copy, tests)
        print(
            f"{relative}: {len(mutants)} mutants, tests {baseline:.0f} s unmutated (measured), "
            f"{len(covered)} lines executed",
            flush=True,
        )
        for mutant in mutants:
            mutant.status = "not covered" if mutant.line not in covered else mutant.status
        for mutant in (m for m in mutants if m.line in covered):
            if time.monotonic() > until:
                break
            write_mutant(copy, relative, mutant)
            status, mutant.seconds, _ = run_tests(
                covered[mutant.line], Path(folder), 2 * baseline + 60
            )
            if status == "passed" and (files := whole_files(covered[mutant.line])):
                # A line run once a process (a cache, a lazy import) is its first test's alone,
                # though the later tests of its files need what it did: they have the last word.
                status, more, _ = run_tests(files, Path(folder), 2 * baseline + 60)
                mutant.seconds += more
            mutant.status = {"failed": "killed", "passed": "survived"}.get(status, status)
            print(
                f"  {mutant.status:8} {relative}:{mutant.line}  {mutant.after.strip()}", flush=True
            )
    return mutants


def whole_files(tests: list[str]) -> list[str]:
    """The test files of a selection that named single tests (empty if it named none)."""
    if all("::" not in t for t in tests):
        return []
    return list(dict.fromkeys(t.split("::")[0] for t in tests))


def summary(results: list[Mutant]) -> str:
    """A Markdown table: per file, mutants, not covered, run, killed (timeouts among them),
    survived, timed out, not reached in the time."""
    rows = [
        "| file | mutants | not covered | run | killed | survived | timed out | not reached |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for relative in dict.fromkeys(m.file for m in results):
        count = Counter(m.status for m in results if m.file == relative)
        killed, survived, timeout = count["killed"], count["survived"], count["timeout"]
        rows.append(
            f"| `{relative}` | {count.total()} | {count['not covered']} | "
            f"{killed + survived + timeout} | {killed + timeout} | {survived} | {timeout} | "
            f"{count['not run']} |"
        )
    return "\n".join(rows)


def main() -> None:
    """Parse the options, run each file's mutants in its share of the time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=list(TARGETS), help="default: all four")
    parser.add_argument("--max-mutants", type=int, default=None, help="per file")
    parser.add_argument("--minutes", type=float, default=60.0, help="for the whole run")
    parser.add_argument("--skip", type=int, default=0, help="of each file's sample (run before)")
    parser.add_argument("--tests", nargs="+", help="test files instead of each file's own")
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    parser.add_argument("--json", type=Path, help="write every mutant and its fate here")
    args = parser.parse_args()
    unknown = [f for f in args.files if f not in TARGETS and not args.tests]
    if unknown:
        parser.error(f"no tests known for {', '.join(unknown)}: name them with --tests")
    if args.list:
        for relative in args.files:
            for m in spread(mutants_of(relative), args.max_mutants):
                print(f"{relative}:{m.line}  {m.before.strip()}  ->  {m.after.strip()}")
        return
    results: list[Mutant] = []
    began = time.monotonic()
    for i, relative in enumerate(args.files):
        until = began + args.minutes * 60 * (i + 1) / len(args.files)  # each file its share
        tests = args.tests or TARGETS[relative]
        results += mutate_file(relative, tests, args.max_mutants, until, args.skip)
    print(summary(results))
    for m in results:
        if m.status == "survived":
            print(f"survived {m.file}:{m.line}\n  - {m.before.strip()}\n  + {m.after.strip()}")
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in results], indent=1), "utf-8")


if __name__ == "__main__":
    main()
