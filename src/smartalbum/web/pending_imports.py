"""The imports a server accepted and has not finished, kept in the catalog.

A web import lives in the server's memory: killed before it finished (or while it waited
behind another job), the server forgot an import it had answered 202 to, and its photos
never came unless someone imported the folders again (found by the chaos soak, issue 29).
Each accepted import is written here before it is answered, removed when it ends (done,
failed or cancelled), and at the next start the server runs what is left again under the same
job id, so a client following it sees it through (a distributed run's first record keeps that
id, marked interrupted; the run again gets a record of its own). Importing a folder twice
is harmless: the second run finds its photos there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import State
from smartalbum.errors import SmartalbumError

log = logging.getLogger(__name__)

PREFIX = "import:"  # the state rows' keys: PREFIX + the job's id


class PendingImports:
    """Accepted, unfinished imports: one state row each, keyed by the job's id."""

    def __init__(self, sessions: Callable[[], sessionmaker[Session]]) -> None:
        self.sessions = sessions  # the catalog's, once it is open

    def add(self, job_id: str, folders: list[str], by: str | None) -> None:
        """Keep an import before it is answered. A catalog that cannot keep it (read-only,
        or not open) is logged: the import still runs, and fails there with its reason in
        the job, where the person who asked reads it."""
        value = json.dumps({"folders": folders, "by": by})
        try:
            with self.sessions()() as session, session.begin():
                session.merge(State(key=PREFIX + job_id, value=value))
        except (SmartalbumError, DBAPIError) as exc:
            log.warning("import %s not kept for a restart: %s", job_id, exc)

    def remove(self, job_id: str) -> None:
        """Forget an import that ended; left for the next start if the catalog is away."""
        try:
            with self.sessions()() as session, session.begin():
                session.execute(delete(State).where(State.key == PREFIX + job_id))
        except DBAPIError as exc:
            log.warning("import %s stays pending (run again at the next start): %s", job_id, exc)

    def left(self) -> list[dict[str, Any]]:
        """Every import kept and not ended: ``{"id", "folders", "by"}``, by id."""
        with self.sessions()() as session:
            rows = session.execute(
                select(State.key, State.value)
                .where(State.key.startswith(PREFIX))
                .order_by(State.key)
            ).all()
        return [{"id": key.removeprefix(PREFIX), **json.loads(value)} for key, value in rows]
