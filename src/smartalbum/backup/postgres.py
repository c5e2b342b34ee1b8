"""PostgreSQL catalogs through Debian's client programs: ``pg_dump`` out, ``pg_restore`` in.

The newest installed client is used (``/usr/lib/postgresql/<N>/bin``, as Debian lays them
out), since a ``pg_dump`` refuses a server newer than itself; the password goes in the
environment, never on the command line where ``ps`` shows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import URL

from smartalbum.catalog import shown
from smartalbum.catalog.database import library_url
from smartalbum.errors import ConfigError, SmartalbumError
from smartalbum.i18n import t

_DEBIAN = Path("/usr/lib/postgresql")


def client(program: str) -> str:
    """The path of the newest installed ``pg_dump`` or ``pg_restore``; a ConfigError if none."""
    versions = sorted(
        (p for p in _DEBIAN.glob(f"*/bin/{program}") if p.parent.parent.name.isdigit()),
        key=lambda p: int(p.parent.parent.name),
    )
    found = str(versions[-1]) if versions else shutil.which(program)
    if found is None:
        raise ConfigError(
            t(
                "{program} is not installed: a PostgreSQL catalog is backed up with it "
                "(apt-get install postgresql-client)",
                program=program,
            )
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(library: str, command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit {done.returncode}"
        raise SmartalbumError(
            t("{library}: {program} failed ({reason})", library=shown(library),
              program=Path(command[0]).name, reason=reason)
        )  # fmt: skip


def dump(library: str, target: Path) -> None:
    """Write a consistent dump of a PostgreSQL catalog (custom format) to ``target``."""
    uri, env = _libpq(library_url(library))
    command = [client("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    _run(library, [*command, f"--file={target}", f"--dbname={uri}"], env)


def restore(library: str, source: Path) -> None:
    """Load a dump into the (empty) PostgreSQL database of ``library``."""
    uri, env = _libpq(library_url(library))
    command = [client("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    _run(library, [*command, f"--dbname={uri}", str(source)], env)
