"""`--search`: which clients hold a folded substring, answered from an index (C3, P2).

PostgreSQL answers `search_text LIKE '%term%'` from the trigram GIN index of migration 0003.
On SQLite the same question goes to the FTS5 trigram table `client_search` of migration 0007
as `search_text GLOB '*term*'` (the folded text is lower case, so the case-sensitive GLOB
loses nothing, and unlike LIKE ... ESCAPE it can use the index). The other terms read
`clients.search_text` with LIKE, as PostgreSQL does, and give the same answers more slowly:
terms of fewer than three characters (they hold no trigram); terms holding GLOB's own
characters * ? [ (rare in names, phones and codes; SQLite 3.40's FTS5 mishandles such a
pattern next to non-ASCII text, missing rows or crashing); and databases whose index or its
triggers are missing (a SQLite without FTS5 builds none).
"""

from sqlalchemy import ColumnElement, Connection, bindparam, column, select, table, text

from ispcube.db import models as m
from ispcube.domain.text import fold

SEARCH_TABLE = "client_search"
_TRIGRAM = 3

TRIGGERS = ("clients_search_delete", "clients_search_insert", "clients_search_update")
_GLOB_SPECIAL = frozenset("*?[")

_INDEX = table(SEARCH_TABLE, column("rowid"), column("search_text"))
_OBJECTS = text("SELECT name, sql FROM sqlite_master WHERE name IN :names").bindparams(
    bindparam("names", value=[SEARCH_TABLE, *TRIGGERS], expanding=True))


def _index_objects(conn: Connection) -> dict[str, str]:
    """The index table and its triggers that exist: name -> CREATE statement."""
    return dict(conn.execute(_OBJECTS).all())


def has_search_index(conn: Connection) -> bool:
    """The SQLite index and every trigger that keeps it in step (without them it goes stale)."""
    return conn.dialect.name == "sqlite" and len(_index_objects(conn)) == 1 + len(TRIGGERS)


def search_condition(conn: Connection, term: str) -> ColumnElement[bool]:
    """Clients whose search text holds TERM, folded (case and accents ignored)."""
    folded = fold(term)
    if len(folded) >= _TRIGRAM and _GLOB_SPECIAL.isdisjoint(folded) and has_search_index(conn):
        matching = select(_INDEX.c.rowid).where(_INDEX.c.search_text.op("GLOB")(f"*{folded}*"))
        return m.Client.id.in_(matching)
    return m.Client.search_text.contains(folded, autoescape=True)


def set_search_triggers_aside(conn: Connection) -> list[str]:
    """Drop the triggers that keep the SQLite index in step (a bulk load rebuilds it instead);
    their CREATE statements, for `restore_search_index`. Inside the caller's transaction."""
    found = _index_objects(conn)
    for name in TRIGGERS:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [found[name] for name in TRIGGERS]


def restore_search_index(conn: Connection, triggers: list[str]) -> None:
    """Rebuild the index from the clients in one pass, and put its triggers back."""
    conn.exec_driver_sql(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('rebuild')")
    for sql in triggers:
        conn.exec_driver_sql(sql)
