"""Many rows read as plain tuples, for the reads that take every photo or label at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ClauseElement
from sqlalchemy.orm import Session


def plain_rows(session: Session, query: ClauseElement) -> list[tuple[Any, ...]]:
    """Rows as plain tuples straight from the database driver.

    On 100,000 rows SQLAlchemy's Row objects cost more than the query itself. Only for
    queries that hold constants alone: they are compiled with their values inline.
    """
    connection = session.connection()
    sql = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(sql))
        return list(cursor.fetchall())
    finally:
        cursor.close()
