"""The folders a web import may read: checked on their real paths, before anything is walked.

An admin sets ``SMARTALBUM_IMPORT_ROOTS``; a folder asked for through the web must lie
inside one of them once symlinks and ``..`` are resolved, and the walk of an import never
follows a link out of them. Unset, a server that only this machine can reach imports any
folder (a one-person desktop tool, as before); one that listens beyond it imports none.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smartalbum.errors import OutsideRootsError, RequestError
from smartalbum.i18n import t
from smartalbum.settings import Settings

MAX_LISTED = 500  # subfolders listed for one folder


def inside(path: str, roots: Sequence[str]) -> bool:
    """Whether a real path is one of the (real) roots or lies below one."""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


class ImportRoots:
    """Which server folders a web import may read, and the subfolders it can offer."""

    def __init__(self, roots: Sequence[Path], open_to_any: bool) -> None:
        self.roots = [os.path.realpath(r) for r in roots]
        self.open_to_any = open_to_any and not self.roots

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportRoots:
        """The roots the settings name; any folder only for a server of this machine alone."""
        return cls(settings.import_root_paths(), not settings.serves_beyond_this_machine)

    @property
    def confine(self) -> list[Path] | None:
        """What an import's walk must stay inside (None: anywhere)."""
        return None if self.open_to_any else [Path(r) for r in self.roots]

    def check(self, folder: str) -> Path:
        """The folder to import, if the web may import it; else the error that says why."""
        path = Path(folder).expanduser()
        try:
            real = os.path.realpath(path)
            is_folder = os.path.isdir(real)
        except (OSError, ValueError):  # a name the OS refuses (too long, a NUL byte)
            real, is_folder = "", False
        if not self.open_to_any and not (real and inside(real, self.roots)):
            if not self.roots:
                raise OutsideRootsError(
                    t(
                        "imports through the web need SMARTALBUM_IMPORT_ROOTS when the server "
                        "listens beyond this machine"
                    )
                )
            raise OutsideRootsError(
                t("{folder}: not inside an import root of this server", folder=str(path))
            )
        if not is_folder:
            raise RequestError(t("{folder}: not a folder on the server", folder=str(path)))
        return path

    def listing(self, folder: str | None) -> dict[str, Any]:
        """The roots (no folder), or a root's subfolder's subfolders, for the import picker."""
        if self.open_to_any:  # nothing configured: the page asks for a path instead
            return {"configured": False, "folder": None, "folders": []}
        if folder is None:
            return {"configured": True, "folder": None, "folders": [_entry(r) for r in self.roots]}
        real = str(self.check(folder).resolve())
        try:
            names = sorted(
                e.name
                for e in os.scandir(real)
                if not e.name.startswith(".")
                and e.is_dir()
                and inside(os.path.realpath(e.path), self.roots)
            )
        except OSError:
            names = []
        found = [_entry(os.path.join(real, n)) for n in names[:MAX_LISTED]]
        return {"configured": True, "folder": real, "folders": found}


def _entry(path: str) -> dict[str, str]:
    return {"path": path, "name": os.path.basename(path) or path}
