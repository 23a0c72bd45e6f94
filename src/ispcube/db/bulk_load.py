"""Loading a table that a file will at least double, as PostgreSQL's manual advises (P1).

Checking the clients' foreign keys (postal code, status, plan, collector...) row by row costs
PostgreSQL more than storing the rows, and so does checking each new client-log row's client.
When an import is a migration (a large file into a small table), those foreign keys are set
aside for the load and added back before commit, which re-checks every row in one query per
key. The import has already checked each reference, so this only moves the database's own
check to the end; it all happens inside the import's transaction, so a refused import rolls
the set-aside back with the rows. The tables
are locked exclusively from the start of the transaction (before anything reads them, so two
imports cannot deadlock upgrading a lock); other commands wait for the import to finish.
Indexes stay: rebuilding them at the end measured no faster than keeping them up to date.

On SQLite the costly upkeep is the clients' search index (FTS5, clients/search.py): the mere
presence of its triggers doubles the cost of each insert, and feeding the index row by row
costs more again. A migration-sized load takes SQLite's write lock first (BEGIN IMMEDIATE,
so the DDL below is part of the transaction), drops those triggers, and before commit
rebuilds the index in one pass and creates the triggers again. A rollback undoes it all.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from ispcube.db.search_index import has_search_index, restore_search_index, set_search_triggers_aside

BULK_FROM = 10_000          # rows in the file; below this the row-by-row cost is small anyway


@dataclass
class SetAside:
    """What `bulk_load` set aside; `restore` puts it back before commit."""
    conn: Connection
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, definition)
    search_triggers: list[str] = field(default_factory=list)   # SQLite: CREATE TRIGGER statements

    def restore(self) -> None:
        quote = self.conn.dialect.identifier_preparer.quote
        for table, name, definition in self.foreign_keys:
            self.conn.exec_driver_sql(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        self.foreign_keys = []
        if self.search_triggers:
            restore_search_index(self.conn, self.search_triggers)
            self.search_triggers = []


def bulk_load(conn: Connection, table: str, incoming: int | None, logs: str | None = None) -> SetAside | None:
    """Lock TABLE (and LOGS, a table of rows about TABLE's rows) and set aside TABLE's foreign
    keys and LOGS' keys to TABLE when INCOMING rows will at least double TABLE; on SQLite,
    the triggers of the clients' search index instead. None when nothing was set aside.
    Call it first in the transaction."""
    if incoming is None or incoming < BULK_FROM:
        return None
    if conn.dialect.name == "sqlite":
        return _sqlite_load(conn, table, incoming)
    if conn.dialect.name != "postgresql":
        return None
    # The planner's estimate needs no lock on the table; it spares a large table the lock.
    estimate = conn.scalar(text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table})
    if estimate is not None and estimate > incoming:
        return None
    quote = conn.dialect.identifier_preparer.quote
    locked = ", ".join(quote(name) for name in (table, logs) if name)
    conn.exec_driver_sql(f"LOCK TABLE {locked} IN ACCESS EXCLUSIVE MODE")
    if conn.scalar(text(f"SELECT count(*) FROM {quote(table)}")) > incoming:
        return None
    aside = SetAside(conn)
    for owner, name, definition in conn.execute(text(
            "SELECT CASE WHEN conrelid = CAST(:t AS regclass) THEN :t ELSE :logs END, conname, "
            "pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND (conrelid = CAST(:t AS regclass) "
            "OR (conrelid = CAST(:logs AS regclass) AND confrelid = CAST(:t AS regclass))) "
            "ORDER BY 1, 2"), {"t": table, "logs": logs or table}).all():
        conn.exec_driver_sql(f"ALTER TABLE {quote(owner)} DROP CONSTRAINT {quote(name)}")
        aside.foreign_keys.append((owner, name, definition))
    return aside


def _sqlite_load(conn: Connection, table: str, incoming: int) -> SetAside | None:
    if not has_search_index(conn):
        return None
    raw: Any = conn.connection.dbapi_connection   # sqlite3's, which knows whether it opened one
    if not raw.in_transaction:
        # The driver opens transactions only before DML: DDL first would run outside one.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    if conn.scalar(text(f"SELECT count(*) FROM {conn.dialect.identifier_preparer.quote(table)}")) > incoming:
        return None
    return SetAside(conn, search_triggers=set_search_triggers_aside(conn))
