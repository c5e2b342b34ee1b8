"""The database's own checks: SQLite's ``PRAGMA integrity_check``, PostgreSQL's ``amcheck``.

On PostgreSQL the extension must already be installed in the catalog's database
(``CREATE EXTENSION amcheck``, by its owner): a check only reads, so it never installs it,
and says the check was skipped instead.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smartalbum.catalog.database import driver_reason

_BTREE_INDEXES = text(
    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE am.amname = 'btree' AND n.nspname = current_schema() ORDER BY c.relname"
)


def catalog_problems(session: Session) -> list[str] | None:
    """What the database finds wrong with itself; None when it has no check to run."""
    if session.get_bind().dialect.name == "sqlite":
        rows = [str(r[0]) for r in session.execute(text("PRAGMA integrity_check"))]
        return [] if rows == ["ok"] else rows
    installed = session.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'"))
    if not installed:
        return None
    problems = []
    for name in session.scalars(_BTREE_INDEXES):
        try:
            with session.begin_nested():
                session.execute(
                    text("SELECT bt_index_check(CAST(:name AS regclass))"), {"name": name}
                )
        except DBAPIError as exc:
            problems.append(f"{name}: {driver_reason(exc)}")
    return problems
