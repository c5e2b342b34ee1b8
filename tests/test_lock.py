"""The locks: requirements/*.txt (made by scripts/lock) agree with pyproject.toml, pin every
package to one version with the hashes of its files, and are what the installs install;
the Dockerfile that installs one passes hadolint.

All offline and quick: the digest of pyproject.toml's dependencies is compared with the one
each lock recorded, and every requirement pyproject.toml states is checked against the pins.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.helpers import REPO

LOCKS = sorted((REPO / "requirements").glob("*.txt"))
TOOLS = sorted((REPO / "requirements" / "tools").glob("*.txt"))  # uv, which installs the locks
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


@dataclass
class Lock:
    """One requirements/*.txt: its header and its pins (name -> version, hashes)."""

    path: Path
    extras: str
    inputs: str
    versions: dict[str, Version] = field(default_factory=dict)
    hashes: dict[str, list[str]] = field(default_factory=dict)


def read_lock(path: Path) -> Lock:
    """Parse a lock as pip-compile writes it (a pin, then its --hash lines, then # via)."""
    text = path.read_text("utf-8")
    header = dict(re.findall(r"^# (extras|inputs): *(.*)$", text, re.MULTILINE))
    lock = Lock(path, header.get("extras", "<none>"), header.get("inputs", "<none>"))
    name = ""
    for line in text.splitlines():
        if pin := PIN.match(line):
            name = canonicalize_name(pin[1])
            lock.versions[name] = Version(pin[2])
            lock.hashes[name] = []
        elif hashed := re.search(r"--hash=(sha256:[0-9a-f]{64})", line):
            lock.hashes[name].append(hashed[1])
    return lock


def lock_for(extras: str) -> Lock:
    """The lock whose "# extras:" line names these extras."""
    found = [lock for lock in map(read_lock, LOCKS) if lock.extras == extras]
    assert len(found) == 1, f"{len(found)} locks in requirements/ for extras {extras!r}"
    return found[0]


def stated(extras: str) -> list[Requirement]:
    """Every requirement pyproject.toml states for an install with these extras, its own
    extras followed (dev's smartalbum[torch]), markers applied for this machine."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    wanted, seen, found = [e for e in extras.split(",") if e], set(), []
    lines = list(project["dependencies"])
    while wanted:
        extra = wanted.pop()
        if extra not in seen:
            seen.add(extra)
            lines += project["optional-dependencies"][extra]
    for line in lines:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        if canonicalize_name(requirement.name) == "smartalbum":
            found += stated(",".join(requirement.extras))
        else:
            found.append(requirement)
    return found


def test_locks_were_made_from_this_pyproject() -> None:
    digest = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "lock_inputs.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert LOCKS
    for lock in map(read_lock, LOCKS):
        assert lock.inputs == digest, (
            f"{lock.path.name} was made from other dependencies than pyproject.toml's: "
            "run scripts/lock"
        )


@pytest.mark.parametrize("path", LOCKS, ids=[p.name for p in LOCKS])
def test_a_lock_pins_what_pyproject_asks(path: Path) -> None:
    lock = read_lock(path)
    for requirement in stated(lock.extras):
        name = canonicalize_name(requirement.name)
        assert name in lock.versions, f"{path.name} lacks {requirement}: run scripts/lock"
        version = lock.versions[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{path.name} pins {name}=={version}, outside {requirement}: run scripts/lock"
        )
    assert "setuptools" in lock.versions  # the build backend: the project is built hashed too


@pytest.mark.parametrize("path", LOCKS + TOOLS, ids=[p.name for p in LOCKS + TOOLS])
def test_every_pin_is_one_version_with_its_hashes(path: Path) -> None:
    text = path.read_text("utf-8")
    lock = read_lock(path)
    assert lock.versions
    assert not [name for name, hashes in lock.hashes.items() if not hashes]
    requirements = [line for line in text.splitlines() if line and line[0] not in "# "]
    assert len(requirements) == len(lock.versions)  # no line but a pin: no URL, path or -e
    assert "file:" not in text and "/work/" not in text  # nothing of the machine it was made on


def test_every_install_installs_its_lock() -> None:
    assert [p.name for p in TOOLS] == ["uv.txt"]  # scripts/_venv.sh installs the locks with it
    ensured = [  # scripts/run, scripts/test, the benchmarks' scripts
        extras
        for script in (REPO / "scripts").iterdir()
        if script.is_file() and script.name != "_venv.sh"
        for extras in re.findall(r'ensure_venv "([^"]*)"', script.read_text("utf-8"))
    ]
    assert {"", "dev,lite"} <= set(ensured)
    for extras in ensured:
        lock_for(extras)
    dockerfile = (REPO / "Dockerfile").read_text("utf-8")
    installs = re.findall(r"pip install (.*)", dockerfile)
    locked = re.fullmatch(r"--require-hashes --requirement (requirements/\w+\.txt)", installs[0])
    assert locked is not None and read_lock(REPO / locked[1]).extras == "postgresql,distributed"
    assert installs[1].startswith("--no-deps --no-build-isolation .")  # the project alone


def test_this_venv_holds_the_dev_lock() -> None:
    if Path(sys.prefix) != REPO / ".venv":
        pytest.skip(f"not scripts/test's venv ({sys.prefix})")
    lock = lock_for("dev,lite")
    installed: dict[str, Version] = {
        canonicalize_name(d.metadata["Name"]): Version(d.version) for d in metadata.distributions()
    }
    differ = {n: (str(v), str(installed.get(n, "none"))) for n, v in lock.versions.items()}
    differ = {n: pair for n, pair in differ.items() if pair[0] != pair[1]}
    assert not differ, f"installed ≠ {lock.path.name} (scripts/test re-installs it): {differ}"


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.fail("hadolint is not installed: the dev extra brings it (scripts/test)")
    run = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "style", str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
