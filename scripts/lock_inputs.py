"""Print the digest of what a lock is made from: pyproject.toml's dependencies, extras,
requires-python and build requirements (comments, tools' settings and the rest do not count).

scripts/lock writes it into every requirements/*.txt as "# inputs: <digest>"; scripts/_venv.sh
installs from a lock only while it still matches, and tests/test_lock.py fails when it does not.
Standard library only: it runs before any venv exists.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path


def lock_inputs(pyproject: Path) -> dict[str, object]:
    """The fields of pyproject.toml that decide what a lock pins."""
    data = tomllib.loads(pyproject.read_text("utf-8"))
    project = data["project"]
    return {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system.requires": data.get("build-system", {}).get("requires", []),
    }


def digest(pyproject: Path) -> str:
    """sha256 of the lock inputs, in a form that ignores formatting and order of keys."""
    text = json.dumps(lock_inputs(pyproject), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print(digest(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "pyproject.toml"))
