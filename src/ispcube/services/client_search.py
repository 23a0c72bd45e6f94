"""`--search`: which clients hold a folded substring, answered from an index (C3, P2).

PostgreSQL answers `search_text LIKE '%term%'` from the trigram GIN index of migration 0003.
On SQLite the same question goes to the FTS5 trigram table `client_search` of migration 0007
as `search_text GLOB '*term*'` (the folded text is lower case, so the case-sensitive GLOB
loses nothing, and unlike LIKE ... ESCAPE it can use the index). Terms of fewer than three
characters hold no trigram, and a database built by a SQLite without FTS5 has no such table:
both read `clients.search_text` with LIKE, as PostgreSQL does.
"""

from sqlalchemy import ColumnElement, Connection, column, select, table, text

from ispcube.db import models as m
from ispcube.domain.text import fold

SEARCH_TABLE = "client_search"
_TRIGRAM = 3

_INDEX = table(SEARCH_TABLE, column("rowid"), column("search_text"))
_GLOB_SPECIAL = str.maketrans({"*": "[*]", "?": "[?]", "[": "[[]"})


def glob_literal(folded: str) -> str:
    """TERM matched literally inside a GLOB pattern."""
    return folded.translate(_GLOB_SPECIAL)


def has_search_index(conn: Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return False
    return conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :name"),
                       {"name": SEARCH_TABLE}) == 1


def search_condition(conn: Connection, term: str) -> ColumnElement[bool]:
    """Clients whose search text holds TERM, folded (case and accents ignored)."""
    folded = fold(term)
    if len(folded) >= _TRIGRAM and has_search_index(conn):
        matching = select(_INDEX.c.rowid).where(_INDEX.c.search_text.op("GLOB")(f"*{glob_literal(folded)}*"))
        return m.Client.id.in_(matching)
    return m.Client.search_text.contains(folded, autoescape=True)


def set_search_triggers_aside(conn: Connection) -> list[str]:
    """Drop the triggers that keep the SQLite index in step (a bulk load rebuilds it instead);
    their CREATE statements, for `restore_search_index`. Inside the caller's transaction."""
    found = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                              "AND tbl_name = 'clients' AND name LIKE 'clients_search_%' ORDER BY name")).all()
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in found]


def restore_search_index(conn: Connection, triggers: list[str]) -> None:
    """Rebuild the index from the clients in one pass, and put its triggers back."""
    conn.exec_driver_sql(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('rebuild')")
    for sql in triggers:
        conn.exec_driver_sql(sql)
