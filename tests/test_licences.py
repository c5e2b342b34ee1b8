"""What the run install and the Docker image ship, and under which licences: no GPL.

The run install is what pyproject's core dependencies pull in (the dev extra is never
shipped: pillow-heif, whose wheel bundles the GPLv2 x265 encoder, writes the tests' HEIC
files from there). The image adds the extras its Dockerfile installs. Each set is walked from
pyproject.toml through the installed packages' own requirements; every package and every
native library a wheel vendors (auditwheel's ``<package>.libs`` folder) must be named in
the README's licence tables, and none may be under the GPL (the LGPL, and the GPL with the
GCC runtime exception, are fine to ship).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import REPO

IMAGE_EXTRAS = ("postgresql", "distributed")  # the Dockerfile's pip install ".[...]"
# A wheel's vendored library: libx265-4883ecb5.so.217 is libx265 (auditwheel's hash)
_VENDORED = re.compile(r"^(?P<name>.+?)(-[0-9a-f]{8})+\.so")


def closure(extras: tuple[str, ...] = ()) -> set[str]:
    """Every distribution smartalbum's own requirements (with these extras) pull in."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    requires = list(project["dependencies"])
    for extra in extras:
        requires += project["optional-dependencies"][extra]
    found: dict[str, frozenset[str]] = {}
    todo = [Requirement(line) for line in requires]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name == "smartalbum":  # an extra naming another of ours
            todo += [Requirement(line) for extra in req.extras for line in _extra(project, extra)]
            continue
        wanted = frozenset(req.extras)
        if name in found and wanted <= found[name]:
            continue
        found[name] = found.get(name, frozenset()) | wanted
        for line in metadata.distribution(name).requires or []:
            dep = Requirement(line)
            environments = [{"extra": extra} for extra in ("", *found[name])]
            if dep.marker is None or any(dep.marker.evaluate(e) for e in environments):
                todo.append(dep)
    return set(found)


def _extra(project: dict[str, dict[str, list[str]]], extra: str) -> list[str]:
    return project["optional-dependencies"][extra]


def vendored(distribution: str) -> set[str]:
    """The native libraries a distribution's wheel bundles (its ``.libs`` folder)."""
    files = metadata.distribution(distribution).files or []
    return {
        match["name"]
        for file in files
        if len(file.parts) == 2 and file.parts[0].endswith(".libs")
        for match in [_VENDORED.match(file.parts[1])]
        if match
    }


def declared_licence(distribution: str) -> str | None:
    """A distribution's licence as its metadata says it: the SPDX expression, the classifiers
    (several are alternatives), or a short License field; None when it says nothing usable."""
    meta = metadata.metadata(distribution).json  # a key absent from the file is absent here
    if meta.get("license_expression"):
        return str(meta["license_expression"])
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get("classifier", []) if c.startswith("License ::")
    ]
    if classifiers:
        return "; ".join(classifiers)
    text = str(meta.get("license") or "").strip()
    if text and text != "UNKNOWN" and len(text) < 80 and "\n" not in text:
        return text
    return None


def is_gpl(licence: str) -> bool:
    """Whether a licence obliges us to ship our code under the GPL: every alternative is the
    GPL or AGPL (the LGPL and the GCC runtime library exception do not)."""
    alternatives = re.split(r"\s+OR\s+|;\s*|\s+or\s+", licence)
    return all(_gpl_only(alternative) for alternative in alternatives)


def _gpl_only(licence: str) -> bool:
    if "exception" in licence.lower():
        return False
    return re.search(r"(?<!L)GPL|GNU (Affero )?General Public", licence) is not None


def readme_table(heading: str) -> dict[str, list[str]]:
    """The rows of the table under a README heading: first cell -> the other cells."""
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    rows: dict[str, list[str]] = {}
    for line in lines[2:]:  # below the header and its |---| line
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


PACKAGES = "### Python packages"
LIBRARIES = "### Native libraries the wheels bundle"


@pytest.fixture(scope="module")
def installs() -> tuple[set[str], set[str]]:
    """(the run install, the Docker image's), by canonical name."""
    return closure(), closure(IMAGE_EXTRAS)


def test_the_gpl_check_reads_licences_right() -> None:
    for licence in ("GPL-2.0-only", "GNU General Public License v2 (GPLv2)", "AGPL-3.0-or-later"):
        assert is_gpl(licence), licence
    for licence in (
        "LGPL-3.0-only",
        "GNU Lesser General Public License v3 (LGPLv3)",
        "FTL OR GPL-2.0-or-later",
        "GPL-3.0-or-later WITH GCC-exception-3.1",
        "MIT",
        "BSD License; Apache Software License",
    ):
        assert not is_gpl(licence), licence


def test_the_run_install_is_the_core_dependencies(installs: tuple[set[str], set[str]]) -> None:
    run, image = installs
    assert {"numpy", "pillow", "pi-heif", "rawpy", "fastapi", "tqdm"} <= run
    assert {"psycopg", "celery"} <= image - run
    # the HEIC encoder and the test tools stay in dev
    assert not {"pillow-heif", "tifffile", "pytest", "torch"} & image
    assert vendored("pillow-heif") >= {"libx265"}  # what keeps it out: it would be caught below


def test_libraw_is_built_without_its_gpl_demosaic_packs() -> None:
    import rawpy

    assert rawpy.flags is not None
    assert not rawpy.flags["DEMOSAIC_PACK_GPL2"] and not rawpy.flags["DEMOSAIC_PACK_GPL3"]


def test_the_readme_names_every_package_and_its_licence(
    installs: tuple[set[str], set[str]],
) -> None:
    run, image = installs
    table = readme_table(PACKAGES)
    assert set(table) == image, "README's package table is not what the image installs"
    for name, (licence, where) in ((name, table[name][:2]) for name in sorted(image)):
        assert where == ("run" if name in run else "image"), name
        declared = declared_licence(name)
        assert declared is None or declared == licence, f"{name}: {declared} in its metadata"
        assert licence and not is_gpl(licence), f"{name} is under the GPL ({licence})"


def test_the_readme_names_every_bundled_library(installs: tuple[set[str], set[str]]) -> None:
    _, image = installs
    bundled: dict[str, set[str]] = {}
    for name in image:
        for library in vendored(name):
            bundled.setdefault(library, set()).add(name)
    table = readme_table(LIBRARIES)
    assert set(table) == set(bundled), "README's library table is not what the wheels bundle"
    for library, (licence, by) in ((lib, table[lib][:2]) for lib in sorted(bundled)):
        assert {b.strip() for b in by.split(",")} == bundled[library], library
        assert licence and not is_gpl(licence), f"{library} is under the GPL ({licence})"
