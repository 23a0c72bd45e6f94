"""An INSERT that says what happens when a row meets a unique index (`ON CONFLICT`).

PostgreSQL and SQLite spell the clause alike and SQLAlchemy gives each its own `insert`, with
the same `on_conflict_do_nothing` and `on_conflict_do_update`: this picks the one of the
database in use, so callers write the clause once.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def insert_on_conflict(dialect: str, table: Any) -> "postgresql.Insert | sqlite.Insert":
    """INSERT into TABLE (a table or mapped class) for DIALECT ("postgresql" or "sqlite"),
    ready for its ON CONFLICT clause."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert
        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert(table)
