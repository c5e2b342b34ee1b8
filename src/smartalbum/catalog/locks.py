"""The catalog's locks: one indexer per library, and one runner of the scheduled work,
whichever machine they run on.

A SQLite catalog is locked by a file beside it (``LibraryLock`` takes an flock on it);
a catalog on a server by the server itself (``ServerLock``, a PostgreSQL advisory
lock), so processes on other machines are kept out too. Both let go when their
process dies: a killed indexer leaves no stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, NullPool, text
from sqlalchemy.exc import OperationalError

from smartalbum.catalog.database import (
    LOCK_SPACE,
    is_server,
    plain_engine,
    shown,
    sqlite_file,
    unavailable,
)
from smartalbum.errors import ConfigError, LibraryBusyError
from smartalbum.i18n import t

_INDEX_KEY = 2  # in LOCK_SPACE; key 1 serialises migrations
INDEX, SCHEDULE = "index", "schedule"  # what a lock is for
# Each purpose: its key in LOCK_SPACE, and the suffix of its lock file beside a SQLite file.
_PURPOSES = {INDEX: (_INDEX_KEY, ".lock"), SCHEDULE: (3, ".schedule.lock")}


class ServerLock:
    """A server catalog's index lock: a PostgreSQL advisory lock on a connection of its own.

    The server lets it go when that connection ends, so an indexer that is killed
    leaves no stale lock behind, and indexers on other machines are kept out too.
    """

    def __init__(self, library: str | Path, owner: str, key: int = _INDEX_KEY) -> None:
        self.library = library
        self.owner = owner  # shown to whoever is refused: who holds the lock
        self.key = key
        self._connection: Connection | None = None
        # Autocommit: the connection idles outside a transaction for the whole run.
        self._engine = plain_engine(library, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def acquire(self) -> str | None:
        """Take the lock: None once it is held, else who holds it (then nothing is held)."""
        try:
            connection = self._engine.connect()
        except OperationalError as exc:
            raise unavailable(self.library, exc) from None
        connection.execute(
            text("SELECT set_config('application_name', :owner, false)"), {"owner": self.owner}
        )
        keys = f"{LOCK_SPACE}, {self.key}"
        if connection.execute(text(f"SELECT pg_try_advisory_lock({keys})")).scalar_one():
            self._connection = connection
            return None
        holder = connection.execute(
            text(
                "SELECT a.application_name, host(a.client_addr) FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND l.classid::bigint = :space AND l.objid::bigint = :key AND l.objsubid = 2"
            ),
            {"space": LOCK_SPACE, "key": self.key},
        ).first()
        connection.close()
        self._engine.dispose()
        if holder is None:  # it let go in the meantime
            return "another process"
        name, address = holder
        return f"{name or 'a client'} at {address}" if address else name or "a client"

    def release(self) -> None:
        """Let the lock go (closing its connection) and free the engine."""
        if self._connection is not None:
            unlock = text(f"SELECT pg_advisory_unlock({LOCK_SPACE}, {self.key})")
            with contextlib.suppress(OperationalError):  # gone: the lock went with it
                self._connection.execute(unlock)
            self._connection.close()
            self._connection = None
        self._engine.dispose()


class LibraryLock:
    """One indexer per library (or one runner of its scheduled work, for ``SCHEDULE``): a
    second one is refused with a clear message (LibraryBusyError).

    A SQLite catalog is locked by a file beside it; a catalog on a server by the server
    itself, so processes on other machines are kept out too.
    """

    def __init__(self, library: str | Path, purpose: str = INDEX) -> None:
        self.library = library
        self.purpose = purpose
        self._file: IO[str] | None = None
        self._server: ServerLock | None = None

    def __enter__(self) -> LibraryLock:
        owner = f"smartalbum {self.purpose}, pid {os.getpid()} on {socket.gethostname()}"
        key, suffix = _PURPOSES[self.purpose]
        file = sqlite_file(self.library)
        if file is not None:
            self._lock_file(file.with_name(file.name + suffix), owner)
        elif is_server(self.library):
            server = ServerLock(self.library, owner, key)
            holder = server.acquire()
            if holder is not None:
                raise self._busy(holder)
            self._server = server
        return self  # else an in-memory SQLite catalog: no other process can see it

    def _lock_file(self, path: Path, owner: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a+")
        except OSError as exc:
            raise ConfigError(
                t("{path}: cannot create the lock file ({reason})", path=path, reason=exc)
            ) from None
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            self._file = None
            raise self._busy(holder) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(owner)
        self._file.flush()

    def _busy(self, holder: str) -> LibraryBusyError:
        if self.purpose == SCHEDULE:
            return LibraryBusyError(
                t(
                    "another process ({holder}) is running the scheduled work of {library}",
                    holder=holder,
                    library=shown(self.library),
                )
            )
        return LibraryBusyError(
            t(
                "another indexer ({holder}) is already indexing {library}; wait for it to finish",
                holder=holder,
                library=shown(self.library),
            )
        )

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._server is not None:
            self._server.release()
            self._server = None
