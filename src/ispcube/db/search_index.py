"""The SQLite index behind `--search` (C3, P2): the FTS5 trigram table `client_search` of
migration 0007 and the triggers that keep it in step with `clients.search_text`. A bulk load
sets the triggers aside and rebuilds the index in one pass instead (P1).
"""

from sqlalchemy import Connection, bindparam, column, table, text

SEARCH_TABLE = "client_search"

TRIGGERS = ("clients_search_delete", "clients_search_insert", "clients_search_update")

INDEX = table(SEARCH_TABLE, column("rowid"), column("search_text"))
_OBJECTS = text("SELECT name, sql FROM sqlite_master WHERE name IN :names").bindparams(
    bindparam("names", value=[SEARCH_TABLE, *TRIGGERS], expanding=True))


def _index_objects(conn: Connection) -> dict[str, str]:
    """The index table and its triggers that exist: name -> CREATE statement."""
    return dict(conn.execute(_OBJECTS).all())


def has_search_index(conn: Connection) -> bool:
    """The SQLite index and every trigger that keeps it in step (without them it goes stale)."""
    return conn.dialect.name == "sqlite" and len(_index_objects(conn)) == 1 + len(TRIGGERS)


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
